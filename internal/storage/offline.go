package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"syscall"
)

// logDir is the health of one log dir, shared by the Manager and every Log
// in it. The first I/O error met by any of them takes the whole dir
// offline, as Kafka's LogDirFailureChannel does: a disk that failed one
// write is not trusted with the next, and the dir stays offline until the
// process restarts. Safe for concurrent use.
type logDir struct {
	path   string
	onFail func(d *logDir, cause error) // called once, by the first failure

	mu    sync.Mutex // guards cause
	cause error      // the first I/O error; nil while online
}

// offline returns ErrLogDirOffline, with the dir and its first I/O error,
// once the dir has failed; nil while it is online. A Log outside a Manager
// has no logDir and is always online.
func (d *logDir) offline() error {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cause == nil {
		return nil
	}
	return d.errorLocked()
}

func (d *logDir) errorLocked() error {
	return fmt.Errorf("%w: %s: %v", ErrLogDirOffline, d.path, d.cause)
}

// fail takes the dir offline if err is an I/O error, and returns what the
// caller should return: ErrLogDirOffline for an I/O error (this one or an
// earlier one), err itself otherwise.
func (d *logDir) fail(err error) error {
	if d == nil || err == nil || !isIOError(err) {
		return err
	}
	d.mu.Lock()
	first := d.cause == nil
	if first {
		d.cause = err
	}
	out := d.errorLocked()
	d.mu.Unlock()
	if first && d.onFail != nil {
		d.onFail(d, err)
	}
	return out
}

// isIOError reports whether err came from the filesystem (an errno such as
// EIO, ENOSPC or EROFS, a path error), rather than from the log's own
// checks, a closed log or a missing file a caller may expect.
func isIOError(err error) bool {
	switch {
	case errors.Is(err, ErrLogDirOffline):
		return true
	case errors.Is(err, ErrClosed), errors.Is(err, fs.ErrClosed), errors.Is(err, fs.ErrNotExist):
		return false
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return false // the process is out of descriptors, not the disk out of order
	}
	var pathErr *fs.PathError
	var linkErr *os.LinkError
	var errno syscall.Errno
	return errors.As(err, &pathErr) || errors.As(err, &linkErr) || errors.As(err, &errno)
}

// Offline returns ErrLogDirOffline (wrapped with the dir and the cause)
// when the log's dir has been taken offline, nil otherwise.
func (l *Log) Offline() error { return l.logDir.Load().offline() }

// failed passes an error of a log operation through the dir's health: an
// I/O error takes the dir offline and becomes ErrLogDirOffline.
func (l *Log) failed(err error) error { return l.logDir.Load().fail(err) }
