package node_test

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/kafka"
	"gregor/internal/node/nodetest"
)

// TestFlushBeforeAck proves gregor.flush.before.ack end to end: a produce
// acknowledged with acks=1 or acks=all on a topic that sets it (or under a
// broker that sets it, unless the topic turns it off) is fsynced when the
// answer arrives, and a topic without it is not fsynced by the produce.
func TestFlushBeforeAck(t *testing.T) {
	on, off := "true", "false"
	for _, c := range []struct {
		name          string
		broker, topic *string
		durable       bool
	}{
		{"topic", nil, &on, true},
		{"broker", &on, nil, true},
		{"topic-off", &on, &off, false},
		{"default", nil, nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			props := map[string]string{}
			if c.broker != nil {
				props["gregor.flush.before.ack"] = *c.broker
			}
			n := nodetest.Start(t, "", props)
			configs := map[string]*string{}
			if c.topic != nil {
				configs["gregor.flush.before.ack"] = c.topic
			}
			createTopic(t, n.Addr, "d", 1, configs)
			for _, acks := range []kgo.Acks{kgo.LeaderAck(), kgo.AllISRAcks()} {
				cl := newClient(t, n.Addr, kgo.RequiredAcks(acks), kgo.DisableIdempotentWrite())
				if err := produceErr(t, cl, "d", 100); err != nil {
					t.Fatal(err)
				}
				l, _ := n.Log("d", 0)
				if durable := l.DurableOffset() == kafka.Offset(l.LogEndOffset()); durable != c.durable {
					t.Fatalf("acks %v: durable offset %d, log end %d; want fsynced=%v", acks, l.DurableOffset(), l.LogEndOffset(), c.durable)
				}
			}
		})
	}
}

// TestFlushBeforeAckPartitions proves the durable answer of one produce
// request to several partitions, some durable and some not: every durable
// partition is fsynced up to its log end when the answer arrives, and
// every partition's append succeeds.
func TestFlushBeforeAckPartitions(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	on := "true"
	createTopic(t, n.Addr, "durable", 3, map[string]*string{"gregor.flush.before.ack": &on})
	createTopic(t, n.Addr, "plain", 1, nil)
	cl := newClient(t, n.Addr, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.RequiredAcks(kgo.AllISRAcks()))
	for range 3 {
		var rs []*kgo.Record
		for p := range int32(3) {
			rs = append(rs, &kgo.Record{Topic: "durable", Partition: p, Value: randomBytes(100)})
		}
		rs = append(rs, &kgo.Record{Topic: "plain", Value: randomBytes(100)})
		if err := cl.ProduceSync(testContext(t), rs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
		for p := range int32(3) {
			l, _ := n.Log("durable", p)
			if l.DurableOffset() != kafka.Offset(l.LogEndOffset()) {
				t.Fatalf("partition %d: durable offset %d, log end %d after the answer", p, l.DurableOffset(), l.LogEndOffset())
			}
		}
	}
}
