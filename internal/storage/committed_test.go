package storage

import (
	"errors"
	"slices"
	"testing"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/record"
)

// TestAppendWithOffsets proves that a follower append keeps each batch's
// offsets and leader epoch, records the epochs in the leader-epoch cache
// (also across a reopen), accepts a gap as after compaction, and refuses a
// batch below the log end without writing anything.
func TestAppendWithOffsets(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, 0)
	at := func(base int64, epoch int32) record.Batch {
		b := batch(t, 3, 50, 1000)
		b.SetBaseOffset(base)
		b.SetPartitionLeaderEpoch(epoch)
		return b
	}
	want := []record.Batch{at(0, 2), at(3, 2), at(10, 5)}
	if err := l.AppendWithOffsets(slices.Clone(want)); err != nil {
		t.Fatal(err)
	}
	if err := l.AppendWithOffsets([]record.Batch{at(12, 5)}); !errors.Is(err, ErrOffsetsOutOfOrder) {
		t.Fatalf("batch below the log end: %v", err)
	}
	check := func(l *Log) {
		t.Helper()
		got := readAll(t, l)
		if len(got) != len(want) || l.LogEndOffset() != 13 {
			t.Fatalf("%d batches, log end %d; want %d batches, log end 13", len(got), l.LogEndOffset(), len(want))
		}
		for i, b := range got {
			if b.BaseOffset() != want[i].BaseOffset() || b.PartitionLeaderEpoch() != want[i].PartitionLeaderEpoch() {
				t.Fatalf("batch %d at %d epoch %d, want %d epoch %d", i, b.BaseOffset(), b.PartitionLeaderEpoch(), want[i].BaseOffset(), want[i].PartitionLeaderEpoch())
			}
		}
		if e, end := l.EndOffsetForEpoch(4); e != 2 || end != 10 {
			t.Fatalf("end offset for epoch 4: epoch %d offset %d, want 2 and 10", e, end)
		}
	}
	check(l)
	l.Close()
	l = openLog(t, dir, 0)
	defer l.Close()
	check(l)
}

// TestRetentionStopsAtCommitted proves that retention never deletes a
// segment ending after the committed offset, however old, and deletes it
// once the committed offset has passed it.
func TestRetentionStopsAtCommitted(t *testing.T) {
	clk := newClock()
	l := retentionLog(t, t.TempDir(), clk, func(c *Config) { c.RetentionMs = time.Hour.Milliseconds() })
	defer l.Close()
	appendAt(t, l, 120, clk.now().UnixMilli()-3*time.Hour.Milliseconds())
	segments := segmentBasesOf(l)
	committed := segments[2] + 1
	l.SetCommitted(kafka.Offset(committed))
	if _, err := l.DeleteOldSegments(); err != nil {
		t.Fatal(err)
	}
	if got := segmentBasesOf(l); got[0] != segments[2] || l.LogStartOffset() != segments[2] {
		t.Fatalf("committed %d: segments %v, log start %d; want the first at %d", committed, got, l.LogStartOffset(), segments[2])
	}
	l.SetCommitted(kafka.Offset(l.LogEndOffset()))
	if _, err := l.DeleteOldSegments(); err != nil {
		t.Fatal(err)
	}
	if l.LogStartOffset() != l.LogEndOffset() {
		t.Fatalf("everything committed: log start %d, log end %d", l.LogStartOffset(), l.LogEndOffset())
	}
}

// TestCleaningStopsAtCommitted proves that the cleaner leaves the segment
// holding the committed offset, and everything after it, as written.
func TestCleaningStopsAtCommitted(t *testing.T) {
	clk := newClock()
	l, err := Open(t.TempDir(), compactConfig(), clk.now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ts := clk.now().UnixMilli()
	for range 4 {
		appendRoll(t, l, keyed(t, -1, 0, ts, "a", "1", "b", "2"), keyed(t, -1, 0, ts, "a", "3", "b", "4"))
	}
	segments := segmentBasesOf(l)
	committed := segments[1] + 1
	l.SetCommitted(kafka.Offset(committed))
	before := keyValues(t, l)
	end := cleanOnce(t, l, -1, clk.now())
	if end > segments[1] {
		t.Fatalf("cleaned up to %d, past the segment at %d holding committed offset %d", end, segments[1], committed)
	}
	after := keyValues(t, l)
	if !slices.Equal(after[len(after)-12:], before[len(before)-12:]) || len(after) != len(before)-2 {
		t.Fatalf("committed %d: before %v, after %v; want only the first segment cleaned", committed, before, after)
	}
}
