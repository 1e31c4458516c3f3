package vfs

import (
	"io"
	"io/fs"
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// fdFile is a regular file held as a bare descriptor: pread, pwrite,
// fsync, ftruncate and fstat straight on it. An *os.File costs more to
// open and close: os.OpenFile follows openat with four fcntl calls and an
// epoll_ctl (putting the descriptor in non-blocking mode for the network
// poller, which refuses regular files, then back) and a finalizer; fdFile
// costs the openat alone. That matters to the storage layer's file cache,
// which reopens a segment file for nearly every append when more
// partitions are written than it keeps open.
//
// As *os.File, it is safe for concurrent use, and a Close during calls in
// progress closes the descriptor when the last of them ends (so that the
// number is not reused under them); calls after Close fail with
// fs.ErrClosed.
type fdFile struct {
	fd   int
	name string
	// state counts the calls in progress, with closedBit set by Close.
	state atomic.Int64
}

const closedBit = int64(1) << 62

// maxRW bounds one read or write syscall, as the os package does (Linux
// moves at most about 2 GiB at once).
const maxRW = 1 << 30

func openOSFile(name string, flag int, perm fs.FileMode) (*fdFile, error) {
	var fd int
	err := ignoringEINTR(func() (err error) {
		fd, err = syscall.Open(name, flag|syscall.O_CLOEXEC, syscallMode(perm))
		return err
	})
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &fdFile{fd: fd, name: name}, nil
}

// syscallMode is perm as open(2) takes it (the os package's conversion,
// for the bits a file is created with).
func syscallMode(perm fs.FileMode) uint32 {
	m := uint32(perm.Perm())
	if perm&fs.ModeSetuid != 0 {
		m |= syscall.S_ISUID
	}
	if perm&fs.ModeSetgid != 0 {
		m |= syscall.S_ISGID
	}
	if perm&fs.ModeSticky != 0 {
		m |= syscall.S_ISVTX
	}
	return m
}

func ignoringEINTR(f func() error) error {
	for {
		if err := f(); err != syscall.EINTR {
			return err
		}
	}
}

// acquire begins a call: false if the file is closed.
func (f *fdFile) acquire() bool {
	for {
		s := f.state.Load()
		if s&closedBit != 0 {
			return false
		}
		if f.state.CompareAndSwap(s, s+1) {
			return true
		}
	}
}

// release ends a call; the last one after Close closes the descriptor.
func (f *fdFile) release() {
	if f.state.Add(-1) == closedBit {
		syscall.Close(f.fd)
	}
}

func (f *fdFile) closedError(op string) error {
	return &fs.PathError{Op: op, Path: f.name, Err: fs.ErrClosed}
}

// ReadAt is pread(2) until p is full, as (*os.File).ReadAt: io.EOF if the
// file ends first.
func (f *fdFile) ReadAt(p []byte, off int64) (int, error) {
	return f.each("read", p, off, syscall.Pread, io.EOF)
}

// WriteAt is pwrite(2) until all of p is written.
func (f *fdFile) WriteAt(p []byte, off int64) (int, error) {
	return f.each("write", p, off, syscall.Pwrite, io.ErrShortWrite)
}

// each calls call (pread or pwrite) until all of p is moved; atEnd is the
// error when a call moves nothing (io.EOF as it is, others wrapped).
func (f *fdFile) each(op string, p []byte, off int64, call func(int, []byte, int64) (int, error), atEnd error) (n int, err error) {
	if off < 0 {
		return 0, &fs.PathError{Op: op + "at", Path: f.name, Err: syscall.EINVAL}
	}
	if !f.acquire() {
		return 0, f.closedError(op)
	}
	defer f.release()
	for len(p) > 0 {
		var m int
		err = ignoringEINTR(func() (err error) {
			m, err = call(f.fd, p[:min(len(p), maxRW)], off)
			return err
		})
		if err != nil {
			return n, &fs.PathError{Op: op, Path: f.name, Err: err}
		}
		if m == 0 {
			if atEnd == io.EOF {
				return n, io.EOF
			}
			return n, &fs.PathError{Op: op, Path: f.name, Err: atEnd}
		}
		n += m
		p = p[m:]
		off += int64(m)
	}
	return n, nil
}

func (f *fdFile) Sync() error {
	if !f.acquire() {
		return f.closedError("sync")
	}
	defer f.release()
	if err := ignoringEINTR(func() error { return syscall.Fsync(f.fd) }); err != nil {
		return &fs.PathError{Op: "sync", Path: f.name, Err: err}
	}
	return nil
}

func (f *fdFile) Truncate(size int64) error {
	if !f.acquire() {
		return f.closedError("truncate")
	}
	defer f.release()
	if err := ignoringEINTR(func() error { return syscall.Ftruncate(f.fd, size) }); err != nil {
		return &fs.PathError{Op: "truncate", Path: f.name, Err: err}
	}
	return nil
}

func (f *fdFile) Stat() (fs.FileInfo, error) {
	if !f.acquire() {
		return nil, f.closedError("stat")
	}
	defer f.release()
	var st syscall.Stat_t
	if err := ignoringEINTR(func() error { return syscall.Fstat(f.fd, &st) }); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: f.name, Err: err}
	}
	return newFDInfo(f.name, &st), nil
}

// Close closes the descriptor now, or when the calls in progress end.
func (f *fdFile) Close() error {
	old := f.state.Or(closedBit)
	if old&closedBit != 0 {
		return f.closedError("close")
	}
	if old != 0 {
		return nil // the last call in progress closes it
	}
	if err := syscall.Close(f.fd); err != nil {
		return &fs.PathError{Op: "close", Path: f.name, Err: err}
	}
	return nil
}

// SyscallConn gives the descriptor to calls made on it (sendfile(2) of a
// segment file), as (*os.File).SyscallConn does: the file is not closed
// under them.
func (f *fdFile) SyscallConn() (syscall.RawConn, error) { return fdConn{f}, nil }

// fdConn is an fdFile's syscall.RawConn. A regular file is always ready,
// so Read and Write call their function until it reports done, without
// waiting in between.
type fdConn struct{ f *fdFile }

func (c fdConn) Control(fn func(fd uintptr)) error {
	if !c.f.acquire() {
		return c.f.closedError("control")
	}
	defer c.f.release()
	fn(uintptr(c.f.fd))
	return nil
}

func (c fdConn) Read(fn func(fd uintptr) bool) error  { return c.loop("read", fn) }
func (c fdConn) Write(fn func(fd uintptr) bool) error { return c.loop("write", fn) }

func (c fdConn) loop(op string, fn func(fd uintptr) bool) error {
	if !c.f.acquire() {
		return c.f.closedError(op)
	}
	defer c.f.release()
	for !fn(uintptr(c.f.fd)) {
	}
	return nil
}

// fdInfo is the fs.FileInfo of an fdFile's fstat.
type fdInfo struct {
	name string
	st   syscall.Stat_t
}

func newFDInfo(name string, st *syscall.Stat_t) *fdInfo {
	base := name
	for i := len(name) - 1; i >= 0; i-- {
		if os.IsPathSeparator(name[i]) {
			base = name[i+1:]
			break
		}
	}
	return &fdInfo{name: base, st: *st}
}

func (i *fdInfo) Name() string       { return i.name }
func (i *fdInfo) Size() int64        { return i.st.Size }
func (i *fdInfo) ModTime() time.Time { return time.Unix(i.st.Mtim.Unix()) }
func (i *fdInfo) IsDir() bool        { return i.Mode().IsDir() }
func (i *fdInfo) Sys() any           { return &i.st }

func (i *fdInfo) Mode() fs.FileMode {
	m := fs.FileMode(i.st.Mode & 0o777)
	switch i.st.Mode & syscall.S_IFMT {
	case syscall.S_IFDIR:
		m |= fs.ModeDir
	case syscall.S_IFLNK:
		m |= fs.ModeSymlink
	case syscall.S_IFIFO:
		m |= fs.ModeNamedPipe
	case syscall.S_IFSOCK:
		m |= fs.ModeSocket
	case syscall.S_IFBLK:
		m |= fs.ModeDevice
	case syscall.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	}
	if i.st.Mode&syscall.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if i.st.Mode&syscall.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if i.st.Mode&syscall.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}
