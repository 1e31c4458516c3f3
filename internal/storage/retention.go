package storage

// segmentPredicate decides whether a segment is to be deleted; next is the
// segment after it, nil for the active one.
type segmentPredicate func(s, next *segment) bool

// DeleteOldSegments applies the retention policy as Kafka's
// UnifiedLog.deleteOldSegments does: segments wholly below the log start
// offset always go; with cleanup.policy delete, so do the oldest segments
// while the log would still hold retention.bytes without them, then those
// whose largest timestamp is more than retention.ms old. Each pass stops at
// the first segment it keeps. When every segment is to go, the active one is
// rolled first, so that the log keeps an empty segment at its end. The log
// start offset moves to the first kept segment and is persisted; the
// deleted segments' files are removed after file.delete.delay.ms. It
// returns how many segments it deleted.
//
// As Kafka never deletes at or beyond the high watermark, no pass deletes a
// segment that ends after the committed offset (SetCommitted).
func (l *Log) DeleteOldSegments() (int, error) {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	if l.isClosed() {
		return 0, ErrClosed
	}
	if err := l.Offline(); err != nil {
		return 0, err
	}
	n, err := l.deleteSegmentsLocked(l.belowLogStart)
	if err != nil || !l.cfg.Delete {
		return n, l.failed(err)
	}
	for _, pred := range []func() segmentPredicate{l.overRetentionBytes, l.pastRetentionMs} {
		m, err := l.deleteSegmentsLocked(pred())
		if n += m; err != nil {
			return n, l.failed(err)
		}
	}
	return n, nil
}

func (l *Log) belowLogStart(_, next *segment) bool {
	return next != nil && next.baseOffset <= l.logStartOffset
}

// overRetentionBytes deletes the oldest segments while the log without them
// still holds at least retention.bytes.
func (l *Log) overRetentionBytes() segmentPredicate {
	limit, size := l.cfg.RetentionBytes, l.Size()
	if limit < 0 || size < limit {
		return func(_, _ *segment) bool { return false }
	}
	excess := size - limit
	return func(s, _ *segment) bool {
		if excess-s.size < 0 {
			return false
		}
		excess -= s.size
		return true
	}
}

// pastRetentionMs deletes segments whose largest timestamp (or, with none,
// last modification) is more than retention.ms old.
func (l *Log) pastRetentionMs() segmentPredicate {
	limit, now := l.cfg.RetentionMs, l.now().UnixMilli()
	return func(s, _ *segment) bool {
		ts, ok := s.largestTimestamp()
		return limit >= 0 && ok && now-ts > limit
	}
}

// deletableSegments returns how many segments from the oldest satisfy pred,
// never counting an empty active segment nor one that ends after the
// committed offset (Kafka's UnifiedLog.deletableSegments).
func (l *Log) deletableSegments(pred segmentPredicate) int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	n := 0
	for ; n < len(l.segments); n++ {
		s, next, end := l.segments[n], (*segment)(nil), l.logEndOffset
		if n+1 < len(l.segments) {
			next, end = l.segments[n+1], l.segments[n+1].baseOffset
		}
		if (next == nil && s.size == 0) || end > l.committed || !pred(s, next) {
			break
		}
	}
	return n
}

// deleteSegmentsLocked deletes the segments that pred selects. Needs writeMu.
func (l *Log) deleteSegmentsLocked(pred segmentPredicate) (int, error) {
	n := l.deletableSegments(pred)
	if n == 0 {
		return 0, nil
	}
	if n == len(l.segments) {
		if err := l.roll(l.LogEndOffset()); err != nil {
			return 0, err
		}
	}
	l.mu.RLock()
	start := l.segments[n].baseOffset
	moved := start > l.logStartOffset
	l.mu.RUnlock()
	if moved {
		if err := l.persistLogStart(start); err != nil {
			return 0, err
		}
	}
	return n, l.advanceLogStart(start)
}
