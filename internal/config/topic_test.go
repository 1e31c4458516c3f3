package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestValidateTopicConfig proves topic configs are checked with Kafka's types, ranges and messages.
func TestValidateTopicConfig(t *testing.T) {
	tests := []struct {
		name, value string
		sentinel    error // nil: valid
		msg         string
	}{
		{"cleanup.policy", "compact", nil, ""},
		{"cleanup.policy", "compact,delete", nil, ""},
		{"cleanup.policy", "delete, compact", nil, ""},
		{"cleanup.policy", "erase", ErrInvalidTopicConfig, `Invalid value erase for configuration cleanup.policy: item "erase" must be one of: compact, delete`},
		{"compression.type", "zstd", nil, ""},
		{"compression.type", "uncompressed", nil, ""},
		{"compression.type", "brotli", ErrInvalidTopicConfig, "Invalid value brotli for configuration compression.type"},
		{"compression.gzip.level", "-1", nil, ""},
		{"compression.gzip.level", "0", ErrInvalidTopicConfig, "Invalid value 0 for configuration compression.gzip.level: Value must be between 1 and 9 or equal to -1"},
		{"compression.lz4.level", "17", nil, ""},
		{"compression.lz4.level", "18", ErrInvalidTopicConfig, "Invalid value 18 for configuration compression.lz4.level: Value must be no more than 17"},
		{"compression.zstd.level", "-131072", nil, ""},
		{"compression.zstd.level", "23", ErrInvalidTopicConfig, "Invalid value 23 for configuration compression.zstd.level: Value must be no more than 22"},
		{"retention.ms", "-1", nil, ""},
		{"retention.ms", "-2", ErrInvalidTopicConfig, "Invalid value -2 for configuration retention.ms: must be at least -1"},
		{"retention.bytes", "-1", nil, ""},
		{"segment.bytes", "1048576", nil, ""},
		{"segment.bytes", "1000", ErrInvalidTopicConfig, "Invalid value 1000 for configuration segment.bytes: must be at least 1048576"},
		{"segment.bytes", "3000000000", ErrInvalidTopicConfig, "not an integer"},
		{"segment.ms", "0", ErrInvalidTopicConfig, "must be at least 1"},
		{"max.message.bytes", "abc", ErrInvalidTopicConfig, "Invalid value abc for configuration max.message.bytes: not an integer"},
		{"min.insync.replicas", "0", ErrInvalidTopicConfig, "must be at least 1"},
		{"min.cleanable.dirty.ratio", "0.1", nil, ""},
		{"min.cleanable.dirty.ratio", "2", ErrInvalidTopicConfig, "must be between 0 and 1"},
		{"message.timestamp.type", "LogAppendTime", nil, ""},
		{"message.timestamp.type", "Now", ErrInvalidTopicConfig, "must be one of: CreateTime, LogAppendTime"},
		{"unclean.leader.election.enable", "true", nil, ""},
		{"preallocate", "maybe", ErrInvalidTopicConfig, "not a boolean"},
		{"flush.messages", "0", ErrInvalidTopicConfig, "must be at least 1"},
		{"segment.index.bytes", "3", ErrInvalidTopicConfig, "must be at least 4"},
		{"no.such.config", "1", ErrUnknownTopicConfig, "Unknown topic config name: no.such.config"},
		{"confluent.value.schema.validation", "true", nil, ""},
		{"confluent.value.schema.validation", "yes", ErrInvalidTopicConfig, "Invalid value yes for configuration confluent.value.schema.validation"},
		{"confluent.value.subject.name.strategy", "io.confluent.kafka.serializers.subject.RecordNameStrategy", nil, ""},
		{"confluent.key.subject.name.strategy", "TopicRecordNameStrategy", nil, ""},
		{"confluent.key.subject.name.strategy", "com.example.MyStrategy", ErrInvalidTopicConfig, "other strategies cannot be checked by the broker"},
		{"gregor.schema.validation.mode", "payload", nil, ""},
		{"gregor.schema.validation.mode", "strict", ErrInvalidTopicConfig, "must be one of: id, payload"},
		{"leader.replication.throttled.replicas", "*", nil, ""},
		{"leader.replication.throttled.replicas", "", nil, ""},
		{"follower.replication.throttled.replicas", "0:1, 1:2,,2:3", nil, ""},
		{"follower.replication.throttled.replicas", "0:1,*", ErrInvalidTopicConfig,
			"Invalid value 0:1,* for configuration follower.replication.throttled.replicas: follower.replication.throttled.replicas must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],..."},
		{"leader.replication.throttled.replicas", "0-1", ErrInvalidTopicConfig, "must be the literal '*'"},
		{"leader.replication.throttled.replicas", "-1:2", ErrInvalidTopicConfig, "must be the literal '*'"},
	}
	for _, tt := range tests {
		err := ValidateTopicConfig(tt.name, tt.value)
		if tt.sentinel == nil {
			if err != nil {
				t.Errorf("%s=%s: unexpected %v", tt.name, tt.value, err)
			}
			continue
		}
		if !errors.Is(err, tt.sentinel) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s=%s: got %v, want %v containing %q", tt.name, tt.value, err, tt.sentinel, tt.msg)
		}
	}
}

// TestTopicConfigDefs proves the topic table is sorted, complete and names known broker synonyms.
func TestTopicConfigDefs(t *testing.T) {
	defs := TopicConfigDefs()
	want := []string{"cleanup.policy", "compression.gzip.level", "compression.lz4.level", "compression.type", "compression.zstd.level", "confluent.key.schema.validation", "confluent.key.subject.name.strategy",
		"confluent.value.schema.validation", "confluent.value.subject.name.strategy", "delete.retention.ms", "file.delete.delay.ms", "flush.messages",
		"flush.ms", "follower.replication.throttled.replicas", "gregor.flush.before.ack", "gregor.key.schema.validation", "gregor.schema.validation.mode", "gregor.value.schema.validation", "index.interval.bytes", "leader.replication.throttled.replicas", "max.compaction.lag.ms", "max.message.bytes", "message.timestamp.after.max.ms",
		"message.timestamp.before.max.ms", "message.timestamp.type", "min.cleanable.dirty.ratio", "min.compaction.lag.ms",
		"min.insync.replicas", "preallocate", "retention.bytes", "retention.ms", "segment.bytes", "segment.index.bytes",
		"segment.jitter.ms", "segment.ms", "unclean.leader.election.enable"}
	if len(defs) != len(want) {
		t.Fatalf("%d defs, want %d", len(defs), len(want))
	}
	c := Default()
	for i, d := range defs {
		if d.Name != want[i] {
			t.Errorf("defs[%d] = %s, want %s", i, d.Name, want[i])
		}
		v, src := c.TopicValue(d.Name, nil)
		if src != SourceDefault || d.Validate(v) != nil {
			t.Errorf("%s: default %q (source %s) does not validate: %v", d.Name, v, src, d.Validate(v))
		}
	}
}

// TestThrottledPartitions proves which partitions of a throttled-replicas
// value apply to a broker.
func TestThrottledPartitions(t *testing.T) {
	for _, tc := range []struct {
		value string
		all   bool
		want  []int32
	}{
		{"", false, nil},
		{" * ", true, nil},
		{"0:1,1:2,2:1,0:1", false, []int32{0, 2}},
		{"0:2", false, nil},
		{"bad", false, nil},
	} {
		all, got := ThrottledPartitions(tc.value, 1)
		if all != tc.all || !slices.Equal(got, tc.want) {
			t.Errorf("%q: all %v partitions %v, want %v %v", tc.value, all, got, tc.all, tc.want)
		}
	}
}

// TestTopicValue proves a topic override beats the broker setting, which beats the default, including through unit fallbacks.
func TestTopicValue(t *testing.T) {
	c := mustParse(t, map[string]string{"log.retention.hours": "1", "log.segment.bytes": "2097152"})
	tests := []struct {
		name      string
		overrides map[string]string
		value     string
		source    string
	}{
		{"retention.ms", nil, "3600000", SourceStaticBroker},
		{"retention.ms", map[string]string{"retention.ms": "5"}, "5", SourceDynamicTopic},
		{"segment.bytes", nil, "2097152", SourceStaticBroker},
		{"segment.ms", nil, "604800000", SourceDefault},
		{"flush.ms", nil, "9223372036854775807", SourceDefault},
		{"max.message.bytes", nil, "1048588", SourceDefault},
		{"cleanup.policy", nil, "delete", SourceDefault},
		{"message.timestamp.after.max.ms", nil, "3600000", SourceDefault},
		{"min.cleanable.dirty.ratio", nil, "0.5", SourceDefault},
		{"nope", nil, "", ""},
	}
	for _, tt := range tests {
		v, src := c.TopicValue(tt.name, tt.overrides)
		if v != tt.value || src != tt.source {
			t.Errorf("%s: got %q %s, want %q %s", tt.name, v, src, tt.value, tt.source)
		}
	}
}

// TestTopicSchemaValidation proves how the schema validation configs and
// their gregor. aliases combine, and that unset means off with
// TopicNameStrategy.
func TestTopicSchemaValidation(t *testing.T) {
	tests := []struct {
		overrides map[string]string
		want      SchemaValidation
	}{
		{nil, SchemaValidation{}},
		{map[string]string{"confluent.value.schema.validation": "true"}, SchemaValidation{Value: true}},
		{map[string]string{"gregor.key.schema.validation": "true", "gregor.schema.validation.mode": "payload"}, SchemaValidation{Key: true, Payload: true}},
		{map[string]string{"confluent.value.schema.validation": "false", "gregor.value.schema.validation": "true"}, SchemaValidation{Value: true}},
		{map[string]string{"confluent.value.schema.validation": "true", "confluent.value.subject.name.strategy": RecordNameStrategy,
			"confluent.key.subject.name.strategy": "TopicRecordNameStrategy"},
			SchemaValidation{Value: true, ValueStrategy: StrategyRecordName, KeyStrategy: StrategyTopicRecordName}},
	}
	for _, tt := range tests {
		if got := TopicSchemaValidation(tt.overrides); got != tt.want {
			t.Errorf("%v: got %+v, want %+v", tt.overrides, got, tt.want)
		}
	}
}
