package node_test

import (
	"crypto/rand"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/metadata"
	"gregor/internal/node/nodetest"
)

// throttleData is what a throttled move copies, throttleRate the limit:
// with two windows of one second a quota lets about one second's worth
// through at once, so the move takes about (data - rate) / rate = 3 s,
// where an unthrottled one takes a fraction of a second.
const (
	throttleData = 2 << 20
	throttleRate = 512 << 10
)

// TestReplicationThrottle proves the replication quotas (KIP-73): a new
// replica added by a reassignment copies the partition at about
// leader.replication.throttled.rate when the leader throttles it
// (leader.replication.throttled.replicas), and at about
// follower.replication.throttled.rate when the follower does; once in
// sync it is no longer throttled, so acks=all writes go at full speed.
func TestReplicationThrottle(t *testing.T) {
	for _, side := range []string{"leader", "follower"} {
		t.Run(side, func(t *testing.T) {
			c := nodetest.StartCluster(t, 3, map[string]string{
				"replication.quota.window.num": "2", "replication.quota.window.size.seconds": "1",
			})
			c.WaitLeader(10 * time.Second)
			topic := "throttled-" + side
			createAssigned(t, c.Nodes[0].Addr, topic, 1, 2)
			cl := newClient(t, c.Nodes[0].Addr, kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.RequiredAcks(kgo.AllISRAcks()))
			produceRandom(t, cl, topic, throttleData)

			adm := kadm.NewClient(cl)
			rate := strconv.Itoa(throttleRate)
			if _, err := adm.AlterBrokerConfigs(testContext(t), []kadm.AlterConfig{{Name: side + ".replication.throttled.rate", Value: &rate}}); err != nil {
				t.Fatal(err)
			}
			all := "*"
			if _, err := adm.AlterTopicConfigs(testContext(t), []kadm.AlterConfig{{Name: side + ".replication.throttled.replicas", Value: &all}}, topic); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "every node applied the throttle", func() bool {
				for _, cn := range c.Nodes {
					if cn.Image().Configs(metadata.ConfigResource{Type: metadata.ResourceTopic, Name: topic})[side+".replication.throttled.replicas"] != "*" {
						return false
					}
				}
				return true
			})
			start := time.Now()
			var req kadm.AlterPartitionAssignmentsReq
			req.Assign(topic, 0, []int32{1, 2, 3})
			if resp, err := adm.AlterPartitionAssignments(testContext(t), req); err != nil || resp.Error() != nil {
				t.Fatalf("reassign: %v %v", err, resp.Error())
			}
			waitFor(t, "broker 3 in sync", func() bool {
				p, ok := partitionOn(c.Nodes[0], topic, 0)
				return ok && !p.Reassigning() && slices.Contains(p.ISR, 3)
			})
			took := time.Since(start)
			t.Logf("%d bytes copied to the new replica in %v at a %s throttle of %d B/s", throttleData, took.Round(time.Millisecond), side, throttleRate)
			if took < 2*time.Second {
				t.Fatalf("the new replica caught up in %v: the %s throttle of %d B/s did not hold", took, side, throttleRate)
			}

			// Throttled, twice the data would take at least 7 s; unthrottled
			// it takes a fraction of a second, even on a loaded machine.
			start = time.Now()
			produceRandom(t, cl, topic, 2*throttleData)
			if took := time.Since(start); took > 3500*time.Millisecond {
				t.Fatalf("acks=all writes to replicas in sync took %v: they are throttled", took)
			}
		})
	}
}

// produceRandom produces size bytes of incompressible 16 KiB records and
// waits for them to be acknowledged.
func produceRandom(t *testing.T, cl *kgo.Client, topic string, size int) {
	t.Helper()
	var recs []*kgo.Record
	for n := 0; n < size; n += 16 << 10 {
		v := make([]byte, 16<<10)
		rand.Read(v)
		recs = append(recs, &kgo.Record{Topic: topic, Value: v})
	}
	if err := cl.ProduceSync(testContext(t), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}
