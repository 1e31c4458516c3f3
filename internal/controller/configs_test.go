package controller

import (
	"errors"
	"maps"
	"testing"

	"gregor/internal/config"
	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

// schemaCluster checks config names and values with the schema of the
// default configuration.
var schemaCluster = Cluster{NodeID: 1, DefaultPartitions: 1, DefaultReplicationFactor: 1, Config: config.Default()}

func topicRes(name string) metadata.ConfigResource {
	return metadata.ConfigResource{Type: metadata.ResourceTopic, Name: name}
}

// TestIncrementalAlterConfigs proves SET, DELETE, APPEND and SUBTRACT edit
// only the named keys, start a list from its inherited value, write records
// only for values that change, and fail as a whole with Kafka's codes.
func TestIncrementalAlterConfigs(t *testing.T) {
	img := withBrokers(t, 1)
	recs, err := CreateTopic(img, schemaCluster, TopicSpec{Name: "t", Configs: map[string]string{"retention.ms": "5"}}, kafka.NewTopicID())
	if err != nil {
		t.Fatal(err)
	}
	img = apply(t, img, recs)
	alter := func(res metadata.ConfigResource, changes ...ConfigChange) error {
		t.Helper()
		recs, err := IncrementalAlterConfigs(img, schemaCluster, res, changes)
		if err == nil {
			img = apply(t, img, recs)
		}
		return err
	}
	steps := []struct {
		changes []ConfigChange
		want    map[string]string
	}{
		{[]ConfigChange{{Name: "cleanup.policy", Op: ConfigAppend, Value: "compact"}}, map[string]string{"retention.ms": "5", "cleanup.policy": "delete,compact"}},
		{[]ConfigChange{{Name: "cleanup.policy", Op: ConfigAppend, Value: "compact"}}, map[string]string{"retention.ms": "5", "cleanup.policy": "delete,compact"}},
		{[]ConfigChange{{Name: "cleanup.policy", Op: ConfigSubtract, Value: "delete"}}, map[string]string{"retention.ms": "5", "cleanup.policy": "compact"}},
		{[]ConfigChange{{Name: "retention.ms", Op: ConfigDelete}, {Name: "retention.ms", Op: ConfigSet, Value: "7"}}, map[string]string{"retention.ms": "7", "cleanup.policy": "compact"}},
		{[]ConfigChange{{Name: "retention.ms", Op: ConfigDelete}, {Name: "cleanup.policy", Op: ConfigDelete}}, nil},
	}
	for i, s := range steps {
		if err := alter(topicRes("t"), s.changes...); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := img.Configs(topicRes("t")); !maps.Equal(got, s.want) {
			t.Fatalf("step %d: configs %v, want %v", i, got, s.want)
		}
	}
	if recs, _ := IncrementalAlterConfigs(img, schemaCluster, topicRes("t"), []ConfigChange{{Name: "retention.ms", Op: ConfigDelete}}); len(recs) != 0 {
		t.Errorf("deleting an unset config wrote %v", recs)
	}

	broker := metadata.ConfigResource{Type: metadata.ResourceBroker, Name: "1"}
	clusterDefault := metadata.ConfigResource{Type: metadata.ResourceBroker}
	errs := []struct {
		res     metadata.ConfigResource
		change  ConfigChange
		target  error
		message string
	}{
		{topicRes("t"), ConfigChange{Name: "retention.ms", Op: ConfigAppend, Value: "1"}, ErrInvalidConfig, "Can't APPEND to key retention.ms because its type is not LIST."},
		{topicRes("t"), ConfigChange{Name: "retention.ms", Op: ConfigSet, Value: "bad"}, ErrInvalidConfig, "Invalid value bad for configuration retention.ms: not an integer"},
		{topicRes("missing"), ConfigChange{Name: "retention.ms", Op: ConfigSet, Value: "1"}, ErrUnknownTopic, "The topic 'missing' does not exist."},
		{topicRes(""), ConfigChange{Name: "retention.ms", Op: ConfigSet, Value: "1"}, ErrInvalidRequest, "Default topic resources are not allowed."},
		{topicRes("t"), ConfigChange{Name: "retention.ms", Op: 9}, ErrInvalidRequest, "Unknown operations type 9"},
		{broker, ConfigChange{Name: "message.max.bytes", Op: ConfigSubtract, Value: "1"}, ErrInvalidConfig, "Config value subtract is not allowed for config key: message.max.bytes"},
		{broker, ConfigChange{Name: "no.such", Op: ConfigAppend, Value: "1"}, ErrInvalidConfig, "Unknown config name: no.such"},
		{clusterDefault, ConfigChange{Name: "message.max.bytes", Op: ConfigSet, Value: "bad"}, ErrInvalidRequest, "Invalid value bad for configuration message.max.bytes: not an integer"},
		{metadata.ConfigResource{Type: metadata.ResourceBroker, Name: "2"}, ConfigChange{Name: "message.max.bytes", Op: ConfigSet, Value: "1"}, ErrBrokerNotRegistered, "No node with id 2 found."},
		{metadata.ConfigResource{Type: metadata.ResourceBroker, Name: "x"}, ConfigChange{Name: "message.max.bytes", Op: ConfigSet, Value: "1"}, ErrInvalidRequest, "Invalid broker name x"},
		{metadata.ConfigResource{Type: 8, Name: "1"}, ConfigChange{Name: "a", Op: ConfigSet, Value: "1"}, ErrInvalidRequest, "Unknown resource type 8"},
	}
	for _, e := range errs {
		before := img
		err := alter(e.res, e.change)
		if !errors.Is(err, e.target) || err.Error() != e.message {
			t.Errorf("%v %+v: got %v, want %v %q", e.res, e.change, err, e.target, e.message)
		}
		if img != before {
			t.Errorf("%v %+v: a failed change altered the image", e.res, e.change)
		}
	}

	if err := alter(clusterDefault, ConfigChange{Name: "log.cleanup.policy", Op: ConfigAppend, Value: "compact"}); err != nil {
		t.Fatal(err)
	}
	if got := img.Configs(clusterDefault)["log.cleanup.policy"]; got != "delete,compact" {
		t.Errorf("cluster default log.cleanup.policy = %q", got)
	}
}

// TestReplaceConfigs proves the legacy AlterConfigs replaces the whole set:
// keys it does not name are deleted.
func TestReplaceConfigs(t *testing.T) {
	img := withBrokers(t, 1)
	recs, _ := CreateTopic(img, schemaCluster, TopicSpec{Name: "t", Configs: map[string]string{"retention.ms": "5"}}, kafka.NewTopicID())
	img = apply(t, img, recs)
	recs, err := ReplaceConfigs(img, schemaCluster, topicRes("t"), map[string]string{"cleanup.policy": "compact"})
	if err != nil {
		t.Fatal(err)
	}
	img = apply(t, img, recs)
	if got := img.Configs(topicRes("t")); !maps.Equal(got, map[string]string{"cleanup.policy": "compact"}) {
		t.Fatalf("configs %v", got)
	}
	if _, err := ReplaceConfigs(img, schemaCluster, topicRes("t"), map[string]string{"retention.ms": "bad"}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("bad value: %v", err)
	}
}
