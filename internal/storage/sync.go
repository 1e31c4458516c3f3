package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"gregor/internal/kafka"
)

// WaitDurable waits until every batch below offset is on stable storage
// (its bytes and the names of the files holding it fsynced), for an
// acknowledgement that promises it. A waiter that finds no sync of the log
// running runs one itself, on its own goroutine, covering the log up to
// the end it finds; waiters that arrive while it runs wait for it, then
// one of those it did not cover runs the next, which covers them all
// (group commit with no hand-off to another goroutine). Logs sync
// independently: waits on different logs fsync their files concurrently.
// A failed fsync fails every later wait (see syncErr).
func (l *Log) WaitDurable(ctx context.Context, offset kafka.Offset) error {
	for {
		ch, done, err := l.durableState(int64(offset))
		if done || err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		// ch was taken before the attempt: a sync that holds syncMu now
		// closes it after releasing syncMu, so no wake-up is lost.
		if l.syncMu.TryLock() {
			if err := l.syncHeld(); err != nil {
				return err
			}
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// durableState says whether offset is durable, else why it cannot become
// so, else the channel closed when the durable offset next moves.
func (l *Log) durableState(offset int64) (<-chan struct{}, bool, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	switch {
	case offset <= l.durable:
		return nil, true, nil
	case l.syncErr != nil:
		return nil, false, l.syncErr
	case l.closed:
		return nil, false, ErrClosed
	case l.Offline() != nil:
		return nil, false, l.Offline()
	case offset > l.logEndOffset:
		return nil, false, fmt.Errorf("%w: wait for %d beyond log end %d", ErrOffsetOutOfRange, offset, l.logEndOffset)
	}
	return l.durableCh, false, nil
}

// syncPlan is what one background sync covers, taken under writeMu so that
// every byte below end is written.
type syncPlan struct {
	segs        []*segment // acquired; the last is the active segment
	end         int64      // the log end offset: durable once segs are synced
	sealedEnd   int64      // the active segment's base: the recovery point once sealed indexes are synced
	dirDirty    bool
	truncations int64 // a truncation meanwhile voids the plan's offsets
}

// syncBackground fsyncs the log without holding writeMu across the fsync:
// the segments from the older of the recovery point and the durable
// offset (sealed ones with their indexes), then the directory if files
// came or went. It then advances the durable offset to the log end it
// found and the recovery point to the active segment's base. It waits for
// a sync of the log that runs (syncMu): one sync at a time per log, so
// that none publishes a durable offset past a file whose name another
// sync has still to fsync.
func (l *Log) syncBackground() error {
	l.syncMu.Lock()
	return l.syncHeld()
}

// syncHeld runs one sync for a caller that holds syncMu. It releases
// syncMu, then wakes every WaitDurable, so that a waiter the sync did not
// cover finds syncMu free and runs the next one.
func (l *Log) syncHeld() error {
	p, err := l.planSync()
	if err == nil && p.segs != nil {
		err = l.failed(l.runSync(p))
		for _, s := range p.segs {
			s.release()
		}
		l.finishSync(p, err)
	}
	l.syncMu.Unlock()
	l.mu.Lock()
	l.broadcastDurableLocked()
	l.mu.Unlock()
	return err
}

func (l *Log) planSync() (syncPlan, error) {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	l.mu.RLock()
	defer l.mu.RUnlock()
	switch {
	case l.syncErr != nil:
		return syncPlan{}, l.syncErr
	case l.closed:
		return syncPlan{}, ErrClosed
	case l.Offline() != nil:
		return syncPlan{}, l.Offline()
	case l.durable >= l.logEndOffset && l.recoveryPoint >= l.active().baseOffset && !l.dirDirty:
		return syncPlan{}, nil // nothing new since the last sync
	}
	segs := slices.Clone(l.segments[l.segmentFor(min(l.recoveryPoint, l.durable)):])
	for _, s := range segs {
		s.acquire()
	}
	p := syncPlan{segs: segs, end: l.logEndOffset, sealedEnd: l.active().baseOffset,
		dirDirty: l.dirDirty, truncations: l.truncations}
	l.dirSyncing = p.dirDirty
	l.dirDirty, l.dirChanged = false, false
	return p, nil
}

// runSync fsyncs the plan's files: each log before its indexes, and the
// directory last, so that nothing durable points at bytes that are not.
func (l *Log) runSync(p syncPlan) error {
	for i, s := range p.segs {
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("fsync %s: %w", s.path(".log"), err)
		}
		if i < len(p.segs)-1 {
			if err := s.syncIndexFiles(); err != nil {
				return err
			}
		}
	}
	if p.dirDirty {
		if err := l.fs.SyncDir(l.dir); err != nil {
			return fmt.Errorf("fsync %s: %w", l.dir, err)
		}
	}
	return nil
}

// finishSync publishes a sync's outcome (syncHeld then wakes the
// waiters). A failed fsync is sticky, as in
// PostgreSQL after fsyncgate: the kernel may have dropped the dirty pages,
// so a later fsync that succeeds proves nothing about them.
func (l *Log) finishSync(p syncPlan, err error) {
	if p.dirDirty {
		l.writeMu.Lock()
		l.dirSyncing = false
		if err != nil {
			l.markDirDirty()
		}
		l.writeMu.Unlock()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.syncErr = err
	} else if l.truncations == p.truncations {
		l.durable = max(l.durable, p.end)
		// The epochs' file before the recovery point moves past them
		// (epochCache); if it cannot be written, the point stays.
		if ferr := l.epochs.flush(); ferr != nil {
			l.logger.Warn("leader-epoch-checkpoint not written; the recovery point stays", "dir", l.dir, "err", ferr)
		} else {
			l.recoveryPoint = max(l.recoveryPoint, p.sealedEnd)
		}
	}
}

// broadcastDurableLocked wakes every WaitDurable; it needs mu.
func (l *Log) broadcastDurableLocked() {
	if !l.closed {
		close(l.durableCh)
		l.durableCh = make(chan struct{})
	}
}

// syncIndexFiles fsyncs a sealed segment's index files, which hold all
// their entries since the roll. A file that is gone belongs to a segment
// that left the log meanwhile.
func (s *segment) syncIndexFiles() error {
	for _, ext := range []string{".index", ".timeindex", txnIndexExt} {
		f, err := s.fs.OpenFile(s.path(ext), os.O_RDONLY, 0)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("fsync %s: %w", s.path(ext), err)
		}
	}
	return nil
}

// DurableOffset is the offset below which every batch is on stable storage
// (see WaitDurable); at least RecoveryPoint.
func (l *Log) DurableOffset() kafka.Offset {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return kafka.Offset(l.durable)
}
