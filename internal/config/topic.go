package config

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Sentinels for topic config validation; the handler maps both to Kafka's
// INVALID_CONFIG.
var (
	ErrUnknownTopicConfig = errors.New("unknown topic config")
	ErrInvalidTopicConfig = errors.New("invalid topic config")
)

// TopicConfigDef is one topic-level config, as CreateTopics, AlterConfigs and
// DescribeConfigs on a topic know it.
type TopicConfigDef struct {
	Name          string
	BrokerSynonym string // the broker key that supplies the default; "" for a topic-only config
	Default       string // the default of a topic-only config (no BrokerSynonym)
	Type          string
	Doc           string
	// Validate returns nil, or an error wrapping ErrInvalidTopicConfig with
	// Kafka's message.
	Validate func(value string) error
}

// topicDefs is the table of topic configs. Types and checks are Kafka 4.x's
// LogConfig; defaults come from the broker synonym.
var topicDefs = []TopicConfigDef{
	topicDef("cleanup.policy", "log.cleanup.policy", typeList, listOf("compact", "delete"),
		`"delete" discards old segments after retention; "compact" keeps the latest record per key; both may be given.`),
	topicDef("compression.type", "compression.type", typeString, oneOf(compressionTypes...),
		"Final compression of the topic: gzip, snappy, lz4 or zstd, uncompressed, or producer to keep the producer's codec. With a codec, the leader re-encodes a produced batch in another codec before storing it (control batches stay uncompressed); followers copy the leader's bytes."),
	topicDef("compression.gzip.level", "compression.gzip.level", typeInt, gzipLevel,
		"The compression level to use if compression.type is set to gzip: 1 (fastest) to 9 (smallest), or -1 for the codec's default."),
	topicDef("compression.lz4.level", "compression.lz4.level", typeInt, intBetween(1, 17),
		"The compression level to use if compression.type is set to lz4: 9, the default, is the fast compressor; another level the high-compression one at that level (levels above 9 compress as 9)."),
	topicDef("compression.zstd.level", "compression.zstd.level", typeInt, intBetween(-131072, 22),
		"The compression level to use if compression.type is set to zstd; Gregor's encoder has four speeds: below 3, 3 to 5, 6 to 9, and 10 or more."),
	topicDef("delete.retention.ms", "log.cleaner.delete.retention.ms", typeLong, nonNegative,
		"How long delete tombstones are kept on a compacted topic."),
	topicDef("file.delete.delay.ms", "log.segment.delete.delay.ms", typeLong, nonNegative,
		"Delay before a deleted segment's files are removed from the filesystem."),
	topicDef("flush.messages", "log.flush.interval.messages", typeLong, positive,
		"Messages appended before the log is fsynced."),
	topicDef("flush.ms", "log.flush.interval.ms", typeLong, nonNegative,
		"Maximum time before the log is fsynced."),
	topicDef("gregor.flush.before.ack", "gregor.flush.before.ack", typeBoolean, nil,
		"Acknowledge a produce only once an fsync covers its records (group commit across concurrent appends). Gregor's own; Kafka has no such config."),
	topicDef("index.interval.bytes", "log.index.interval.bytes", typeInt, nonNegative,
		"Bytes between offset index entries."),
	topicDef("max.compaction.lag.ms", "log.cleaner.max.compaction.lag.ms", typeLong, positive,
		"Maximum time a record stays ineligible for compaction."),
	topicDef("max.message.bytes", "message.max.bytes", typeInt, nonNegative,
		"The largest record batch size allowed in this topic."),
	topicDef("message.timestamp.after.max.ms", "log.message.timestamp.after.max.ms", typeLong, nonNegative,
		"How far a CreateTime timestamp may be after the broker's clock."),
	topicDef("message.timestamp.before.max.ms", "log.message.timestamp.before.max.ms", typeLong, nonNegative,
		"How far a CreateTime timestamp may be before the broker's clock."),
	topicDef("message.timestamp.type", "log.message.timestamp.type", typeString, oneOf("CreateTime", "LogAppendTime"),
		"Record timestamps: CreateTime or LogAppendTime."),
	topicDef("min.cleanable.dirty.ratio", "log.cleaner.min.cleanable.ratio", typeDouble, between(0, 1),
		"Minimum dirty ratio for the log to be compacted."),
	topicDef("min.compaction.lag.ms", "log.cleaner.min.compaction.lag.ms", typeLong, nonNegative,
		"Minimum time a record stays uncompacted."),
	topicDef("min.insync.replicas", "min.insync.replicas", typeInt, positive,
		"Replicas that must acknowledge an acks=all write."),
	topicDef("preallocate", "log.preallocate", typeBoolean, nil,
		"Preallocate segment files. Accepted for compatibility; no effect in Gregor: segment and index files grow as they are written."),
	topicDef("retention.bytes", "log.retention.bytes", typeLong, nil,
		"Maximum size of a partition's log before old segments are deleted; -1 means no limit."),
	topicDef("retention.ms", "log.retention.ms", typeLong, atLeast(-1),
		"Time to keep a segment before deleting it; -1 means no limit."),
	topicDef("segment.bytes", "log.segment.bytes", typeInt, atLeast(1024*1024),
		"Segment file size."),
	topicDef("segment.index.bytes", "log.index.size.max.bytes", typeInt, atLeast(4),
		"Maximum size of a segment's offset index."),
	topicDef("segment.jitter.ms", "log.roll.jitter.ms", typeLong, nonNegative,
		"Maximum random jitter subtracted from segment.ms: each segment rolls earlier by its own random amount below it, so that segments created together do not all roll at once."),
	topicDef("segment.ms", "log.roll.ms", typeLong, positive,
		"Maximum age of a segment before it is rolled: an append rolls the segment when its records' largest timestamp is more than this after the largest timestamp of the segment's first batch (by the clock since the segment's first append when that batch has no timestamp), as Kafka measures it."),
	topicOnlyDef("confluent.key.schema.validation", typeBoolean, "false", nil,
		"Refuse produced records whose key does not carry the Confluent wire-format id of a schema registered for the topic's key subject (see confluent.key.subject.name.strategy). Needs the node's schema registry."),
	topicOnlyDef("confluent.key.subject.name.strategy", typeString, TopicNameStrategy, subjectNameStrategy,
		"How key schema validation derives the subject a key's schema must be registered under: TopicNameStrategy (<topic>-key), RecordNameStrategy (the record's full name) or TopicRecordNameStrategy (<topic>-<record name>)."),
	topicOnlyDef("confluent.value.schema.validation", typeBoolean, "false", nil,
		"Refuse produced records whose value does not carry the Confluent wire-format id of a schema registered for the topic's value subject (see confluent.value.subject.name.strategy). Needs the node's schema registry."),
	topicOnlyDef("confluent.value.subject.name.strategy", typeString, TopicNameStrategy, subjectNameStrategy,
		"How value schema validation derives the subject a value's schema must be registered under: TopicNameStrategy (<topic>-value), RecordNameStrategy (the record's full name) or TopicRecordNameStrategy (<topic>-<record name>)."),
	topicOnlyDef("gregor.key.schema.validation", typeBoolean, "false", nil,
		"Gregor's name for confluent.key.schema.validation; either being true turns key validation on."),
	topicOnlyDef("gregor.schema.validation.mode", typeString, SchemaValidationID, oneOf(SchemaValidationID, SchemaValidationPayload),
		"What schema validation checks: id (the wire-format schema id and its subject, as Confluent Server) or payload (also decodes each key or value with its schema). Gregor's own."),
	topicOnlyDef("gregor.value.schema.validation", typeBoolean, "false", nil,
		"Gregor's name for confluent.value.schema.validation; either being true turns value validation on."),
	topicOnlyDef("leader.replication.throttled.replicas", typeList, "", throttledReplicas("leader.replication.throttled.replicas"),
		"The replicas whose copying to followers not in sync is throttled on the leader side (leader.replication.throttled.rate), as partitionId:brokerId pairs naming the broker that leads, or * for every replica of the topic."),
	topicOnlyDef("follower.replication.throttled.replicas", typeList, "", throttledReplicas("follower.replication.throttled.replicas"),
		"The replicas whose copying from the leader is throttled on the follower side while they are not in sync (follower.replication.throttled.rate), as partitionId:brokerId pairs naming the follower, or * for every replica of the topic."),
	topicDef("unclean.leader.election.enable", "unclean.leader.election.enable", typeBoolean, nil,
		"Allow replicas outside the ISR to become leader, at the risk of data loss."),
}

func topicDef(name, synonym, typ string, check checker, doc string) TopicConfigDef {
	if _, ok := lookupBrokerDef(synonym); !ok {
		panic("config: topic config " + name + " has unknown broker synonym " + synonym)
	}
	return TopicConfigDef{Name: name, BrokerSynonym: synonym, Type: typ, Doc: doc, Validate: topicValidator(name, typ, check)}
}

// topicOnlyDef is a topic config with no broker synonym: its default is
// def, with source DEFAULT_CONFIG (as Confluent's confluent.* topic
// configs).
func topicOnlyDef(name, typ, def string, check checker, doc string) TopicConfigDef {
	return TopicConfigDef{Name: name, Default: def, Type: typ, Doc: doc, Validate: topicValidator(name, typ, check)}
}

func topicValidator(name, typ string, check checker) func(string) error {
	return func(value string) error {
		if p := problem(typ, check, strings.TrimSpace(value)); p != "" {
			return &topicConfigError{ErrInvalidTopicConfig,
				fmt.Sprintf("Invalid value %s for configuration %s: %s", value, name, p)}
		}
		return nil
	}
}

// topicConfigError carries Kafka's message while matching its sentinel.
type topicConfigError struct {
	sentinel error
	msg      string
}

func (e *topicConfigError) Error() string { return e.msg }
func (e *topicConfigError) Unwrap() error { return e.sentinel }

// TopicConfigDefs returns the topic configs, sorted by name.
func TopicConfigDefs() []TopicConfigDef {
	out := slices.Clone(topicDefs)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func lookupTopicDef(name string) (TopicConfigDef, bool) {
	i := slices.IndexFunc(topicDefs, func(d TopicConfigDef) bool { return d.Name == name })
	if i < 0 {
		return TopicConfigDef{}, false
	}
	return topicDefs[i], true
}

// ValidateTopicConfig checks one topic config. An unknown name wraps
// ErrUnknownTopicConfig; a bad value wraps ErrInvalidTopicConfig.
func ValidateTopicConfig(name, value string) error {
	d, ok := lookupTopicDef(name)
	if !ok {
		return &topicConfigError{ErrUnknownTopicConfig, "Unknown topic config name: " + name}
	}
	return d.Validate(value)
}

// TopicValue resolves a topic config: the topic's override if present, else
// the broker's effective value of its synonym. The source is
// DYNAMIC_TOPIC_CONFIG, else that of the broker synonym (or a key it falls
// back to): DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG,
// STATIC_BROKER_CONFIG or DEFAULT_CONFIG. An unknown name returns "", "".
func (c *Config) TopicValue(name string, overrides map[string]string) (value string, source string) {
	if v, ok := overrides[name]; ok {
		return v, SourceDynamicTopic
	}
	d, ok := lookupTopicDef(name)
	if !ok {
		return "", ""
	}
	if d.BrokerSynonym == "" {
		return d.Default, SourceDefault
	}
	return c.brokerEffective(d.BrokerSynonym), c.brokerSource(d.BrokerSynonym)
}

// brokerEffective is key's value after the fallbacks Kafka applies.
func (c *Config) brokerEffective(key string) string {
	switch key {
	case "log.retention.ms":
		return strconv.FormatInt(c.LogRetentionMs, 10)
	case "log.roll.ms":
		return strconv.FormatInt(c.LogRollMs, 10)
	case "log.roll.jitter.ms":
		return strconv.FormatInt(c.LogRollJitterMs, 10)
	case "log.flush.interval.ms":
		return strconv.FormatInt(c.LogFlushIntervalMs, 10)
	}
	return c.Values[key]
}

// throttledReplicas checks a leader/follower.replication.throttled.replicas
// value as Kafka's ThrottledReplicaListValidator does: * alone, or a list
// of partitionId:brokerId pairs (empty items allowed).
func throttledReplicas(name string) checker {
	return func(v string) string {
		if _, _, err := parseThrottledReplicas(v); err != nil {
			return name + " must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],..."
		}
		return ""
	}
}

// ThrottledPartitions returns, of a topic's leader or follower
// .replication.throttled.replicas value, the partitions whose replica on
// broker is throttled: all of them (*), or those listed with it. A value
// that does not parse names none.
func ThrottledPartitions(value string, broker int32) (all bool, partitions []int32) {
	all, pairs, err := parseThrottledReplicas(value)
	if err != nil {
		return false, nil
	}
	for _, p := range pairs {
		if p[1] == broker && !slices.Contains(partitions, p[0]) {
			partitions = append(partitions, p[0])
		}
	}
	return all, partitions
}

func parseThrottledReplicas(v string) (all bool, pairs [][2]int32, err error) {
	items := strings.Split(v, ",")
	joined := ""
	for _, it := range items {
		joined += strings.TrimSpace(it)
	}
	if joined == "*" {
		return true, nil, nil
	}
	for _, it := range items {
		it = strings.TrimSpace(it)
		if it == "" {
			continue
		}
		part, broker, ok := strings.Cut(it, ":")
		p, perr := strconv.ParseUint(part, 10, 31)
		b, berr := strconv.ParseUint(broker, 10, 31)
		if !ok || perr != nil || berr != nil || !digits(part) || !digits(broker) {
			return false, nil, fmt.Errorf("not a partitionId:brokerId pair: %q", it)
		}
		pairs = append(pairs, [2]int32{int32(p), int32(b)})
	}
	return false, pairs, nil
}

func digits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
