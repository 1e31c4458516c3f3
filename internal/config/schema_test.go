package config

import (
	"errors"
	"testing"
)

// TestSchema proves what the controller's config operations learn from the
// schema: which names are LISTs, the value an unset config inherits from
// the broker's layers, and that a topic's configs are checked names first.
func TestSchema(t *testing.T) {
	for _, tt := range []struct {
		topic       bool
		name        string
		known, list bool
	}{
		{true, "cleanup.policy", true, true},
		{true, "retention.ms", true, false},
		{true, "no.such", false, false},
		{false, "log.cleanup.policy", true, true},
		{false, "message.max.bytes", true, false},
		{false, "no.such", false, false},
	} {
		lookup := LookupBrokerConfig
		if tt.topic {
			lookup = LookupTopicConfig
		}
		if known, list := lookup(tt.name); known != tt.known || list != tt.list {
			t.Errorf("lookup(%s) = %v, %v; want %v, %v", tt.name, known, list, tt.known, tt.list)
		}
	}

	static := mustParse(t, map[string]string{"log.cleanup.policy": "compact", "message.max.bytes": "2000000"})
	perBroker := map[string]string{"log.cleanup.policy": "delete"}
	clusterDefault := map[string]string{"message.max.bytes": "3000000"}
	for _, tt := range []struct {
		got, want string
	}{
		{static.InheritedTopicConfig("cleanup.policy", perBroker, clusterDefault), "delete"},
		{static.InheritedTopicConfig("cleanup.policy", nil, nil), "compact"},
		{static.InheritedBrokerConfig("message.max.bytes", false, clusterDefault), "3000000"},
		{static.InheritedBrokerConfig("message.max.bytes", true, clusterDefault), "2000000"},
	} {
		if tt.got != tt.want {
			t.Errorf("inherited %q, want %q", tt.got, tt.want)
		}
	}

	err := ValidateTopicConfigs(map[string]string{"retention.ms": "x", "zz.unknown": "1"})
	if !errors.Is(err, ErrUnknownTopicConfig) {
		t.Errorf("unknown name after a bad value: %v, want the unknown name first", err)
	}
	if err := ValidateTopicConfigs(map[string]string{"retention.ms": "x"}); !errors.Is(err, ErrInvalidTopicConfig) {
		t.Errorf("bad value: %v", err)
	}
	if err := ValidateTopicConfigs(map[string]string{"retention.ms": "5", "cleanup.policy": "compact"}); err != nil {
		t.Errorf("good configs: %v", err)
	}
}
