package storage

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/vfs"
)

// TestManagerReopenWithCheckpoint proves that a cleanly closed Manager reopens every partition with its data, topic id and recovery point.
func TestManagerReopenWithCheckpoint(t *testing.T) {
	dirs := []string{filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")}
	m, err := OpenManager(dirs, smallConfig(), fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	id := kafka.NewTopicID()
	for p := range int32(4) {
		l, err := m.Create("my-topic", p, id, smallConfig())
		if err != nil {
			t.Fatal(err)
		}
		fill(t, l, int(p)+1)
	}
	if err := m.Delete("my-topic", 3); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dirs[0], "old-0.abc-delete"), 0o755)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m, err = OpenManager(dirs, smallConfig(), fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if len(m.Logs()) != 3 {
		t.Fatalf("%d logs after reopen", len(m.Logs()))
	}
	for p := range int32(3) {
		l, ok := m.Get("my-topic", p)
		if !ok || l.LogEndOffset() != int64(3*(p+1)) || l.RecoveryPoint() != l.LogEndOffset() {
			t.Fatalf("partition %d: leo %d rp %d", p, l.LogEndOffset(), l.RecoveryPoint())
		}
		if got, ok := m.TopicID("my-topic", p); !ok || got != id {
			t.Fatalf("partition %d: topic id %v", p, got)
		}
	}
	if _, err := os.Stat(filepath.Join(dirs[0], "old-0.abc-delete")); err == nil {
		t.Fatal("-delete dir left behind")
	}
}

// TestRecoveryPointCheckpointInterval proves that a running Manager writes
// the recovery points every RecoveryPointCheckpointMs
// (log.flush.offset.checkpoint.interval.ms), not only at Close.
func TestRecoveryPointCheckpointInterval(t *testing.T) {
	dir := t.TempDir()
	cfg := smallConfig()
	cfg.RecoveryPointCheckpointMs = 1
	m, err := OpenManager([]string{dir}, cfg, time.Now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	l, err := m.Create("rp", 0, [16]byte{1}, smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	fill(t, l, 3)
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	want := []string{"rp", "0", strconv.FormatInt(l.RecoveryPoint(), 10)}
	if l.RecoveryPoint() == 0 {
		t.Fatal("recovery point 0 after a flush")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	var got [][]string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		got, _ = readCheckpoint(vfs.OS, filepath.Join(dir, recoveryPointFile), 3)
		if len(got) == 1 && slices.Equal(got[0], want) {
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !slices.Equal(got[0], want) {
		t.Fatalf("recovery-point-offset-checkpoint %v, want %v", got, want)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}
