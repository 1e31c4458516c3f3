package vfs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkReopenWrite is what the storage layer's file cache does per
// append when more partitions are written than it keeps open: open a
// segment file, append a 16 KiB batch with pwrite, close it, round-robin
// over 2,000 files. Three ways, interleaved round by round (b.N appends
// each per round, seven rounds) so that they see the same machine, each
// on files of its own: "held" keeps every file open (the pwrite alone),
// "os" reopens through *os.File, "fd" through the bare descriptor
// OS.OpenFile returns. It reports the median time per append of each.
func BenchmarkReopenWrite(b *testing.B) {
	if b.N == 1 {
		return // the testing package's probe run
	}
	const files = 2_000
	type way struct {
		name  string
		open  func(string, int, fs.FileMode) (File, error)
		held  []File // every file open: no reopen
		paths []string
		sizes []int64
		took  []float64
	}
	ways := []*way{
		{name: "held"},
		{name: "os", open: func(n string, fl int, p fs.FileMode) (File, error) { return os.OpenFile(n, fl, p) }},
		{name: "fd", open: OS.OpenFile},
	}
	for _, w := range ways {
		dir := b.TempDir()
		w.paths, w.sizes = make([]string, files), make([]int64, files)
		for i := range w.paths {
			w.paths[i] = filepath.Join(dir, fmt.Sprintf("%020d.log", i))
			f, err := OS.OpenFile(w.paths[i], os.O_RDWR|os.O_CREATE, 0o644)
			if err != nil {
				b.Fatal(err)
			}
			if w.open == nil {
				w.held = append(w.held, f)
				defer f.Close()
			} else if err := f.Close(); err != nil {
				b.Fatal(err)
			}
		}
	}
	batch := make([]byte, 16<<10)
	appendTo := func(w *way, k int) {
		f := File(nil)
		if w.open == nil {
			f = w.held[k]
		} else {
			var err error
			if f, err = w.open(w.paths[k], os.O_RDWR, 0); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := f.WriteAt(batch, w.sizes[k]); err != nil {
			b.Fatal(err)
		}
		w.sizes[k] += int64(len(batch))
		if w.open != nil {
			if err := f.Close(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	for r := range 7 {
		for j := range ways {
			w := ways[(j+r)%len(ways)]
			start := time.Now()
			for i := range b.N {
				appendTo(w, i%files)
			}
			w.took = append(w.took, float64(time.Since(start).Nanoseconds())/float64(b.N))
		}
		for _, w := range ways { // keep the page cache from filling up
			for k := range w.sizes {
				if err := os.Truncate(w.paths[k], 0); err != nil {
					b.Fatal(err)
				}
				w.sizes[k] = 0
			}
		}
	}
	b.StopTimer()
	for _, w := range ways {
		slices.Sort(w.took)
		b.ReportMetric(w.took[len(w.took)/2], "ns/append-"+w.name)
	}
}
