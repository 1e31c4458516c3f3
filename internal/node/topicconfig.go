package node

import (
	"strconv"
	"strings"

	"gregor/internal/config"
	"gregor/internal/partition"
	"gregor/internal/record"
	"gregor/internal/storage"
)

// brokerStorageConfig is the storage configuration of a log before its
// topic's configuration is applied. It has no cleanup policy: neither
// retention nor the cleaner touches a log that no topic owns.
func brokerStorageConfig(c *config.Config) storage.Config {
	return storage.Config{
		SegmentBytes:          c.LogSegmentBytes,
		SegmentMs:             c.LogRollMs,
		SegmentJitterMs:       c.LogRollJitterMs,
		IndexIntervalBytes:    c.LogIndexIntervalBytes,
		MaxIndexSize:          c.LogIndexSizeMaxBytes,
		FlushIntervalMessages: c.LogFlushIntervalMessages,
		FlushIntervalMs:       c.LogFlushIntervalMs,
		FileCacheSize:         int(c.LogFDCacheSize),

		RecoveryPointCheckpointMs: int64(c.RecoveryPointCheckpointMs),
	}
}

// topicConfig resolves a topic's effective configuration: each topic config
// is its override if set, else the broker setting it falls back to. Values
// were validated when they were set.
func (n *Node) topicConfig(topic string, overrides map[string]string) (partition.Config, storage.Config) {
	c := n.brokerConfig()
	num := func(name string) int64 {
		v, _ := c.TopicValue(name, overrides)
		i, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			n.logger.Warn("bad topic config value", "topic", topic, "config", name, "value", v)
		}
		return i
	}
	ts, _ := c.TopicValue("message.timestamp.type", overrides)
	policy, _ := c.TopicValue("cleanup.policy", overrides)
	compact, del := false, false
	for _, p := range strings.Split(policy, ",") {
		compact = compact || strings.TrimSpace(p) == "compact"
		del = del || strings.TrimSpace(p) == "delete"
	}
	flushBeforeAck, _ := c.TopicValue("gregor.flush.before.ack", overrides)
	ratio, _ := c.TopicValue("min.cleanable.dirty.ratio", overrides)
	minRatio, err := strconv.ParseFloat(ratio, 64)
	if err != nil {
		n.logger.Warn("bad topic config value", "topic", topic, "config", "min.cleanable.dirty.ratio", "value", ratio)
	}
	pcfg := partition.Config{
		MaxMessageBytes:   int32(num("max.message.bytes")),
		LogAppendTime:     ts == "LogAppendTime",
		MinInsyncReplicas: int32(num("min.insync.replicas")),

		TimestampBeforeMaxMs: num("message.timestamp.before.max.ms"),
		TimestampAfterMaxMs:  num("message.timestamp.after.max.ms"),
		Compacted:            compact,
		FlushBeforeAck:       flushBeforeAck == "true",
	}
	pcfg.LeaderThrottled = n.throttled("leader.replication.throttled.replicas", c, overrides)
	pcfg.FollowerThrottled = n.throttled("follower.replication.throttled.replicas", c, overrides)
	compression, _ := c.TopicValue("compression.type", overrides)
	pcfg.Compression, pcfg.Recompress = targetCodec(compression)
	if pcfg.Recompress && pcfg.Compression != record.CodecNone && pcfg.Compression != record.CodecSnappy {
		pcfg.CompressionLevel = int(num("compression." + compression + ".level"))
	}
	scfg := storage.Config{
		SegmentBytes:          num("segment.bytes"),
		SegmentMs:             num("segment.ms"),
		SegmentJitterMs:       num("segment.jitter.ms"),
		IndexIntervalBytes:    int32(num("index.interval.bytes")),
		MaxIndexSize:          int32(num("segment.index.bytes")),
		FlushIntervalMessages: num("flush.messages"),
		FlushIntervalMs:       num("flush.ms"),
		FileDeleteDelayMs:     num("file.delete.delay.ms"),

		Delete:                 del,
		Compact:                compact,
		RetentionMs:            num("retention.ms"),
		RetentionBytes:         num("retention.bytes"),
		DeleteRetentionMs:      num("delete.retention.ms"),
		MinCompactionLagMs:     num("min.compaction.lag.ms"),
		MaxCompactionLagMs:     num("max.compaction.lag.ms"),
		MinCleanableDirtyRatio: minRatio,
	}
	return pcfg, scfg
}

// targetCodec maps compression.type to the codec a leader stores batches
// with; ok false for producer (keep the producer's codec).
func targetCodec(compressionType string) (codec record.Codec, ok bool) {
	switch compressionType {
	case "uncompressed":
		return record.CodecNone, true
	case "gzip":
		return record.CodecGzip, true
	case "snappy":
		return record.CodecSnappy, true
	case "lz4":
		return record.CodecLZ4, true
	case "zstd":
		return record.CodecZstd, true
	}
	return record.CodecNone, false
}

// throttled reads a topic's leader or follower
// .replication.throttled.replicas (key) for this node.
func (n *Node) throttled(key string, c *config.Config, overrides map[string]string) partition.Throttled {
	v, _ := c.TopicValue(key, overrides)
	all, parts := config.ThrottledPartitions(v, n.cfg.NodeID)
	return partition.Throttled{All: all, Partitions: parts}
}
