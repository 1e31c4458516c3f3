package node

import (
	"io"
	"log/slog"
	"testing"

	"gregor/internal/config"
	"gregor/internal/record"
)

// configOnlyNode is a Node with the configuration props and nothing
// running, for resolving configs.
func configOnlyNode(t *testing.T, props map[string]string) *Node {
	t.Helper()
	cfg, _, err := config.Parse(props)
	if err != nil {
		t.Fatal(err)
	}
	n := &Node{cfg: cfg, logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	n.effective.Store(cfg)
	return n
}

// TestTopicCleanupConfig proves that the retention and compaction topic
// configs reach storage and partition: overrides win, unset ones fall back
// to the broker's settings (log.retention.hours here), and cleanup.policy
// turns retention and compaction on.
func TestTopicCleanupConfig(t *testing.T) {
	n := configOnlyNode(t, map[string]string{"log.retention.hours": "2", "log.segment.delete.delay.ms": "5"})
	p, s := n.topicConfig("t", nil)
	if !s.Delete || s.Compact || p.Compacted || s.RetentionMs != 2*3600*1000 || s.RetentionBytes != -1 ||
		s.FileDeleteDelayMs != 5 || s.MinCleanableDirtyRatio != 0.5 || s.DeleteRetentionMs != 86400000 {
		t.Fatalf("broker defaults: %+v %+v", p, s)
	}
	p, s = n.topicConfig("t", map[string]string{"cleanup.policy": "compact, delete", "retention.bytes": "1000",
		"min.cleanable.dirty.ratio": "0.25", "min.compaction.lag.ms": "7", "max.compaction.lag.ms": "9", "delete.retention.ms": "11"})
	if !s.Delete || !s.Compact || !p.Compacted || s.RetentionBytes != 1000 || s.MinCleanableDirtyRatio != 0.25 ||
		s.MinCompactionLagMs != 7 || s.MaxCompactionLagMs != 9 || s.DeleteRetentionMs != 11 {
		t.Fatalf("overrides: %+v %+v", p, s)
	}
	if _, s := n.topicConfig("t", map[string]string{"cleanup.policy": "compact"}); s.Delete || !s.Compact {
		t.Fatalf("compact alone: %+v", s)
	}
}

// TestSegmentJitterConfig proves that segment.jitter.ms reaches storage,
// falling back on log.roll.jitter.ms, then log.roll.jitter.hours, and that
// log.flush.offset.checkpoint.interval.ms reaches the Manager's config.
func TestSegmentJitterConfig(t *testing.T) {
	n := configOnlyNode(t, map[string]string{"log.roll.jitter.hours": "2", "log.flush.offset.checkpoint.interval.ms": "5000"})
	if _, s := n.topicConfig("t", nil); s.SegmentJitterMs != 2*3600*1000 {
		t.Fatalf("from log.roll.jitter.hours: %d", s.SegmentJitterMs)
	}
	if _, s := n.topicConfig("t", map[string]string{"segment.jitter.ms": "7"}); s.SegmentJitterMs != 7 {
		t.Fatalf("override: %d", s.SegmentJitterMs)
	}
	if s := brokerStorageConfig(n.cfg); s.SegmentJitterMs != 2*3600*1000 || s.RecoveryPointCheckpointMs != 5000 {
		t.Fatalf("broker storage config: jitter %d, checkpoint %d", s.SegmentJitterMs, s.RecoveryPointCheckpointMs)
	}
}

// TestTopicCompressionConfig proves that compression.type and the level of
// its codec reach the partition, falling back on the broker's settings:
// producer recompresses nothing, uncompressed and snappy have no level.
func TestTopicCompressionConfig(t *testing.T) {
	n := configOnlyNode(t, map[string]string{"compression.type": "gzip", "compression.gzip.level": "9", "compression.zstd.level": "7"})
	for _, c := range []struct {
		overrides  map[string]string
		recompress bool
		codec      record.Codec
		level      int
	}{
		{nil, true, record.CodecGzip, 9},
		{map[string]string{"compression.type": "producer"}, false, record.CodecNone, 0},
		{map[string]string{"compression.type": "zstd"}, true, record.CodecZstd, 7},
		{map[string]string{"compression.type": "zstd", "compression.zstd.level": "-2"}, true, record.CodecZstd, -2},
		{map[string]string{"compression.type": "lz4"}, true, record.CodecLZ4, 9},
		{map[string]string{"compression.type": "snappy"}, true, record.CodecSnappy, 0},
		{map[string]string{"compression.type": "uncompressed"}, true, record.CodecNone, 0},
	} {
		p, _ := n.topicConfig("t", c.overrides)
		if p.Recompress != c.recompress || p.Compression != c.codec || p.CompressionLevel != c.level {
			t.Errorf("%v: recompress %v codec %s level %d, want %v %s %d", c.overrides, p.Recompress, p.Compression, p.CompressionLevel, c.recompress, c.codec, c.level)
		}
	}
}
