package storage

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gregor/internal/record"
)

// clock is a settable test clock, safe for concurrent use.
type clock struct{ ms atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ms.Store(1_700_000_000_000)
	return c
}

func (c *clock) now() time.Time          { return time.UnixMilli(c.ms.Load()) }
func (c *clock) advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }

// filesWithSuffix lists the names in dir ending in suffix.
func filesWithSuffix(t testing.TB, dir, suffix string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), suffix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestRetiredSegmentsDeletedAfterDelay proves that segments dropped below
// the log start offset are renamed .deleted, stay readable by a reader that
// captured them, are removed once file.delete.delay.ms has passed, and that
// leftovers are removed when the log is opened again.
func TestRetiredSegmentsDeletedAfterDelay(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	cfg := smallConfig()
	cfg.FileDeleteDelayMs = 1000
	l, err := Open(dir, cfg, clk.now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	want := fill(t, l, 100)
	held, err := l.viewAt(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.DeleteRecordsBefore(150); err != nil {
		t.Fatal(err)
	}
	retired := filesWithSuffix(t, dir, ".log"+deletedSuffix)
	if len(retired) == 0 {
		t.Fatal("no segment file renamed .deleted")
	}
	data, err := held.seg.readFrom(nil, 0, header{size: int64(len(want[0]))}, held.size, 1<<20, 1<<62, true)
	held.seg.release()
	if err != nil || len(data) < len(want[0]) || string(data[:len(want[0])]) != string(want[0]) {
		t.Fatalf("reader of a retired segment: %d bytes, %v", len(data), err)
	}
	if err := l.removeDeletedFiles(l.Dir(), clk.now().Add(999*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if len(filesWithSuffix(t, dir, deletedSuffix)) == 0 {
		t.Fatal("files removed before file.delete.delay.ms")
	}
	if err := l.removeDeletedFiles(l.Dir(), clk.now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if left := filesWithSuffix(t, dir, deletedSuffix); len(left) != 0 {
		t.Fatalf("left after the delay: %v", left)
	}
	if err := os.WriteFile(filepath.Join(dir, "00000000000000000000.log"+deletedSuffix), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l, err = Open(dir, cfg, clk.now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if left := filesWithSuffix(t, dir, deletedSuffix); len(left) != 0 || l.LogStartOffset() != 150 {
		t.Fatalf("after reopen: %v left, log start %d", left, l.LogStartOffset())
	}
}

// checkRead fails unless data is whole valid batches starting at or before
// offset and ending after it.
func checkRead(data []byte, offset int64) error {
	bs, err := record.Split(data)
	if err != nil || len(bs) == 0 {
		return errors.Join(err, errors.New("no batch"))
	}
	for _, b := range bs {
		if err := b.Validate(); err != nil {
			return err
		}
	}
	if bs[len(bs)-1].LastOffset() < offset {
		return errors.New("read ends before the offset asked for")
	}
	return nil
}

// readConcurrently runs readers of random offsets until stop is closed and
// reports the first read that is neither valid batches nor out of range.
func readConcurrently(t *testing.T, l *Log, readers int, stop <-chan struct{}) func() error {
	var wg sync.WaitGroup
	var first atomic.Pointer[error]
	for i := range readers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 2))
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				end := l.LogEndOffset()
				if end == 0 {
					continue
				}
				off := rng.Int64N(end)
				data, err := l.Read(off, 4096, 1<<62, true)
				if errors.Is(err, ErrOffsetOutOfRange) || (err == nil && data == nil && off >= l.LogEndOffset()) {
					continue
				}
				if n%16 == 0 {
					time.Sleep(100 * time.Microsecond) // leave the writer a share of the CPUs
				}
				if err == nil {
					err = checkRead(data, off)
				}
				if err != nil {
					first.CompareAndSwap(nil, &err)
					return
				}
			}
		})
	}
	return func() error {
		wg.Wait()
		if p := first.Load(); p != nil {
			return *p
		}
		return nil
	}
}

// TestReadersDuringDeleteRecords proves that readers concurrent with the log
// start moving up see whole valid batches or OFFSET_OUT_OF_RANGE, never a
// closed or missing segment.
func TestReadersDuringDeleteRecords(t *testing.T) {
	cfg := smallConfig()
	cfg.FileDeleteDelayMs = 0
	l, err := Open(t.TempDir(), cfg, fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fill(t, l, 300)
	stop := make(chan struct{})
	wait := readConcurrently(t, l, 4, stop)
	for off := int64(0); off < 900; off += 37 {
		if err := l.DeleteRecordsBefore(off); err != nil {
			t.Fatal(err)
		}
		fill(t, l, 1)
	}
	close(stop)
	if err := wait(); err != nil {
		t.Fatal(err)
	}
}
