package storage

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gregor/internal/kafka"
)

// TestManagerCleaner proves that the cleaner threads compact the compacted
// logs only, to the model's result, record the first dirty offset in
// cleaner-offset-checkpoint (Kafka's format) and start from it after a
// restart.
func TestManagerCleaner(t *testing.T) {
	dir, clk := t.TempDir(), newClock()
	m, err := OpenManager([]string{dir}, smallConfig(), clk.now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	compacted, err := m.Create("compacted", 0, [16]byte{1}, compactConfig())
	if err != nil {
		t.Fatal(err)
	}
	plain, err := m.Create("plain", 0, [16]byte{2}, smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	model, w := newModel(), newCompactionWorkload(4, 20)
	w.append(t, compacted, model, 100, clk.now().UnixMilli())
	w.append(t, plain, newModel(), 100, clk.now().UnixMilli())
	plainBefore := readAll(t, plain)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- m.RunCleaner(ctx, func() CleanerConfig {
			return CleanerConfig{Threads: 2, Backoff: 5 * time.Millisecond, DedupeBufferSize: DefaultDedupeBufferSize}
		})
	}()
	end := activeBase(compacted)
	tp := kafka.TopicPartition{Topic: "compacted"}
	deadline := time.Now().Add(20 * time.Second)
	for cleanerCheckpoint(m, tp) != end && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := cleanerCheckpoint(m, tp); got != end {
		t.Fatalf("cleaner checkpoint %d, want %d", got, end)
	}
	model.clean(end, clk.now().UnixMilli(), compactConfig().DeleteRetentionMs)
	checkAgainstModel(t, compacted, model)
	if fmt.Sprint(readAll(t, plain)) != fmt.Sprint(plainBefore) {
		t.Fatal("the cleaner changed a log without cleanup.policy compact")
	}
	data, err := os.ReadFile(filepath.Join(dir, cleanerCheckpointFile))
	if want := fmt.Sprintf("0\n1\ncompacted 0 %d\n", end); err != nil || string(data) != want {
		t.Fatalf("checkpoint file %q (%v), want %q", data, err, want)
	}
	m.Close()

	m, err = OpenManager([]string{dir}, smallConfig(), clk.now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	l, _ := m.Get("compacted", 0)
	l.SetConfig(compactConfig())
	if m.CleanFilthiestLog(context.Background(), math.MaxInt64) {
		t.Fatal("cleaned again after a restart with nothing dirty")
	}
}

// activeBase is the active segment's base offset, read under the log's lock
// because a running cleaner swaps the segment list.
func activeBase(l *Log) int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.active().baseOffset
}

func cleanerCheckpoint(m *Manager, tp kafka.TopicPartition) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if o, ok := m.cleaner.checkpoints[tp]; ok {
		return o
	}
	return -1
}

// TestCleanerChoosesByDirtyRatio proves that a log is cleaned only once its
// dirty ratio exceeds min.cleanable.dirty.ratio, and that the dirtiest log
// goes first.
func TestCleanerChoosesByDirtyRatio(t *testing.T) {
	clk := newClock()
	m, err := OpenManager([]string{t.TempDir()}, smallConfig(), clk.now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	cfg := compactConfig()
	a, _ := m.Create("a", 0, [16]byte{1}, cfg)
	b, _ := m.Create("b", 0, [16]byte{2}, cfg)
	w := newCompactionWorkload(1, 1_000_000) // few keys repeat: cleaning keeps most bytes
	w.append(t, a, newModel(), 100, clk.now().UnixMilli())
	if !m.CleanFilthiestLog(context.Background(), math.MaxInt64) || cleanerCheckpoint(m, kafka.TopicPartition{Topic: "a"}) < 0 {
		t.Fatal("the only dirty log was not cleaned")
	}
	w.append(t, a, newModel(), 10, clk.now().UnixMilli())
	w.append(t, b, newModel(), 40, clk.now().UnixMilli())
	if !m.CleanFilthiestLog(context.Background(), math.MaxInt64) || cleanerCheckpoint(m, kafka.TopicPartition{Topic: "b"}) < 0 {
		t.Fatal("the dirtiest log (b, never cleaned) was not chosen")
	}
	w.append(t, a, newModel(), 10, clk.now().UnixMilli())
	if r := a.cleanableRange(cleanerCheckpoint(m, kafka.TopicPartition{Topic: "a"}), clk.now()); r.dirtyRatio() >= 0.5 || r.dirtyBytes == 0 {
		t.Fatalf("test setup: dirty ratio of a is %.2f", r.dirtyRatio())
	}
	if m.CleanFilthiestLog(context.Background(), math.MaxInt64) {
		t.Fatal("cleaned a log below min.cleanable.dirty.ratio")
	}
	cfg.MinCleanableDirtyRatio = 0.01
	a.SetConfig(cfg)
	if !m.CleanFilthiestLog(context.Background(), math.MaxInt64) {
		t.Fatal("did not clean a log above a lowered min.cleanable.dirty.ratio")
	}
}

// TestCleanerThreadsAreDynamic: with no cleaner thread nothing is cleaned;
// raising log.cleaner.threads while the cleaner runs starts one.
func TestCleanerThreadsAreDynamic(t *testing.T) {
	dir, clk := t.TempDir(), newClock()
	m, err := OpenManager([]string{dir}, smallConfig(), clk.now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	compacted, err := m.Create("compacted", 0, [16]byte{1}, compactConfig())
	if err != nil {
		t.Fatal(err)
	}
	newCompactionWorkload(4, 20).append(t, compacted, newModel(), 100, clk.now().UnixMilli())
	var mu sync.Mutex
	threads := 0
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- m.RunCleaner(ctx, func() CleanerConfig {
			mu.Lock()
			defer mu.Unlock()
			return CleanerConfig{Threads: threads, Backoff: 5 * time.Millisecond, DedupeBufferSize: DefaultDedupeBufferSize}
		})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	tp := kafka.TopicPartition{Topic: "compacted"}
	time.Sleep(100 * time.Millisecond)
	if got := cleanerCheckpoint(m, tp); got != -1 {
		t.Fatalf("cleaned with no cleaner thread: checkpoint %d", got)
	}
	mu.Lock()
	threads = 1
	mu.Unlock()
	end := activeBase(compacted)
	deadline := time.Now().Add(20 * time.Second)
	for cleanerCheckpoint(m, tp) != end {
		if time.Now().After(deadline) {
			t.Fatalf("not cleaned after raising the thread count: checkpoint %d, want %d", cleanerCheckpoint(m, tp), end)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
