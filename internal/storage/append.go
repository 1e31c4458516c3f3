package storage

import (
	"errors"
	"fmt"
	"time"

	"gregor/internal/record"
)

// Append assigns offsets from LogEndOffset by patching the batch's base
// offset, stamps leaderEpoch, writes it, indexes it, rolls if needed, applies
// the flush-by-count policy and records a new leader epoch. The caller has
// validated the batch. It returns the batch's first and last offset.
func (l *Log) Append(b record.Batch, leaderEpoch int32) (first, last int64, err error) {
	return l.AppendBatches([]record.Batch{b}, leaderEpoch)
}

// AppendBatches appends several batches as a loop of Append would, with one
// write per segment they land in. It returns the first offset of the first
// batch and the last offset of the last.
func (l *Log) AppendBatches(bs []record.Batch, leaderEpoch int32) (first, last int64, err error) {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	if l.isClosed() {
		return 0, 0, ErrClosed
	}
	if err := l.Offline(); err != nil {
		return 0, 0, err
	}
	first = l.LogEndOffset()
	if err := l.appendRuns(bs, leaderEpoch, true); err != nil {
		return 0, 0, l.failed(err)
	}
	return first, l.LogEndOffset() - 1, l.failed(l.maybeFlushByCount())
}

// AppendWithOffsets appends batches that already carry their offsets and
// leader epochs (a follower copying its leader's log): nothing is patched.
// As Kafka's follower append, offsets must increase and the first batch
// must start at or after LogEndOffset (a compacted leader log has gaps);
// otherwise it fails with ErrOffsetsOutOfOrder and writes nothing. Each
// batch's partition leader epoch goes into the leader-epoch cache, as
// Append records its own.
func (l *Log) AppendWithOffsets(bs []record.Batch) error {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	if l.isClosed() {
		return ErrClosed
	}
	if err := l.Offline(); err != nil {
		return err
	}
	if err := inOrder(bs, l.LogEndOffset()); err != nil {
		return err
	}
	for len(bs) > 0 {
		n := sameEpochPrefix(bs)
		if err := l.appendRuns(bs[:n], bs[0].PartitionLeaderEpoch(), false); err != nil {
			return l.failed(err)
		}
		bs = bs[n:]
	}
	return l.failed(l.maybeFlushByCount())
}

// ErrOffsetsOutOfOrder reports batches whose offsets do not follow the log end.
var ErrOffsetsOutOfOrder = errors.New("batch offsets do not follow the log end offset")

// inOrder checks that each batch starts at or after next, the end of the
// one before it (the log end for the first).
func inOrder(bs []record.Batch, next int64) error {
	for _, b := range bs {
		if b.BaseOffset() < next || b.LastOffsetDelta() < 0 {
			return fmt.Errorf("%w: batch at offset %d, log end %d", ErrOffsetsOutOfOrder, b.BaseOffset(), next)
		}
		next = b.NextOffset()
	}
	return nil
}

// sameEpochPrefix is how many batches from the first share its leader epoch.
func sameEpochPrefix(bs []record.Batch) int {
	n := 1
	for n < len(bs) && bs[n].PartitionLeaderEpoch() == bs[0].PartitionLeaderEpoch() {
		n++
	}
	return n
}

// appendRuns writes bs run by run, one run per segment they land in (see
// appendRun for assign).
func (l *Log) appendRuns(bs []record.Batch, epoch int32, assign bool) error {
	for len(bs) > 0 {
		n, err := l.appendRun(bs, epoch, assign)
		if err != nil {
			return err
		}
		bs = bs[n:]
	}
	return nil
}

func (l *Log) isClosed() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.closed
}

// appendRun writes the longest prefix of bs that fits in one segment (after a
// roll if the first does not fit) and returns how many batches it wrote.
// With assign, offsets from LogEndOffset and epoch are patched in;
// without, the batches keep theirs (checked by inOrder).
func (l *Log) appendRun(bs []record.Batch, epoch int32, assign bool) (int, error) {
	next := l.LogEndOffset()
	now := l.now()
	seg := l.active()
	if !seg.fits(int64(len(bs[0])), lastOffsetAt(bs[0], next, assign), bs[0].MaxTimestamp(), l.cfg, now) {
		if err := l.roll(next); err != nil {
			return 0, err
		}
		seg = l.active()
	}
	n, total := 0, int64(0)
	for _, b := range bs {
		if n > 0 && !seg.fits(total+int64(len(b)), lastOffsetAt(b, next, assign), b.MaxTimestamp(), l.cfg, now) {
			break
		}
		if assign {
			b.SetBaseOffset(next)
			b.SetPartitionLeaderEpoch(epoch)
		}
		next = b.NextOffset()
		total += int64(len(b))
		n++
	}
	return n, l.write(seg, bs[:n], total, epoch)
}

// lastOffsetAt is b's last offset once appended at next.
func lastOffsetAt(b record.Batch, next int64, assign bool) int64 {
	if assign {
		return next + int64(b.LastOffsetDelta())
	}
	return b.LastOffset()
}

// write puts the batches at the end of seg in one pwrite, then publishes them.
func (l *Log) write(seg *segment, bs []record.Batch, total int64, epoch int32) error {
	data := []byte(bs[0])
	if len(bs) > 1 {
		data = make([]byte, 0, total)
		for _, b := range bs {
			data = append(data, b...)
		}
	}
	pos := seg.size
	if pos == 0 {
		l.startRollClock(seg, bs[0].MaxTimestamp()) // log.roll.ms counts from the first batch
	}
	if _, err := seg.f.WriteAt(data, pos); err != nil {
		seg.f.Truncate(pos)
		return fmt.Errorf("append to %s: %w", seg.path(".log"), err)
	}
	return l.publish(seg, bs, pos, epoch)
}

func (l *Log) publish(seg *segment, bs []record.Batch, pos int64, epoch int32) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	first := bs[0].BaseOffset()
	for _, b := range bs {
		seg.indexBatch(b, pos, l.cfg)
		pos += int64(len(b))
		l.unflushed += int64(b.NumRecords())
	}
	if l.firstUnflushed.IsZero() {
		l.firstUnflushed = l.now()
	}
	l.logEndOffset = seg.nextOffset
	seg.lastModified = l.now()
	return l.epochs.assign(epoch, first)
}

// startRollClock starts s's time towards log.roll.ms now, from firstTs,
// its first batch's max timestamp (firstTsUnknown: read it from the file
// when needed), with a new random jitter (segment.jitter.ms). Needs
// writeMu (or the log not yet shared).
func (l *Log) startRollClock(s *segment, firstTs int64) {
	s.created, s.firstBatchTs, s.rollJitterMs = l.now(), firstTs, l.cfg.randomSegmentJitter()
}

// roll seals the active segment (a final time entry for its max timestamp,
// the index tails on disk) and starts a new one at offset; the Flusher
// fsyncs the sealed segment in the background.
func (l *Log) roll(offset int64) error {
	old := l.active()
	l.mu.Lock() // readers look at the time index
	old.maybeTimeEntry()
	l.mu.Unlock()
	if err := old.writeIndexes(false); err != nil {
		return err
	}
	l.markDirDirty()
	s, err := newSegment(l.fs, l.files, l.dir, offset, l.now())
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.segments = append(l.segments, s)
	l.mu.Unlock()
	if l.flusher != nil {
		l.flusher.request(l) // fsync the sealed segment, as Kafka does on roll
	}
	return nil
}

func (l *Log) maybeFlushByCount() error {
	l.mu.RLock()
	due := l.cfg.flushByCount() && l.unflushed >= l.cfg.FlushIntervalMessages
	l.mu.RUnlock()
	if !due {
		return nil
	}
	return l.flushLocked()
}

// Flush fsyncs the segments and indexes holding unflushed data, and the
// directory if files were created or removed in it, then advances the
// recovery point to LogEndOffset. On error the recovery point stays.
func (l *Log) Flush() error {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	if l.isClosed() {
		return ErrClosed
	}
	if err := l.Offline(); err != nil {
		return err
	}
	return l.failed(l.flushLocked())
}

// flushLocked needs writeMu.
func (l *Log) flushLocked() error {
	l.mu.RLock()
	end, rp := l.logEndOffset, l.recoveryPoint
	if end <= rp && !l.dirChanged && !l.dirSyncing {
		l.mu.RUnlock()
		return nil // everything up to the end was made durable already
	}
	segs := l.segments[l.segmentFor(rp):]
	l.mu.RUnlock()
	for _, s := range segs {
		// The log before its index: a durable index entry must not point
		// past durable log bytes.
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("fsync %s: %w", s.path(".log"), err)
		}
		l.dirDirty = l.dirDirty || (s.txnDisk == 0 && len(s.txns) > 0) // a new .txnindex
		if err := s.writeIndexes(true); err != nil {
			return err
		}
	}
	if l.dirDirty || l.dirSyncing { // a sync that took dirDirty may not have fsynced dir yet
		if err := l.fs.SyncDir(l.dir); err != nil {
			return fmt.Errorf("fsync %s: %w", l.dir, err)
		}
		l.dirDirty, l.dirChanged = false, false
	}
	l.mu.Lock()
	// The epochs of the offsets up to end before the recovery point passes
	// them: recovery finds only later ones again in the batches.
	if err := l.epochs.flush(); err != nil {
		l.mu.Unlock()
		return fmt.Errorf("write %s: %w", l.epochs.path, err)
	}
	l.recoveryPoint, l.unflushed, l.firstUnflushed = max(l.recoveryPoint, end), 0, time.Time{}
	l.durable = max(l.durable, end)
	l.broadcastDurableLocked()
	l.mu.Unlock()
	return nil
}

// unflushedSince is the time of the oldest append not yet fsynced.
func (l *Log) unflushedSince() time.Time {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.firstUnflushed
}
