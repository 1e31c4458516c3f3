package config

import "strings"

// Broker-side schema validation (Confluent Server's topic configs, with
// Gregor's aliases): the names and values the handler reads.

// Subject name strategies, by Confluent's class names; the short names
// are accepted too.
const (
	TopicNameStrategy       = "io.confluent.kafka.serializers.subject.TopicNameStrategy"
	RecordNameStrategy      = "io.confluent.kafka.serializers.subject.RecordNameStrategy"
	TopicRecordNameStrategy = "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy"
)

// Values of gregor.schema.validation.mode.
const (
	SchemaValidationID      = "id"
	SchemaValidationPayload = "payload"
)

// SubjectStrategy names a subject name strategy.
type SubjectStrategy int

const (
	StrategyTopicName SubjectStrategy = iota
	StrategyRecordName
	StrategyTopicRecordName
)

// ParseSubjectStrategy returns the strategy a config value names, by
// class name or short name.
func ParseSubjectStrategy(v string) (SubjectStrategy, bool) {
	v = strings.TrimSpace(v)
	switch strings.TrimPrefix(v, "io.confluent.kafka.serializers.subject.") {
	case "TopicNameStrategy":
		return StrategyTopicName, true
	case "RecordNameStrategy":
		return StrategyRecordName, true
	case "TopicRecordNameStrategy":
		return StrategyTopicRecordName, true
	}
	return 0, false
}

func subjectNameStrategy(v string) string {
	if _, ok := ParseSubjectStrategy(v); !ok {
		return "must be one of TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy (class names in io.confluent.kafka.serializers.subject, or short); other strategies cannot be checked by the broker"
	}
	return ""
}

// SchemaValidation is a topic's schema validation settings.
type SchemaValidation struct {
	Key, Value    bool
	KeyStrategy   SubjectStrategy
	ValueStrategy SubjectStrategy
	Payload       bool // gregor.schema.validation.mode=payload
}

// On reports whether keys or values are validated.
func (v SchemaValidation) On() bool { return v.Key || v.Value }

// TopicSchemaValidation reads a topic's schema validation settings from
// its overrides (these configs have no broker synonym). Values were
// validated when they were set; anything else reads as the default.
func TopicSchemaValidation(overrides map[string]string) SchemaValidation {
	if len(overrides) == 0 {
		return SchemaValidation{}
	}
	isTrue := func(name string) bool { return strings.EqualFold(strings.TrimSpace(overrides[name]), "true") }
	strategy := func(name string) SubjectStrategy {
		s, _ := ParseSubjectStrategy(overrides[name])
		return s
	}
	return SchemaValidation{
		Key:           isTrue("confluent.key.schema.validation") || isTrue("gregor.key.schema.validation"),
		Value:         isTrue("confluent.value.schema.validation") || isTrue("gregor.value.schema.validation"),
		KeyStrategy:   strategy("confluent.key.subject.name.strategy"),
		ValueStrategy: strategy("confluent.value.subject.name.strategy"),
		Payload:       strings.TrimSpace(overrides["gregor.schema.validation.mode"]) == SchemaValidationPayload,
	}
}
