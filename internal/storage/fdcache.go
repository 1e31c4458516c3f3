package storage

import (
	"container/list"
	"io/fs"
	"os"
	"sync"
	"syscall"

	"gregor/internal/vfs"
)

// FileCache bounds the segment files a Manager holds open: a segment's
// .log is opened on its first read or write, kept while it is used, and
// closed again when more than the cache's size are open and it is the
// least recently used idle one, so that 100,000 partitions do not need
// 100,000 descriptors. A file in use (a pread, pwrite, fsync or truncate
// in progress, or a region of it handed out until released) is never
// closed; the cache may exceed its size only while
// more files than that are in use at once.
//
// Closing a file drops no data: its bytes are in the page cache, and a
// later fsync through a new descriptor makes them durable (Linux reports
// to a new descriptor a writeback error no descriptor has seen yet).
// Safe for concurrent use.
type FileCache struct {
	size int

	mu   sync.Mutex // guards the fields below and every cachedFile's
	lru  list.List  // of open *cachedFile, most recently used first
	open int        // files open through the cache
}

// NewFileCache returns a cache that keeps at most size files open while
// idle; size <= 0 means half the process's RLIMIT_NOFILE (at least 64),
// leaving the other half to connections and other files.
func NewFileCache(size int) *FileCache {
	if size <= 0 {
		size = defaultFileCacheSize()
	}
	return &FileCache{size: size}
}

func defaultFileCacheSize() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur > 1<<30 {
		return 1 << 20
	}
	return max(64, int(lim.Cur/2))
}

// Size is the number of idle files the cache keeps open.
func (c *FileCache) Size() int { return c.size }

// Open returns how many files are open through the cache.
func (c *FileCache) Open() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open
}

// cachedFile is a segment's .log: a vfs.File opened on demand through a
// FileCache (or, without a cache, held open from start to Close). Its
// methods are safe for concurrent use, as a vfs.File's.
type cachedFile struct {
	cache *FileCache // nil: f stays open until Close
	fs    vfs.FS

	// Guarded by cache.mu (unguarded without a cache, where only Close
	// changes them, after the last use):
	path   string
	f      vfs.File // nil while closed by the cache
	users  int      // calls in progress: the file may not be closed
	elem   *list.Element
	closed bool // Close was called
}

// newCachedFile wraps f, just opened at path, in cache (nil: no cache).
func newCachedFile(cache *FileCache, fsys vfs.FS, path string, f vfs.File) *cachedFile {
	cf := &cachedFile{cache: cache, fs: fsys, path: path, f: f}
	if cache != nil {
		cache.mu.Lock()
		cf.elem = cache.lru.PushFront(cf)
		cache.open++
		victims := cache.evictLocked(cf)
		cache.mu.Unlock()
		closeAll(victims)
	}
	return cf
}

// get returns the open file for one call, opening it if the cache closed
// it; put must follow.
func (cf *cachedFile) get() (vfs.File, error) {
	c := cf.cache
	if c == nil {
		if cf.closed {
			return nil, &fs.PathError{Op: "read", Path: cf.path, Err: fs.ErrClosed}
		}
		return cf.f, nil
	}
	c.mu.Lock()
	if cf.closed {
		c.mu.Unlock()
		return nil, &fs.PathError{Op: "read", Path: cf.path, Err: fs.ErrClosed}
	}
	if f := cf.f; f != nil {
		cf.users++
		c.lru.MoveToFront(cf.elem)
		c.mu.Unlock()
		return f, nil
	}
	path := cf.path
	c.mu.Unlock()
	f, err := cf.fs.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	var extra []vfs.File
	switch {
	case cf.closed:
		c.mu.Unlock()
		f.Close()
		return nil, &fs.PathError{Op: "read", Path: path, Err: fs.ErrClosed}
	case cf.f != nil: // another call opened it meanwhile
		extra = append(extra, f)
		c.lru.MoveToFront(cf.elem)
	default:
		cf.f = f
		cf.elem = c.lru.PushFront(cf)
		c.open++
	}
	cf.users++
	f = cf.f
	victims := c.evictLocked(cf)
	c.mu.Unlock()
	closeAll(append(victims, extra...))
	return f, nil
}

// put ends a call that get began.
func (cf *cachedFile) put() {
	c := cf.cache
	if c == nil {
		return
	}
	c.mu.Lock()
	cf.users--
	var victims []vfs.File
	if cf.closed && cf.users == 0 {
		victims = cf.dropLocked()
	} else {
		victims = c.evictLocked(nil)
	}
	c.mu.Unlock()
	closeAll(victims)
}

// evictLocked takes the least recently used idle files (never keep) out
// of the cache until no more than its size are open, and returns them to
// be closed outside the lock.
func (c *FileCache) evictLocked(keep *cachedFile) []vfs.File {
	var out []vfs.File
	for e := c.lru.Back(); e != nil && c.open > c.size; {
		prev := e.Prev()
		if cf := e.Value.(*cachedFile); cf != keep && cf.users == 0 {
			out = append(out, cf.dropLocked()...)
		}
		e = prev
	}
	return out
}

// dropLocked takes cf's file out of the cache and returns it (if open).
func (cf *cachedFile) dropLocked() []vfs.File {
	if cf.f == nil {
		return nil
	}
	f := cf.f
	cf.f = nil
	cf.cache.lru.Remove(cf.elem)
	cf.elem = nil
	cf.cache.open--
	return []vfs.File{f}
}

func closeAll(fs []vfs.File) {
	for _, f := range fs {
		f.Close()
	}
}

func (cf *cachedFile) ReadAt(p []byte, off int64) (int, error) {
	f, err := cf.get()
	if err != nil {
		return 0, err
	}
	defer cf.put()
	return f.ReadAt(p, off)
}

func (cf *cachedFile) WriteAt(p []byte, off int64) (int, error) {
	f, err := cf.get()
	if err != nil {
		return 0, err
	}
	defer cf.put()
	return f.WriteAt(p, off)
}

func (cf *cachedFile) Sync() error {
	f, err := cf.get()
	if err != nil {
		return err
	}
	defer cf.put()
	return f.Sync()
}

func (cf *cachedFile) Truncate(size int64) error {
	f, err := cf.get()
	if err != nil {
		return err
	}
	defer cf.put()
	return f.Truncate(size)
}

// renamed records that the file now lives at path (a cleaned segment
// swapped in), for the next reopen.
func (cf *cachedFile) renamed(path string) {
	if cf.cache == nil {
		cf.path = path
		return
	}
	cf.cache.mu.Lock()
	defer cf.cache.mu.Unlock()
	cf.path = path
}

// Close closes the file, at once or when the calls in progress end.
func (cf *cachedFile) Close() error {
	c := cf.cache
	if c == nil {
		cf.closed = true
		return cf.f.Close()
	}
	c.mu.Lock()
	if cf.closed {
		c.mu.Unlock()
		return nil
	}
	cf.closed = true
	var victims []vfs.File
	if cf.users == 0 {
		victims = cf.dropLocked()
	}
	c.mu.Unlock()
	closeAll(victims)
	return nil
}
