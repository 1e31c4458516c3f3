package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/record"
	"gregor/internal/vfs"
)

// Moving a log to another log dir (Kafka's AlterReplicaLogDirs, KIP-113).
//
// The Manager copies the log, batch by batch with their offsets and
// leader epochs, into a future log in the destination dir, named
// <topic>-<partition>.<id>-future, while the log goes on taking appends,
// retention and truncation. Once the copy is nearly caught up it takes the
// log's writer lock, copies the rest, the log start offset, the newest
// producer snapshot and the aborted-transaction entries, fsyncs the copy,
// and then, each rename made durable before the next:
//
//  1. renames the copy to <topic>-<partition>.<id>-moved: complete;
//  2. renames the log's dir to <topic>-<partition>.<id>-delete: retired;
//  3. renames the copy to <topic>-<partition>: the partition's log.
//
// The Log keeps its identity (the partition holds it): it takes over the
// copy's segments, and its old segments stay readable by whoever holds
// them until the retired dir is removed, file.delete.delay.ms later. At
// start-up a -future dir is an unfinished copy and is removed; a -moved
// dir is promoted when no log dir holds the partition (a stop between
// steps 2 and 3), and removed otherwise (a stop between 1 and 2 left the
// log whole where it was).
const (
	futureDirSuffix = "-future"
	movedDirSuffix  = "-moved"
	deleteDirSuffix = "-delete"
)

var (
	// ErrLogDirNotFound reports a dir that is not one of log.dirs.
	ErrLogDirNotFound = errors.New("not a log dir of this broker")
	// ErrUnknownLog reports a partition with no log in this broker's dirs.
	ErrUnknownLog = errors.New("no log of the partition in this broker's log dirs")
)

// errMoveDiverged reports a log truncated while it was copied: the copy
// starts over.
var errMoveDiverged = errors.New("the log was truncated while it was copied")

// moveCatchUp is the most a round of copying may find left for the last
// round, which holds the log's writer lock, to take over.
const moveCatchUp = 1 << 20

// logMove is a copy of a log in progress. The Manager's mutex guards the
// Manager's map of them; the fields are fixed.
type logMove struct {
	dst    string
	future *Log
	cancel context.CancelFunc
	done   chan struct{} // closed when the copying goroutine has ended
}

// FutureLog is a log being copied into a dir, as DescribeLogDirs reports it.
type FutureLog struct {
	Size int64
	Lag  int64 // offsets the copy is behind the log
}

// SetMoveRate bounds the bytes per second that copies of logs between log
// dirs read, together (replica.alter.log.dirs.io.max.bytes.per.second); 0
// or math.MaxFloat64: no bound. It does not wait: copies take the new rate
// at their next read. The last round of a copy, which holds the log's
// writer lock, is not throttled.
func (m *Manager) SetMoveRate(bytesPerSecond float64) {
	m.moveRate.Store(math.Float64bits(bytesPerSecond))
}

// throttleMove counts n bytes a copy read against the move rate in effect,
// and sleeps if they take it over.
func (m *Manager) throttleMove(ctx context.Context, n int) {
	m.moveIO.setRate(math.Float64frombits(m.moveRate.Load()))
	m.moveIO.throttle(ctx, n)
}

// MoveLog starts moving tp's log to dst, one of the Manager's log dirs,
// and returns without waiting for the copy. Asked again for the dir it is
// being moved to, it does nothing; for another dir, the copy in progress
// is dropped and a new one started; for the dir the log is in, a copy in
// progress is dropped. It fails with ErrLogDirNotFound, ErrLogDirOffline
// (dst or the log's own dir) or ErrUnknownLog.
func (m *Manager) MoveLog(tp kafka.TopicPartition, dst string) error {
	if !slices.Contains(m.dirs, dst) {
		return fmt.Errorf("%w: %s", ErrLogDirNotFound, dst)
	}
	if err := m.health[dst].offline(); err != nil {
		return err
	}
	m.moveMu.Lock()
	defer m.moveMu.Unlock()
	m.mu.Lock()
	l, ok := m.logs[tp]
	src, inProgress := m.dirOf[tp], m.moves[tp]
	m.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownLog, tp)
	}
	if err := l.Offline(); err != nil {
		return err
	}
	if inProgress != nil {
		if inProgress.dst == dst {
			return nil
		}
		m.stopMove(inProgress)
		m.mu.Lock()
		src = m.dirOf[tp] // a copy stopped in its last round completed
		m.mu.Unlock()
	}
	if src == dst {
		return nil
	}
	future, err := m.createFuture(tp, l, dst)
	if err != nil {
		return m.health[dst].fail(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	mv := &logMove{dst: dst, future: future, cancel: cancel, done: make(chan struct{})}
	m.mu.Lock()
	m.moves[tp] = mv
	m.mu.Unlock()
	m.logger.Info("moving a log to another log dir", "partition", tp, "from", src, "to", dst)
	m.copying.Add(1)
	go m.runMove(ctx, tp, l, src, mv)
	return nil
}

// stopMove cancels a copy and waits until its goroutine has removed it.
// Needs moveMu.
func (m *Manager) stopMove(mv *logMove) {
	mv.cancel()
	<-mv.done
}

// stopMoves stops every copy in progress and waits for the copying
// goroutines, those finishing a move included (Close).
func (m *Manager) stopMoves() {
	m.moveMu.Lock()
	defer m.moveMu.Unlock()
	m.mu.Lock()
	for _, mv := range m.moves {
		mv.cancel()
	}
	m.mu.Unlock()
	m.copying.Wait()
}

// stopMoveOf stops the copy of tp's log, if any (Delete).
func (m *Manager) stopMoveOf(tp kafka.TopicPartition) {
	m.moveMu.Lock()
	defer m.moveMu.Unlock()
	m.mu.Lock()
	mv := m.moves[tp]
	m.mu.Unlock()
	if mv != nil {
		m.stopMove(mv)
	}
}

// PreferDir makes dir where tp's log is created if it is created here
// later (AlterReplicaLogDirs for a replica not yet here, as Kafka's
// preferred log dir); Create forgets it.
func (m *Manager) PreferDir(tp kafka.TopicPartition, dir string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.preferred[tp] = dir
}

// FutureLogs returns the copies in progress into dir.
func (m *Manager) FutureLogs(dir string) map[kafka.TopicPartition]FutureLog {
	m.mu.Lock()
	type pair struct{ l, future *Log }
	var in map[kafka.TopicPartition]pair
	for tp, mv := range m.moves {
		if mv.dst == dir {
			if in == nil {
				in = map[kafka.TopicPartition]pair{}
			}
			in[tp] = pair{m.logs[tp], mv.future}
		}
	}
	m.mu.Unlock()
	out := make(map[kafka.TopicPartition]FutureLog, len(in))
	for tp, p := range in {
		if p.l == nil {
			continue
		}
		out[tp] = FutureLog{Size: p.future.Size(), Lag: max(0, p.l.LogEndOffset()-p.future.LogEndOffset())}
	}
	return out
}

// createFuture creates the empty copy of l in dst, starting where l starts,
// with l's partition.metadata.
func (m *Manager) createFuture(tp kafka.TopicPartition, l *Log, dst string) (*Log, error) {
	path := filepath.Join(dst, tp.String()+"."+newDirID()+futureDirSuffix)
	meta, err := vfs.ReadFile(m.fs, filepath.Join(l.Dir(), partitionMetadataFile))
	if err != nil {
		return nil, err
	}
	err = mkdirAllDurable(m.fs, path)
	if err == nil {
		err = writeFileAtomic(m.fs, filepath.Join(path, partitionMetadataFile), meta)
	}
	var f *Log
	if err == nil {
		f, err = openLogFiles(m.fs, m.files, path, 0, false, l.config(), m.now, m.logger)
	}
	if err == nil {
		f.logDir.Store(m.health[dst])
		if err = f.startEmptyAt(l.LogStartOffset()); err != nil {
			f.Close()
		}
	}
	if err != nil {
		if rerr := m.fs.RemoveAll(path); rerr != nil {
			m.logger.Warn("cannot remove a partial copy of a log", "dir", path, "error", rerr)
		}
		return nil, err
	}
	return f, nil
}

func newDirID() string {
	var id [16]byte
	rand.Read(id[:])
	return hex.EncodeToString(id[:])
}

// runMove copies l into mv.future until the copy takes l's place, or the
// copy fails or is stopped: the future log is then removed and l stays.
func (m *Manager) runMove(ctx context.Context, tp kafka.TopicPartition, l *Log, src string, mv *logMove) {
	defer m.copying.Done()
	defer close(mv.done)
	doomed, err := m.copyLog(ctx, tp, l, mv.future)
	if err == nil {
		m.finishMove(tp, l, src, mv, doomed)
		return
	}
	m.mu.Lock()
	delete(m.moves, tp)
	m.mu.Unlock()
	mv.future.Close()
	if rerr := m.fs.RemoveAll(mv.future.Dir()); rerr != nil {
		m.logger.Warn("cannot remove a copy of a log", "dir", mv.future.Dir(), "error", rerr)
	}
	if ctx.Err() == nil {
		m.logger.Warn("moving a log to another log dir failed; it stays where it is", "partition", tp, "from", src, "to", mv.dst, "error", err)
	}
}

// finishMove records that the log now lives in mv.dst and schedules the
// removal of its retired dir.
func (m *Manager) finishMove(tp kafka.TopicPartition, l *Log, src string, mv *logMove, doomed string) {
	m.mu.Lock()
	delete(m.moves, tp)
	if m.logs[tp] == l {
		m.addLocked(tp, l, mv.dst)
	}
	m.mu.Unlock()
	if err := m.writeRecoveryPoints(); err != nil {
		m.logger.Warn("recovery points not written after a log moved", "error", err)
	}
	m.logger.Info("moved a log to another log dir", "partition", tp, "from", src, "to", mv.dst)
	remove := func() {
		if err := m.fs.RemoveAll(doomed); err != nil {
			m.logger.Warn("cannot remove a moved log's old dir", "dir", doomed, "error", err)
		}
	}
	if delay := time.Duration(m.cfg.FileDeleteDelayMs) * time.Millisecond; delay > 0 {
		time.AfterFunc(delay, remove)
	} else {
		remove()
	}
}

// copyLog copies l into f, throttled, until a round finds little left,
// then completes the move under l's writer lock. It returns the dir l's
// old files now live in. A truncation of l meanwhile empties f and starts
// over.
func (m *Manager) copyLog(ctx context.Context, tp kafka.TopicPartition, l, f *Log) (string, error) {
	for {
		truncs := l.truncationCount()
		for {
			if err := ctx.Err(); err != nil {
				return "", err
			}
			n, err := copyBatches(l, f, func(n int) { m.throttleMove(ctx, n) }, 4*moveCatchUp)
			if errors.Is(err, errMoveDiverged) || l.truncationCount() != truncs {
				break
			}
			if err != nil {
				return "", err
			}
			if n < moveCatchUp {
				// What is copied so far reaches the disk before the
				// last round, which holds the log's appends while it
				// fsyncs only what it adds.
				if err := f.Flush(); err != nil {
					return "", err
				}
				doomed, err := m.completeMove(tp, l, f, truncs)
				if !errors.Is(err, errMoveDiverged) {
					return doomed, err
				}
				break
			}
		}
		if err := f.TruncateFullyAndStartAt(l.LogStartOffset()); err != nil {
			return "", err
		}
	}
}

// copyBatches appends to f the batches of l that follow f's end, until it
// has copied at least limit bytes or reached l's end, with the
// aborted-transaction entries of the abort markers among them; throttle,
// if not nil, is told of each read before its batches are appended. It
// returns the bytes copied.
func copyBatches(l, f *Log, throttle func(n int), limit int64) (int64, error) {
	copied := int64(0)
	for copied < limit {
		from := max(f.LogEndOffset(), l.LogStartOffset())
		if from > l.LogEndOffset() {
			return copied, errMoveDiverged
		}
		data, err := l.Read(from, 1<<20, math.MaxInt64, true)
		if err != nil || len(data) == 0 {
			return copied, err
		}
		bs, err := record.Split(data)
		if err != nil {
			return copied, err
		}
		bs = slices.DeleteFunc(bs, func(b record.Batch) bool { return b.LastOffset() < from })
		if len(bs) == 0 {
			continue
		}
		if bs[0].BaseOffset() < from {
			return copied, errMoveDiverged // a cleaning regrouped the batches
		}
		if throttle != nil {
			throttle(len(data))
		}
		if err := f.AppendWithOffsets(bs); err != nil {
			return copied, err
		}
		for _, e := range l.abortedWithMarkersIn(from, f.LogEndOffset()) {
			if err := f.AppendAbortedTransaction(e); err != nil {
				return copied, err
			}
		}
		copied += int64(len(data))
	}
	return copied, nil
}

// completeMove copies the rest of l into f with l's writer lock held,
// makes f durable and puts it in l's place (see the comment at the top).
// It returns the dir l's old files now live in.
func (m *Manager) completeMove(tp kafka.TopicPartition, l, f *Log, truncs int64) (string, error) {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	switch {
	case l.isClosed():
		return "", ErrClosed
	case l.truncationCount() != truncs:
		return "", errMoveDiverged
	}
	if _, err := copyBatches(l, f, nil, math.MaxInt64); err != nil {
		return "", err
	}
	if l.LogEndOffset() != f.LogEndOffset() {
		return "", fmt.Errorf("%w: copy ends at %d, log at %d", errMoveDiverged, f.LogEndOffset(), l.LogEndOffset())
	}
	if err := f.takeAbortedTransactions(l.abortedWithMarkersIn(f.LogStartOffset(), f.LogEndOffset())); err != nil {
		return "", err
	}
	if start := l.LogStartOffset(); start > f.LogStartOffset() {
		if err := f.DeleteRecordsBefore(start); err != nil {
			return "", err
		}
	}
	offset, snapshot, err := l.LatestSnapshot()
	if err != nil {
		return "", err
	}
	if offset >= 0 {
		if err := f.WriteSnapshot(offset, snapshot); err != nil {
			return "", err
		}
	}
	if err := f.Flush(); err != nil {
		return "", err
	}
	base := strings.TrimSuffix(f.Dir(), futureDirSuffix)
	if err := f.renameDir(base + movedDirSuffix); err != nil {
		return "", err
	}
	id := base[strings.LastIndexByte(base, '.')+1:]
	doomed := l.Dir() + "." + id + deleteDirSuffix
	if err := l.renameDirLocked(doomed); err != nil {
		if l.Dir() != doomed {
			return "", err // the log is whole where it was; the copy goes
		}
		// Renamed but perhaps not durably: from here on the copy is the log.
		m.logger.Warn("fsync after retiring a moved log's dir", "dir", doomed, "error", err)
	}
	if err := f.renameDir(filepath.Join(filepath.Dir(f.Dir()), tp.String())); err != nil {
		// A copy not renamed serves from its -moved name until a start
		// promotes it.
		m.logger.Error("a moved log keeps its temporary name until the next start", "dir", f.Dir(), "error", err)
	}
	for _, s := range l.adoptLocked(f) {
		s.release()
	}
	return doomed, nil
}

// renameDir renames the dir of a log no one else uses yet (a copy).
func (l *Log) renameDir(dir string) error {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	return l.renameDirLocked(dir)
}

// renameDirLocked renames the log's dir to dir and makes the rename
// durable; segments and the epochs' file follow it. Needs writeMu.
func (l *Log) renameDirLocked(dir string) error {
	if err := l.fs.Rename(l.dir, dir); err != nil {
		return err
	}
	l.mu.Lock()
	l.dir = dir
	for _, s := range l.segments {
		s.dir = dir
		s.f.renamed(s.path(".log"))
	}
	l.epochs.path = filepath.Join(dir, leaderEpochFile)
	l.mu.Unlock()
	return l.fs.SyncDir(filepath.Dir(dir))
}

// adoptLocked makes the log serve f's segments, in f's dir, and returns
// its own, on which it drops its references; f must not be used again.
// f holds what the log holds (completeMove), fsynced. Needs writeMu and
// syncMu.
func (l *Log) adoptLocked(f *Log) []*segment {
	f.writeMu.Lock()
	defer f.writeMu.Unlock()
	f.mu.Lock()
	defer f.mu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.segments
	l.dir, l.segments, l.epochs = f.dir, f.segments, f.epochs
	l.logDir.Store(f.logDir.Load())
	l.logStartOffset, l.logEndOffset = f.logStartOffset, f.logEndOffset
	l.recoveryPoint, l.durable, l.syncErr = f.recoveryPoint, f.durable, nil
	l.dirDirty, l.dirChanged = f.dirDirty, f.dirChanged
	l.unflushed, l.firstUnflushed = 0, time.Time{}
	l.truncations++ // a cleaning or sync planned on the old segments is void
	l.deleteMu.Lock()
	f.deleteMu.Lock()
	l.pendingDeletes, f.pendingDeletes = f.pendingDeletes, nil // the old ones go with the old dir
	f.deleteMu.Unlock()
	l.deleteMu.Unlock()
	f.segments, f.closed = nil, true
	l.broadcastDurableLocked()
	return old
}

// takeAbortedTransactions makes the aborted-transaction index of a copy
// exactly es (its log's entries, in marker order), rewriting the
// .txnindex of each segment whose entries differ. A round of copying
// takes the entries of the markers it copies, but the partition indexes
// an abort marker just after it appends it, outside the append: one
// copied in between is indexed here, under the log's writer lock. The
// copy is not yet served.
func (l *Log) takeAbortedTransactions(es []kafka.AbortedTransaction) error {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, s := range l.segments {
		end := int64(math.MaxInt64)
		if i+1 < len(l.segments) {
			end = l.segments[i+1].baseOffset
		}
		var want []kafka.AbortedTransaction
		for _, e := range es {
			if int64(e.LastOffset) >= s.baseOffset && int64(e.LastOffset) < end {
				want = append(want, e)
			}
		}
		if slices.Equal(want, s.txns) {
			continue
		}
		if err := writeFileAtomic(l.fs, s.path(txnIndexExt), appendTxnEntries(nil, want)); err != nil {
			return err
		}
		s.txns, s.txnDisk = want, len(want)
	}
	return nil
}

// truncationCount is how many truncations removed data so far.
func (l *Log) truncationCount() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.truncations
}

// abortedWithMarkersIn returns the aborted transactions whose abort marker
// is in [from, to), in marker order.
func (l *Log) abortedWithMarkersIn(from, to int64) []kafka.AbortedTransaction {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var out []kafka.AbortedTransaction
	for _, s := range l.segments[l.segmentFor(from):] {
		if s.baseOffset >= to {
			break
		}
		for _, e := range s.txns {
			if int64(e.LastOffset) >= from && int64(e.LastOffset) < to {
				out = append(out, e)
			}
		}
	}
	return out
}

// startEmptyAt makes an empty log begin at offset, past its end: a copy of
// a log whose start is past 0 then holds no segment based below it.
func (l *Log) startEmptyAt(offset int64) error {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	end := l.LogEndOffset()
	if offset <= end {
		return nil
	}
	if end != l.LogStartOffset() {
		return fmt.Errorf("log %s is not empty", l.dir)
	}
	if err := l.persistLogStart(offset); err != nil {
		return err
	}
	if err := l.roll(offset); err != nil {
		return err
	}
	l.mu.Lock()
	l.logEndOffset, l.recoveryPoint, l.durable = offset, offset, offset
	l.mu.Unlock()
	return l.advanceLogStart(offset)
}

// TruncateFullyAndStartAt empties the log and makes it begin at offset,
// its first segment based there (Kafka's truncateFullyAndStartAt): a
// follower whose leader's log starts past the follower's end, or a copy
// that diverged from its log and starts over.
func (l *Log) TruncateFullyAndStartAt(offset int64) error {
	if err := l.TruncateTo(l.LogStartOffset()); err != nil {
		return err
	}
	if err := l.Offline(); err != nil {
		return err
	}
	return l.failed(l.startEmptyAt(offset))
}

// resolveMoves handles, at start-up, the copies a stop interrupted (see
// the comment at the top): dirs is every -future and -moved dir found.
func (m *Manager) resolveMoves(dirs []string) error {
	var errs []error
	for _, path := range dirs {
		name := filepath.Base(path)
		tp, ok := parseMoveDir(name)
		m.mu.Lock()
		_, live := m.logs[tp]
		m.mu.Unlock()
		if !ok || live || !strings.HasSuffix(name, movedDirSuffix) {
			m.logger.Info("removing an unfinished copy of a log", "dir", path)
			errs = append(errs, m.fs.RemoveAll(path))
			continue
		}
		dir := filepath.Dir(path)
		final := filepath.Join(dir, tp.String())
		if err := m.fs.Rename(path, final); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := m.fs.SyncDir(dir); err != nil {
			errs = append(errs, err)
			continue
		}
		l, err := openLogFiles(m.fs, m.files, final, 0, false, m.cfg, m.now, m.logger)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		l.flusher = m.flusher
		l.logDir.Store(m.health[dir])
		m.mu.Lock()
		m.addLocked(tp, l, dir)
		m.mu.Unlock()
		m.logger.Info("completed the move of a log to another log dir", "partition", tp, "dir", dir)
	}
	return errors.Join(errs...)
}

// parseMoveDir parses "<topic>-<partition>.<id>-future" or "-moved".
func parseMoveDir(name string) (kafka.TopicPartition, bool) {
	name, ok := strings.CutSuffix(name, futureDirSuffix)
	if !ok {
		if name, ok = strings.CutSuffix(name, movedDirSuffix); !ok {
			return kafka.TopicPartition{}, false
		}
	}
	i := strings.LastIndexByte(name, '.')
	if i <= 0 {
		return kafka.TopicPartition{}, false
	}
	return parsePartitionDir(name[:i])
}

// isMoveDir reports a dir a copy of a log left (resolveMoves).
func isMoveDir(name string) bool {
	return strings.HasSuffix(name, futureDirSuffix) || strings.HasSuffix(name, movedDirSuffix)
}
