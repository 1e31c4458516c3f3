package vfs

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// Faulty wraps a filesystem and fails the calls made under chosen
// directories with a chosen errno, as a failing disk (EIO), a full one
// (ENOSPC) or one remounted read-only (EROFS) would: tests use it to take
// one log dir down while the others keep working. Reads are left alone
// unless FailReads is asked for, since a full or read-only disk still
// reads. Safe for concurrent use.
type Faulty struct {
	FS FS

	mu     sync.Mutex // guards faults
	faults map[string]fault
}

type fault struct {
	errno syscall.Errno
	reads bool // pread and stat fail too, as on a dead disk
}

// NewFaulty wraps fsys.
func NewFaulty(fsys FS) *Faulty { return &Faulty{FS: fsys} }

// Fail makes every write, sync, truncate, create, rename, remove and
// mkdir at or under dir fail with errno (handles opened before included),
// until Heal. EIO, ENOSPC and EROFS are what a log dir meets; with ENOSPC,
// removes and renames still work, as on a full disk.
func (f *Faulty) Fail(dir string, errno syscall.Errno) { f.set(dir, fault{errno: errno}) }

// FailReads is Fail where reads, opens and stats fail too.
func (f *Faulty) FailReads(dir string, errno syscall.Errno) {
	f.set(dir, fault{errno: errno, reads: true})
}

// Heal ends the faults under dir.
func (f *Faulty) Heal(dir string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.faults, filepath.Clean(dir))
}

func (f *Faulty) set(dir string, ft fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.faults == nil {
		f.faults = map[string]fault{}
	}
	f.faults[filepath.Clean(dir)] = ft
}

// check returns the injected error for op on name, or nil; read says
// whether op only reads.
func (f *Faulty) check(op, name string, read bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	clean := filepath.Clean(name)
	for dir, ft := range f.faults {
		if clean != dir && !strings.HasPrefix(clean, dir+string(filepath.Separator)) {
			continue
		}
		if read && !ft.reads {
			return nil
		}
		if ft.errno == syscall.ENOSPC && (op == "remove" || op == "removeall" || op == "rename") {
			return nil // a full disk still frees space and renames
		}
		return &fs.PathError{Op: op, Path: name, Err: ft.errno}
	}
	return nil
}

func (f *Faulty) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	if err := f.check("open", name, flag&(os.O_WRONLY|os.O_RDWR|os.O_CREATE|os.O_TRUNC) == 0); err != nil {
		return nil, err
	}
	file, err := f.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultyFile{File: file, f: f, name: name}, nil
}

func (f *Faulty) MkdirAll(path string, perm fs.FileMode) error {
	if err := f.check("mkdir", path, false); err != nil {
		return err
	}
	return f.FS.MkdirAll(path, perm)
}

func (f *Faulty) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := f.check("readdir", name, true); err != nil {
		return nil, err
	}
	return f.FS.ReadDir(name)
}

func (f *Faulty) Rename(oldpath, newpath string) error {
	if err := f.check("rename", oldpath, false); err != nil {
		return err
	}
	if err := f.check("rename", newpath, false); err != nil {
		return err
	}
	return f.FS.Rename(oldpath, newpath)
}

func (f *Faulty) Remove(name string) error {
	if err := f.check("remove", name, false); err != nil {
		return err
	}
	return f.FS.Remove(name)
}

func (f *Faulty) RemoveAll(path string) error {
	if err := f.check("removeall", path, false); err != nil {
		return err
	}
	return f.FS.RemoveAll(path)
}

func (f *Faulty) Stat(name string) (fs.FileInfo, error) {
	if err := f.check("stat", name, true); err != nil {
		return nil, err
	}
	return f.FS.Stat(name)
}

func (f *Faulty) SyncDir(name string) error {
	if err := f.check("sync", name, false); err != nil {
		return err
	}
	return f.FS.SyncDir(name)
}

func (f *Faulty) Lock(name string) (io.Closer, error) { return f.FS.Lock(name) }

// faultyFile is a handle whose calls are checked at the time of the call,
// so that a fault also hits files opened before it.
type faultyFile struct {
	File
	f    *Faulty
	name string
}

func (h *faultyFile) ReadAt(p []byte, off int64) (int, error) {
	if err := h.f.check("read", h.name, true); err != nil {
		return 0, err
	}
	return h.File.ReadAt(p, off)
}

func (h *faultyFile) WriteAt(p []byte, off int64) (int, error) {
	if err := h.f.check("write", h.name, false); err != nil {
		return 0, err
	}
	return h.File.WriteAt(p, off)
}

func (h *faultyFile) Sync() error {
	if err := h.f.check("sync", h.name, false); err != nil {
		return err
	}
	return h.File.Sync()
}

func (h *faultyFile) Truncate(size int64) error {
	if err := h.f.check("truncate", h.name, false); err != nil {
		return err
	}
	return h.File.Truncate(size)
}

func (h *faultyFile) Stat() (fs.FileInfo, error) {
	if err := h.f.check("stat", h.name, true); err != nil {
		return nil, err
	}
	return h.File.Stat()
}
