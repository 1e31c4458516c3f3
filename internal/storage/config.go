package storage

import (
	"math"
	"math/rand/v2"

	"gregor/internal/kafka"
)

var (
	// ErrOffsetOutOfRange reports an offset outside [LogStartOffset, LogEndOffset].
	ErrOffsetOutOfRange = kafka.ErrOffsetOutOfRange
	// ErrClosed reports use of a closed Log or Manager.
	ErrClosed = kafka.ErrLogClosed
	// ErrLogDirOffline reports a log whose directory was taken offline by
	// an I/O error (see logDir).
	ErrLogDirOffline = kafka.ErrLogDirOffline
)

// Config holds the per-log settings, named after Kafka's topic configs.
type Config struct {
	// FileCacheSize is how many segment files a Manager keeps open
	// (gregor.log.fd.cache.size); <= 0: half of RLIMIT_NOFILE. Read once,
	// from the Manager's Config; a log's own is ignored.
	FileCacheSize int
	// CloseThreadsPerDir is how many logs of one log dir a start opens and
	// a clean stop flushes and closes at once; <= 0: DefaultCloseThreadsPerDir. Read from
	// the Manager's Config. (Kafka's num.recovery.threads.per.data.dir,
	// default 2, is accepted but not used for it: 2 at a time made the
	// close of 2,000 logs two to three times slower than 16.)
	CloseThreadsPerDir int
	// RecoveryPointCheckpointMs is how often the Manager writes each log
	// dir's recovery-point-offset-checkpoint
	// (log.flush.offset.checkpoint.interval.ms); <= 0: only at Close. Read
	// from the Manager's Config.
	RecoveryPointCheckpointMs int64

	SegmentBytes          int64 // log.segment.bytes (default 1 GiB)
	SegmentMs             int64 // log.roll.ms (default 7 days)
	SegmentJitterMs       int64 // segment.jitter.ms: each segment rolls up to this much (and below SegmentMs) earlier, at random
	IndexIntervalBytes    int32 // log.index.interval.bytes (default 4096)
	MaxIndexSize          int32 // log.index.size.max.bytes (default 10 MiB)
	FlushIntervalMessages int64 // log.flush.interval.messages; <=0 or MaxInt64 = never by count
	FlushIntervalMs       int64 // log.flush.interval.ms; <=0 or MaxInt64 = never by time
	FileDeleteDelayMs     int64 // file.delete.delay.ms: a retired segment's files are removed after it

	// Cleanup: cleanup.policy and the topic configs of retention and compaction.
	Delete                 bool    // cleanup.policy has delete: retention.ms and retention.bytes apply
	Compact                bool    // cleanup.policy has compact: the cleaner keeps the latest record per key
	RetentionMs            int64   // retention.ms; < 0 = no limit
	RetentionBytes         int64   // retention.bytes; < 0 = no limit
	DeleteRetentionMs      int64   // delete.retention.ms: how long tombstones outlive their first cleaning
	MinCompactionLagMs     int64   // min.compaction.lag.ms: younger segments are not cleaned
	MaxCompactionLagMs     int64   // max.compaction.lag.ms: older dirty segments force a cleaning
	MinCleanableDirtyRatio float64 // min.cleanable.dirty.ratio
}

// DefaultConfig returns Kafka's defaults. The zero Config has no cleanup
// policy: neither retention nor compaction touches its log.
func DefaultConfig() Config {
	return Config{
		SegmentBytes:          1 << 30,
		SegmentMs:             7 * 24 * 60 * 60 * 1000,
		IndexIntervalBytes:    4096,
		MaxIndexSize:          10 << 20,
		FlushIntervalMessages: math.MaxInt64,
		FlushIntervalMs:       math.MaxInt64,
		FileDeleteDelayMs:     60000,

		RecoveryPointCheckpointMs: 60000,

		Delete:                 true,
		RetentionMs:            7 * 24 * 60 * 60 * 1000,
		RetentionBytes:         -1,
		DeleteRetentionMs:      24 * 60 * 60 * 1000,
		MaxCompactionLagMs:     math.MaxInt64,
		MinCleanableDirtyRatio: 0.5,
	}
}

func (c Config) flushByCount() bool {
	return c.FlushIntervalMessages > 0 && c.FlushIntervalMessages != math.MaxInt64
}

func (c Config) flushByTime() bool {
	return c.FlushIntervalMs > 0 && c.FlushIntervalMs != math.MaxInt64
}

// randomSegmentJitter is how much earlier than SegmentMs a new segment
// rolls, as Kafka's LogConfig.randomSegmentJitter: uniform in
// [0, min(SegmentJitterMs, SegmentMs)), so that partitions created together
// do not all roll at once.
func (c Config) randomSegmentJitter() int64 {
	if c.SegmentJitterMs <= 0 || c.SegmentMs <= 0 {
		return 0
	}
	return rand.Int64N(min(c.SegmentJitterMs, c.SegmentMs))
}

func (c Config) maxIndexEntries() int { return max(int(c.MaxIndexSize)/offsetEntrySize, 1) }
