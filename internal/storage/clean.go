package storage

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/record"
)

// Log compaction, as Kafka's LogCleaner does it. A compacted log has a clean
// part (below the first dirty offset, already compacted), a dirty part (up
// to the first uncleanable offset: the active segment, the first segment
// younger than min.compaction.lag.ms, or the first that ends after the
// committed offset or the last stable offset, Kafka's bounds) and the rest.
// A cleaning maps every key of the dirty part to its latest offset (records
// of aborted transactions aside), then rewrites the whole log
// below the end of that part, segment group by segment group, keeping a
// record when no later record of its key exists in the map. Records keep
// their offsets; a thinned batch is rebuilt with its base offset, last
// offset, producer fields and codec. Tombstones (null values) follow
// KIP-534: the first cleaning that keeps one stamps its batch with a delete
// horizon of now + delete.retention.ms, and a cleaning after the horizon
// drops it. Records of aborted transactions go, and transaction markers
// later, by Kafka's rules (cleantxn.go). A batch whose records all go
// disappears, except the batch holding each producer's state and the last
// batch of each cleaned segment, whose header stays (see batchFilter).

// mapEntryOverhead is what one key costs in the offset map besides its
// bytes: the string header, the offset and the map's own bookkeeping.
const mapEntryOverhead = 48

// errCleaningAborted reports that the log changed under the cleaner
// (truncation, retention, deletion): the cleaned segment is discarded.
var errCleaningAborted = errors.New("cleaning aborted: the log changed")

// errSwapIncomplete reports a failure after a cleaned segment was committed
// as .swap: the log goes on with its old segments in memory, and opening it
// again completes the swap.
var errSwapIncomplete = errors.New("segment swap interrupted; it completes when the log is opened again")

// cleanRange is the part of a log one cleaning covers, with the figures
// Kafka's cleaner chooses logs by.
type cleanRange struct {
	firstDirty       int64
	firstUncleanable int64
	cleanBytes       int64 // segments wholly below firstDirty
	dirtyBytes       int64 // segments from firstDirty up to firstUncleanable
	// overdue is set when a segment from firstDirty on holds a batch older
	// than max.compaction.lag.ms: the log is cleaned whatever its ratio.
	overdue bool
}

func (r cleanRange) dirtyRatio() float64 {
	if r.cleanBytes+r.dirtyBytes == 0 {
		return 0
	}
	return float64(r.dirtyBytes) / float64(r.cleanBytes+r.dirtyBytes)
}

// due reports whether the log needs cleaning (min.cleanable.dirty.ratio, or
// max.compaction.lag.ms exceeded).
func (r cleanRange) due(minRatio float64) bool {
	return r.dirtyBytes > 0 && (r.overdue || r.dirtyRatio() > minRatio)
}

// cleanableRange computes what a cleaning starting at checkpoint (the first
// dirty offset recorded by the previous one; -1 if none) would cover at now,
// as Kafka's LogCleanerManager.cleanableOffsets. A checkpoint outside the log
// restarts from the log start offset.
func (l *Log) cleanableRange(checkpoint int64, now time.Time) cleanRange {
	l.mu.RLock()
	defer l.mu.RUnlock()
	r := cleanRange{firstDirty: checkpoint, firstUncleanable: l.active().baseOffset}
	if checkpoint < l.logStartOffset || checkpoint > l.logEndOffset {
		r.firstDirty = l.logStartOffset
	}
	nowMs, lag := now.UnixMilli(), l.cfg.MinCompactionLagMs
	for i, s := range l.segments[:len(l.segments)-1] {
		if l.segments[i+1].baseOffset <= r.firstDirty {
			r.cleanBytes += s.size
			continue
		}
		if ts, ok := s.largestTimestamp(); lag > 0 && ok && ts > nowMs-lag {
			r.firstUncleanable = min(r.firstUncleanable, s.baseOffset)
		}
		if l.segments[i+1].baseOffset > min(l.committed, l.stable) {
			r.firstUncleanable = min(r.firstUncleanable, s.baseOffset)
		}
		if s.baseOffset < r.firstUncleanable {
			r.dirtyBytes += s.size
		}
		r.overdue = r.overdue || l.overdueLocked(s, nowMs)
	}
	r.firstUncleanable = max(r.firstUncleanable, r.firstDirty)
	return r
}

// overdueLocked reports whether the first batch of s is older than
// max.compaction.lag.ms (Kafka compares the first batch's max timestamp).
func (l *Log) overdueLocked(s *segment, nowMs int64) bool {
	lag := l.cfg.MaxCompactionLagMs
	if lag <= 0 || lag >= nowMs || s.size < record.HeaderSize {
		return false
	}
	ts, ok := s.readFirstBatchTimestamp()
	return ok && ts > 0 && ts < nowMs-lag
}

// cleanSource is a segment the cleaner reads, captured with the lock held;
// the cleaner holds a reference on it.
type cleanSource struct {
	seg     *segment
	size    int64
	end     int64                      // the next segment's base offset; the log end for the active one
	entries int                        // the larger of its index and time index lengths
	gen     int64                      // the log's truncation count when captured
	txns    []kafka.AbortedTransaction // its aborted-transaction index when captured
}

// cleanStats describes one cleaning.
type cleanStats struct {
	bytesRead, bytesWritten  int64
	recordsRead, recordsKept int64
	groups                   int
}

// compact cleans the log as Kafka's Cleaner.doClean: it maps the keys of
// [r.firstDirty, r.firstUncleanable) to their latest offsets, at most
// mapBudget bytes of keys (stopping at a segment boundary), then rewrites
// each group of segments below the end of the mapped range and swaps it in.
// It returns that end: the first dirty offset of the next cleaning. It stops
// between batches when ctx is done, the groups cleaned so far staying clean.
func (l *Log) compact(ctx context.Context, r cleanRange, now time.Time, mapBudget int64, io *ioThrottler) (int64, cleanStats, error) {
	var stats cleanStats
	var active map[kafka.ProducerID]kafka.ActiveProducer
	if fn := l.activeProducersFunc(); fn != nil {
		active = fn()
	}
	srcs, cfg, err := l.captureSources()
	if err != nil {
		return 0, stats, err
	}
	defer func() {
		for _, s := range srcs {
			s.seg.release()
		}
	}()
	f := &batchFilter{ctx: ctx, io: io, now: now.UnixMilli(), deleteRetentionMs: cfg.DeleteRetentionMs,
		keys: map[string]int64{}, producers: map[int64]producerTail{}}
	end, mapped, err := f.buildOffsetMap(srcs, r, mapBudget, &stats)
	if err != nil || end <= r.firstDirty {
		return r.firstDirty, stats, err
	}
	if active != nil {
		for pid, p := range active {
			f.producers[int64(pid)] = producerTail{epoch: p.Epoch, lastData: int64(p.LastDataOffset)}
		}
	} else if err := f.addProducers(srcs, mapped); err != nil {
		return r.firstDirty, stats, err
	}
	f.txns = newTxnTracker(srcs)
	for _, g := range groupSegments(srcs, end, cfg) {
		if err := l.cleanGroup(g, f, cfg, now, &stats); err != nil {
			return r.firstDirty, stats, err
		}
		stats.groups++
	}
	return end, stats, nil
}

// captureSources takes a reference on every segment and the configuration.
func (l *Log) captureSources() ([]cleanSource, Config, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return nil, Config{}, ErrClosed
	}
	srcs := make([]cleanSource, len(l.segments))
	for i, s := range l.segments {
		s.acquire()
		end := l.logEndOffset
		if i+1 < len(l.segments) {
			end = l.segments[i+1].baseOffset
		}
		srcs[i] = cleanSource{seg: s, size: s.size, end: end, entries: max(len(s.index), len(s.timeIndex)), gen: l.truncations,
			txns: append([]kafka.AbortedTransaction(nil), s.txns...)}
	}
	return srcs, l.cfg, nil
}

// eachBatch calls fn for every batch of src in order; b is only valid
// during the call.
func eachBatch(src cleanSource, fn func(b record.Batch) error) error {
	r := bufio.NewReaderSize(io.NewSectionReader(src.seg.f, 0, src.size), int(min(src.size, 1<<20)))
	var buf []byte
	for pos := int64(0); pos < src.size; {
		b, err := readBatch(r, src.size-pos, &buf)
		if err != nil {
			return fmt.Errorf("clean %s at %d: %w", src.seg.path(".log"), pos, err)
		}
		if err := fn(b); err != nil {
			return err
		}
		pos += int64(len(b))
	}
	return nil
}

// groupSegments splits the segments below end into runs that fit in one
// segment (Kafka's groupSegmentsBySize): within segment.bytes and 2 GiB, the
// index limit, and offsets relative to the first base within int32.
func groupSegments(srcs []cleanSource, end int64, cfg Config) [][]cleanSource {
	maxBytes := min(cfg.SegmentBytes, math.MaxInt32)
	var groups [][]cleanSource
	for i := 0; i < len(srcs)-1 && srcs[i].end <= end; {
		size, entries, j := srcs[i].size, srcs[i].entries, i+1
		for ; j < len(srcs)-1 && srcs[j].end <= end; j++ {
			if size+srcs[j].size > maxBytes || entries+srcs[j].entries > cfg.maxIndexEntries() ||
				srcs[j].end-1-srcs[i].seg.baseOffset > math.MaxInt32 {
				break
			}
			size, entries = size+srcs[j].size, entries+srcs[j].entries
		}
		groups = append(groups, srcs[i:j])
		i = j
	}
	return groups
}

// cleanGroup writes the cleaned copy of a group of segments and swaps it in.
func (l *Log) cleanGroup(g []cleanSource, f *batchFilter, cfg Config, now time.Time, stats *cleanStats) error {
	c, err := createCleaned(l, g[0].seg.baseOffset, now)
	if err != nil {
		return err
	}
	if err = c.writeCleaned(g, f, cfg, stats); err == nil {
		err = l.replaceSegments(c, g)
	}
	switch {
	case errors.Is(err, errSwapIncomplete):
		c.release()
	case err != nil:
		c.discard()
	}
	return err
}

// createCleaned creates the empty segment <base>.log.cleaned.
func createCleaned(l *Log, base int64, now time.Time) (*segment, error) {
	// The cleaner copies batches it did not verify: reads of the cleaned
	// segment verify all of them (fromDisk).
	c := &segment{baseOffset: base, fs: l.fs, dir: l.Dir(), suffix: cleanedSuffix, nextOffset: base,
		maxTimestamp: -1, offsetOfMaxTs: -1, firstBatchTs: firstTsUnknown, created: now, fromDisk: math.MaxInt64}
	c.discard() // a leftover of an earlier attempt
	f, err := l.fs.OpenFile(c.path(".log"), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	c.f = newCachedFile(l.files, l.fs, c.path(".log"), f)
	c.refs.Store(1)
	return c, nil
}

// writeCleaned filters the batches of g into c, then fsyncs c and its
// indexes. The last batch of the group keeps at least its header, so that
// the cleaned segment ends where the group did and segments stay contiguous
// (recovery takes a gap between segments for a crash hole).
func (c *segment) writeCleaned(g []cleanSource, f *batchFilter, cfg Config, stats *cleanStats) error {
	groupEnd := g[len(g)-1].end
	var out []byte
	flush := func() error {
		_, err := c.f.WriteAt(out, c.size-int64(len(out)))
		f.io.throttle(f.ctx, len(out))
		out = out[:0]
		return err
	}
	for _, src := range g {
		c.lastModified = src.seg.lastModified
		err := eachBatch(src, func(b record.Batch) error {
			if err := f.ctx.Err(); err != nil {
				return err
			}
			stats.bytesRead += int64(len(b))
			f.io.throttle(f.ctx, len(b))
			kept, err := f.filter(b, b.NextOffset() == groupEnd, stats)
			if err != nil || kept == nil {
				return err
			}
			c.indexBatch(kept, c.size, cfg)
			out = append(out, kept...)
			if len(out) >= 1<<20 {
				return flush()
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if err := flush(); err != nil {
		return err
	}
	c.txns = f.txns.takeKept()
	stats.bytesWritten += c.size
	c.maybeTimeEntry()
	if err := c.f.Sync(); err != nil {
		return err
	}
	return c.writeIndexes(true)
}

// discard closes a cleaned segment that will not be swapped in and removes
// its files.
func (c *segment) discard() {
	if c.f != nil {
		c.release()
	}
	for _, suffix := range []string{cleanedSuffix, swapSuffix} {
		for _, ext := range segmentExts {
			c.fs.Remove(segmentName(c.dir, c.baseOffset, ext) + suffix)
		}
	}
}
