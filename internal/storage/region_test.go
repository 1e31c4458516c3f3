package storage

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"gregor/internal/kafka"
	"gregor/internal/vfs"
)

// regionLog opens a log of small segments whose files go through a cache of
// two, and appends batches of random sizes (1-6 records of 1-300 bytes), so
// that reads cross rolls and files close and reopen under them.
func regionLog(t testing.TB, batches int) *Log {
	t.Helper()
	cfg := smallConfig()
	cfg.FileDeleteDelayMs = 0
	l, err := openLogFiles(vfs.OS, NewFileCache(2), t.TempDir(), 0, false, cfg, fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	rng := rand.New(rand.NewPCG(1, 2))
	for range batches {
		if _, _, err := l.Append(batch(t, 1+rng.IntN(6), 1+rng.IntN(300), 1000), 1); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// regionBytes reads what r covers, through its own descriptor.
func regionBytes(t testing.TB, r kafka.FileRegion) []byte {
	t.Helper()
	buf := make([]byte, r.Length)
	if r.Length == 0 {
		return buf
	}
	if _, err := r.File.ReadAt(buf, r.Position); err != nil {
		t.Fatalf("read region at %d+%d: %v", r.Position, r.Length, err)
	}
	return buf
}

// checkRegionMatchesRead asserts that ReadRegion covers exactly the bytes
// ReadInto returns for the same bounds.
func checkRegionMatchesRead(t testing.TB, l *Log, offset int64, maxBytes int32, maxOffset int64, minOne bool) {
	t.Helper()
	want, werr := l.Read(offset, maxBytes, maxOffset, minOne)
	r, ok, err := l.ReadRegion(offset, maxBytes, maxOffset, minOne)
	defer r.Release()
	if (err == nil) != (werr == nil) || !ok {
		t.Fatalf("ReadRegion(%d, %d, %d, %v) = ok %v, %v; Read: %v", offset, maxBytes, maxOffset, minOne, ok, err, werr)
	}
	if got := regionBytes(t, r); !bytes.Equal(got, want) {
		t.Fatalf("ReadRegion(%d, %d, %d, %v): %d bytes at %d, Read %d bytes", offset, maxBytes, maxOffset, minOne, len(got), r.Position, len(want))
	}
}

// TestReadRegionMatchesRead proves, over random bounds, that a region is
// what a read returns: whole batches, stopping below the high watermark
// (maxOffset) and within maxBytes, the first batch whole with minOneBatch
// (KIP-74), never a partial last batch, across segment rolls.
func TestReadRegionMatchesRead(t *testing.T) {
	l := regionLog(t, 300)
	end := l.LogEndOffset()
	rng := rand.New(rand.NewPCG(3, 4))
	for range 3000 {
		offset := rng.Int64N(end + 1)
		maxOffset := offset + rng.Int64N(end-offset+2)
		checkRegionMatchesRead(t, l, offset, int32(rng.IntN(9000)), maxOffset, rng.IntN(2) == 0)
	}
	checkRegionMatchesRead(t, l, end, 1<<20, end, true) // at the log end: nothing
}

// FuzzReadRegionMatchesRead is TestReadRegionMatchesRead over fuzzed bounds.
func FuzzReadRegionMatchesRead(f *testing.F) {
	f.Add(int64(0), int32(0), int64(1), true)
	f.Add(int64(5), int32(100), int64(1<<40), false)
	f.Add(int64(17), int32(4096), int64(40), true)
	l := regionLog(f, 120)
	end := l.LogEndOffset()
	f.Fuzz(func(t *testing.T, offset int64, maxBytes int32, maxOffset int64, minOne bool) {
		if offset < 0 || offset > end {
			return // out of range: both fail alike, covered by the read tests
		}
		checkRegionMatchesRead(t, l, offset, maxBytes, maxOffset, minOne)
	})
}

// TestReadRegionHoldsFileAcrossDeletion proves that a region stays readable
// while retention deletes its segment and the file cache turns over: the
// descriptor it holds is closed only on Release.
func TestReadRegionHoldsFileAcrossDeletion(t *testing.T) {
	l := regionLog(t, 60)
	want, err := l.Read(0, 1<<20, 1<<40, true)
	if err != nil {
		t.Fatal(err)
	}
	r, ok, err := l.ReadRegion(0, 1<<20, 1<<40, true)
	if err != nil || !ok || r.Length == 0 {
		t.Fatalf("ReadRegion: %v, %v, %d bytes", ok, err, r.Length)
	}
	if err := l.DeleteRecordsBefore(l.LogEndOffset() - 1); err != nil {
		t.Fatal(err)
	}
	if n, err := l.DeleteOldSegments(); err != nil || n == 0 {
		t.Fatalf("DeleteOldSegments: %d, %v", n, err)
	}
	for range 40 { // roll more segments through the cache of two
		if _, _, err := l.Append(batch(t, 3, 200, 1000), 1); err != nil {
			t.Fatal(err)
		}
	}
	if got := regionBytes(t, r); !bytes.Equal(got, want) {
		t.Fatalf("region changed under deletion: %d bytes, want %d", len(got), len(want))
	}
	r.Release()
	r.Release() // a second release does nothing
}

// TestReadRegionFallsBackBelowOpenSize proves that batches on disk when the
// log was opened are read (their CRCs checked), not sent as a region, and
// that batches appended since are.
func TestReadRegionFallsBackBelowOpenSize(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, 0)
	fill(t, l, 5)
	l.Close()
	l = openLog(t, dir, 0)
	defer l.Close()
	if _, ok, err := l.ReadRegion(0, 1<<20, 1<<40, true); ok || err != nil {
		t.Fatalf("ReadRegion of batches on disk at open: ok %v, %v; want a read", ok, err)
	}
	next := l.LogEndOffset()
	fill(t, l, 2)
	checkRegionMatchesRead(t, l, next, 1<<20, 1<<40, true)
}
