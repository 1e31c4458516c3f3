// Package vfs is the filesystem seam of the storage layer: the few calls the
// log makes on files and directories, and the exclusive lock that keeps a
// log dir to one process, implemented by OS (the real filesystem, flock(2)
// for locks) and by Mem (in memory, with fsync tracking, injected fsync
// failures and a simulated power cut that releases the locks) for crash
// tests.
package vfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrInjected is the error of a sync failed by FailSyncs.
var ErrInjected = errors.New("vfs: injected sync failure")

// ErrLocked is the error of a Lock on a file whose lock is held.
var ErrLocked = errors.New("vfs: file is locked")

// File is an open file. Implementations are safe for concurrent use: pread
// (ReadAt) may run alongside WriteAt on other ranges, as with *os.File.
type File interface {
	io.ReaderAt
	// WriteAt writes p at off, extending the file (with zeros) if needed.
	io.WriterAt
	// Sync makes the file's content durable (fsync). It does not make the
	// file's name durable: that takes SyncDir of its directory.
	Sync() error
	// Truncate changes the size of the file.
	Truncate(size int64) error
	// Stat describes the open file; Size is the current size.
	Stat() (fs.FileInfo, error)
	Close() error
}

// FS is what storage needs of a filesystem. Paths are OS paths
// (filepath.Join). Implementations are safe for concurrent use.
type FS interface {
	// OpenFile opens name with os.O_* flags (O_RDONLY, O_WRONLY, O_RDWR,
	// O_CREATE, O_EXCL, O_TRUNC; not O_APPEND).
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
	MkdirAll(path string, perm fs.FileMode) error
	// ReadDir lists a directory sorted by name.
	ReadDir(name string) ([]fs.DirEntry, error)
	// Rename replaces newpath atomically, as rename(2); it is durable only
	// after SyncDir of both parents.
	Rename(oldpath, newpath string) error
	Remove(name string) error
	RemoveAll(path string) error
	Stat(name string) (fs.FileInfo, error)
	// SyncDir fsyncs a directory so that the creates, renames and removes
	// of entries in it survive a crash.
	SyncDir(name string) error
	// Lock takes an exclusive lock on the file name, creating it empty if
	// needed, and holds it until the returned Closer is closed or the
	// process ends. It does not wait: if the lock is held, by another
	// process or by an earlier Lock in this one, it fails with ErrLocked.
	Lock(name string) (io.Closer, error)
}

// OS is the real filesystem. Its files are bare descriptors on Linux
// (cheap to open and close: see fdFile) and *os.File elsewhere; either
// way the hot path pays one interface call per pread or pwrite.
var OS FS = osFS{}

type osFS struct{}

func (osFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := openOSFile(name, flag, perm)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return f, nil
}

func (osFS) MkdirAll(path string, perm fs.FileMode) error { return os.MkdirAll(path, perm) }
func (osFS) ReadDir(name string) ([]fs.DirEntry, error)   { return os.ReadDir(name) }
func (osFS) Rename(oldpath, newpath string) error         { return os.Rename(oldpath, newpath) }
func (osFS) Remove(name string) error                     { return os.Remove(name) }
func (osFS) RemoveAll(path string) error                  { return os.RemoveAll(path) }
func (osFS) Stat(name string) (fs.FileInfo, error)        { return os.Stat(name) }

func (osFS) SyncDir(name string) error {
	d, err := os.Open(name)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Lock is flock(2) with LOCK_EX|LOCK_NB on an open file description of its
// own, so that a second Lock of the same file conflicts even within one
// process. The lock is advisory: it keeps out only those who take it too.
func (osFS) Lock(name string) (io.Closer, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			err = ErrLocked
		}
		return nil, &fs.PathError{Op: "flock", Path: name, Err: err}
	}
	return f, nil // closing the file releases the lock
}

// ReadFile reads a whole file.
func ReadFile(fsys FS, name string) ([]byte, error) {
	f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	data := make([]byte, st.Size())
	n, err := f.ReadAt(data, 0)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return data[:n], err
}
