package storage

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gregor/internal/record"
	"gregor/internal/vfs"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func fixedClock() func() time.Time {
	t := time.Unix(1_700_000_000, 0)
	return func() time.Time { return t }
}

func smallConfig() Config {
	c := DefaultConfig()
	c.SegmentBytes = 4096
	c.IndexIntervalBytes = 256
	return c
}

// batch builds a valid batch of n records with value size sz and timestamps from ts.
func batch(t testing.TB, n, sz int, ts int64) record.Batch {
	rs := make([]record.Record, n)
	for i := range rs {
		rs[i] = record.Record{Timestamp: ts + int64(i), Value: bytes.Repeat([]byte{byte(i)}, sz)}
	}
	b, err := record.Build(record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Records: rs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func openLog(t testing.TB, dir string, rp int64) *Log {
	t.Helper()
	l, err := OpenAt(dir, rp, smallConfig(), fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// fill appends n batches of 3 records (offset o has timestamp 1000+o) and returns their bytes.
func fill(t testing.TB, l *Log, n int) [][]byte {
	var out [][]byte
	for range n {
		b := batch(t, 3, 50, 1000+l.LogEndOffset())
		if _, _, err := l.Append(b, 1); err != nil {
			t.Fatal(err)
		}
		out = append(out, append([]byte(nil), b...))
	}
	return out
}

func readAll(t testing.TB, l *Log) []record.Batch {
	t.Helper()
	var out []record.Batch
	err := l.Batches(0, func(b record.Batch) error {
		if err := b.Validate(); err != nil {
			return err
		}
		out = append(out, append(record.Batch(nil), b...))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAppendReadAcrossRolls proves that appended batches read back byte-identical across many segment rolls.
func TestAppendReadAcrossRolls(t *testing.T) {
	l := openLog(t, t.TempDir(), 0)
	defer l.Close()
	want := fill(t, l, 200)
	if len(l.segments) < 10 {
		t.Fatalf("only %d segments", len(l.segments))
	}
	got := readAll(t, l)
	if len(got) != len(want) || l.LogEndOffset() != 600 {
		t.Fatalf("got %d batches, leo %d", len(got), l.LogEndOffset())
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) || got[i].PartitionLeaderEpoch() != 1 {
			t.Fatalf("batch %d differs", i)
		}
	}
}

// TestReadBounds proves that Read honours maxBytes, maxOffset, minOneBatch and the offset range.
func TestReadBounds(t *testing.T) {
	l := openLog(t, t.TempDir(), 0)
	defer l.Close()
	bs := fill(t, l, 10)
	size := int32(len(bs[0]))
	for off := int64(0); off < 27; off++ {
		data, err := l.Read(off, 2*size+5, 1<<40, false)
		got, _ := record.Split(data)
		if err != nil || len(got) != 2 || got[0].BaseOffset() != off/3*3 {
			t.Fatalf("offset %d: %d batches, %v", off, len(got), err)
		}
	}
	if data, _ := l.Read(4, size-1, 1<<40, false); len(data) != 0 {
		t.Fatal("batch larger than maxBytes returned without minOneBatch")
	}
	if data, _ := l.Read(4, 1, 1<<40, true); len(data) != int(size) {
		t.Fatal("minOneBatch did not return the first batch")
	}
	if data, _ := l.Read(0, 1<<20, 8, false); len(data) != 2*int(size) {
		t.Fatalf("maxOffset 8: %d bytes", len(data))
	}
	if data, err := l.Read(30, 100, 1<<40, true); data != nil || err != nil {
		t.Fatal("read at LEO")
	}
	if _, err := l.Read(31, 100, 1<<40, true); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("read past LEO: %v", err)
	}
}

// TestIndexLookupMatchesScan proves that the sparse index gives a start position at or before the batch found by a linear scan.
func TestIndexLookupMatchesScan(t *testing.T) {
	l := openLog(t, t.TempDir(), 0)
	defer l.Close()
	fill(t, l, 200)
	for off := int64(0); off < l.LogEndOffset(); off += 7 {
		s := l.segments[l.segmentFor(off)]
		pos, h, err := s.find(off, s.lookupPosition(off), s.size)
		lpos, lh, lerr := s.find(off, 0, s.size)
		if err != nil || lerr != nil || pos != lpos || h != lh {
			t.Fatalf("offset %d: index %d %v, scan %d %v", off, pos, err, lpos, lerr)
		}
	}
}

// TestReopen proves that a reopened log has the same end offset, data and epochs.
func TestReopen(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, 0)
	fill(t, l, 50)
	l.Append(batch(t, 2, 10, 5000), 4)
	want := readAll(t, l)
	l.Close()
	l = openLog(t, dir, 0)
	defer l.Close()
	got := readAll(t, l)
	if l.LogEndOffset() != 152 || len(got) != len(want) || !bytes.Equal(got[50], want[50]) {
		t.Fatalf("leo %d, %d batches", l.LogEndOffset(), len(got))
	}
	if e, end := l.EndOffsetForEpoch(1); e != 1 || end != 150 || l.LatestEpoch() != 4 {
		t.Fatalf("epoch 1 ends at %d (%d), latest %d", end, e, l.LatestEpoch())
	}
}

func lastSegmentFile(t *testing.T, dir string) string {
	bases, _ := segmentBases(vfs.OS, dir)
	return segmentName(dir, bases[len(bases)-1], ".log")
}

// TestRecoverCorruptAndTorn proves that a flipped byte or a torn write in the last batch truncates exactly that batch.
func TestRecoverCorruptAndTorn(t *testing.T) {
	for _, damage := range []string{"flip", "torn"} {
		t.Run(damage, func(t *testing.T) {
			dir := t.TempDir()
			l := openLog(t, dir, 0)
			fill(t, l, 20)
			want := readAll(t, l)
			l.Close()
			path := lastSegmentFile(t, dir)
			data, _ := os.ReadFile(path)
			if damage == "flip" {
				data[len(data)-3] ^= 0xff
			} else {
				data = data[:len(data)-10]
			}
			os.WriteFile(path, data, 0o644)
			l = openLog(t, dir, 0)
			defer l.Close()
			got := readAll(t, l)
			if l.LogEndOffset() != 57 || len(got) != 19 || !bytes.Equal(got[18], want[18]) {
				t.Fatalf("leo %d, %d batches", l.LogEndOffset(), len(got))
			}
		})
	}
}

// TestRebuildIndexes proves that deleted or garbled index files are rebuilt and reads stay correct.
func TestRebuildIndexes(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, 0)
	fill(t, l, 100)
	want := readAll(t, l)
	leo := l.LogEndOffset()
	l.Close()
	bases, _ := segmentBases(vfs.OS, dir)
	os.Remove(segmentName(dir, bases[0], ".index"))
	os.WriteFile(segmentName(dir, bases[1], ".index"), []byte("garbage!!"), 0o644)
	os.WriteFile(segmentName(dir, bases[2], ".timeindex"), bytes.Repeat([]byte{0xff}, 24), 0o644)
	l = openLog(t, dir, leo)
	defer l.Close()
	if got := readAll(t, l); len(got) != len(want) || l.LogEndOffset() != leo {
		t.Fatalf("%d batches, leo %d", len(got), l.LogEndOffset())
	}
	for off := int64(0); off < leo; off += 5 {
		data, err := l.Read(off, 1, 1<<40, true)
		if err != nil || record.Batch(data).LastOffset() < off || record.Batch(data).BaseOffset() > off {
			t.Fatalf("offset %d: %v", off, err)
		}
	}
}

// TestTimestamps proves OffsetForTimestamp and MaxTimestamp against known timestamps.
func TestTimestamps(t *testing.T) {
	l := openLog(t, t.TempDir(), 0)
	defer l.Close()
	fill(t, l, 100) // offset o has timestamp 1000+o
	for _, ts := range []int64{0, 1000, 1001, 1150, 1299} {
		off, got, found, err := l.OffsetForTimestamp(ts)
		want := max(ts-1000, 0)
		if err != nil || !found || off != want || got != 1000+want {
			t.Fatalf("ts %d: offset %d ts %d found %v err %v", ts, off, got, found, err)
		}
	}
	if _, _, found, _ := l.OffsetForTimestamp(1300); found {
		t.Fatal("found a timestamp beyond the max")
	}
	if ts, off, err := l.MaxTimestamp(); err != nil || ts != 1299 || off != 299 {
		t.Fatalf("max timestamp %d at %d, %v", ts, off, err)
	}
	// Below a log start offset inside a batch, the answer is the log start.
	if err := l.DeleteRecordsBefore(151); err != nil {
		t.Fatal(err)
	}
	if off, ts, found, err := l.OffsetForTimestamp(0); err != nil || !found || off != 151 || ts != 1151 {
		t.Fatalf("after DeleteRecordsBefore(151): offset %d ts %d found %v err %v", off, ts, found, err)
	}
}

// TestDeleteRecordsBeforeSurvivesReopen proves that the log start offset persists and old segments go.
func TestDeleteRecordsBeforeSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, 0)
	fill(t, l, 100)
	n := len(l.segments)
	if err := l.DeleteRecordsBefore(200); err != nil {
		t.Fatal(err)
	}
	if len(l.segments) >= n || l.LogStartOffset() != 200 {
		t.Fatalf("segments %d -> %d, start %d", n, len(l.segments), l.LogStartOffset())
	}
	if _, err := l.Read(100, 10, 1<<40, true); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("read below start: %v", err)
	}
	if err := l.DeleteRecordsBefore(301); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("delete past end: %v", err)
	}
	l.Close()
	l = openLog(t, dir, 0)
	defer l.Close()
	if l.LogStartOffset() != 200 || l.LogEndOffset() != 300 {
		t.Fatalf("after reopen start %d end %d", l.LogStartOffset(), l.LogEndOffset())
	}
}

// TestTruncateTo proves that truncation removes batches at and above the offset and the epochs after it.
func TestTruncateTo(t *testing.T) {
	l := openLog(t, t.TempDir(), 0)
	defer l.Close()
	fill(t, l, 50)
	l.Append(batch(t, 3, 10, 9000), 7)
	if err := l.TruncateTo(100); err != nil {
		t.Fatal(err)
	}
	if l.LogEndOffset() != 99 || l.LatestEpoch() != 1 || len(readAll(t, l)) != 33 {
		t.Fatalf("leo %d epoch %d", l.LogEndOffset(), l.LatestEpoch())
	}
	fill(t, l, 1)
	if l.LogEndOffset() != 102 {
		t.Fatalf("append after truncate: leo %d", l.LogEndOffset())
	}
}

// TestSnapshots proves that the newest two snapshots are kept and ones above LEO are dropped.
func TestSnapshots(t *testing.T) {
	l := openLog(t, t.TempDir(), 0)
	defer l.Close()
	fill(t, l, 10)
	for _, o := range []int64{3, 9, 12, 40} {
		if err := l.WriteSnapshot(o, []byte(fmt.Sprint(o))); err != nil {
			t.Fatal(err)
		}
	}
	off, data, err := l.LatestSnapshot()
	if err != nil || off != 12 || string(data) != "12" {
		t.Fatalf("latest %d %q %v", off, data, err)
	}
	if offs, _ := l.snapshotOffsets(); len(offs) != 1 {
		t.Fatalf("snapshots left: %v", offs)
	}
	if _, err := os.Stat(filepath.Join(l.Dir(), "00000000000000000003.snapshot")); err == nil {
		t.Fatal("old snapshot kept")
	}
}

// TestSegmentJitter proves segment.jitter.ms: each segment rolls once its
// records span more than SegmentMs less its own jitter, the jitter drawn
// anew for each segment in [0, min(SegmentJitterMs, SegmentMs)), as
// Kafka's randomSegmentJitter; without jitter a segment rolls past
// SegmentMs.
func TestSegmentJitter(t *testing.T) {
	for _, jitter := range []int64{0, 1000, 5000} {
		cfg := smallConfig()
		cfg.SegmentBytes, cfg.SegmentMs, cfg.SegmentJitterMs = 1<<20, 1000, jitter
		clk := newClock()
		l, err := Open(t.TempDir(), cfg, clk.now, quiet)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[int64]bool{}
		for i := range 50 {
			start := clk.now().UnixMilli()
			appendOne(t, l, start) // the first batch of a new segment starts its time
			seg := l.active()
			j := seg.rollJitterMs
			if j < 0 || j >= min(max(jitter, 1), cfg.SegmentMs) {
				t.Fatalf("jitter %d: segment %d drew %d", jitter, i, j)
			}
			seen[j] = true
			appendOne(t, l, start+cfg.SegmentMs-j)
			if l.active() != seg {
				t.Fatalf("jitter %d: segment %d rolled spanning %d ms, %d less its jitter %d", jitter, i, cfg.SegmentMs-j, cfg.SegmentMs, j)
			}
			appendOne(t, l, start+cfg.SegmentMs-j+1)
			if l.active() == seg {
				t.Fatalf("jitter %d: segment %d did not roll spanning %d ms", jitter, i, cfg.SegmentMs-j+1)
			}
			clk.advance(time.Duration(cfg.SegmentMs) * time.Millisecond)
			if err := l.roll(l.LogEndOffset()); err != nil {
				t.Fatal(err)
			}
		}
		if jitter > 0 && len(seen) < 10 {
			t.Errorf("jitter %d: only %d distinct jitters over 50 segments", jitter, len(seen))
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// appendOne appends a one-record batch with timestamp ts.
func appendOne(t testing.TB, l *Log, ts int64) {
	t.Helper()
	if _, _, err := l.Append(batch(t, 1, 50, ts), 1); err != nil {
		t.Fatal(err)
	}
}

// TestSegmentRollsByTimestamps proves that segment.ms is measured as
// Kafka's LogSegment.shouldRoll measures it: from the max timestamp of the
// segment's first batch to that of the batch being appended, whatever the
// clock says (old records replayed into a topic roll by their own time,
// and a quiet hour does not roll a segment whose records span less), read
// back from the file after a restart; a first batch without a timestamp
// falls back on the clock.
func TestSegmentRollsByTimestamps(t *testing.T) {
	cfg := smallConfig()
	cfg.SegmentBytes, cfg.SegmentMs, cfg.SegmentJitterMs = 1<<20, 1000, 0
	clk, dir := newClock(), t.TempDir()
	l, err := Open(dir, cfg, clk.now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	old := clk.now().Add(-24 * time.Hour).UnixMilli()
	segments := func() int {
		l.mu.RLock()
		defer l.mu.RUnlock()
		return len(l.segments)
	}
	steps := []struct {
		ts      int64
		advance time.Duration
		reopen  bool
		want    int
	}{
		{ts: old, want: 1},
		{ts: old + 1000, want: 1},                     // spans exactly segment.ms
		{ts: old + 1001, want: 2},                     // past it, with the clock standing still
		{ts: old + 1001, advance: time.Hour, want: 2}, // an hour later, but no wider
		{ts: old + 2001, reopen: true, want: 2},       // the first batch's time read from the file
		{ts: old + 2002, want: 3},                     // spans 1001 ms from it
	}
	for i, st := range steps {
		clk.advance(st.advance)
		if st.reopen {
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if l, err = Open(dir, cfg, clk.now, quiet); err != nil {
				t.Fatal(err)
			}
		}
		appendOne(t, l, st.ts)
		if got := segments(); got != st.want {
			t.Fatalf("step %d (timestamp %d): %d segments, want %d", i, st.ts-old, got, st.want)
		}
	}

	// A segment whose first batch has no timestamp rolls by the clock.
	if err := l.roll(l.LogEndOffset()); err != nil {
		t.Fatal(err)
	}
	appendOne(t, l, -1)
	n := segments()
	clk.advance(1000 * time.Millisecond)
	appendOne(t, l, -1)
	if segments() != n {
		t.Fatal("a segment without timestamps rolled at segment.ms, not past it")
	}
	clk.advance(time.Millisecond)
	appendOne(t, l, -1)
	if segments() != n+1 {
		t.Fatal("a segment without timestamps did not roll past segment.ms by the clock")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}
