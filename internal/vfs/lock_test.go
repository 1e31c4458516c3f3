package vfs

import (
	"errors"
	"path/filepath"
	"testing"
)

// TestLock proves, on the OS filesystem and on Mem alike, that a second Lock
// of a file fails with ErrLocked while the first is held, even through
// another name for the same directory, and succeeds once it is released.
func TestLock(t *testing.T) {
	for name, fsys := range map[string]FS{"OS": OS, "Mem": NewMem()} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := fsys.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			first, err := fsys.Lock(filepath.Join(dir, ".lock"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fsys.Lock(filepath.Join(dir, ".", ".lock")); !errors.Is(err, ErrLocked) {
				t.Fatalf("second Lock while the first is held: %v, want ErrLocked", err)
			}
			if err := first.Close(); err != nil {
				t.Fatal(err)
			}
			again, err := fsys.Lock(filepath.Join(dir, ".lock"))
			if err != nil {
				t.Fatalf("Lock after release: %v", err)
			}
			again.Close()
		})
	}
}

// TestMemCrashReleasesLocks proves that a Crash releases every lock, as the
// death of the process holding it would, and that closing a lock from before
// the crash does not release the lock taken after it.
func TestMemCrashReleasesLocks(t *testing.T) {
	m := NewMem()
	old, err := m.Lock("/d/.lock")
	if err == nil {
		t.Fatal("Lock in a missing directory succeeded")
	}
	m.MkdirAll("/d", 0o755)
	if old, err = m.Lock("/d/.lock"); err != nil {
		t.Fatal(err)
	}
	m.SyncDir("/")
	m.SyncDir("/d") // the same file after the crash
	m.Crash()
	cur, err := m.Lock("/d/.lock")
	if err != nil {
		t.Fatalf("Lock after Crash: %v", err)
	}
	old.Close()
	if _, err := m.Lock("/d/.lock"); !errors.Is(err, ErrLocked) {
		t.Fatalf("Lock after closing the pre-crash lock: %v, want ErrLocked", err)
	}
	cur.Close()
}
