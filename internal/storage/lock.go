package storage

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"gregor/internal/vfs"
)

// lockFile is the name of the file a log dir's lock is held on, as Kafka's.
const lockFile = ".lock"

// ErrLogDirLocked is returned (wrapped, naming the dir) by OpenManager and
// LockDir for a log dir whose lock is held: by another process, or by
// another Manager or DirLock in this one.
var ErrLogDirLocked = errors.New("log dir is locked")

// DirLock is the exclusive lock on one log dir, an flock on <dir>/.lock as
// Kafka takes, held for as long as the dir is in use. It keeps a second
// process from writing the same dir. Not safe for concurrent use.
type DirLock struct {
	dir    string
	closer io.Closer // nil once unlocked
}

// LockDir locks the log dir dir on the OS filesystem, creating it if needed.
func LockDir(dir string) (*DirLock, error) { return LockDirFS(vfs.OS, dir) }

// LockDirFS is LockDir on fsys. It fails at once, without waiting, if the
// lock is held, and touches no file of the dir but .lock.
func LockDirFS(fsys vfs.FS, dir string) (*DirLock, error) {
	if err := mkdirAllDurable(fsys, dir); err != nil {
		return nil, err
	}
	c, err := fsys.Lock(filepath.Join(dir, lockFile))
	if errors.Is(err, vfs.ErrLocked) {
		return nil, &lockedError{dir: dir}
	}
	if err != nil {
		return nil, fmt.Errorf("lock log dir %s: %w", dir, err)
	}
	return &DirLock{dir: dir, closer: c}, nil
}

// Unlock releases the lock. It does nothing on a nil or released DirLock,
// so that cleanup paths can call it unconditionally.
func (l *DirLock) Unlock() error {
	if l == nil || l.closer == nil {
		return nil
	}
	err := l.closer.Close()
	l.closer = nil
	return err
}

// lockedError names the dir whose lock is held, in Kafka's words, so an
// operator who started a second server by mistake recognizes the message.
type lockedError struct{ dir string }

func (e *lockedError) Error() string {
	return fmt.Sprintf("Failed to acquire lock on file %s in %s. A Kafka instance in another process or thread is using this directory.", lockFile, e.dir)
}

func (e *lockedError) Is(target error) bool { return target == ErrLogDirLocked }

// lockDirs locks each distinct dir once, in order; on failure it releases
// what it took.
func lockDirs(fsys vfs.FS, dirs []string) ([]*DirLock, error) {
	var locks []*DirLock
	seen := map[string]bool{}
	for _, d := range dirs {
		if seen[filepath.Clean(d)] {
			continue
		}
		seen[filepath.Clean(d)] = true
		l, err := LockDirFS(fsys, d)
		if err != nil {
			unlockAll(locks)
			return nil, err
		}
		locks = append(locks, l)
	}
	return locks, nil
}

func unlockAll(locks []*DirLock) error {
	var errs []error
	for _, l := range locks {
		errs = append(errs, l.Unlock())
	}
	return errors.Join(errs...)
}
