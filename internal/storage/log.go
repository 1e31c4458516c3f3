package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/vfs"
)

const logStartOffsetFile = "log-start-offset"

// farFuture is later than any due time.
var farFuture = time.Unix(1<<62, 0)

// Log is one partition's log: an ordered list of segments. It is safe for
// concurrent use: writers (Append, truncation, Flush, Close) are serialized
// by writeMu; readers take mu shared only to locate data, then pread below
// the published size, so they never see a partially written batch.
type Log struct {
	fs     vfs.FS
	dir    string
	cfg    Config
	now    func() time.Time
	logger *slog.Logger

	writeMu sync.Mutex // serializes writers; held for a whole append
	// dirDirty (guarded by writeMu) is set when files were created, removed
	// or renamed in dir since its last fsync; Flush then fsyncs dir. It is
	// set at open too: what opening created (a first segment) is made
	// durable with the first data written to it.
	dirDirty bool
	// dirChanged (guarded by writeMu) is dirDirty without the open: a
	// truncation, a retention delete or a cleaner swap since the last
	// fsync of dir. A Flush with no data past the recovery point and no
	// such change has nothing to make durable (what the open itself did
	// to dir, the next open redoes), so a clean stop skips it.
	dirChanged bool
	// dirSyncing (guarded by writeMu) is set while a sync off writeMu
	// (sync.go) has taken dirDirty and not yet fsynced dir: a Flush
	// meanwhile fsyncs dir itself rather than count on it.
	dirSyncing bool
	// flusher, set by the Manager before the Log is shared, fsyncs rolled
	// segments off the append path (sync.go). A Log without one fsyncs
	// only on Flush and for WaitDurable.
	flusher *Flusher
	// syncMu is held by the one sync of the log that runs off writeMu
	// (syncBackground, WaitDurable), from its plan to its publication.
	syncMu sync.Mutex
	// logDir, set by the Manager before the Log is shared, is the health
	// of the log dir holding it (offline.go); nil outside a Manager.
	logDir atomic.Pointer[logDir]
	// files bounds the segment files open (fdcache.go); nil outside a
	// Manager: every segment's file stays open.
	files *FileCache

	mu             sync.RWMutex // guards the fields below
	segments       []*segment   // by base offset; never empty while open
	logStartOffset int64
	logEndOffset   int64 // == active segment's nextOffset
	recoveryPoint  int64 // everything below is fsynced, indexes included
	// durable is the offset below which the batches and the names of the
	// files holding them are fsynced (indexes may lag): >= recoveryPoint.
	durable   int64
	durableCh chan struct{} // closed and replaced when durable moves or a sync fails
	// syncErr is the first failed background fsync; it fails every later
	// WaitDurable (see finishSync).
	syncErr     error
	epochs      *epochCache
	truncations int64 // TruncateTo calls that removed data: a cleaning begun before aborts
	// committed bounds retention and cleaning: they touch only segments
	// that end at or below it (see SetCommitted). MaxInt64 until set.
	committed int64
	// stable bounds cleaning further: the last stable offset, below which
	// every transaction is decided (see SetStable). MaxInt64 until set.
	stable int64
	// activeProducers, when set, tells the cleaner which producers' state
	// it must keep (see SetActiveProducers).
	activeProducers func() map[kafka.ProducerID]kafka.ActiveProducer
	unflushed       int64     // records appended since the last flush
	firstUnflushed  time.Time // time of the oldest unflushed append; zero if none
	closed          bool

	deleteMu       sync.Mutex      // guards pendingDeletes
	pendingDeletes []pendingDelete // retired segments whose files await removal
}

// Open opens or creates the log in dir, validating every batch (recovery point 0).
func Open(dir string, cfg Config, now func() time.Time, logger *slog.Logger) (*Log, error) {
	return OpenAt(dir, 0, cfg, now, logger)
}

// OpenAt opens or creates the log in dir, re-validating batches at and after
// recoveryPoint and truncating a torn or corrupt tail.
func OpenAt(dir string, recoveryPoint int64, cfg Config, now func() time.Time, logger *slog.Logger) (*Log, error) {
	return OpenAtFS(vfs.OS, dir, recoveryPoint, cfg, now, logger)
}

// OpenAtFS is OpenAt on the filesystem fsys: every file access of the Log
// goes through it.
func OpenAtFS(fsys vfs.FS, dir string, recoveryPoint int64, cfg Config, now func() time.Time, logger *slog.Logger) (*Log, error) {
	return openLogFiles(fsys, nil, dir, recoveryPoint, false, cfg, now, logger)
}

// openLogFiles is OpenAtFS with the segment files opened through files (nil:
// kept open). clean says the log was closed by a clean shutdown (the log
// dir's clean-shutdown marker): the segments wholly below the recovery
// point are then opened without being read (openCleanSegment).
func openLogFiles(fsys vfs.FS, files *FileCache, dir string, recoveryPoint int64, clean bool, cfg Config, now func() time.Time, logger *slog.Logger) (*Log, error) {
	if err := mkdirAllDurable(fsys, dir); err != nil {
		return nil, err
	}
	l := &Log{fs: fsys, files: files, dir: dir, cfg: cfg, now: now, logger: logger, dirDirty: true, committed: math.MaxInt64, stable: math.MaxInt64,
		durableCh: make(chan struct{})}
	if err := l.load(recoveryPoint, clean); err != nil {
		l.closeFiles()
		return nil, fmt.Errorf("open log %s: %w", dir, err)
	}
	return l, nil
}

func (l *Log) load(recoveryPoint int64, clean bool) error {
	ents, err := l.fs.ReadDir(l.dir)
	if err != nil {
		return err
	}
	if hasSwapFiles(ents) {
		if err := recoverSwaps(l.fs, l.dir, l.logger); err != nil {
			return err
		}
		if ents, err = l.fs.ReadDir(l.dir); err != nil {
			return err
		}
	}
	bases := segmentBasesIn(l.fs, l.dir, ents)
	if l.epochs, err = loadEpochCache(l.fs, l.dir); err != nil {
		return err
	}
	startOffset := int64(0)
	if slices.ContainsFunc(ents, func(e fs.DirEntry) bool { return e.Name() == logStartOffsetFile }) {
		startOffset = readLogStartOffset(l.fs, l.dir)
	}
	if err := l.openSegments(bases, recoveryPoint, clean, startOffset); err != nil {
		return err
	}
	l.logEndOffset = l.active().nextOffset
	l.recoveryPoint = min(recoveryPoint, l.logEndOffset)
	l.durable = l.recoveryPoint
	l.logStartOffset = max(l.segments[0].baseOffset, min(startOffset, l.logEndOffset))
	return l.epochs.truncateFromEnd(l.logEndOffset)
}

// hasSwapFiles reports whether a compaction left files to complete or
// remove (recoverSwaps).
func hasSwapFiles(ents []fs.DirEntry) bool {
	return slices.ContainsFunc(ents, func(e fs.DirEntry) bool {
		return strings.HasSuffix(e.Name(), cleanedSuffix) || strings.HasSuffix(e.Name(), swapSuffix)
	})
}

// segmentBases lists the base offsets of the .log files in dir, sorted, and
// removes leftover temporary files and retired segments.
func segmentBases(fsys vfs.FS, dir string) ([]int64, error) {
	ents, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	return segmentBasesIn(fsys, dir, ents), nil
}

// segmentBasesIn is segmentBases on the entries ents of dir.
func segmentBasesIn(fsys vfs.FS, dir string, ents []fs.DirEntry) []int64 {
	var bases []int64
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".log")
		if n, err := strconv.ParseInt(name, 10, 64); ok && err == nil && len(name) == 20 {
			bases = append(bases, n)
		}
		if isTransientFile(e.Name()) {
			fsys.Remove(filepath.Join(dir, e.Name()))
		}
	}
	slices.Sort(bases)
	return bases
}

// openSegments opens and recovers each segment; after a truncation, later
// segments are removed. With clean, the segments that end at or below the
// recovery point are trusted as a clean shutdown left them.
func (l *Log) openSegments(bases []int64, recoveryPoint int64, clean bool, startOffset int64) error {
	for i, base := range bases {
		if i > 0 && l.crashHole(base, recoveryPoint) {
			return removeSegmentFiles(l.fs, l.dir, bases[i:])
		}
		sealed := i+1 < len(bases)
		if clean && sealed && bases[i+1] <= recoveryPoint {
			if s, ok := openCleanSegment(l.fs, l.files, l.dir, base, bases[i+1]); ok {
				l.startRollClock(s, firstTsUnknown)
				l.segments = append(l.segments, s)
				continue
			}
		}
		s, err := openSegmentFile(l.fs, l.files, l.dir, base)
		if err != nil {
			return err
		}
		l.segments = append(l.segments, s)
		l.startRollClock(s, firstTsUnknown)
		truncated, err := s.recover(recoveryPoint, sealed, l.cfg, l.logger, l.epochs)
		if err != nil {
			return err
		}
		if truncated && sealed {
			l.logger.Warn("removing segments after corrupt tail", "dir", l.dir, "from", bases[i+1])
			return removeSegmentFiles(l.fs, l.dir, bases[i+1:])
		}
	}
	if len(l.segments) == 0 {
		s, err := newSegment(l.fs, l.files, l.dir, startOffset, l.now())
		if err != nil {
			return err
		}
		l.segments = append(l.segments, s)
	}
	return nil
}

// crashHole reports whether a segment starting at base cannot follow the
// last opened one: it overlaps it, or it leaves a hole that begins at or
// after the recovery point. Segments are contiguous when written (a roll
// starts the new one at the log end), but a directory fsync (of a checkpoint
// file, say) can make a rolled segment's name durable while the previous
// segment's tail is lost in a crash; keeping the later segment would then
// move the log end past offsets that hold nothing.
func (l *Log) crashHole(base, recoveryPoint int64) bool {
	prevEnd := l.active().nextOffset
	if base == prevEnd || (base > prevEnd && prevEnd < recoveryPoint) {
		return false
	}
	l.logger.Warn("removing segments that do not follow the recovered log", "dir", l.dir,
		"from", base, "offset", prevEnd)
	return true
}

func removeSegmentFiles(fsys vfs.FS, dir string, bases []int64) error {
	var errs []error
	for _, b := range bases {
		for _, ext := range segmentExts {
			if err := fsys.Remove(segmentName(dir, b, ext)); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func readLogStartOffset(fsys vfs.FS, dir string) int64 {
	data, err := vfs.ReadFile(fsys, filepath.Join(dir, logStartOffsetFile))
	if err != nil {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

func (l *Log) active() *segment { return l.segments[len(l.segments)-1] }

// Dir is the partition directory.
func (l *Log) Dir() string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.dir
}

// LogStartOffset is the first offset that may be read.
func (l *Log) LogStartOffset() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.logStartOffset
}

// LogEndOffset is the offset the next appended record will get.
func (l *Log) LogEndOffset() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.logEndOffset
}

// RecoveryPoint is the offset below which everything has been fsynced.
func (l *Log) RecoveryPoint() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.recoveryPoint
}

// Size is the number of bytes of all segments.
func (l *Log) Size() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var n int64
	for _, s := range l.segments {
		n += s.size
	}
	return n
}

// LatestEpoch is the newest leader epoch in the epoch cache, -1 if none.
func (l *Log) LatestEpoch() int32 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.epochs.latest()
}

// EndOffsetForEpoch answers OffsetForLeaderEpoch: the largest epoch <= epoch
// and the start offset of the next larger epoch (or LogEndOffset); -1, -1 if none.
func (l *Log) EndOffsetForEpoch(epoch int32) (int32, int64) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.epochs.endOffsetFor(epoch, l.logEndOffset)
}

// SetCommitted tells the log that the records from offset on are not
// committed yet (the partition's high watermark): retention never deletes a
// segment that ends after offset and the cleaner never cleans one, as Kafka
// bounds both by the high watermark. Until it is first called the log is
// unbounded, for logs that no partition owns (the metadata log, tests).
func (l *Log) SetCommitted(offset kafka.Offset) {
	l.mu.Lock()
	l.committed = int64(offset)
	l.mu.Unlock()
}

// SetStable tells the log its last stable offset: the cleaner never cleans
// a segment that ends after offset, as Kafka's cleaner stops there, so that
// every transaction it reads is decided and an aborted one is in the
// aborted-transaction index. Until it is first called the log is unbounded.
func (l *Log) SetStable(offset kafka.Offset) {
	l.mu.Lock()
	l.stable = int64(offset)
	l.mu.Unlock()
}

// SetActiveProducers gives the cleaner the producers whose state it must
// keep, as Kafka's cleaner asks the producer state: fn is called at the
// start of each cleaning, with no lock of the log held. Until it is set,
// every producer with a batch in the log counts as active.
func (l *Log) SetActiveProducers(fn func() map[kafka.ProducerID]kafka.ActiveProducer) {
	l.mu.Lock()
	l.activeProducers = fn
	l.mu.Unlock()
}

func (l *Log) activeProducersFunc() func() map[kafka.ProducerID]kafka.ActiveProducer {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.activeProducers
}

// Close writes the index tails and closes the files (no fsync: use Flush).
func (l *Log) Close() error {
	err := l.close()
	// Outside the locks: a failure takes the dir offline, which takes the
	// Manager's lock, and the Manager takes a Log's lock under its own.
	return l.failed(err)
}

func (l *Log) close() error {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	close(l.durableCh) // waiters see closed
	var err error
	if l.Offline() == nil { // an offline dir is not written again
		err = errors.Join(l.active().writeIndexes(false), l.epochs.flush())
	}
	l.closeFiles()
	return errors.Join(err, l.removeDeletedFiles(l.dir, farFuture))
}

// markDirDirty records a change of dir's entries that a Flush must make
// durable; it needs writeMu.
func (l *Log) markDirDirty() { l.dirDirty, l.dirChanged = true, true }

// closeFiles drops the Log's reference on every segment: files close as
// soon as no reader holds them.
func (l *Log) closeFiles() {
	for _, s := range l.segments {
		s.release()
	}
}

// Delete closes the log and removes its directory.
func (l *Log) Delete() error {
	if err := l.Close(); err != nil {
		return err
	}
	return l.fs.RemoveAll(l.dir)
}

// segmentFor returns the index of the segment that may hold offset.
func (l *Log) segmentFor(offset int64) int {
	i := sort.Search(len(l.segments), func(i int) bool { return l.segments[i].baseOffset > offset })
	return max(i-1, 0)
}

// SetConfig replaces the log's configuration (a topic config change). It
// applies from the next append; existing segments are not rewritten.
func (l *Log) SetConfig(cfg Config) {
	l.writeMu.Lock()
	l.mu.Lock()
	l.cfg = cfg
	l.mu.Unlock()
	l.writeMu.Unlock()
}

// config returns the current configuration, for readers outside writeMu.
func (l *Log) config() Config {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.cfg
}
