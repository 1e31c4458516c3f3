package storage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"gregor/internal/kafka"
)

// cleanerCheckpointFile holds, per log dir, the first dirty offset of each
// compacted partition: where its next cleaning starts (Kafka's format,
// "0\n<n>\n<topic> <partition> <offset>\n"...).
const cleanerCheckpointFile = "cleaner-offset-checkpoint"

// DefaultDedupeBufferSize is Kafka's log.cleaner.dedupe.buffer.size.
const DefaultDedupeBufferSize = 128 << 20

// CleanerConfig is the broker's log cleaner configuration.
type CleanerConfig struct {
	Threads int           // log.cleaner.threads
	Backoff time.Duration // log.cleaner.backoff.ms: the pause when no log needs cleaning
	// DedupeBufferSize bounds the keys a cleaning maps, shared by the
	// threads (log.cleaner.dedupe.buffer.size): a cleaning that fills its
	// share stops at a segment boundary and the next one goes on.
	DedupeBufferSize int64
	// IOMaxBytesPerSecond bounds what the threads together read and write
	// (log.cleaner.io.max.bytes.per.second); 0 or math.MaxFloat64: no bound.
	IOMaxBytesPerSecond float64
}

// cleanerState is the Manager's bookkeeping for the cleaner; the Manager's
// mutex guards it.
type cleanerState struct {
	checkpoints map[kafka.TopicPartition]int64 // first dirty offsets, as in the files
	cleaning    map[kafka.TopicPartition]bool  // being cleaned by a thread
	uncleanable map[kafka.TopicPartition]bool  // a cleaning failed: skipped until restart, as Kafka does
	fileMu      sync.Mutex                     // serializes checkpoint file writes
	stats       CleanerStats                   // see Manager.CleanerStats
	io          *ioThrottler                   // shared by the threads
}

func newCleanerState() cleanerState {
	return cleanerState{checkpoints: map[kafka.TopicPartition]int64{},
		cleaning: map[kafka.TopicPartition]bool{}, uncleanable: map[kafka.TopicPartition]bool{}, io: newIOThrottler(time.Now)}
}

// RunCleaner runs the cleaner threads until ctx is done. Each one cleans the
// compacted log with the highest dirty ratio above its
// min.cleanable.dirty.ratio (or past max.compaction.lag.ms), then looks
// again, and waits Backoff when none needs cleaning. config is read again
// between cleanings and every cleanerConfigCheck, so that dynamic changes
// of log.cleaner.threads, log.cleaner.dedupe.buffer.size and
// log.cleaner.backoff.ms apply without a restart (a change of the thread
// count or of the key map's size aborts the cleanings in progress; they are
// taken up again from the checkpoint).
func (m *Manager) RunCleaner(ctx context.Context, config func() CleanerConfig) error {
	for ctx.Err() == nil {
		cfg := config()
		runCtx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		budget := cfg.DedupeBufferSize / int64(max(cfg.Threads, 1))
		for range cfg.Threads {
			wg.Go(func() { m.cleanerThread(runCtx, config, budget) })
		}
		t := time.NewTicker(cleanerConfigCheck)
		for runCtx.Err() == nil {
			select {
			case <-runCtx.Done():
			case <-t.C:
				if next := config(); next.Threads != cfg.Threads || next.DedupeBufferSize != cfg.DedupeBufferSize {
					cancel()
				}
			}
		}
		t.Stop()
		cancel()
		wg.Wait()
	}
	return nil
}

// cleanerConfigCheck is how often RunCleaner looks for a new thread count
// or key map size.
const cleanerConfigCheck = time.Second

func (m *Manager) cleanerThread(ctx context.Context, config func() CleanerConfig, budget int64) {
	for ctx.Err() == nil {
		m.cleaner.io.setRate(config().IOMaxBytesPerSecond) // a dynamic config
		if m.CleanFilthiestLog(ctx, budget) {
			continue
		}
		t := time.NewTimer(config().Backoff)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
}

// CleanFilthiestLog cleans the log that needs it most, if any, with a key
// map of at most budget bytes, and records where its next cleaning starts.
// It reports whether it cleaned one. A cleaning stops early when ctx is done.
func (m *Manager) CleanFilthiestLog(ctx context.Context, budget int64) bool {
	tp, l, r, ok := m.grabFilthiestLog()
	if !ok {
		return false
	}
	defer m.doneCleaning(tp)
	start := time.Now()
	end, stats, err := l.compact(ctx, r, m.now(), budget, m.cleaner.io)
	err = l.failed(err) // an I/O error takes the log dir offline, as in Kafka's cleaner
	switch {
	case errors.Is(err, errCleaningAborted), errors.Is(err, ErrClosed), ctx.Err() != nil, err != nil && l.isClosed():
		m.logger.Debug("cleaning aborted", "topic", tp.Topic, "partition", tp.Partition, "error", err)
		return false
	case err != nil:
		m.logger.Error("cleaning failed; the partition is not cleaned again until restart",
			"topic", tp.Topic, "partition", tp.Partition, "error", err)
		m.mu.Lock()
		m.cleaner.uncleanable[tp] = true
		m.mu.Unlock()
		return false
	}
	if err := m.setCleanerCheckpoint(tp, l, end); err != nil {
		m.logger.Error("write cleaner checkpoint", "topic", tp.Topic, "partition", tp.Partition, "error", err)
	}
	elapsed := time.Since(start)
	m.recordCleaning(stats, elapsed)
	m.logger.Info("cleaned log", "topic", tp.Topic, "partition", tp.Partition, "from", r.firstDirty, "to", end,
		"dirty ratio", fmt.Sprintf("%.2f", r.dirtyRatio()), "bytes read", stats.bytesRead, "bytes written", stats.bytesWritten,
		"records kept", fmt.Sprintf("%d/%d", stats.recordsKept, stats.recordsRead), "elapsed", elapsed)
	return true
}

// grabFilthiestLog picks the compacted log to clean (Kafka's
// LogCleanerManager.grabFilthiestCompactedLog) and marks it in progress.
func (m *Manager) grabFilthiestLog() (kafka.TopicPartition, *Log, cleanRange, bool) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	var best kafka.TopicPartition
	var bestLog *Log
	var bestRange cleanRange
	for tp, l := range m.logs {
		cfg := l.config()
		if !cfg.Compact || m.cleaner.cleaning[tp] || m.cleaner.uncleanable[tp] || m.moves[tp] != nil || l.Offline() != nil {
			continue
		}
		checkpoint, ok := m.cleaner.checkpoints[tp]
		if !ok {
			checkpoint = -1
		}
		r := l.cleanableRange(checkpoint, now)
		if r.due(cfg.MinCleanableDirtyRatio) && (bestLog == nil || r.dirtyRatio() > bestRange.dirtyRatio()) {
			best, bestLog, bestRange = tp, l, r
		}
	}
	if bestLog == nil {
		return best, nil, bestRange, false
	}
	m.cleaner.cleaning[best] = true
	return best, bestLog, bestRange, true
}

func (m *Manager) doneCleaning(tp kafka.TopicPartition) {
	m.mu.Lock()
	delete(m.cleaner.cleaning, tp)
	m.mu.Unlock()
}

// setCleanerCheckpoint records offset as tp's first dirty offset, if l is
// still tp's log, and rewrites the checkpoint file of its log dir.
func (m *Manager) setCleanerCheckpoint(tp kafka.TopicPartition, l *Log, offset int64) error {
	m.cleaner.fileMu.Lock()
	defer m.cleaner.fileMu.Unlock()
	m.mu.Lock()
	if m.logs[tp] != l {
		m.mu.Unlock()
		return nil
	}
	m.cleaner.checkpoints[tp] = offset
	dir := m.dirOf[tp]
	var lines []string
	for p, o := range m.cleaner.checkpoints {
		if m.dirOf[p] == dir {
			lines = append(lines, fmt.Sprintf("%s %d %d", p.Topic, p.Partition, o))
		}
	}
	m.mu.Unlock()
	return writeCheckpoint(m.fs, filepath.Join(dir, cleanerCheckpointFile), lines)
}

// readCleanerCheckpoints loads the cleaner checkpoint of a log dir.
func (m *Manager) readCleanerCheckpoints(dir string) error {
	lines, err := readCheckpoint(m.fs, filepath.Join(dir, cleanerCheckpointFile), 3)
	if err != nil {
		return err
	}
	for _, f := range lines {
		p, err1 := strconv.ParseInt(f[1], 10, 32)
		o, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("%s: bad entry %v", cleanerCheckpointFile, f)
		}
		m.cleaner.checkpoints[kafka.TopicPartition{Topic: f[0], Partition: int32(p)}] = o
	}
	return nil
}
