package storage

import (
	"errors"
	"os"
	"strings"
	"time"
)

// deletedSuffix marks the files of a segment that left the log and waits for
// file.delete.delay.ms before removal (Kafka's asynchronous delete). Files
// with it are removed at start-up.
const deletedSuffix = ".deleted"

// segmentExts are the files of one segment.
var segmentExts = []string{".log", ".index", ".timeindex", txnIndexExt}

// pendingDelete is a segment whose files carry deletedSuffix until due.
type pendingDelete struct {
	base int64
	due  time.Time
}

// retireSegments renames the files of segments that the caller has just
// taken out of the list to <name>.deleted, drops the log's reference on
// them (a reader holding one keeps reading it) and schedules the removal of
// the files after FileDeleteDelayMs. Needs writeMu. The renames reach the
// disk with the next directory fsync; until then a crash brings the
// segments back, below the log start offset, and they are dropped again.
func (l *Log) retireSegments(segs []*segment) error {
	err := l.renameRetired(segs)
	return errors.Join(err, l.scheduleRemoval(segs))
}

// renameRetired gives the files of segs the .deleted suffix. Needs writeMu.
func (l *Log) renameRetired(segs []*segment) error {
	var errs []error
	for _, s := range segs {
		for _, ext := range segmentExts {
			err := l.fs.Rename(s.path(ext), s.path(ext)+deletedSuffix)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	if len(segs) > 0 {
		l.markDirDirty()
	}
	return errors.Join(errs...)
}

// scheduleRemoval drops the log's reference on segs, renamed .deleted, and
// removes their files once FileDeleteDelayMs has passed. Needs writeMu.
func (l *Log) scheduleRemoval(segs []*segment) error {
	if len(segs) == 0 {
		return nil
	}
	due := l.now().Add(time.Duration(l.cfg.FileDeleteDelayMs) * time.Millisecond)
	l.deleteMu.Lock()
	for _, s := range segs {
		s.release()
		l.pendingDeletes = append(l.pendingDeletes, pendingDelete{base: s.baseOffset, due: due})
	}
	l.deleteMu.Unlock()
	if l.cfg.FileDeleteDelayMs <= 0 {
		return l.removeDeletedFiles(l.dir, due)
	}
	return nil
}

// removeDeletedFiles removes the files of retired segments whose delay has
// passed at now, from the log's dir (which the caller reads under writeMu
// or mu: a move changes it).
func (l *Log) removeDeletedFiles(dir string, now time.Time) error {
	l.deleteMu.Lock()
	var due []pendingDelete
	kept := l.pendingDeletes[:0]
	for _, p := range l.pendingDeletes {
		if p.due.After(now) {
			kept = append(kept, p)
		} else {
			due = append(due, p)
		}
	}
	l.pendingDeletes = kept
	l.deleteMu.Unlock()
	var errs []error
	for _, p := range due {
		for _, ext := range segmentExts {
			err := l.fs.Remove(segmentName(dir, p.base, ext) + deletedSuffix)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// isTransientFile reports the files that recovery removes outright: a
// temporary checkpoint, or a retired segment's file.
func isTransientFile(name string) bool {
	return strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, deletedSuffix)
}
