package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/vfs"
)

// TestManagerLocksLogDirs proves that a second Manager on a log dir in use
// fails with ErrLogDirLocked naming the dir, touching no file of it and
// keeping none of the other dirs it locked, and that the dir opens again
// once the first Manager is closed.
func TestManagerLocksLogDirs(t *testing.T) {
	shared, other := filepath.Join(t.TempDir(), "shared"), filepath.Join(t.TempDir(), "other")
	first, err := OpenManager([]string{shared}, smallConfig(), fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	l, err := first.Create("t", 0, kafka.NewTopicID(), smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	fill(t, l, 3)
	before := listFiles(t, shared)

	_, err = OpenManager([]string{other, shared}, smallConfig(), fixedClock(), quiet)
	if !errors.Is(err, ErrLogDirLocked) || !strings.Contains(err.Error(), shared) {
		t.Fatalf("second OpenManager: %v, want ErrLogDirLocked naming %s", err, shared)
	}
	if after := listFiles(t, shared); after != before {
		t.Fatalf("the failed open touched the dir:\nbefore %s\nafter  %s", before, after)
	}
	m, err := OpenManager([]string{other}, smallConfig(), fixedClock(), quiet)
	if err != nil {
		t.Fatalf("a dir locked by the failed open stayed locked: %v", err)
	}
	m.Close()

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := OpenManager([]string{shared}, smallConfig(), fixedClock(), quiet)
	if err != nil {
		t.Fatalf("OpenManager after Close: %v", err)
	}
	defer again.Close()
	if l, ok := again.Get("t", 0); !ok || l.LogEndOffset() != 9 {
		t.Fatal("the partition did not survive")
	}
}

// TestManagerLocksEachDirOnce proves that a dir listed twice in log.dirs is
// locked once, not refused as locked by the Manager itself.
func TestManagerLocksEachDirOnce(t *testing.T) {
	dir := t.TempDir()
	m, err := OpenManager([]string{dir, filepath.Join(dir, ".")}, smallConfig(), fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
}

// listFiles renders every file under dir with its size and modification
// time.
func listFiles(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %d %s\n", path, info.Size(), info.ModTime().Format(time.RFC3339Nano))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestManagerLockOnMem proves that the lock works on the in-memory
// filesystem of the crash tests, and that a power cut, which ends the
// process holding it, lets the next Manager open the dir.
func TestManagerLockOnMem(t *testing.T) {
	mem := vfs.NewMem()
	if _, err := OpenManagerFS(mem, []string{"/data"}, smallConfig(), fixedClock(), quiet); err != nil {
		t.Fatal(err)
	}
	_, err := OpenManagerFS(mem, []string{"/data"}, smallConfig(), fixedClock(), quiet)
	if !errors.Is(err, ErrLogDirLocked) {
		t.Fatalf("second OpenManagerFS: %v, want ErrLogDirLocked", err)
	}
	if want := "Failed to acquire lock on file .lock in /data. A Kafka instance in another process or thread is using this directory."; !strings.Contains(err.Error(), want) {
		t.Fatalf("second OpenManagerFS: %q, want Kafka's message %q", err, want)
	}
	mem.Crash()
	m, err := OpenManagerFS(mem, []string{"/data"}, smallConfig(), fixedClock(), quiet)
	if err != nil {
		t.Fatalf("OpenManagerFS after a crash: %v", err)
	}
	m.Close()
}
