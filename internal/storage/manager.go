package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"gregor/internal/kafka"
	"gregor/internal/vfs"
)

const (
	recoveryPointFile     = "recovery-point-offset-checkpoint"
	partitionMetadataFile = "partition.metadata"
)

// Manager owns the logs of all log dirs: it opens and recovers them at start,
// creates and deletes them, and runs the time-based flusher, the
// recovery-point checkpoint, retention (RunRetention) and the log cleaner
// (RunCleaner). Safe for concurrent use.
type Manager struct {
	fs     vfs.FS
	dirs   []string
	cfg    Config
	now    func() time.Time
	logger *slog.Logger
	locks  []*DirLock         // one per distinct log dir, released by Close
	health map[string]*logDir // by log dir; fixed at open
	files  *FileCache         // the segment files of every log
	// onDirFailure, when set, is told of each dir taken offline.
	onDirFailure atomic.Pointer[func(dir string, partitions []kafka.TopicPartition)]
	// flusher fsyncs every log's rolled segments and durable-ack waits;
	// Run runs it.
	flusher *Flusher
	// checkpointMu serializes writes of the recovery-point checkpoints.
	checkpointMu sync.Mutex
	// loaded are the dirs opened whole: a clean Close marks them
	// (cleanshutdown.go). Fixed at open.
	loaded map[string]bool
	// moveMu serializes starting and stopping copies of logs between
	// dirs (move.go); moveIO throttles the copies.
	moveMu   sync.Mutex
	copying  sync.WaitGroup // the copying goroutines
	moveIO   *ioThrottler
	moveRate atomic.Uint64 // math.Float64bits of the rate SetMoveRate set

	mu      sync.Mutex // guards the fields below
	logs    map[kafka.TopicPartition]*Log
	dirOf   map[kafka.TopicPartition]string
	perDir  map[string]int // partitions in each dir: the counts of dirOf's values
	cleaner cleanerState
	moves   map[kafka.TopicPartition]*logMove // copies to another dir in progress
	// preferred are dirs asked for partitions not yet here (PreferDir).
	preferred map[kafka.TopicPartition]string
	// moveDirs are the dirs of copies a stop interrupted, found at open
	// and resolved once every dir is open (resolveMoves).
	moveDirs []string
}

// OpenManager locks every log dir (ErrLogDirLocked if another process
// holds one, before any other file is touched), then opens it, reads its
// recovery-point checkpoint and recovers every <topic>-<partition>
// directory in it.
func OpenManager(logDirs []string, cfg Config, now func() time.Time, logger *slog.Logger) (*Manager, error) {
	return OpenManagerFS(vfs.OS, logDirs, cfg, now, logger)
}

// OpenManagerFS is OpenManager on the filesystem fsys, which every Log it
// opens or creates uses too.
func OpenManagerFS(fsys vfs.FS, logDirs []string, cfg Config, now func() time.Time, logger *slog.Logger) (*Manager, error) {
	locks, err := lockDirs(fsys, logDirs)
	if err != nil {
		return nil, err
	}
	m := &Manager{fs: fsys, dirs: logDirs, cfg: cfg, now: now, logger: logger, locks: locks, flusher: NewFlusher(logger),
		logs: map[kafka.TopicPartition]*Log{}, dirOf: map[kafka.TopicPartition]string{}, perDir: map[string]int{}, cleaner: newCleanerState(),
		health: map[string]*logDir{}, files: NewFileCache(cfg.FileCacheSize), loaded: map[string]bool{},
		moves: map[kafka.TopicPartition]*logMove{}, moveIO: newIOThrottler(time.Now), preferred: map[kafka.TopicPartition]string{}}
	for _, d := range logDirs {
		m.health[d] = &logDir{path: d, onFail: m.dirFailed}
	}
	for _, d := range logDirs {
		err := m.openDir(d)
		if err != nil && len(logDirs) > 1 && isIOError(err) {
			// Kafka starts with the dirs it can open when one cannot be.
			m.health[d].fail(err)
			continue
		}
		if err != nil {
			m.Close()
			return nil, err
		}
		m.loaded[d] = true
	}
	if len(m.OfflineDirs()) == len(logDirs) {
		m.Close()
		return nil, fmt.Errorf("every log dir is offline: %w", ErrLogDirOffline)
	}
	if err := m.resolveMoves(m.moveDirs); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// FileCache is the cache of the logs' open segment files.
func (m *Manager) FileCache() *FileCache { return m.files }

// OnDirFailure sets fn to be called, once per dir, when an I/O error takes
// a log dir offline, with the partitions whose logs it holds. fn must not
// block.
func (m *Manager) OnDirFailure(fn func(dir string, partitions []kafka.TopicPartition)) {
	m.onDirFailure.Store(&fn)
}

// dirFailed is the logDir's first failure: one ERROR line, then the
// listener.
func (m *Manager) dirFailed(d *logDir, cause error) {
	var tps []kafka.TopicPartition
	m.mu.Lock()
	for tp, dir := range m.dirOf {
		if dir == d.path {
			tps = append(tps, tp)
		}
	}
	m.mu.Unlock()
	m.logger.Error("log dir failed: taking it offline; its partitions answer KAFKA_STORAGE_ERROR until the process restarts",
		"dir", d.path, "partitions", len(tps), "error", cause)
	if fn := m.onDirFailure.Load(); fn != nil {
		(*fn)(d.path, tps)
	}
}

// OfflineDirs returns the log dirs taken offline, in the order configured,
// with the I/O error that took each offline.
func (m *Manager) OfflineDirs() map[string]error {
	out := map[string]error{}
	for _, d := range m.dirs {
		if err := m.health[d].offline(); err != nil {
			out[d] = err
		}
	}
	return out
}

// DirError returns ErrLogDirOffline (wrapped with the cause) when dir is
// offline, nil otherwise.
func (m *Manager) DirError(dir string) error { return m.health[dir].offline() }

func (m *Manager) openDir(dir string) error {
	if err := mkdirAllDurable(m.fs, dir); err != nil {
		return err
	}
	clean, err := takeCleanShutdown(m.fs, dir)
	if err != nil {
		return err
	}
	points, err := readRecoveryPoints(m.fs, dir)
	if err != nil {
		return err
	}
	if err := m.readCleanerCheckpoints(dir); err != nil {
		return err
	}
	ents, err := m.fs.ReadDir(dir)
	if err != nil {
		return err
	}
	return m.openEntries(dir, ents, points, clean)
}

// openEntries opens the logs of dir's entries closeThreads() at a time: a
// start at thousands of partitions is thousands of small reads, which
// overlap (as Kafka's num.recovery.threads.per.data.dir). After the first
// error no further log is opened.
func (m *Manager) openEntries(dir string, ents []fs.DirEntry, points map[kafka.TopicPartition]int64, clean bool) error {
	next := make(chan fs.DirEntry, len(ents))
	for _, e := range ents {
		next <- e
	}
	close(next)
	var (
		wg     sync.WaitGroup
		failed atomic.Bool
		mu     sync.Mutex // guards errs
		errs   []error
	)
	for range min(m.closeThreads(), len(ents)) {
		wg.Go(func() {
			for e := range next {
				if failed.Load() {
					return
				}
				if err := m.openEntry(dir, e, points, clean); err != nil {
					failed.Store(true)
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (m *Manager) openEntry(dir string, e fs.DirEntry, points map[kafka.TopicPartition]int64, clean bool) error {
	path := filepath.Join(dir, e.Name())
	if !e.IsDir() {
		return nil
	}
	if strings.HasSuffix(e.Name(), deleteDirSuffix) {
		return m.fs.RemoveAll(path)
	}
	if isMoveDir(e.Name()) {
		m.mu.Lock()
		m.moveDirs = append(m.moveDirs, path)
		m.mu.Unlock()
		return nil
	}
	tp, ok := parsePartitionDir(e.Name())
	if !ok || strings.HasPrefix(tp.Topic, "__cluster_metadata") {
		return nil // the metadata log belongs to the controller
	}
	l, err := openLogFiles(m.fs, m.files, path, points[tp], clean, m.cfg, m.now, m.logger)
	if err != nil {
		return err
	}
	l.flusher = m.flusher
	l.logDir.Store(m.health[dir])
	m.mu.Lock()
	m.addLocked(tp, l, dir)
	m.mu.Unlock()
	return nil
}

// addLocked serves tp from l in dir; the caller holds mu.
func (m *Manager) addLocked(tp kafka.TopicPartition, l *Log, dir string) {
	if old, ok := m.dirOf[tp]; ok {
		m.perDir[old]--
	}
	m.logs[tp], m.dirOf[tp] = l, dir
	m.perDir[dir]++
}

// parsePartitionDir splits "<topic>-<partition>" at the last dash.
func parsePartitionDir(name string) (kafka.TopicPartition, bool) {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 {
		return kafka.TopicPartition{}, false
	}
	p, err := strconv.ParseInt(name[i+1:], 10, 32)
	if err != nil || p < 0 {
		return kafka.TopicPartition{}, false
	}
	return kafka.TopicPartition{Topic: name[:i], Partition: int32(p)}, true
}

func readRecoveryPoints(fsys vfs.FS, dir string) (map[kafka.TopicPartition]int64, error) {
	lines, err := readCheckpoint(fsys, filepath.Join(dir, recoveryPointFile), 3)
	if err != nil {
		return nil, err
	}
	out := make(map[kafka.TopicPartition]int64, len(lines))
	for _, f := range lines {
		p, err1 := strconv.ParseInt(f[1], 10, 32)
		o, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%s: bad entry %v", recoveryPointFile, f)
		}
		out[kafka.TopicPartition{Topic: f[0], Partition: int32(p)}] = o
	}
	return out, nil
}

// Get returns the log of a partition.
func (m *Manager) Get(topic string, partition int32) (*Log, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.logs[kafka.TopicPartition{Topic: topic, Partition: partition}]
	return l, ok
}

// Logs returns a copy of the partition -> log map.
func (m *Manager) Logs() map[kafka.TopicPartition]*Log {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[kafka.TopicPartition]*Log, len(m.logs))
	for tp, l := range m.logs {
		out[tp] = l
	}
	return out
}

// onlineLogs is Logs without the logs of offline dirs, which maintenance
// leaves alone.
func (m *Manager) onlineLogs() map[kafka.TopicPartition]*Log {
	out := m.Logs()
	for tp, l := range out {
		if l.Offline() != nil {
			delete(out, tp)
		}
	}
	return out
}

// Create opens a new log in the online log dir with the fewest partitions
// and writes partition.metadata; it returns the existing log if there is
// one. A dir that fails the creation is taken offline, the partial
// partition directory removed, and the next online dir tried;
// ErrLogDirOffline when none is left.
func (m *Manager) Create(topic string, partition int32, topicID [16]byte, cfg Config) (*Log, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	tp := kafka.TopicPartition{Topic: topic, Partition: partition}
	if l, ok := m.logs[tp]; ok {
		return l, nil
	}
	err := fmt.Errorf("%w: no online log dir for %s", ErrLogDirOffline, tp)
	preferred, hasPreferred := m.preferred[tp]
	delete(m.preferred, tp)
	for {
		dir, ok := m.leastLoadedDirLocked()
		if hasPreferred && m.health[preferred].offline() == nil {
			dir, ok, hasPreferred = preferred, true, false
		}
		if !ok {
			return nil, err
		}
		var l *Log
		if l, err = m.createIn(dir, tp, topicID, cfg); err == nil {
			m.addLocked(tp, l, dir)
			return l, nil
		}
		if !isIOError(err) {
			return nil, err
		}
		m.mu.Unlock() // the failure listener reads the logs
		err = m.health[dir].fail(err)
		m.mu.Lock()
	}
}

// createIn creates tp's log in dir, leaving no directory behind on failure.
func (m *Manager) createIn(dir string, tp kafka.TopicPartition, topicID [16]byte, cfg Config) (*Log, error) {
	path := filepath.Join(dir, tp.String())
	meta := fmt.Sprintf("version: 0\ntopic_id: %s\n", kafka.TopicID(topicID))
	err := mkdirAllDurable(m.fs, path)
	if err == nil {
		err = writeFileAtomic(m.fs, filepath.Join(path, partitionMetadataFile), []byte(meta))
	}
	var l *Log
	if err == nil {
		l, err = openLogFiles(m.fs, m.files, path, 0, false, cfg, m.now, m.logger)
	}
	if err != nil {
		if rerr := m.fs.RemoveAll(path); rerr != nil {
			m.logger.Warn("cannot remove a partially created partition directory", "dir", path, "error", rerr)
		}
		return nil, err
	}
	l.flusher = m.flusher
	l.logDir.Store(m.health[dir])
	return l, nil
}

// leastLoadedDirLocked is the online log dir with the fewest partitions;
// false when every dir is offline.
func (m *Manager) leastLoadedDirLocked() (string, bool) {
	best := ""
	for _, d := range m.dirs {
		if m.health[d].offline() == nil && (best == "" || m.perDir[d] < m.perDir[best]) {
			best = d
		}
	}
	return best, best != ""
}

// TopicID reads the topic id from the partition's partition.metadata.
func (m *Manager) TopicID(topic string, partition int32) ([16]byte, bool) {
	l, ok := m.Get(topic, partition)
	if !ok {
		return [16]byte{}, false
	}
	data, err := vfs.ReadFile(m.fs, filepath.Join(l.Dir(), partitionMetadataFile))
	if err != nil {
		return [16]byte{}, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "topic_id:"); ok {
			id, err := kafka.ParseTopicID(strings.TrimSpace(v))
			return id, err == nil
		}
	}
	return [16]byte{}, false
}

// Delete closes a partition's log, renames its dir to
// <topic>-<partition>.<uuidhex>-delete and removes it.
func (m *Manager) Delete(topic string, partition int32) error {
	tp := kafka.TopicPartition{Topic: topic, Partition: partition}
	m.stopMoveOf(tp)
	m.mu.Lock()
	l, ok := m.logs[tp]
	delete(m.logs, tp)
	if dir, ok := m.dirOf[tp]; ok {
		m.perDir[dir]--
		delete(m.dirOf, tp)
	}
	delete(m.cleaner.checkpoints, tp)
	delete(m.cleaner.uncleanable, tp)
	m.mu.Unlock()
	if !ok {
		return nil
	}
	if err := l.Close(); err != nil {
		return err
	}
	doomed := l.Dir() + "." + newDirID() + deleteDirSuffix
	if err := m.fs.Rename(l.Dir(), doomed); err != nil {
		return err
	}
	// Make the rename durable so that a crash cannot bring the partition back.
	if err := m.fs.SyncDir(filepath.Dir(doomed)); err != nil {
		return err
	}
	return m.fs.RemoveAll(doomed)
}

// Run runs the Flusher (rolled segments, durable acknowledgements),
// flushes logs whose oldest unflushed append is older than
// FlushIntervalMs, removes the files of deleted segments whose
// file.delete.delay.ms has passed, and writes the recovery-point checkpoints
// every RecoveryPointCheckpointMs, until ctx is done.
func (m *Manager) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return m.flusher.Run(ctx) })
	g.Go(func() error { return m.runTimers(ctx) })
	return g.Wait()
}

func (m *Manager) runTimers(ctx context.Context) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastCheckpoint := m.now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		// One copy of the log map for both passes: with 20,000 partitions
		// each copy takes a millisecond or two, every second.
		logs := m.onlineLogs()
		m.flushDue(logs)
		m.removeDeletedFiles(logs)
		if every := m.cfg.RecoveryPointCheckpointMs; every > 0 && m.now().Sub(lastCheckpoint) >= time.Duration(every)*time.Millisecond {
			lastCheckpoint = m.now()
			if err := m.writeRecoveryPoints(); err != nil {
				m.logger.Error("write recovery point checkpoint", "error", err)
			}
		}
	}
}

// flushDue flushes those of logs (onlineLogs) due by flush.ms.
func (m *Manager) flushDue(logs map[kafka.TopicPartition]*Log) {
	now := m.now()
	for tp, l := range logs {
		since := l.unflushedSince()
		cfg := l.config()
		if !cfg.flushByTime() || since.IsZero() || now.Sub(since).Milliseconds() < cfg.FlushIntervalMs {
			continue
		}
		if err := l.Flush(); err != nil && !errors.Is(err, ErrClosed) {
			m.logger.Error("flush log", "topic", tp.Topic, "partition", tp.Partition, "error", err)
		}
	}
}

// removeDeletedFiles removes the files of logs (onlineLogs) whose
// file.delete.delay.ms has passed.
func (m *Manager) removeDeletedFiles(logs map[kafka.TopicPartition]*Log) {
	now := m.now()
	for tp, l := range logs {
		if err := l.removeDeletedFiles(l.Dir(), now); err != nil {
			m.logger.Error("remove deleted segment files", "topic", tp.Topic, "partition", tp.Partition, "error", err)
		}
	}
}

// RunRetention applies every log's retention policy (Log.DeleteOldSegments)
// every interval (log.retention.check.interval.ms) until ctx is done.
func (m *Manager) RunRetention(ctx context.Context, interval time.Duration) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		m.applyRetention()
	}
}

func (m *Manager) applyRetention() {
	for tp, l := range m.onlineLogs() {
		n, err := l.DeleteOldSegments()
		if err != nil && !errors.Is(err, ErrClosed) {
			m.logger.Error("retention", "topic", tp.Topic, "partition", tp.Partition, "error", err)
		}
		if n > 0 {
			m.logger.Info("deleted old segments", "topic", tp.Topic, "partition", tp.Partition,
				"segments", n, "log start offset", l.LogStartOffset())
		}
	}
}

func (m *Manager) writeRecoveryPoints() error {
	m.checkpointMu.Lock() // one writer of the files at a time (the timer, a move, Close)
	defer m.checkpointMu.Unlock()
	m.mu.Lock()
	lines := map[string][]string{}
	for tp, l := range m.logs {
		d := m.dirOf[tp]
		lines[d] = append(lines[d], fmt.Sprintf("%s %d %d", tp.Topic, tp.Partition, l.RecoveryPoint()))
	}
	m.mu.Unlock()
	var errs []error
	for _, d := range m.dirs {
		if m.health[d].offline() == nil { // an offline dir is not written again
			errs = append(errs, m.health[d].fail(writeCheckpoint(m.fs, filepath.Join(d, recoveryPointFile), lines[d])))
		}
	}
	return errors.Join(errs...)
}

// Close flushes every log, writes the recovery-point checkpoints, closes
// the logs, marks each dir opened whole as cleanly shut down if all that
// succeeded (a clean shutdown) and releases the log dirs' locks. Logs are
// flushed and closed CloseThreadsPerDir at a time in each log dir: at
// thousands of partitions a stop is thousands of fsyncs, which overlap
// (a journaling filesystem commits overlapping fsyncs together) instead
// of waiting for one another.
func (m *Manager) Close() error {
	m.stopMoves()
	errs := m.eachLogParallel(m.onlineLogs(), func(l *Log) error {
		if err := l.Flush(); !errors.Is(err, ErrClosed) {
			return err
		}
		return nil
	})
	errs = append(errs, m.writeRecoveryPoints())
	errs = append(errs, m.eachLogParallel(m.Logs(), (*Log).Close)...)
	if errors.Join(errs...) == nil {
		errs = append(errs, m.writeCleanShutdowns())
	}
	errs = append(errs, unlockAll(m.locks))
	return errors.Join(errs...)
}

// DefaultCloseThreadsPerDir is Config.CloseThreadsPerDir when unset.
const DefaultCloseThreadsPerDir = 16

// closeThreads is how many logs of one dir are opened, flushed or closed
// at once.
func (m *Manager) closeThreads() int {
	if m.cfg.CloseThreadsPerDir <= 0 {
		return DefaultCloseThreadsPerDir
	}
	return m.cfg.CloseThreadsPerDir
}

// eachLogParallel calls fn on every log, with at most CloseThreadsPerDir
// calls at once per log dir, and returns the errors.
func (m *Manager) eachLogParallel(logs map[kafka.TopicPartition]*Log, fn func(*Log) error) []error {
	threads := m.closeThreads()
	byDir := map[string][]*Log{}
	m.mu.Lock()
	for tp, l := range logs {
		byDir[m.dirOf[tp]] = append(byDir[m.dirOf[tp]], l)
	}
	m.mu.Unlock()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex // guards errs
		errs []error
	)
	for _, dirLogs := range byDir {
		next := make(chan *Log, len(dirLogs))
		for _, l := range dirLogs {
			next <- l
		}
		close(next)
		for range min(threads, len(dirLogs)) {
			wg.Go(func() {
				for l := range next {
					if err := fn(l); err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
					}
				}
			})
		}
	}
	wg.Wait()
	return errs
}
