package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/record"
)

// This file holds the fault tests of the process cluster: each starts its
// own cluster, injects one kind of fault on a topic of one partition with
// three replicas (so that every fault hits the one partition the producer
// writes to) and checks that no acknowledged write is lost.

// faultProps make failover fast enough for bounded tests: a broker is
// fenced 2 s after its last heartbeat and a follower leaves the ISR 3 s
// after it stopped catching up. An acks=all write needs two replicas.
var faultProps = map[string]string{
	"min.insync.replicas":          "2",
	"broker.heartbeat.interval.ms": "250",
	"broker.session.timeout.ms":    "2000",
	"replica.lag.time.max.ms":      "3000",
}

// failoverOpts make a producer give up on a broker that does not answer
// (SIGSTOPped, cut off) after 5 s rather than franz-go's 20 s, and refresh
// its metadata as often as every 250 ms rather than every 5 s, so that
// the time to failover is the cluster's rather than the client's.
var failoverOpts = []kgo.Opt{
	kgo.ProduceRequestTimeout(3 * time.Second),
	kgo.RequestTimeoutOverhead(2 * time.Second),
	kgo.MetadataMinAge(250 * time.Millisecond),
}

// TestClusterLeaderKilledRepeatedly proves item 7(a): while an idempotent
// acks=all producer writes continuously, the partition's leader is
// SIGKILLed and restarted five times, then SIGSTOPped and continued twice;
// after each fault a new leader acknowledges again, the old one rejoins
// the ISR, and at the end every acknowledged record is read back once, at
// its offset, in order.
func TestClusterLeaderKilledRepeatedly(t *testing.T) {
	requireClusterTests(t)
	c := startCluster(t, 3, clusterOptions{props: faultProps})
	createOnePartition(t, c, "kills")
	producer := startAckedProducer(t, 1, c.Seeds(), "kills", failoverOpts...)
	producer.waitAcked(t, 1000, 30*time.Second)
	for kill := 1; kill <= 5; kill++ {
		leader := leaderOf(t, c, "kills", 0)
		c.Kill(leader)
		took := producer.waitNewAck(t, 30*time.Second)
		t.Logf("kill %d of leader %d: acknowledged again after %v by leader %d", kill, leader, took.Round(time.Millisecond), waitLeaderNot(t, c, "kills", leader, 10*time.Second))
		c.Restart(leader)
		waitFullISR(t, c, "kills", 30*time.Second)
	}
	for stop := 1; stop <= 2; stop++ {
		leader := leaderOf(t, c, "kills", 0)
		c.Stop(leader)
		took := producer.waitNewAck(t, 30*time.Second)
		t.Logf("SIGSTOP %d of leader %d: acknowledged again after %v by leader %d", stop, leader, took.Round(time.Millisecond), waitLeaderNot(t, c, "kills", leader, 10*time.Second))
		c.Cont(leader)
		waitFullISR(t, c, "kills", 30*time.Second)
	}
	producer.waitAcked(t, 500, 30*time.Second)
	n := checkProducers(t, c.Seeds(), "kills", producer)
	t.Logf("%d records acknowledged across 5 SIGKILLs and 2 SIGSTOPs of the leader, all present", n)
}

// TestClusterLeaderRestartedAtOnce proves that a leader SIGKILLed and
// restarted before its broker session expires does not go on leading in
// the epoch its previous process led: its new registration fences the old
// incarnation, so the partition's leader epoch moves on and the followers
// check their logs against the new epoch. Five such restarts under an
// idempotent acks=all producer lose, duplicate and reorder nothing.
func TestClusterLeaderRestartedAtOnce(t *testing.T) {
	requireClusterTests(t)
	c := startCluster(t, 3, clusterOptions{props: faultProps})
	createOnePartition(t, c, "restarts")
	producer := startAckedProducer(t, 1, c.Seeds(), "restarts", failoverOpts...)
	producer.waitAcked(t, 1000, 30*time.Second)
	for restart := 1; restart <= 5; restart++ {
		leader, epoch := leaderEpochOf(t, c, "restarts", 0)
		c.Kill(leader)
		c.Restart(leader)
		waitFullISR(t, c, "restarts", 30*time.Second)
		took := producer.waitNewAck(t, 30*time.Second)
		now, nowEpoch := leaderEpochOf(t, c, "restarts", 0)
		t.Logf("restart %d of leader %d (epoch %d): acknowledged again after %v; leader %d, epoch %d", restart, leader, epoch, took.Round(time.Millisecond), now, nowEpoch)
		if nowEpoch <= epoch {
			t.Fatalf("restart %d: leader %d restarted and the partition is still in leader epoch %d", restart, leader, nowEpoch)
		}
	}
	producer.waitAcked(t, 500, 30*time.Second)
	n := checkProducers(t, c.Seeds(), "restarts", producer)
	t.Logf("%d records acknowledged across 5 immediate restarts of the leader, all present", n)
}

// TestClusterControllerLeaderKilled proves item 7(c): when the active
// controller is SIGKILLed, the two other voters elect a new one, a topic
// created through a surviving node commits and is described by both, and
// the killed node, restarted, learns of it.
func TestClusterControllerLeaderKilled(t *testing.T) {
	requireClusterTests(t)
	c := startCluster(t, 3, clusterOptions{props: faultProps})
	old := activeController(t, c, 0)
	c.Kill(old)
	start := time.Now()
	var elected int
	waitFor(t, 30*time.Second, func() string {
		elected = tryActiveController(t, c, old)
		if elected < 0 || elected == old {
			return fmt.Sprintf("the quorum names controller %d after %d was killed", elected, old)
		}
		return ""
	})
	t.Logf("controller %d killed; %d elected within %v", old, elected, time.Since(start).Round(time.Millisecond))
	survivor := c.Addr(elected%3 + 1)
	if elected%3+1 == old {
		survivor = c.Addr((elected+1)%3 + 1)
	}
	waitFor(t, 30*time.Second, func() string {
		resp, err := admin(t, survivor).CreateTopic(testContext(t, 10*time.Second), 2, 2, nil, "after-controller")
		if err != nil || resp.Err != nil {
			return fmt.Sprintf("create through %s: %v %v", survivor, err, resp.Err)
		}
		return ""
	})
	t.Logf("CreateTopics committed %v after the kill", time.Since(start).Round(time.Millisecond))
	for _, nd := range c.nodes {
		if nd.id != old {
			describe(t, c.Addr(nd.id), "after-controller")
		}
	}
	c.Restart(old)
	waitFor(t, 30*time.Second, func() string {
		if _, err := tryDescribe(t, c.Addr(old), "after-controller"); err != nil {
			return err.Error()
		}
		return ""
	})
}

// TestClusterFollowerCatchesUp proves item 7(d): a follower SIGKILLed
// under load leaves the ISR while the two others keep acknowledging, and
// after a restart catches up and rejoins the ISR; nothing acknowledged is
// lost.
func TestClusterFollowerCatchesUp(t *testing.T) {
	requireClusterTests(t)
	c := startCluster(t, 3, clusterOptions{props: faultProps})
	createOnePartition(t, c, "catchup")
	producer := startAckedProducer(t, 1, c.Seeds(), "catchup")
	producer.waitAcked(t, 1000, 30*time.Second)
	leader := leaderOf(t, c, "catchup", 0)
	follower := leader%3 + 1
	c.Kill(follower)
	waitFor(t, 30*time.Second, func() string {
		p := describe(t, c.Addr(leader), "catchup")[0]
		if slices.Contains(p.ISR, int32(follower)) {
			return fmt.Sprintf("isr %v still holds the killed follower %d", p.ISR, follower)
		}
		return ""
	})
	before := producer.Acked()
	time.Sleep(5 * time.Second) // the follower falls behind under load
	missed := producer.Acked() - before
	if missed == 0 {
		t.Fatal("no acknowledgement with one follower down")
	}
	c.Restart(follower)
	start := time.Now()
	waitFullISR(t, c, "catchup", 30*time.Second)
	t.Logf("follower %d, down for %d acknowledged records, rejoined the ISR %v after its restart", follower, missed, time.Since(start).Round(time.Millisecond))
	producer.waitAcked(t, 500, 30*time.Second)
	n := checkProducers(t, c.Seeds(), "catchup", producer)
	t.Logf("%d records acknowledged, all present", n)
}

// TestClusterMinInsyncReplicas proves item 7(e) on five voters, so that
// the controller quorum outlives two of them: when both followers of a
// partition with three replicas are SIGKILLed, its leader, alone in the
// ISR, answers acks=all with NOT_ENOUGH_REPLICAS and stores nothing for
// it, and still acknowledges acks=1.
func TestClusterMinInsyncReplicas(t *testing.T) {
	requireClusterTests(t)
	c := startCluster(t, 5, clusterOptions{props: faultProps})
	createOnePartition(t, c, "minisr")
	p := describe(t, c.Addr(1), "minisr")[0]
	leader := int(p.Leader)
	pinAll, pinOne := pinProducer(t, c, leader, "minisr", -1), pinProducer(t, c, leader, "minisr", 1)
	if code := pinAll.produce(t, "before"); code != 0 {
		t.Fatalf("acks=all with the ISR whole: error %d", code)
	}
	for _, r := range p.Replicas {
		if int(r) != leader {
			c.Kill(int(r))
		}
	}
	waitFor(t, 30*time.Second, func() string {
		if isr := describe(t, c.Addr(leader), "minisr")[0].ISR; len(isr) != 1 {
			return fmt.Sprintf("isr %v", isr)
		}
		return ""
	})
	end := endOffset(t, c.Addr(leader), "minisr")
	if code := pinAll.produce(t, "refused"); code != kerrNotEnoughReplicas {
		t.Fatalf("acks=all with the ISR down to the leader: error %d, want NOT_ENOUGH_REPLICAS (%d)", code, kerrNotEnoughReplicas)
	}
	if got := endOffset(t, c.Addr(leader), "minisr"); got != end {
		t.Fatalf("the refused acks=all write moved the end offset from %d to %d", end, got)
	}
	if code := pinOne.produce(t, "one"); code != 0 {
		t.Fatalf("acks=1 with the leader alive: error %d", code)
	}
}

// Kafka error codes the tests expect.
const (
	kerrNotLeaderOrFollower = 6
	kerrRequestTimedOut     = 7
	kerrNotEnoughReplicas   = 19
)

// createOnePartition creates topic with one partition of three replicas
// through node 1 and waits until its ISR is whole.
func createOnePartition(t *testing.T, c *cluster, topic string) {
	t.Helper()
	if _, err := admin(t, c.Addr(1)).CreateTopic(testContext(t, 30*time.Second), 1, 3, nil, topic); err != nil {
		t.Fatalf("create %s: %v", topic, err)
	}
	waitFullISRof(t, c, topic, 3, 30*time.Second)
}

// waitFullISRof waits until every running node describes every partition
// of topic with a leader and its rf replicas in sync (waitFullISR wants
// every node of the cluster to be a replica, and one node's word: a node
// just back from isolation describes its stale view).
func waitFullISRof(t *testing.T, c *cluster, topic string, rf int, d time.Duration) {
	t.Helper()
	waitFor(t, d, func() string {
		for _, nd := range c.nodes {
			if !c.Running(nd.id) {
				continue
			}
			parts, err := tryDescribe(t, c.Addr(nd.id), topic)
			if err != nil {
				return err.Error()
			}
			for _, p := range parts {
				if p.Leader < 0 || len(p.ISR) != rf || len(p.Replicas) != rf {
					return fmt.Sprintf("node %d describes %s/%d: leader %d, replicas %v, isr %v", nd.id, topic, p.Partition, p.Leader, p.Replicas, p.ISR)
				}
			}
		}
		return ""
	})
}

// leaderOf returns the leader of topic's partition as a running node
// describes it.
func leaderOf(t *testing.T, c *cluster, topic string, partition int32) int {
	t.Helper()
	leader, _ := leaderEpochOf(t, c, topic, partition)
	return leader
}

// leaderEpochOf returns the leader of topic's partition and its leader
// epoch as a running node describes them.
func leaderEpochOf(t *testing.T, c *cluster, topic string, partition int32) (leader int, epoch int32) {
	t.Helper()
	waitFor(t, 30*time.Second, func() string {
		for _, nd := range c.nodes {
			if !c.Running(nd.id) {
				continue
			}
			parts, err := tryDescribe(t, c.Addr(nd.id), topic)
			if err == nil && parts[partition].Leader >= 0 {
				leader, epoch = int(parts[partition].Leader), parts[partition].LeaderEpoch
				return ""
			}
		}
		return "no node names a leader"
	})
	return leader, epoch
}

// waitLeaderNot waits until a node other than old describes partition 0
// of topic with a leader other than old, and returns it.
func waitLeaderNot(t *testing.T, c *cluster, topic string, old int, d time.Duration) int {
	t.Helper()
	var leader int
	waitFor(t, d, func() string {
		for _, nd := range c.nodes {
			if nd.id == old || !c.Running(nd.id) {
				continue
			}
			parts, err := tryDescribe(t, c.Addr(nd.id), topic)
			if err == nil && parts[0].Leader >= 0 && int(parts[0].Leader) != old {
				leader = int(parts[0].Leader)
				return ""
			}
		}
		return fmt.Sprintf("no node names a leader other than %d", old)
	})
	return leader
}

// activeController returns the active controller as DescribeQuorum on a
// running node other than not names it.
func activeController(t *testing.T, c *cluster, not int) int {
	t.Helper()
	var id int
	waitFor(t, 30*time.Second, func() string {
		if id = tryActiveController(t, c, not); id < 0 {
			return "no quorum leader"
		}
		return ""
	})
	return id
}

// tryActiveController asks the running nodes but not for the quorum's
// leader; -1 if none answers one.
func tryActiveController(t *testing.T, c *cluster, not int) int {
	for _, nd := range c.nodes {
		if nd.id == not || !c.Running(nd.id) {
			continue
		}
		req := kmsg.NewPtrDescribeQuorumRequest()
		req.Topics = []kmsg.DescribeQuorumRequestTopic{{Topic: "__cluster_metadata", Partitions: []kmsg.DescribeQuorumRequestTopicPartition{{Partition: 0}}}}
		cl, err := kgo.NewClient(kgo.SeedBrokers(c.Addr(nd.id)))
		if err != nil {
			continue
		}
		resp, err := req.RequestWith(testContext(t, 5*time.Second), cl)
		cl.Close()
		if err == nil && len(resp.Topics) == 1 && len(resp.Topics[0].Partitions) == 1 {
			if p := resp.Topics[0].Partitions[0]; p.ErrorCode == 0 && p.LeaderID > 0 && p.LeaderID != int32(not) {
				return int(p.LeaderID)
			}
		}
	}
	return -1
}

// pinnedProducer sends Produce requests with one acks setting to one
// broker only, whatever the metadata says, so that a test can watch what
// that broker answers.
type pinnedProducer struct {
	cl      *kgo.Client
	broker  int
	topic   string
	topicID [16]byte
}

// pinProducer returns a pinnedProducer with acks -1 or 1 (franz-go sends
// a raw Produce with its client's acks, whatever the request says).
func pinProducer(t *testing.T, c *cluster, broker int, topic string, acks int16) *pinnedProducer {
	t.Helper()
	opts := []kgo.Opt{kgo.SeedBrokers(c.Addr(broker)), kgo.RequestRetries(0)}
	if acks == 1 {
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	topics, err := kadm.NewClient(cl).ListTopics(testContext(t, 10*time.Second), topic)
	if err != nil || topics[topic].Err != nil {
		t.Fatalf("describe %s: %v %v", topic, err, topics[topic].Err)
	}
	return &pinnedProducer{cl: cl, broker: broker, topic: topic, topicID: topics[topic].ID}
}

// produce sends one Produce of a one-record batch holding value to
// partition 0, with a 2 s timeout, and returns the partition's error code
// (-1 when the request got no answer).
func (p *pinnedProducer) produce(t *testing.T, value string) int16 {
	t.Helper()
	batch, err := record.Build(record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
		Records: []record.Record{{Timestamp: time.Now().UnixMilli(), Value: []byte(value)}}})
	if err != nil {
		t.Fatal(err)
	}
	req := kmsg.NewPtrProduceRequest()
	req.TimeoutMillis = 2000
	tp := kmsg.NewProduceRequestTopic()
	tp.Topic, tp.TopicID = p.topic, p.topicID
	part := kmsg.NewProduceRequestTopicPartition()
	part.Records = batch
	tp.Partitions = append(tp.Partitions, part)
	req.Topics = append(req.Topics, tp)
	resp, err := p.cl.Broker(p.broker).Request(testContext(t, 10*time.Second), req)
	if err != nil {
		return -1
	}
	return resp.(*kmsg.ProduceResponse).Topics[0].Partitions[0].ErrorCode
}

// endOffset returns partition 0's end offset (high watermark) as addr
// answers it.
func endOffset(t *testing.T, addr, topic string) int64 {
	t.Helper()
	ends, err := admin(t, addr).ListEndOffsets(testContext(t, 10*time.Second), topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		t.Fatal(err)
	}
	o, _ := ends.Lookup(topic, 0)
	return o.Offset
}
