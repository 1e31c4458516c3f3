package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
)

// TestClusterCoordinatorWriteTimeout proves offsets.commit.timeout.ms and
// request.timeout.ms: once an in-sync replica of the coordinator topics
// dies (and, before replica.lag.time.max.ms, still counts as in sync), a
// write of the group coordinator answers COORDINATOR_NOT_AVAILABLE after
// offsets.commit.timeout.ms and one of the transaction coordinator after
// request.timeout.ms, as Kafka's coordinators do, rather than holding the
// request until the replica is dropped from the ISR.
func TestClusterCoordinatorWriteTimeout(t *testing.T) {
	const timeout = time.Second
	c := nodetest.StartCluster(t, 3, map[string]string{
		"offsets.topic.replication.factor":         "3",
		"offsets.topic.num.partitions":             "1",
		"transaction.state.log.replication.factor": "3",
		"transaction.state.log.min.isr":            "2",
		"transaction.state.log.num.partitions":     "1",
		"offsets.commit.timeout.ms":                "1000",
		"request.timeout.ms":                       "1000",
		"replica.lag.time.max.ms":                  "120000",
		"broker.session.timeout.ms":                "120000",
	})
	c.WaitLeader(10 * time.Second)
	seeds := []string{c.Nodes[0].Addr, c.Nodes[1].Addr, c.Nodes[2].Addr}
	cl := newClient(t, seeds[0], kgo.SeedBrokers(seeds...))
	createClusterTopic(t, seeds[0], "t", 1, 3)
	for _, cn := range c.Nodes {
		waitTopic(t, cn, "t")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Load both coordinators and wait until every replica is in sync.
	offsets := kadm.Offsets{}
	offsets.Add(kadm.Offset{Topic: "t", Partition: 0, At: 1, LeaderEpoch: -1})
	if resp, err := kadm.NewClient(cl).CommitOffsets(ctx, "g", offsets); err != nil || resp.Error() != nil {
		t.Fatalf("first commit: %v %v", err, resp.Error())
	}
	initReq := kmsg.NewPtrInitProducerIDRequest()
	initReq.TransactionalID, initReq.TransactionTimeoutMillis, initReq.ProducerID, initReq.ProducerEpoch = kmsg.StringPtr("tx"), 60000, -1, -1
	if resp, err := initReq.RequestWith(ctx, cl); err != nil || resp.ErrorCode != 0 {
		t.Fatalf("first InitProducerId: %v %v", err, resp)
	}
	waitISR(t, c, "__consumer_offsets", 3)
	waitISR(t, c, "__transaction_state", 3)

	groupLeader := leadersOf(t, c, "__consumer_offsets")[0]
	txnLeader := leadersOf(t, c, "__transaction_state")[0]
	victim := -1
	for i, cn := range c.Nodes {
		if id := int32(cn.ID); id != groupLeader && id != txnLeader {
			victim = i
		}
	}
	if victim < 0 {
		t.Fatalf("coordinators on nodes %d and %d: no node leads neither", groupLeader, txnLeader)
	}
	c.Kill(victim)

	commit := kmsg.NewPtrOffsetCommitRequest()
	commit.Group, commit.Generation = "g", -1
	ct := kmsg.NewOffsetCommitRequestTopic()
	ct.Topic, ct.TopicID = "t", waitTopic(t, c.Nodes[groupLeader-1], "t").ID
	cp := kmsg.NewOffsetCommitRequestTopicPartition()
	cp.Offset, cp.LeaderEpoch = 2, -1
	ct.Partitions = append(ct.Partitions, cp)
	commit.Topics = append(commit.Topics, ct)
	start := time.Now()
	// Straight to the coordinator: kgo's coordinator routing would retry.
	resp, err := cl.Broker(int(groupLeader)).RetriableRequest(ctx, commit)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("OffsetCommit: %v", err)
	}
	code := resp.(*kmsg.OffsetCommitResponse).Topics[0].Partitions[0].ErrorCode
	if code != kerr.CoordinatorNotAvailable.Code || elapsed < timeout || elapsed > 10*timeout {
		t.Fatalf("OffsetCommit with a dead in-sync replica: %v after %v, want COORDINATOR_NOT_AVAILABLE after offsets.commit.timeout.ms (%v)",
			kerr.ErrorForCode(code), elapsed, timeout)
	}
	t.Logf("OffsetCommit answered %v after %v", kerr.ErrorForCode(code), elapsed)

	start = time.Now()
	iresp, err := cl.Broker(int(txnLeader)).RetriableRequest(ctx, initReq)
	elapsed = time.Since(start)
	if err != nil {
		t.Fatalf("InitProducerId: %v", err)
	}
	code = iresp.(*kmsg.InitProducerIDResponse).ErrorCode
	if code != kerr.CoordinatorNotAvailable.Code || elapsed < timeout || elapsed > 10*timeout {
		t.Fatalf("InitProducerId with a dead in-sync replica: %v after %v, want COORDINATOR_NOT_AVAILABLE after request.timeout.ms (%v)",
			kerr.ErrorForCode(code), elapsed, timeout)
	}
	t.Logf("InitProducerId answered %v after %v", kerr.ErrorForCode(code), elapsed)

	// Once the replica is back, the writes that timed out have committed
	// and the client's retry succeeds.
	c.Restart(victim)
	offsets = kadm.Offsets{}
	offsets.Add(kadm.Offset{Topic: "t", Partition: 0, At: 3, LeaderEpoch: -1})
	if resp, err := kadm.NewClient(cl).CommitOffsets(ctx, "g", offsets); err != nil || resp.Error() != nil {
		t.Fatalf("commit after the replica returned: %v %v", err, resp.Error())
	}
	fetched, err := kadm.NewClient(cl).FetchOffsets(ctx, "g")
	if o, ok := fetched.Lookup("t", 0); err != nil || !ok || o.At != 3 {
		t.Fatalf("fetched %+v (%v), want offset 3", o, err)
	}
}
