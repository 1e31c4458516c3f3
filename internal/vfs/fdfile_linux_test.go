package vfs

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestFDFile checks the bare-descriptor file against what *os.File does
// for the same calls: short reads end in io.EOF, writes past the end
// extend the file, Stat reports the size and mode, and every call after
// Close fails with fs.ErrClosed.
func TestFDFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "00000000000000000000.log")
	f, err := OS.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.(*fdFile); !ok {
		t.Fatalf("OS.OpenFile returned %T, want *fdFile", f)
	}
	if _, err := OS.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second O_EXCL open: %v, want fs.ErrExist", err)
	}
	if n, err := f.WriteAt([]byte("world"), 6); n != 5 || err != nil {
		t.Fatalf("WriteAt = %d, %v", n, err)
	}
	if _, err := f.WriteAt([]byte("hello "), 0); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 20)
	n, err := f.ReadAt(buf, 0)
	if n != 11 || err != io.EOF || string(buf[:n]) != "hello world" {
		t.Fatalf("ReadAt = %d %q, %v; want 11 \"hello world\", EOF", n, buf[:n], err)
	}
	if n, err := f.ReadAt(buf[:5], 6); n != 5 || err != nil || string(buf[:5]) != "world" {
		t.Fatalf("ReadAt(5, 6) = %d %q, %v", n, buf[:5], err)
	}
	if _, err := f.ReadAt(buf, -1); err == nil {
		t.Fatal("ReadAt at -1 succeeded")
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(5); err != nil {
		t.Fatal(err)
	}
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != 5 || st.Name() != want.Name() || st.Mode() != want.Mode() || !st.ModTime().Equal(want.ModTime()) || st.IsDir() {
		t.Fatalf("Stat = %s %d %v %v, os.Stat = %s %d %v %v", st.Name(), st.Size(), st.Mode(), st.ModTime(), want.Name(), want.Size(), want.Mode(), want.ModTime())
	}
	data, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(data, []byte("hello")) {
		t.Fatalf("file holds %q, %v", data, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	for op, call := range map[string]func() error{
		"ReadAt":   func() error { _, err := f.ReadAt(buf, 0); return err },
		"WriteAt":  func() error { _, err := f.WriteAt(buf, 0); return err },
		"Sync":     f.Sync,
		"Truncate": func() error { return f.Truncate(0) },
		"Stat":     func() error { _, err := f.Stat(); return err },
		"Close":    f.Close,
	} {
		if err := call(); !errors.Is(err, fs.ErrClosed) {
			t.Errorf("%s after Close: %v, want fs.ErrClosed", op, err)
		}
	}
	if _, err := OS.OpenFile(filepath.Join(t.TempDir(), "missing"), os.O_RDWR, 0); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("open of a missing file: %v, want fs.ErrNotExist", err)
	}
}

// TestFDFileCloseDuringCall checks that Close while a call is in progress
// leaves the descriptor open until that call ends, so that the call never
// runs on a closed (or reused) descriptor number.
func TestFDFileCloseDuringCall(t *testing.T) {
	f, err := openOSFile(filepath.Join(t.TempDir(), "f"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if !f.acquire() { // a call in progress
		t.Fatal("acquire of an open file failed")
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(f.fd, &st); err != nil {
		t.Fatalf("descriptor closed under a call in progress: %v", err)
	}
	if f.acquire() {
		t.Fatal("a new call began after Close")
	}
	f.release() // the call ends: now the descriptor closes
	if err := syscall.Fstat(f.fd, &st); err != syscall.EBADF {
		t.Fatalf("fstat after the last call ended: %v, want EBADF", err)
	}
}

// TestFDFileSyscallConn checks that SyscallConn hands the file's own
// descriptor to Control (what sendfile(2) of a segment uses) and refuses
// once the file is closed.
func TestFDFileSyscallConn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := OS.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := f.(interface {
		SyscallConn() (syscall.RawConn, error)
	}).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	if err := rc.Control(func(fd uintptr) {
		buf := make([]byte, 4)
		n, err := syscall.Pread(int(fd), buf, 3)
		if err != nil {
			t.Error(err)
		}
		got = buf[:n]
	}); err != nil || string(got) != "3456" {
		t.Fatalf("Control: read %q, %v; want \"3456\"", got, err)
	}
	calls := 0
	if err := rc.Read(func(uintptr) bool { calls++; return calls == 3 }); err != nil || calls != 3 {
		t.Fatalf("Read: %d calls, %v; want 3 (until done)", calls, err)
	}
	f.Close()
	if err := rc.Control(func(uintptr) { t.Error("Control ran on a closed file") }); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("Control after Close: %v, want fs.ErrClosed", err)
	}
}
