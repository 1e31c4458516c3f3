package storage

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
)

// DeleteRecordsBefore advances the log start offset to offset and deletes the
// segments wholly below it. The new start is kept in the log-start-offset file.
func (l *Log) DeleteRecordsBefore(offset int64) error {
	if err := l.Offline(); err != nil {
		return err
	}
	return l.failed(l.deleteRecordsBefore(offset))
}

func (l *Log) deleteRecordsBefore(offset int64) error {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	if l.isClosed() {
		return ErrClosed
	}
	if offset > l.LogEndOffset() {
		return fmt.Errorf("%w: %d beyond log end %d", ErrOffsetOutOfRange, offset, l.LogEndOffset())
	}
	if offset <= l.LogStartOffset() {
		return nil
	}
	if err := l.persistLogStart(offset); err != nil {
		return err
	}
	l.dirDirty = true // segments are removed below
	if offset == l.LogEndOffset() && l.active().size > 0 {
		if err := l.roll(offset); err != nil {
			return err
		}
	}
	return l.advanceLogStart(offset)
}

// persistLogStart writes the log-start-offset file, durably, before the
// segments below offset go: after a crash they may come back, but below the
// log start, and are dropped again.
func (l *Log) persistLogStart(offset int64) error {
	return writeFileAtomic(l.fs, filepath.Join(l.dir, logStartOffsetFile), []byte(strconv.FormatInt(offset, 10)+"\n"))
}

// advanceLogStart moves the log start offset up to offset, which the caller
// has persisted, and retires the segments wholly below it. Needs writeMu.
func (l *Log) advanceLogStart(offset int64) error {
	l.mu.Lock()
	l.logStartOffset = max(l.logStartOffset, offset)
	n := 0
	for n+1 < len(l.segments) && l.segments[n+1].baseOffset <= l.logStartOffset {
		n++
	}
	dropped := l.segments[:n:n]
	l.segments = append([]*segment(nil), l.segments[n:]...)
	err := l.epochs.truncateFromStart(l.logStartOffset)
	l.mu.Unlock()
	return errors.Join(err, l.retireSegments(dropped))
}

// TruncateTo removes every batch whose last offset is >= offset (follower
// truncation); the log end becomes the base offset of the first removed batch.
func (l *Log) TruncateTo(offset int64) error {
	if err := l.Offline(); err != nil {
		return err
	}
	return l.failed(l.truncateTo(offset))
}

func (l *Log) truncateTo(offset int64) error {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	if l.isClosed() {
		return ErrClosed
	}
	if offset >= l.LogEndOffset() {
		return nil
	}
	if offset < l.LogStartOffset() {
		return fmt.Errorf("%w: truncate to %d below log start %d", ErrOffsetOutOfRange, offset, l.LogStartOffset())
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.truncateLocked(offset)
}

func (l *Log) truncateLocked(offset int64) error {
	l.dirDirty = true // segments removed, indexes rewritten
	l.truncations++
	i := l.segmentFor(offset)
	var errs []error
	for _, s := range l.segments[i+1:] {
		errs = append(errs, s.remove())
	}
	l.segments = l.segments[:i+1]
	s := l.active()
	pos, _, err := s.find(offset, s.lookupPosition(offset), s.size)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if err := s.f.Truncate(pos); err != nil {
		return err
	}
	s.size = pos
	s.trimTxns(offset)
	s.index, s.timeIndex, s.maxTimestamp, s.offsetOfMaxTs = nil, nil, -1, -1
	if _, err := s.scan(0, l.cfg, nil); err != nil {
		return err
	}
	errs = append(errs, s.rewriteIndexes())
	l.logEndOffset = s.nextOffset
	l.recoveryPoint = min(l.recoveryPoint, l.logEndOffset)
	l.durable = min(l.durable, l.logEndOffset)
	errs = append(errs, l.epochs.truncateFromEnd(l.logEndOffset))
	return errors.Join(errs...)
}
