package node_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
)

// configOf returns one config of a described resource, failing the test if
// the resource errs or lacks it.
func configOf(t *testing.T, rcs kadm.ResourceConfigs, resource, key string) kadm.Config {
	t.Helper()
	rc, err := rcs.On(resource, nil)
	if err == nil {
		err = rc.Err
	}
	if err != nil {
		t.Fatalf("describe %q: %v", resource, err)
	}
	for _, c := range rc.Configs {
		if c.Key == key {
			return c
		}
	}
	t.Fatalf("%q has no config %s", resource, key)
	return kadm.Config{}
}

func topicConfig(t *testing.T, adm *kadm.Client, topic, key string) kadm.Config {
	t.Helper()
	rcs, err := adm.DescribeTopicConfigs(testContext(t), topic)
	if err != nil {
		t.Fatal(err)
	}
	return configOf(t, rcs, topic, key)
}

// alterTopic runs one IncrementalAlterConfigs on topic and returns its error.
func alterTopic(t *testing.T, adm *kadm.Client, topic string, op kadm.IncrementalOp, key string, value *string) error {
	t.Helper()
	resps, err := adm.AlterTopicConfigs(testContext(t), []kadm.AlterConfig{{Op: op, Name: key, Value: value}}, topic)
	if err != nil {
		t.Fatal(err)
	}
	return resps[0].Err
}

// alterBrokers runs one IncrementalAlterConfigs on the cluster default
// (no brokers) or on the given brokers and returns the first error.
func alterBrokers(t *testing.T, adm *kadm.Client, op kadm.IncrementalOp, key string, value *string, brokers ...int32) error {
	t.Helper()
	resps, err := adm.AlterBrokerConfigs(testContext(t), []kadm.AlterConfig{{Op: op, Name: key, Value: value}}, brokers...)
	if err != nil {
		t.Fatal(err)
	}
	return resps[0].Err
}

func produceErr(t *testing.T, cl *kgo.Client, topic string, size int) error {
	t.Helper()
	return cl.ProduceSync(testContext(t), &kgo.Record{Topic: topic, Value: randomBytes(size)}).FirstErr()
}

func segmentFiles(t *testing.T, dir, topic string) int {
	t.Helper()
	logs, err := filepath.Glob(filepath.Join(dir, topic+"-0", "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	return len(logs)
}

// TestIncrementalAlterTopicConfig proves SET shows as DYNAMIC_TOPIC_CONFIG
// and takes effect on the live partition (a smaller max.message.bytes
// refuses a batch, a smaller segment.bytes rolls segments), DELETE restores
// the broker default, and APPEND/SUBTRACT edit cleanup.policy as a list.
func TestIncrementalAlterTopicConfig(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	createTopic(t, n.Addr, "dyn", 1, nil)
	cl := newClient(t, n.Addr, kgo.ProducerBatchMaxBytes(4<<20), kgo.RecordRetries(1))
	adm := kadm.NewClient(cl)
	if err := produceErr(t, cl, "dyn", 5000); err != nil {
		t.Fatalf("5000 bytes under the default limit: %v", err)
	}

	if err := alterTopic(t, adm, "dyn", kadm.SetConfig, "max.message.bytes", kadm.StringPtr("2000")); err != nil {
		t.Fatal(err)
	}
	if c := topicConfig(t, adm, "dyn", "max.message.bytes"); c.MaybeValue() != "2000" || c.Source != kmsg.ConfigSourceDynamicTopicConfig {
		t.Fatalf("after SET: %s from %s", c.MaybeValue(), c.Source)
	}
	if err := produceErr(t, cl, "dyn", 5000); !errors.Is(err, kerr.MessageTooLarge) {
		t.Fatalf("5000 bytes over a live max.message.bytes=2000: %v", err)
	}
	if err := alterTopic(t, adm, "dyn", kadm.DeleteConfig, "max.message.bytes", nil); err != nil {
		t.Fatal(err)
	}
	if c := topicConfig(t, adm, "dyn", "max.message.bytes"); c.MaybeValue() != "1048588" || c.Source != kmsg.ConfigSourceDefaultConfig {
		t.Fatalf("after DELETE: %s from %s", c.MaybeValue(), c.Source)
	}
	if err := produceErr(t, cl, "dyn", 5000); err != nil {
		t.Fatalf("after DELETE: %v", err)
	}

	// segment.bytes: Kafka's minimum is 1 MiB; 3 MiB of 100 KiB batches roll it.
	if err := alterTopic(t, adm, "dyn", kadm.SetConfig, "segment.bytes", kadm.StringPtr("1048576")); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 30; i++ {
		if err := produceErr(t, cl, "dyn", 100<<10); err != nil {
			t.Fatal(err)
		}
	}
	if got := segmentFiles(t, n.Dir, "dyn"); got < 3 {
		t.Fatalf("%d segments after 3 MiB with segment.bytes=1MiB", got)
	}

	if err := alterTopic(t, adm, "dyn", kadm.AppendConfig, "cleanup.policy", kadm.StringPtr("compact")); err != nil {
		t.Fatal(err)
	}
	if c := topicConfig(t, adm, "dyn", "cleanup.policy"); c.MaybeValue() != "delete,compact" {
		t.Fatalf("after APPEND compact: %s", c.MaybeValue())
	}
	if err := alterTopic(t, adm, "dyn", kadm.SubtractConfig, "cleanup.policy", kadm.StringPtr("delete")); err != nil {
		t.Fatal(err)
	}
	if c := topicConfig(t, adm, "dyn", "cleanup.policy"); c.MaybeValue() != "compact" || c.Source != kmsg.ConfigSourceDynamicTopicConfig {
		t.Fatalf("after SUBTRACT delete: %s from %s", c.MaybeValue(), c.Source)
	}
}

// TestBrokerDefaultConfigs proves a dynamic cluster default reaches, live,
// every topic without an override and no topic with one; that a per-broker
// value beats the cluster default; and that DescribeConfigs reports the
// layers with Kafka's sources.
func TestBrokerDefaultConfigs(t *testing.T) {
	n := nodetest.Start(t, "", map[string]string{"log.retention.hours": "24"})
	createTopic(t, n.Addr, "plain", 1, nil)
	createTopic(t, n.Addr, "own", 1, map[string]*string{"max.message.bytes": kadm.StringPtr("100000")})
	cl := newClient(t, n.Addr, kgo.ProducerBatchMaxBytes(4<<20), kgo.RecordRetries(1))
	adm := kadm.NewClient(cl)

	if err := alterBrokers(t, adm, kadm.SetConfig, "message.max.bytes", kadm.StringPtr("3000")); err != nil {
		t.Fatal(err)
	}
	if err := produceErr(t, cl, "plain", 5000); !errors.Is(err, kerr.MessageTooLarge) {
		t.Fatalf("plain topic under message.max.bytes=3000: %v", err)
	}
	if err := produceErr(t, cl, "own", 5000); err != nil {
		t.Fatalf("topic with its own max.message.bytes: %v", err)
	}
	if c := topicConfig(t, adm, "plain", "max.message.bytes"); c.MaybeValue() != "3000" || c.Source != kmsg.ConfigSourceDynamicDefaultBrokerConfig {
		t.Fatalf("plain max.message.bytes: %s from %s", c.MaybeValue(), c.Source)
	}

	if err := alterBrokers(t, adm, kadm.SetConfig, "log.retention.ms", kadm.StringPtr("60000")); err != nil {
		t.Fatal(err)
	}
	if c := topicConfig(t, adm, "plain", "retention.ms"); c.MaybeValue() != "60000" || c.Source != kmsg.ConfigSourceDynamicDefaultBrokerConfig {
		t.Fatalf("plain retention.ms: %s from %s", c.MaybeValue(), c.Source)
	}

	if err := alterBrokers(t, adm, kadm.SetConfig, "message.max.bytes", kadm.StringPtr("8000"), 1); err != nil {
		t.Fatal(err)
	}
	if err := produceErr(t, cl, "plain", 5000); err != nil {
		t.Fatalf("per-broker message.max.bytes=8000 beats the default 3000: %v", err)
	}
	rcs, err := adm.DescribeBrokerConfigs(testContext(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	c := configOf(t, rcs, "1", "message.max.bytes")
	if c.MaybeValue() != "8000" || c.Source != kmsg.ConfigSourceDynamicBrokerConfig || len(c.Synonyms) != 3 ||
		c.Synonyms[1].Source != kmsg.ConfigSourceDynamicDefaultBrokerConfig || c.Synonyms[2].Source != kmsg.ConfigSourceDefaultConfig {
		t.Fatalf("broker message.max.bytes: %+v", c)
	}
	if c := configOf(t, rcs, "1", "log.retention.hours"); c.MaybeValue() != "24" || c.Source != kmsg.ConfigSourceStaticBrokerConfig {
		t.Fatalf("broker log.retention.hours: %+v", c)
	}
	rcs, err = adm.DescribeBrokerConfigs(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if rc, _ := rcs.On("", nil); len(rc.Configs) != 2 {
		t.Fatalf("cluster default lists %d configs, want the 2 set: %+v", len(rc.Configs), rc.Configs)
	}
	if c := configOf(t, rcs, "", "message.max.bytes"); c.MaybeValue() != "3000" || c.Source != kmsg.ConfigSourceDynamicDefaultBrokerConfig {
		t.Fatalf("default message.max.bytes: %+v", c)
	}

	// log.segment.bytes and min.insync.replicas reach the live partitions
	// of topics without an override, and not the others.
	createTopic(t, n.Addr, "own-segments", 1, map[string]*string{"segment.bytes": kadm.StringPtr("1073741824"), "min.insync.replicas": kadm.StringPtr("1")})
	if err := alterBrokers(t, adm, kadm.SetConfig, "log.segment.bytes", kadm.StringPtr("1048576")); err != nil {
		t.Fatal(err)
	}
	for _, topic := range []string{"plain", "own-segments"} {
		for i := 0; i < 30; i++ {
			if err := produceErr(t, cl, topic, 4000); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := alterBrokers(t, adm, kadm.SetConfig, "message.max.bytes", kadm.StringPtr("200000"), 1); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 15; i++ {
		for _, topic := range []string{"plain", "own-segments"} {
			if err := produceErr(t, cl, topic, 100000); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := segmentFiles(t, n.Dir, "plain"); got < 2 {
		t.Errorf("plain: %d segments after 1.5 MB with log.segment.bytes=1MiB", got)
	}
	if got := segmentFiles(t, n.Dir, "own-segments"); got != 1 {
		t.Errorf("own-segments: %d segments despite its segment.bytes=1GiB", got)
	}
	if err := alterBrokers(t, adm, kadm.SetConfig, "min.insync.replicas", kadm.StringPtr("2")); err != nil {
		t.Fatal(err)
	}
	if code := rawProduceCode(t, cl, "plain", -1, -1, -1, 1); code != kerr.NotEnoughReplicas.Code {
		t.Errorf("acks=all under a min.insync.replicas=2 default on one node: %v", kerr.ErrorForCode(code))
	}
	if code := rawProduceCode(t, cl, "own-segments", -1, -1, -1, 1); code != 0 {
		t.Errorf("acks=all on a topic with its own min.insync.replicas=1: %v", kerr.ErrorForCode(code))
	}
	if err := alterBrokers(t, adm, kadm.DeleteConfig, "min.insync.replicas", nil); err != nil {
		t.Fatal(err)
	}

	// Deleting both dynamic values returns the topic to Kafka's default.
	if err := alterBrokers(t, adm, kadm.DeleteConfig, "message.max.bytes", nil, 1); err != nil {
		t.Fatal(err)
	}
	if err := alterBrokers(t, adm, kadm.DeleteConfig, "message.max.bytes", nil); err != nil {
		t.Fatal(err)
	}
	if c := topicConfig(t, adm, "plain", "max.message.bytes"); c.MaybeValue() != "1048588" || c.Source != kmsg.ConfigSourceDefaultConfig {
		t.Fatalf("after deleting both: %s from %s", c.MaybeValue(), c.Source)
	}
}

// TestDynamicConfigsSurviveRestart proves topic overrides and dynamic
// broker configs are durable, and apply from start-up.
func TestDynamicConfigsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	n := nodetest.Start(t, dir, nil)
	createTopic(t, n.Addr, "keep", 1, nil)
	createTopic(t, n.Addr, "free", 1, nil)
	adm := kadm.NewClient(newClient(t, n.Addr))
	if err := alterTopic(t, adm, "keep", kadm.SetConfig, "max.message.bytes", kadm.StringPtr("2000")); err != nil {
		t.Fatal(err)
	}
	if err := alterBrokers(t, adm, kadm.SetConfig, "message.max.bytes", kadm.StringPtr("4000")); err != nil {
		t.Fatal(err)
	}
	if err := alterBrokers(t, adm, kadm.SetConfig, "log.flush.interval.messages", kadm.StringPtr("1"), 1); err != nil {
		t.Fatal(err)
	}
	n.Shutdown()

	n = nodetest.Start(t, dir, nil)
	cl := newClient(t, n.Addr, kgo.ProducerBatchMaxBytes(4<<20), kgo.RecordRetries(1))
	adm = kadm.NewClient(cl)
	if c := topicConfig(t, adm, "keep", "max.message.bytes"); c.MaybeValue() != "2000" || c.Source != kmsg.ConfigSourceDynamicTopicConfig {
		t.Fatalf("topic override after restart: %s from %s", c.MaybeValue(), c.Source)
	}
	if c := topicConfig(t, adm, "free", "flush.messages"); c.MaybeValue() != "1" || c.Source != kmsg.ConfigSourceDynamicBrokerConfig {
		t.Fatalf("per-broker default after restart: %s from %s", c.MaybeValue(), c.Source)
	}
	if err := produceErr(t, cl, "free", 5000); !errors.Is(err, kerr.MessageTooLarge) {
		t.Fatalf("cluster default message.max.bytes=4000 after restart: %v", err)
	}
	if err := produceErr(t, cl, "keep", 3000); !errors.Is(err, kerr.MessageTooLarge) {
		t.Fatalf("topic max.message.bytes=2000 after restart: %v", err)
	}
	if err := produceErr(t, cl, "free", 3000); err != nil {
		t.Fatalf("3000 under the cluster default 4000: %v", err)
	}
}

// rawIncremental sends one IncrementalAlterConfigs to node 1 and returns
// the resources of its response.
func rawIncremental(t *testing.T, cl *kgo.Client, validateOnly bool, resources ...kmsg.IncrementalAlterConfigsRequestResource) []kmsg.IncrementalAlterConfigsResponseResource {
	t.Helper()
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	req.ValidateOnly, req.Resources = validateOnly, resources
	resp, err := req.RequestWith(testContext(t), cl.Broker(1))
	if err != nil {
		t.Fatal(err)
	}
	return resp.Resources
}

func incResource(typ kmsg.ConfigResourceType, name string, ops ...kmsg.IncrementalAlterConfigsRequestResourceConfig) kmsg.IncrementalAlterConfigsRequestResource {
	r := kmsg.NewIncrementalAlterConfigsRequestResource()
	r.ResourceType, r.ResourceName, r.Configs = typ, name, ops
	return r
}

func incOp(op kmsg.IncrementalAlterConfigOp, name string, value *string) kmsg.IncrementalAlterConfigsRequestResourceConfig {
	c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
	c.Op, c.Name, c.Value = op, name, value
	return c
}

// TestAlterConfigsErrors proves every refused change answers the Java
// broker's code and message and changes nothing, and that validate_only
// changes nothing either.
func TestAlterConfigsErrors(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	createTopic(t, n.Addr, "err", 1, map[string]*string{"retention.ms": kadm.StringPtr("1000")})
	cl := newClient(t, n.Addr)
	set := kmsg.IncrementalAlterConfigOpSet
	topic := func(ops ...kmsg.IncrementalAlterConfigsRequestResourceConfig) kmsg.IncrementalAlterConfigsRequestResource {
		return incResource(kmsg.ConfigResourceTypeTopic, "err", ops...)
	}
	broker := func(name string, ops ...kmsg.IncrementalAlterConfigsRequestResourceConfig) kmsg.IncrementalAlterConfigsRequestResource {
		return incResource(kmsg.ConfigResourceTypeBroker, name, ops...)
	}
	tests := []struct {
		name     string
		resource kmsg.IncrementalAlterConfigsRequestResource
		code     *kerr.Error
		message  string
	}{
		{"unknown topic key", topic(incOp(set, "no.such.config", kmsg.StringPtr("1"))), kerr.InvalidConfig, "Unknown topic config name: no.such.config"},
		{"bad topic value", topic(incOp(set, "retention.ms", kmsg.StringPtr("-5"))), kerr.InvalidConfig, "Invalid value -5 for configuration retention.ms: must be at least -1"},
		{"append to a non-list", topic(incOp(kmsg.IncrementalAlterConfigOpAppend, "retention.ms", kmsg.StringPtr("1"))), kerr.InvalidConfig, "Can't APPEND to key retention.ms because its type is not LIST."},
		{"unknown topic", incResource(kmsg.ConfigResourceTypeTopic, "ghost", incOp(set, "retention.ms", kmsg.StringPtr("1"))), kerr.UnknownTopicOrPartition, "The topic 'ghost' does not exist."},
		{"null value", topic(incOp(set, "retention.ms", nil)), kerr.InvalidRequest, "Null value not supported for : retention.ms"},
		{"key twice", topic(incOp(set, "retention.ms", kmsg.StringPtr("1")), incOp(kmsg.IncrementalAlterConfigOpDelete, "retention.ms", nil)), kerr.InvalidRequest, "Error due to duplicate config keys"},
		{"other broker", broker("2", incOp(set, "message.max.bytes", kmsg.StringPtr("1"))), kerr.InvalidRequest, "Unexpected broker id, expected 1, but received 2"},
		{"broker name", broker("one", incOp(set, "message.max.bytes", kmsg.StringPtr("1"))), kerr.InvalidRequest, "Node id must be an integer, but it is: one"},
		{"read-only broker key", broker("1", incOp(set, "num.partitions", kmsg.StringPtr("3"))), kerr.InvalidRequest, "Cannot update these configs dynamically: Set(num.partitions)"},
		{"bad broker value", broker("", incOp(set, "log.segment.bytes", kmsg.StringPtr("1000"))), kerr.InvalidRequest, "Invalid value 1000 for configuration log.segment.bytes: must be at least 1048576"},
		{"per-broker key at default", broker("", incOp(set, "advertised.listeners", kmsg.StringPtr("PLAINTEXT://h:1"))), kerr.InvalidRequest,
			"Cannot update these configs at default cluster level, broker id must be specified: Set(advertised.listeners)"},
		{"subtract from a broker non-list", broker("1", incOp(kmsg.IncrementalAlterConfigOpSubtract, "message.max.bytes", kmsg.StringPtr("1"))), kerr.InvalidConfig,
			"Config value subtract is not allowed for config key: message.max.bytes"},
		{"unsupported resource type", incResource(kmsg.ConfigResourceTypeClientMetrics, "m", incOp(set, "interval.ms", kmsg.StringPtr("60000"))), kerr.InvalidRequest, "Unknown resource type 16"},
	}
	snapshot := func() map[string]string {
		adm := kadm.NewClient(cl)
		out := map[string]string{}
		rcs, err := adm.DescribeTopicConfigs(testContext(t), "err")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range rcs[0].Configs {
			out["topic/"+c.Key] = c.MaybeValue() + "/" + c.Source.String()
		}
		for _, b := range [][]int32{{1}, nil} {
			rcs, err := adm.DescribeBrokerConfigs(testContext(t), b...)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range rcs[0].Configs {
				out["broker"+rcs[0].Name+"/"+c.Key] = c.MaybeValue() + "/" + c.Source.String()
			}
		}
		return out
	}
	before := snapshot()
	for _, tt := range tests {
		for _, validateOnly := range []bool{false, true} {
			got := rawIncremental(t, cl, validateOnly, tt.resource)
			if len(got) != 1 || got[0].ErrorCode != tt.code.Code || got[0].ErrorMessage == nil || *got[0].ErrorMessage != tt.message {
				t.Errorf("%s (validate_only %v): %+v, want %s %q", tt.name, validateOnly, got, tt.code.Message, tt.message)
			}
		}
	}

	// A resource named twice fails twice, whatever else the request holds.
	ok := topic(incOp(set, "retention.ms", kmsg.StringPtr("2000")))
	got := rawIncremental(t, cl, false, ok, topic(incOp(set, "segment.ms", kmsg.StringPtr("2000"))))
	for _, r := range got {
		if r.ErrorCode != kerr.InvalidRequest.Code || r.ErrorMessage == nil || *r.ErrorMessage != "Each resource must appear at most once." {
			t.Errorf("duplicate resource: %+v", r)
		}
	}
	// validate_only accepts a good change and writes nothing.
	if got := rawIncremental(t, cl, true, ok, broker("", incOp(set, "message.max.bytes", kmsg.StringPtr("5000")))); got[0].ErrorCode != 0 || got[1].ErrorCode != 0 {
		t.Fatalf("validate_only of valid changes: %+v", got)
	}
	after := snapshot()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s changed from %s to %s", k, v, after[k])
		}
	}
	if len(after) != len(before) {
		t.Errorf("%d configs described before, %d after", len(before), len(after))
	}
}

// TestLegacyAlterConfigs proves AlterConfigs (v0–2) replaces the whole set
// of a resource's overrides, as Kafka does, and refuses what Incremental
// refuses.
func TestLegacyAlterConfigs(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	createTopic(t, n.Addr, "legacy", 1, map[string]*string{"retention.ms": kadm.StringPtr("1000"), "segment.ms": kadm.StringPtr("2000")})
	adm := kadm.NewClient(newClient(t, n.Addr))
	resps, err := adm.AlterTopicConfigsState(testContext(t), []kadm.AlterConfig{{Name: "cleanup.policy", Value: kadm.StringPtr("compact")}}, "legacy")
	if err != nil || resps[0].Err != nil {
		t.Fatalf("AlterConfigs: %v %v", err, resps)
	}
	if c := topicConfig(t, adm, "legacy", "retention.ms"); c.Source != kmsg.ConfigSourceDefaultConfig {
		t.Fatalf("retention.ms not named by AlterConfigs survived: %s from %s", c.MaybeValue(), c.Source)
	}
	if c := topicConfig(t, adm, "legacy", "cleanup.policy"); c.MaybeValue() != "compact" || c.Source != kmsg.ConfigSourceDynamicTopicConfig {
		t.Fatalf("cleanup.policy: %s from %s", c.MaybeValue(), c.Source)
	}
	resps, _ = adm.AlterTopicConfigsState(testContext(t), []kadm.AlterConfig{{Name: "cleanup.policy", Value: kadm.StringPtr("shred")}}, "legacy")
	if !errors.Is(resps[0].Err, kerr.InvalidConfig) {
		t.Fatalf("bad value: %v", resps[0].Err)
	}
	resps, _ = adm.AlterBrokerConfigsState(testContext(t), []kadm.AlterConfig{{Name: "log.dirs", Value: kadm.StringPtr("/tmp")}}, 1)
	if !errors.Is(resps[0].Err, kerr.InvalidRequest) || resps[0].ErrMessage != "Cannot update these configs dynamically: Set(log.dirs)" {
		t.Fatalf("read-only broker key: %v %q", resps[0].Err, resps[0].ErrMessage)
	}
	resps, _ = adm.ValidateAlterTopicConfigsState(testContext(t), nil, "legacy")
	if resps[0].Err != nil {
		t.Fatal(resps[0].Err)
	}
	if c := topicConfig(t, adm, "legacy", "cleanup.policy"); c.MaybeValue() != "compact" {
		t.Fatalf("validate_only removed cleanup.policy: %s", c.MaybeValue())
	}
}

// TestDescribeConfigsResources proves DescribeConfigs answers the cluster
// default resource (only what is set there), reports read-only keys and
// null values as Kafka does, and refuses other broker ids and invalid topic
// names with Kafka's codes and messages.
func TestDescribeConfigsResources(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	cl := newClient(t, n.Addr)
	req := kmsg.NewPtrDescribeConfigsRequest()
	for _, r := range []struct {
		typ  kmsg.ConfigResourceType
		name string
	}{{kmsg.ConfigResourceTypeBroker, ""}, {kmsg.ConfigResourceTypeBroker, "1"}, {kmsg.ConfigResourceTypeBroker, "2"},
		{kmsg.ConfigResourceTypeBroker, "x"}, {kmsg.ConfigResourceTypeTopic, "bad/name"}} {
		res := kmsg.NewDescribeConfigsRequestResource()
		res.ResourceType, res.ResourceName = r.typ, r.name
		req.Resources = append(req.Resources, res)
	}
	resp, err := req.RequestWith(testContext(t), cl.Broker(1))
	if err != nil {
		t.Fatal(err)
	}
	r := resp.Resources
	if r[0].ErrorCode != 0 || len(r[0].Configs) != 0 {
		t.Errorf("cluster default with nothing set: %+v", r[0])
	}
	for _, c := range r[1].Configs {
		switch c.Name {
		case "log.retention.ms":
			if c.Value != nil || c.ReadOnly {
				t.Errorf("log.retention.ms: value %v read-only %v, want null and dynamic", c.Value, c.ReadOnly)
			}
		case "num.partitions":
			if !c.ReadOnly {
				t.Error("num.partitions should be read-only")
			}
		}
	}
	for i, want := range []struct {
		code *kerr.Error
		msg  string
	}{
		{kerr.InvalidRequest, "Unexpected broker id, expected 1 or empty string, but received 2"},
		{kerr.InvalidRequest, "Broker id must be an integer, but it is: x"},
		{kerr.InvalidTopicException, ""},
	} {
		got := r[2+i]
		if got.ErrorCode != want.code.Code || got.ErrorMessage == nil || (want.msg != "" && *got.ErrorMessage != want.msg) {
			t.Errorf("resource %q: %d %v, want %s %q", got.ResourceName, got.ErrorCode, got.ErrorMessage, want.code.Message, want.msg)
		}
	}
}

// TestCreateTopicsConfigValidation proves topic configs given at creation
// are checked as AlterConfigs checks them, with Kafka's messages, and that
// validate_only answers the configs the topic would have.
func TestCreateTopicsConfigValidation(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	adm := kadm.NewClient(newClient(t, n.Addr))
	for cfg, msg := range map[string]string{
		"no.such.config": "Unknown topic config name: no.such.config",
		"segment.bytes":  "Invalid value 7 for configuration segment.bytes: must be at least 1048576",
	} {
		resp, _ := adm.CreateTopic(testContext(t), 1, 1, map[string]*string{cfg: kadm.StringPtr("7")}, "c-"+cfg)
		if !errors.Is(resp.Err, kerr.InvalidConfig) || resp.ErrMessage != msg {
			t.Errorf("%s=7: %v %q, want INVALID_CONFIG %q", cfg, resp.Err, resp.ErrMessage, msg)
		}
	}
	req := kmsg.NewPtrCreateTopicsRequest()
	req.ValidateOnly = true
	topic := kmsg.NewCreateTopicsRequestTopic()
	topic.Topic, topic.NumPartitions, topic.ReplicationFactor = "dry", 1, 1
	topic.Configs = []kmsg.CreateTopicsRequestTopicConfig{{Name: "retention.ms", Value: kmsg.StringPtr("1234")}}
	req.Topics = []kmsg.CreateTopicsRequestTopic{topic}
	resp, err := req.RequestWith(testContext(t), newClient(t, n.Addr).Broker(1))
	if err != nil || resp.Topics[0].ErrorCode != 0 {
		t.Fatalf("validate_only create: %v %+v %v", err, resp, resp.Topics[0].ErrorMessage)
	}
	for _, c := range resp.Topics[0].Configs {
		if c.Name == "retention.ms" && (c.Value == nil || *c.Value != "1234" || c.Source != int8(kmsg.ConfigSourceDynamicTopicConfig)) {
			t.Errorf("validate_only retention.ms: %v from %d", c.Value, c.Source)
		}
	}
}
