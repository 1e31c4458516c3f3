package vfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Mem is an in-memory FS for crash tests. It keeps, besides what a reader
// sees, what a power cut would leave, and Crash applies that. Mem and its
// files are safe for concurrent use: one mutex guards everything, so every
// call is atomic with respect to the others.
//
// The crash model. What survives Crash is:
//   - of a file's content: exactly what its last successful Sync saw. Writes
//     and truncations since then are dropped. With CrashTorn, a file that grew
//     since its last Sync also keeps a random prefix (possibly empty, possibly
//     all) of the bytes beyond its synced length: a torn tail. Unsynced writes
//     inside the synced length never survive, partially or not.
//   - of a directory's entries: exactly the name -> file mapping its last
//     successful SyncDir saw. A create, rename or remove in a directory not
//     followed by SyncDir of that directory is undone: created files and
//     directories vanish, removed ones come back (with their synced
//     content), renames revert. A directory itself survives only if its
//     parent's SyncDir saw it; the root always survives. RemoveAll unlinks
//     only the top entry, so a removal that was not made durable brings the
//     whole tree back as it was durably.
//   - a rename between two directories made durable in only one of them
//     leaves the file under both names, sharing content (as a hard link).
//
// The model is deliberately the worst case in one dimension (everything not
// synced is lost) and does not explore partial orders: it never keeps one
// unsynced directory operation while losing an earlier one in the same
// directory, and never persists an unsynced overwrite of synced bytes. A
// failed sync (FailNextSync, FailSyncs) makes nothing durable and leaves the
// unsynced state as it was, so a later successful sync persists it; it does
// not model Linux dropping dirty pages after a writeback error.
//
// Handles opened before a Crash fail afterwards with fs.ErrClosed, and the
// locks taken before it are released, as the death of their process would.
type Mem struct {
	mu       sync.Mutex // guards the fields below and every node
	root     *node
	gen      int            // incremented by Crash; older handles are dead
	failNext error          // returned by the next sync, then cleared
	failSub  string         // syncs of paths containing it fail; "" = none
	locked   map[*node]bool // files whose lock is held; nil = none
}

// node is a file or a directory (an inode).
type node struct {
	dir      bool
	children map[string]*node // directory entries now
	durable  map[string]*node // directory entries as of the last SyncDir
	data     []byte           // file content now
	synced   []byte           // file content as of the last Sync
}

func newDir() *node {
	return &node{dir: true, children: map[string]*node{}, durable: map[string]*node{}}
}

// NewMem returns an empty in-memory filesystem whose root survives crashes.
func NewMem() *Mem { return &Mem{root: newDir()} }

// FailNextSync makes the next Sync or SyncDir, of any path, return err
// without making anything durable.
func (m *Mem) FailNextSync(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failNext = err
}

// FailSyncs makes every Sync or SyncDir of a path containing sub return
// ErrInjected, until FailSyncs("") clears it.
func (m *Mem) FailSyncs(sub string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failSub = sub
}

// Crash simulates a power cut: the filesystem becomes what was durable (see
// Mem) and every open handle dies.
func (m *Mem) Crash() { m.crash(nil) }

// CrashTorn is Crash where each file that grew since its last Sync keeps a
// prefix of its unsynced tail, of a length drawn from a generator seeded
// with seed: the same history and seed give the same result.
func (m *Mem) CrashTorn(seed uint64) { m.crash(rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))) }

func (m *Mem) crash(rng *rand.Rand) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen++
	m.failNext, m.failSub = nil, ""
	m.locked = nil
	restore(m.root, rng, map[*node]bool{})
}

// restore rebuilds the tree under n from its durable state, in name order so
// that the torn lengths are deterministic.
func restore(n *node, rng *rand.Rand, seen map[*node]bool) {
	if seen[n] {
		return
	}
	seen[n] = true
	if !n.dir {
		keep := n.synced
		if rng != nil && len(n.data) > len(n.synced) {
			keep = append(slices.Clip(keep), n.data[len(n.synced):len(n.synced)+rng.IntN(len(n.data)-len(n.synced)+1)]...)
		}
		n.data, n.synced = slices.Clone(keep), slices.Clone(keep)
		return
	}
	n.children = cloneEntries(n.durable)
	for _, name := range sortedNames(n.children) {
		restore(n.children[name], rng, seen)
	}
}

func cloneEntries(m map[string]*node) map[string]*node {
	out := make(map[string]*node, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func sortedNames(m map[string]*node) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// split cleans a path into its components; every path is taken as rooted.
func split(name string) []string {
	p := strings.Trim(filepath.ToSlash(filepath.Clean("/"+name)), "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// lookupLocked returns the node at the path.
func (m *Mem) lookupLocked(op, name string) (*node, error) {
	n := m.root
	for _, c := range split(name) {
		if !n.dir {
			return nil, &fs.PathError{Op: op, Path: name, Err: errNotDir}
		}
		if n = n.children[c]; n == nil {
			return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
	}
	return n, nil
}

var (
	errNotDir   = errors.New("not a directory")
	errIsDir    = errors.New("is a directory")
	errNotEmpty = errors.New("directory not empty")
)

// parentLocked returns the directory holding the path and the entry's name.
func (m *Mem) parentLocked(op, name string) (*node, string, error) {
	parts := split(name)
	if len(parts) == 0 {
		return nil, "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	dir, err := m.lookupLocked(op, strings.Join(parts[:len(parts)-1], "/"))
	if err == nil && !dir.dir {
		err = &fs.PathError{Op: op, Path: name, Err: errNotDir}
	}
	return dir, parts[len(parts)-1], err
}

func (m *Mem) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir, base, err := m.parentLocked("open", name)
	if err != nil {
		return nil, err
	}
	n := dir.children[base]
	switch {
	case n == nil && flag&os.O_CREATE == 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	case n == nil:
		n = &node{}
		dir.children[base] = n
	case flag&(os.O_CREATE|os.O_EXCL) == os.O_CREATE|os.O_EXCL:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrExist}
	case n.dir && flag&(os.O_WRONLY|os.O_RDWR) != 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: errIsDir}
	}
	if flag&os.O_TRUNC != 0 && !n.dir {
		n.data = n.data[:0:0]
	}
	return &memFile{m: m, n: n, name: name, gen: m.gen, writable: flag&(os.O_WRONLY|os.O_RDWR) != 0}, nil
}

func (m *Mem) MkdirAll(path string, perm fs.FileMode) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.root
	for _, c := range split(path) {
		next := n.children[c]
		if next == nil {
			next = newDir()
			n.children[c] = next
		}
		if !next.dir {
			return &fs.PathError{Op: "mkdir", Path: path, Err: errNotDir}
		}
		n = next
	}
	return nil
}

func (m *Mem) ReadDir(name string) ([]fs.DirEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookupLocked("readdir", name)
	if err != nil {
		return nil, err
	}
	if !n.dir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errNotDir}
	}
	var out []fs.DirEntry
	for _, c := range sortedNames(n.children) {
		out = append(out, fs.FileInfoToDirEntry(info(c, n.children[c])))
	}
	return out, nil
}

func (m *Mem) Rename(oldpath, newpath string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	od, ob, err := m.parentLocked("rename", oldpath)
	if err != nil {
		return err
	}
	nd, nb, err := m.parentLocked("rename", newpath)
	if err != nil {
		return err
	}
	n := od.children[ob]
	if n == nil {
		return &fs.PathError{Op: "rename", Path: oldpath, Err: fs.ErrNotExist}
	}
	if n.dir && strings.HasPrefix(strings.Join(split(newpath), "/")+"/", strings.Join(split(oldpath), "/")+"/") {
		return &fs.PathError{Op: "rename", Path: newpath, Err: fs.ErrInvalid}
	}
	if t := nd.children[nb]; t != nil && t != n {
		if t.dir != n.dir || (t.dir && len(t.children) > 0) {
			return &fs.PathError{Op: "rename", Path: newpath, Err: fs.ErrExist}
		}
	}
	delete(od.children, ob)
	nd.children[nb] = n
	return nil
}

func (m *Mem) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir, base, err := m.parentLocked("remove", name)
	if err != nil {
		return err
	}
	n := dir.children[base]
	if n == nil {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	if n.dir && len(n.children) > 0 {
		return &fs.PathError{Op: "remove", Path: name, Err: errNotEmpty}
	}
	delete(dir.children, base)
	return nil
}

func (m *Mem) RemoveAll(path string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir, base, err := m.parentLocked("removeall", path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	delete(dir.children, base)
	return nil
}

func (m *Mem) Stat(name string) (fs.FileInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookupLocked("stat", name)
	if err != nil {
		return nil, err
	}
	parts := split(name)
	return info(strings.Join(parts[max(len(parts)-1, 0):], ""), n), nil
}

func (m *Mem) SyncDir(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookupLocked("sync", name)
	if err != nil {
		return err
	}
	if !n.dir {
		return &fs.PathError{Op: "sync", Path: name, Err: errNotDir}
	}
	if err := m.injectedLocked(name); err != nil {
		return err
	}
	n.durable = cloneEntries(n.children)
	return nil
}

// Lock takes the lock of the file name, creating the file if needed. The
// lock belongs to the file, not to its name, as with flock(2).
func (m *Mem) Lock(name string) (io.Closer, error) {
	f, err := m.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	mf := f.(*memFile)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.locked[mf.n] {
		mf.closed = true
		return nil, &fs.PathError{Op: "flock", Path: name, Err: ErrLocked}
	}
	if m.locked == nil {
		m.locked = map[*node]bool{}
	}
	m.locked[mf.n] = true
	return memLock{mf}, nil
}

// memLock releases its file's lock when closed, unless a Crash did already.
type memLock struct{ f *memFile }

func (l memLock) Close() error {
	l.f.m.mu.Lock()
	defer l.f.m.mu.Unlock()
	if l.f.closed {
		return &fs.PathError{Op: "close", Path: l.f.name, Err: fs.ErrClosed}
	}
	l.f.closed = true
	if l.f.gen == l.f.m.gen { // else the lock died in a Crash and may be another's now
		delete(l.f.m.locked, l.f.n)
	}
	return nil
}

// injectedLocked returns the injected failure, if any, for a sync of name.
func (m *Mem) injectedLocked(name string) error {
	if err := m.failNext; err != nil {
		m.failNext = nil
		return &fs.PathError{Op: "sync", Path: name, Err: err}
	}
	if m.failSub != "" && strings.Contains(name, m.failSub) {
		return &fs.PathError{Op: "sync", Path: name, Err: ErrInjected}
	}
	return nil
}

// memFile is a handle on a Mem node; the Mem's mutex guards it.
type memFile struct {
	m        *Mem
	n        *node
	name     string
	gen      int
	writable bool
	closed   bool
}

// checkLocked fails a handle that is closed or from before a crash.
func (f *memFile) checkLocked(op string, write bool) error {
	switch {
	case f.closed || f.gen != f.m.gen:
		return &fs.PathError{Op: op, Path: f.name, Err: fs.ErrClosed}
	case f.n.dir && op != "stat" && op != "close":
		return &fs.PathError{Op: op, Path: f.name, Err: errIsDir}
	case write && !f.writable:
		return &fs.PathError{Op: op, Path: f.name, Err: fs.ErrPermission}
	}
	return nil
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.checkLocked("read", false); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, &fs.PathError{Op: "read", Path: f.name, Err: fs.ErrInvalid}
	}
	if off >= int64(len(f.n.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.n.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.checkLocked("write", true); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, &fs.PathError{Op: "write", Path: f.name, Err: fs.ErrInvalid}
	}
	if end := off + int64(len(p)); end > int64(len(f.n.data)) {
		f.n.data = append(f.n.data, make([]byte, end-int64(len(f.n.data)))...)
	}
	copy(f.n.data[off:], p)
	return len(p), nil
}

func (f *memFile) Sync() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.checkLocked("sync", false); err != nil {
		return err
	}
	if err := f.m.injectedLocked(f.name); err != nil {
		return err
	}
	f.n.synced = slices.Clone(f.n.data)
	return nil
}

func (f *memFile) Truncate(size int64) error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.checkLocked("truncate", true); err != nil {
		return err
	}
	if size < 0 {
		return &fs.PathError{Op: "truncate", Path: f.name, Err: fs.ErrInvalid}
	}
	if size <= int64(len(f.n.data)) {
		f.n.data = f.n.data[:size:size] // a later append must not write into synced's view
	} else {
		f.n.data = append(f.n.data, make([]byte, size-int64(len(f.n.data)))...)
	}
	return nil
}

func (f *memFile) Stat() (fs.FileInfo, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.checkLocked("stat", false); err != nil {
		return nil, err
	}
	return info(filepath.Base(f.name), f.n), nil
}

func (f *memFile) Close() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return &fs.PathError{Op: "close", Path: f.name, Err: fs.ErrClosed}
	}
	f.closed = true
	return nil
}

// memInfo is a snapshot of a node's metadata.
type memInfo struct {
	name string
	size int64
	dir  bool
}

func info(name string, n *node) memInfo { return memInfo{name, int64(len(n.data)), n.dir} }

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return i.dir }
func (i memInfo) Sys() any           { return nil }
func (i memInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}

func (i memInfo) String() string { return fmt.Sprintf("%s (%d bytes)", i.name, i.size) }
