package config

import (
	"errors"
	"strings"
	"testing"
)

// TestWithDynamicPrecedence proves the value in effect is the per-broker
// dynamic config, else the cluster default, else the static value, else
// Kafka's default, and that topics without an override inherit it with the
// matching source.
func TestWithDynamicPrecedence(t *testing.T) {
	static := mustParse(t, map[string]string{"log.retention.hours": "24", "message.max.bytes": "2000000", "min.insync.replicas": "2"})
	c, err := static.WithDynamic(
		map[string]string{"message.max.bytes": "3000000"},
		map[string]string{"message.max.bytes": "4000000", "log.retention.ms": "60000", "log.segment.bytes": "2097152"},
	)
	if err != nil {
		t.Fatal(err)
	}
	if c.MessageMaxBytes != 3000000 || c.LogRetentionMs != 60000 || c.LogSegmentBytes != 2097152 || c.MinInsyncReplicas != 2 {
		t.Fatalf("fields: max %d retention %d segment %d isr %d", c.MessageMaxBytes, c.LogRetentionMs, c.LogSegmentBytes, c.MinInsyncReplicas)
	}
	if c.Static() != static || static.MessageMaxBytes != 2000000 {
		t.Fatal("the static configuration must be kept apart and unchanged")
	}
	tests := []struct{ topicConfig, value, source string }{
		{"max.message.bytes", "3000000", SourceDynamicBroker},
		{"retention.ms", "60000", SourceDynamicDefaultBroker},
		{"segment.bytes", "2097152", SourceDynamicDefaultBroker},
		{"min.insync.replicas", "2", SourceStaticBroker},
		{"cleanup.policy", "delete", SourceDefault},
	}
	for _, tt := range tests {
		if v, src := c.TopicValue(tt.topicConfig, nil); v != tt.value || src != tt.source {
			t.Errorf("%s = %s from %s, want %s from %s", tt.topicConfig, v, src, tt.value, tt.source)
		}
	}
	if v, src := c.TopicValue("max.message.bytes", map[string]string{"max.message.bytes": "10"}); v != "10" || src != SourceDynamicTopic {
		t.Errorf("override: %s from %s", v, src)
	}
	if same, err := static.WithDynamic(nil, nil); err != nil || same != static {
		t.Errorf("no dynamic configs should give the static configuration back: %v", err)
	}
}

// TestBrokerEntrySynonyms proves DescribeConfigs synonyms come in Kafka's
// order (dynamic broker, dynamic default, static, default) and that the
// cluster-default view lists only the keys set there.
func TestBrokerEntrySynonyms(t *testing.T) {
	static := mustParse(t, map[string]string{"message.max.bytes": "2000000", "log.retention.hours": "24"})
	c, err := static.WithDynamic(map[string]string{"message.max.bytes": "3000000", "custom.plugin.key": "x"},
		map[string]string{"message.max.bytes": "4000000", "log.retention.ms": "1000"})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Entry{}
	for _, e := range c.Entries() {
		byName[e.Name] = e
	}
	syns := func(e Entry) string {
		var s []string
		for _, y := range e.Synonyms {
			s = append(s, y.Source+":"+y.Name+"="+y.Value)
		}
		return strings.Join(s, ", ")
	}
	if e := byName["message.max.bytes"]; e.Value != "3000000" || e.Source != SourceDynamicBroker ||
		syns(e) != "DYNAMIC_BROKER_CONFIG:message.max.bytes=3000000, DYNAMIC_DEFAULT_BROKER_CONFIG:message.max.bytes=4000000, STATIC_BROKER_CONFIG:message.max.bytes=2000000, DEFAULT_CONFIG:message.max.bytes=1048588" {
		t.Errorf("message.max.bytes: %s from %s, synonyms %s", e.Value, e.Source, syns(e))
	}
	if e := byName["log.retention.ms"]; e.Value != "1000" || e.Source != SourceDynamicDefaultBroker ||
		syns(e) != "DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=1000, STATIC_BROKER_CONFIG:log.retention.hours=24, DEFAULT_CONFIG:log.retention.hours=168" {
		t.Errorf("log.retention.ms: %s from %s, synonyms %s", e.Value, e.Source, syns(e))
	}
	if e := byName["log.retention.hours"]; e.Source != SourceStaticBroker || syns(e) != "STATIC_BROKER_CONFIG:log.retention.hours=24, DEFAULT_CONFIG:log.retention.hours=168" {
		t.Errorf("log.retention.hours: from %s, synonyms %s", e.Source, syns(e))
	}
	if e := byName["custom.plugin.key"]; !e.Sensitive || e.Source != SourceDynamicBroker || e.Value != "" {
		t.Errorf("custom key: %+v", e)
	}
	def := c.DefaultEntries()
	if len(def) != 2 || def[0].Name != "log.retention.ms" || def[1].Name != "message.max.bytes" {
		t.Fatalf("default entries: %+v", def)
	}
	if e := def[1]; e.Value != "4000000" || e.Source != SourceDynamicDefaultBroker || syns(e) != "DYNAMIC_DEFAULT_BROKER_CONFIG:message.max.bytes=4000000" {
		t.Errorf("default message.max.bytes: %s from %s, synonyms %s", e.Value, e.Source, syns(e))
	}
	var retention Entry
	for _, e := range c.TopicEntries(nil) {
		if e.Name == "retention.ms" {
			retention = e
		}
	}
	// As Kafka 4.2 answers (test/kafkadiff): the default layer lists only
	// log.retention.ms, which has no default, so log.retention.hours=168 is not a synonym.
	if retention.Value != "1000" || retention.Source != SourceDynamicDefaultBroker || syns(retention) !=
		"DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=1000, STATIC_BROKER_CONFIG:log.retention.hours=24" {
		t.Errorf("topic retention.ms: %+v", retention)
	}
}

// TestValidateDynamic proves dynamic broker changes are refused with
// Kafka's messages, in Kafka's order of checks.
func TestValidateDynamic(t *testing.T) {
	static := mustParse(t, nil)
	tests := []struct {
		perBroker, clusterDefault map[string]string
		clusterLevel              bool
		msg                       string // "" = valid
	}{
		{map[string]string{"log.retention.ms": "1000"}, nil, false, ""},
		{nil, map[string]string{"log.cleanup.policy": "compact,delete"}, true, ""},
		{map[string]string{"some.plugin.setting": "x"}, nil, false, ""},
		{map[string]string{"num.partitions": "3", "log.dirs": "/x", "message.max.bytes": "1"}, nil, false,
			"Cannot update these configs dynamically: Set(log.dirs, num.partitions)"},
		{map[string]string{"ssl.keystore.location": "/k"}, nil, false,
			"These security configs can be dynamically updated only per-listener using the listener prefix: Set(ssl.keystore.location)"},
		{map[string]string{"log.segment.bytes": "1000"}, nil, false,
			"Invalid value 1000 for configuration log.segment.bytes: must be at least 1048576"},
		{nil, map[string]string{"min.insync.replicas": "zero"}, true,
			"Invalid value zero for configuration min.insync.replicas: not an integer"},
		{nil, map[string]string{"advertised.listeners": "PLAINTEXT://h:1"}, true,
			"Cannot update these configs at default cluster level, broker id must be specified: Set(advertised.listeners)"},
		{map[string]string{"advertised.listeners": "PLAINTEXT://h:1"}, nil, false, ""},
		{nil, map[string]string{"log.cleaner.dedupe.buffer.size": "33554432", "log.cleaner.threads": "2"}, true, ""},
		{nil, map[string]string{"log.cleaner.dedupe.buffer.size": "2097152", "log.cleaner.threads": "2"}, true,
			"log.cleaner.dedupe.buffer.size must be at least 1MB per cleaner thread."},
	}
	for _, tt := range tests {
		err := static.ValidateDynamic(tt.perBroker, tt.clusterDefault, tt.clusterLevel)
		switch {
		case tt.msg == "" && err != nil:
			t.Errorf("%v %v: unexpected %v", tt.perBroker, tt.clusterDefault, err)
		case tt.msg != "" && (!errors.Is(err, ErrInvalidDynamicConfig) || err.Error() != tt.msg):
			t.Errorf("%v %v: got %v, want %q", tt.perBroker, tt.clusterDefault, err, tt.msg)
		}
	}
}
