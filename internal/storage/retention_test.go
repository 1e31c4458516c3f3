package storage

import (
	"context"
	"errors"
	"testing"
	"time"

	"gregor/internal/vfs"
)

// retentionLog opens a log of 4 KiB segments on a settable clock with the
// given cleanup settings and no delay before files are removed.
func retentionLog(t *testing.T, dir string, clk *clock, set func(*Config)) *Log {
	t.Helper()
	cfg := smallConfig()
	cfg.FileDeleteDelayMs = 0
	set(&cfg)
	l, err := Open(dir, cfg, clk.now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// appendAt appends n batches of 3 records all stamped ts.
func appendAt(t *testing.T, l *Log, n int, ts int64) {
	t.Helper()
	for range n {
		if _, _, err := l.Append(batch(t, 3, 50, ts), 1); err != nil {
			t.Fatal(err)
		}
	}
}

func segmentBasesOf(l *Log) []int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var out []int64
	for _, s := range l.segments {
		out = append(out, s.baseOffset)
	}
	return out
}

// TestRetentionByTime proves that segments whose largest timestamp is older
// than retention.ms are deleted oldest first, that the log start offset moves
// to the first kept segment (persisted across a reopen) and that reads below
// it are out of range.
func TestRetentionByTime(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	l := retentionLog(t, dir, clk, func(c *Config) { c.RetentionMs = time.Hour.Milliseconds() })
	now := clk.now().UnixMilli()
	appendAt(t, l, 60, now-3*time.Hour.Milliseconds())
	old := l.LogEndOffset()
	l.roll(old)
	appendAt(t, l, 60, now-30*time.Minute.Milliseconds())
	before := segmentBasesOf(l)
	n, err := l.DeleteOldSegments()
	if err != nil {
		t.Fatal(err)
	}
	after := segmentBasesOf(l)
	if after[0] != old || n != len(before)-len(after) || l.LogStartOffset() != old {
		t.Fatalf("deleted %d of %v, left %v, log start %d; want start %d", n, before, after, l.LogStartOffset(), old)
	}
	if _, err := l.Read(old-1, 1<<20, 1<<62, true); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("read below the log start: %v", err)
	}
	if n, _ := l.DeleteOldSegments(); n != 0 {
		t.Fatalf("second pass deleted %d segments", n)
	}
	l.Close()
	l = retentionLog(t, dir, clk, func(c *Config) { c.RetentionMs = time.Hour.Milliseconds() })
	defer l.Close()
	if l.LogStartOffset() != old || segmentBasesOf(l)[0] != old {
		t.Fatalf("after reopen: log start %d, segments %v", l.LogStartOffset(), segmentBasesOf(l))
	}
}

// TestRetentionRollsExpiredActiveSegment proves Kafka's rule that when every
// segment, the active one included, has expired, the active segment is
// rolled and deleted too: the log keeps its end offset and takes appends.
func TestRetentionRollsExpiredActiveSegment(t *testing.T) {
	clk := newClock()
	l := retentionLog(t, t.TempDir(), clk, func(c *Config) { c.RetentionMs = 1000 })
	defer l.Close()
	appendAt(t, l, 5, clk.now().UnixMilli())
	if n, _ := l.DeleteOldSegments(); n != 0 {
		t.Fatalf("fresh records deleted (%d segments)", n)
	}
	clk.advance(1100 * time.Millisecond)
	end := l.LogEndOffset()
	if n, err := l.DeleteOldSegments(); err != nil || n != 1 {
		t.Fatalf("deleted %d segments, %v", n, err)
	}
	if l.LogStartOffset() != end || l.LogEndOffset() != end || l.Size() != 0 {
		t.Fatalf("log start %d, end %d, size %d; want both %d and empty", l.LogStartOffset(), l.LogEndOffset(), l.Size(), end)
	}
	if data, err := l.Read(end, 1<<20, 1<<62, true); data != nil || err != nil {
		t.Fatalf("read at the end: %d bytes, %v", len(data), err)
	}
	if n, _ := l.DeleteOldSegments(); n != 0 {
		t.Fatal("the empty active segment was deleted")
	}
	appendAt(t, l, 1, clk.now().UnixMilli())
	if first := readAll(t, l)[0].BaseOffset(); first != end {
		t.Fatalf("append after retention at %d, want %d", first, end)
	}
}

// TestRetentionBySize proves Kafka's size rule: the oldest segments go while
// the log without them still holds retention.bytes, and no further.
func TestRetentionBySize(t *testing.T) {
	l := retentionLog(t, t.TempDir(), newClock(), func(c *Config) { c.RetentionBytes, c.RetentionMs = 10_000, -1 })
	defer l.Close()
	fill(t, l, 200)
	var sizes []int64
	for _, s := range l.segments {
		sizes = append(sizes, s.size)
	}
	total := l.Size()
	want := 0
	for rest := total; rest-sizes[want] >= 10_000; want++ {
		rest -= sizes[want]
	}
	n, err := l.DeleteOldSegments()
	if err != nil || n != want {
		t.Fatalf("deleted %d segments, want %d (%v)", n, want, err)
	}
	if size := l.Size(); size < 10_000 || size-l.segments[0].size >= 10_000 {
		t.Fatalf("left %d bytes, first segment %d", size, l.segments[0].size)
	}
}

// TestCompactPolicyKeepsOldSegments proves that cleanup.policy=compact alone
// turns retention off, while segments below the log start offset still go.
func TestCompactPolicyKeepsOldSegments(t *testing.T) {
	clk := newClock()
	l := retentionLog(t, t.TempDir(), clk, func(c *Config) {
		c.Delete, c.Compact, c.RetentionMs, c.RetentionBytes = false, true, 1, 1
	})
	defer l.Close()
	fill(t, l, 100)
	clk.advance(time.Hour)
	if n, err := l.DeleteOldSegments(); n != 0 || err != nil {
		t.Fatalf("compact-only log lost %d segments (%v)", n, err)
	}
	l.mu.Lock()
	l.logStartOffset = 100 // as after a reopen with a log-start-offset file ahead of the segments
	l.mu.Unlock()
	if n, _ := l.DeleteOldSegments(); n == 0 || segmentBasesOf(l)[0] > 100 {
		t.Fatalf("segments below the log start kept: %v", segmentBasesOf(l))
	}
}

// TestRetentionCrash proves that a power cut after retention deleted
// segments, before the directory was fsynced, loses nothing retained: the
// log start offset was made durable first, segments that come back below it
// are out of range and deleted again, and the retained batches are intact.
func TestRetentionCrash(t *testing.T) {
	mem := vfs.NewMem()
	clk := newClock()
	cfg := crashConfig()
	cfg.FileDeleteDelayMs, cfg.RetentionBytes, cfg.RetentionMs = 0, 8000, -1
	l, err := OpenAtFS(mem, crashDir, 0, cfg, clk.now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	want := appendAll(t, l, newWorkload(3), 120, nil)
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	if n, err := l.DeleteOldSegments(); err != nil || n == 0 {
		t.Fatalf("deleted %d, %v", n, err)
	}
	start := l.LogStartOffset()
	mem.Crash()
	l, err = OpenAtFS(mem, crashDir, l.RecoveryPoint(), cfg, clk.now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.LogStartOffset() != start || segmentBasesOf(l)[0] >= start {
		t.Fatalf("log start %d after the crash, want %d; segments %v should have come back", l.LogStartOffset(), start, segmentBasesOf(l))
	}
	if _, err := l.Read(start-1, 1<<20, 1<<62, true); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("read below the log start after the crash: %v", err)
	}
	if _, err := l.DeleteOldSegments(); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, l)
	kept := want[len(want)-len(got):]
	for i := range got {
		if string(got[i]) != string(kept[i]) {
			t.Fatalf("batch %d differs after the crash", i)
		}
	}
	if got[0].BaseOffset() != start || segmentBasesOf(l)[0] != start {
		t.Fatalf("first batch %d, segments %v, want start %d", got[0].BaseOffset(), segmentBasesOf(l), start)
	}
}

// TestManagerRunsRetention proves that the Manager's retention loop applies
// each log's policy on its interval.
func TestManagerRunsRetention(t *testing.T) {
	clk := newClock()
	m, err := OpenManager([]string{t.TempDir()}, smallConfig(), clk.now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	cfg := smallConfig()
	cfg.RetentionMs, cfg.FileDeleteDelayMs = 1000, 0
	l, err := m.Create("t", 0, [16]byte{1}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	appendAt(t, l, 100, clk.now().UnixMilli()-5000)
	appendAt(t, l, 1, clk.now().UnixMilli())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.RunRetention(ctx, 5*time.Millisecond) }()
	deadline := time.Now().Add(10 * time.Second)
	for l.LogStartOffset() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if l.LogStartOffset() != segmentBasesOf(l)[0] || l.LogStartOffset() == 0 {
		t.Fatalf("log start %d, segments %v", l.LogStartOffset(), segmentBasesOf(l))
	}
}
