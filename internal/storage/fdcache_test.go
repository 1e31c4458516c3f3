package storage

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"gregor/internal/kafka"
	"gregor/internal/record"
)

// openFDs counts the process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

// TestFileCacheBoundsOpenSegments proves that a Manager with a file cache
// of 8 serves 200 partitions, with several segments each, with at most 8
// segment files open, and that every byte written reads back, also after
// a restart.
func TestFileCacheBoundsOpenSegments(t *testing.T) {
	dir := t.TempDir()
	cfg := smallConfig()
	cfg.FileCacheSize = 8
	before := openFDs(t)
	m, err := OpenManager([]string{dir}, cfg, fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	id := kafka.NewTopicID()
	written := map[int32][][]byte{}
	for round := range 3 {
		for p := range int32(200) {
			l, err := m.Create("t", p, id, cfg)
			if err != nil {
				t.Fatal(err)
			}
			written[p] = append(written[p], fill(t, l, 10)...) // 10 batches of 3x50 bytes: rolls at 4 KiB
			if open := m.FileCache().Open(); open > cfg.FileCacheSize {
				t.Fatalf("round %d partition %d: %d files open", round, p, open)
			}
		}
	}
	if got := openFDs(t) - before; got > cfg.FileCacheSize+4 {
		t.Fatalf("%d descriptors open for 200 partitions with a cache of %d", got, cfg.FileCacheSize)
	}
	check := func(m *Manager) {
		t.Helper()
		for p := range int32(200) {
			l, _ := m.Get("t", p)
			if l.NumSegments() < 2 {
				t.Fatalf("partition %d: %d segments", p, l.NumSegments())
			}
			var got []byte
			if err := l.Batches(0, func(b record.Batch) error { got = append(got, b...); return nil }); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, bytes.Join(written[p], nil)) {
				t.Fatalf("partition %d: %d bytes read, %d written", p, len(got), len(bytes.Join(written[p], nil)))
			}
		}
	}
	check(m)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m, err = OpenManager([]string{dir}, cfg, fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	check(m)
}

// TestFileCacheConcurrent proves that concurrent appends and reads on more
// logs than the cache holds files never fail or read a wrong byte (run it
// with -race).
func TestFileCacheConcurrent(t *testing.T) {
	cfg := smallConfig()
	cfg.FileCacheSize = 3
	m, err := OpenManager([]string{t.TempDir()}, cfg, fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	id := kafka.NewTopicID()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for p := range int32(16) {
		l, err := m.Create("t", p, id, cfg)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(2)
		go func() { // writer
			defer wg.Done()
			for i := range 50 {
				if _, _, err := l.Append(batch(t, 3, 50, int64(i)), 1); err != nil {
					errs <- err
					return
				}
				if i%10 == 0 {
					if err := l.Flush(); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
		go func() { // reader
			defer wg.Done()
			for range 50 {
				if err := l.Batches(0, func(record.Batch) error { return nil }); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for p := range int32(16) {
		if l, _ := m.Get("t", p); l.LogEndOffset() != 150 {
			t.Fatalf("partition %d: log end %d", p, l.LogEndOffset())
		}
	}
}

// TestFileCacheUnderLowFileLimit proves, in a subprocess whose
// RLIMIT_NOFILE is 128, that a Manager with the default cache size serves
// 300 partitions, where one descriptor per partition would run out.
func TestFileCacheUnderLowFileLimit(t *testing.T) {
	if dir := os.Getenv("GREGOR_FDCACHE_CHILD"); dir != "" {
		lowFileLimitChild(t, dir)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestFileCacheUnderLowFileLimit$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GREGOR_FDCACHE_CHILD="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("served 300 partitions")) {
		t.Fatalf("child did not run:\n%s", out)
	}
}

func lowFileLimitChild(t *testing.T, dir string) {
	lim := syscall.Rlimit{Cur: 128, Max: 128}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	cfg := smallConfig()
	m, err := OpenManager([]string{filepath.Join(dir, "data")}, cfg, fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if m.FileCache().Size() != 64 {
		t.Fatalf("default cache size %d under a limit of 128", m.FileCache().Size())
	}
	id := kafka.NewTopicID()
	for p := range int32(300) {
		l, err := m.Create("t", p, id, cfg)
		if err != nil {
			t.Fatal(err)
		}
		fill(t, l, 2)
	}
	for p := range int32(300) {
		l, _ := m.Get("t", p)
		if data, err := l.Read(0, 1<<20, 1<<40, true); err != nil || len(data) == 0 {
			t.Fatalf("partition %d: %v", p, err)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	fmt.Println("served 300 partitions")
}
