package storage

import (
	"runtime"
	"testing"

	"gregor/internal/record"
	"gregor/internal/record/recordtest"
)

// TestTimestampLookupOverBomb proves that ListOffsets by timestamp and by
// max timestamp answer the offset of a stored batch that inflates to 1 GiB
// (offset 0, not "not found") without inflating it: each lookup allocates
// a few MiB at most.
func TestTimestampLookupOverBomb(t *testing.T) {
	bomb, err := recordtest.Bomb(record.CodecZstd, nil, 1<<30, 5000)
	if err != nil {
		t.Fatal(err)
	}
	l := openLog(t, t.TempDir(), 0)
	defer l.Close()
	if _, _, err := l.Append(bomb, 1); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Append(batch(t, 3, 10, 6000), 1); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, ts := range []int64{0, 4999, 5000} {
		off, got, found, err := l.OffsetForTimestamp(ts)
		if err != nil || !found || off != 0 || got != 5000 {
			t.Fatalf("OffsetForTimestamp(%d) = %d, %d, %v, %v; want 0, 5000, true", ts, off, got, found, err)
		}
	}
	if off, got, found, err := l.OffsetForTimestamp(5001); err != nil || !found || off != 1 || got != 6000 {
		t.Fatalf("OffsetForTimestamp(5001) = %d, %d, %v, %v; want 1, 6000", off, got, found, err)
	}
	runtime.ReadMemStats(&after)
	if a := after.TotalAlloc - before.TotalAlloc; a > 64<<20 {
		t.Fatalf("four lookups allocated %d bytes", a)
	}
}

// TestMaxTimestampOverBomb proves that ListOffsets -3 finds a bomb that
// holds the largest timestamp without inflating it.
func TestMaxTimestampOverBomb(t *testing.T) {
	bomb, err := recordtest.Bomb(record.CodecGzip, []byte("k"), 1<<30, 9000)
	if err != nil {
		t.Fatal(err)
	}
	l := openLog(t, t.TempDir(), 0)
	defer l.Close()
	if _, _, err := l.Append(batch(t, 3, 10, 6000), 1); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Append(bomb, 1); err != nil {
		t.Fatal(err)
	}
	if ts, off, err := l.MaxTimestamp(); err != nil || ts != 9000 || off != 3 {
		t.Fatalf("MaxTimestamp = %d, %d, %v; want 9000 at 3", ts, off, err)
	}
}
