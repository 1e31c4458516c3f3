package node_test

import (
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
)

// TestTopicConfigsTakeEffect proves that topic configs change behaviour:
// LogAppendTime stamps the broker's time, CreateTime far in the future is
// refused with INVALID_TIMESTAMP, and
// min.insync.replicas above the ISR refuses acks=all with
// NOT_ENOUGH_REPLICAS while acks=1 still succeeds.
func TestTopicConfigsTakeEffect(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	lat := "LogAppendTime"
	createTopic(t, n.Addr, "lat", 1, map[string]*string{"message.timestamp.type": &lat})
	cl := newClient(t, n.Addr)
	old := time.Now().Add(-48 * time.Hour)
	before := time.Now().Add(-time.Second)
	if err := cl.ProduceSync(testContext(t), &kgo.Record{Topic: "lat", Value: []byte("x"), Timestamp: old}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	got := consumeAll(t, n.Addr, "lat", 1)
	if got[0].Timestamp.Before(before) || got[0].Attrs.TimestampType() != 1 {
		t.Fatalf("timestamp %v type %d, want the broker's append time", got[0].Timestamp, got[0].Attrs.TimestampType())
	}

	// Kafka 4 refuses CreateTime timestamps more than an hour ahead of the broker.
	future := &kgo.Record{Topic: "lat-create", Value: []byte("x"), Timestamp: time.Now().Add(2 * time.Hour)}
	createTopic(t, n.Addr, "lat-create", 1, nil)
	if err := cl.ProduceSync(testContext(t), future).FirstErr(); !errors.Is(err, kerr.InvalidTimestamp) {
		t.Fatalf("timestamp 2h ahead: %v", err)
	}

	two := "2"
	createTopic(t, n.Addr, "isr2", 1, map[string]*string{"min.insync.replicas": &two})
	if code := rawProduceCode(t, cl, "isr2", -1, -1, -1, 1); code != kerr.NotEnoughReplicas.Code {
		t.Fatalf("acks=all with min.insync.replicas=2 on one node: %v", kerr.ErrorForCode(code))
	}
	one := newClient(t, n.Addr, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	if err := one.ProduceSync(testContext(t), &kgo.Record{Topic: "isr2", Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatalf("acks=1: %v", err)
	}
}

// TestDescribeConfigs proves topic configs report their source and
// synonyms, broker configs their static or default source, and unknown
// topics UNKNOWN_TOPIC_OR_PARTITION.
func TestDescribeConfigs(t *testing.T) {
	n := nodetest.Start(t, "", map[string]string{"log.retention.hours": "24"})
	ms := "60000"
	createTopic(t, n.Addr, "dc", 1, map[string]*string{"segment.ms": &ms})
	cl := newClient(t, n.Addr)
	req := kmsg.NewPtrDescribeConfigsRequest()
	req.IncludeSynonyms = true
	for _, r := range []struct {
		typ  kmsg.ConfigResourceType
		name string
	}{{kmsg.ConfigResourceTypeTopic, "dc"}, {kmsg.ConfigResourceTypeBroker, "1"}, {kmsg.ConfigResourceTypeTopic, "missing"}} {
		res := kmsg.NewDescribeConfigsRequestResource()
		res.ResourceType, res.ResourceName = r.typ, r.name
		req.Resources = append(req.Resources, res)
	}
	resp, err := req.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	find := func(res kmsg.DescribeConfigsResponseResource, name string) kmsg.DescribeConfigsResponseResourceConfig {
		for _, c := range res.Configs {
			if c.Name == name {
				return c
			}
		}
		t.Fatalf("%s has no config %s", res.ResourceName, name)
		return kmsg.DescribeConfigsResponseResourceConfig{}
	}
	byName := map[string]kmsg.DescribeConfigsResponseResource{}
	for _, r := range resp.Resources {
		byName[r.ResourceName] = r
	}
	topic := byName["dc"]
	// One synonym, the override: Kafka 4.2 does not list log.roll.hours's
	// default for segment.ms (log.roll.ms, its first synonym, has none).
	if c := find(topic, "segment.ms"); *c.Value != "60000" || c.Source != kmsg.ConfigSourceDynamicTopicConfig || len(c.ConfigSynonyms) != 1 {
		t.Fatalf("segment.ms: %+v", c)
	}
	if c := find(topic, "retention.ms"); *c.Value != "86400000" || c.Source != kmsg.ConfigSourceStaticBrokerConfig {
		t.Fatalf("retention.ms from log.retention.hours=24: value %v source %v", *c.Value, c.Source)
	}
	if c := find(topic, "cleanup.policy"); *c.Value != "delete" || c.Source != kmsg.ConfigSourceDefaultConfig {
		t.Fatalf("cleanup.policy: %+v", c)
	}
	if c := find(byName["1"], "log.retention.hours"); *c.Value != "24" || c.Source != kmsg.ConfigSourceStaticBrokerConfig {
		t.Fatalf("broker log.retention.hours: %+v", c)
	}
	if byName["missing"].ErrorCode != kerr.UnknownTopicOrPartition.Code {
		t.Fatalf("unknown topic answered %d", byName["missing"].ErrorCode)
	}
}

// TestOffsetForLeaderEpoch proves the leader-epoch lookup consumers use to
// detect truncation, and the KIP-320 epoch fencing.
func TestOffsetForLeaderEpoch(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	createTopic(t, n.Addr, "ofle", 1, nil)
	cl := newClient(t, n.Addr)
	produceSync(t, cl, "ofle", "x", 7, 1)
	ask := func(current, epoch int32) kmsg.OffsetForLeaderEpochResponseTopicPartition {
		req := kmsg.NewPtrOffsetForLeaderEpochRequest()
		req.ReplicaID = -1
		p := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
		p.Partition, p.CurrentLeaderEpoch, p.LeaderEpoch = 0, current, epoch
		req.Topics = []kmsg.OffsetForLeaderEpochRequestTopic{{Topic: "ofle", Partitions: []kmsg.OffsetForLeaderEpochRequestTopicPartition{p}}}
		resp, err := req.RequestWith(testContext(t), cl)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Topics[0].Partitions[0]
	}
	if p := ask(-1, 0); p.ErrorCode != 0 || p.LeaderEpoch != 0 || p.EndOffset != 7 {
		t.Fatalf("epoch 0: %+v", p)
	}
	if p := ask(5, 0); p.ErrorCode != kerr.UnknownLeaderEpoch.Code {
		t.Fatalf("future current epoch: %+v", p)
	}
	ends, _ := kadm.NewClient(cl).ListEndOffsets(testContext(t), "ofle")
	if o, _ := ends.Lookup("ofle", 0); o.LeaderEpoch != 0 {
		t.Fatalf("ListOffsets leader epoch %d", o.LeaderEpoch)
	}
}
