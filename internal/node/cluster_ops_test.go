package node_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
	"gregor/internal/node/nodetest"
)

// createAssigned creates topic with partition 0 on replicas, through addr.
func createAssigned(t *testing.T, addr, topic string, replicas ...int32) {
	t.Helper()
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = topic, -1, -1
	rt.ReplicaAssignment = []kmsg.CreateTopicsRequestTopicReplicaAssignment{{Partition: 0, Replicas: replicas}}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(testContext(t), newClient(t, addr))
	if err != nil || resp.Topics[0].ErrorCode != 0 {
		t.Fatalf("create %s on %v: %v %+v", topic, replicas, err, resp)
	}
}

// partitionOn returns partition p of topic as node cn's image has it.
func partitionOn(cn *nodetest.ClusterNode, topic string, p int32) (metadata.Partition, bool) {
	if cn.Node == nil {
		return metadata.Partition{}, false
	}
	tp, ok := cn.Image().Topic(topic)
	if !ok || int(p) >= len(tp.Partitions) {
		return metadata.Partition{}, false
	}
	return tp.Partitions[p], true
}

// producer produces numbered records with acks=all until stopped and
// remembers every acknowledged one.
type producer struct {
	mu    sync.Mutex
	acked []string
	stop  context.CancelFunc
	done  chan struct{}
}

func startProducer(t *testing.T, addr, topic string) *producer {
	cl := newClient(t, addr, kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordRetries(1000), kgo.ProducerLinger(0))
	ctx, cancel := context.WithCancel(context.Background())
	pr := &producer{stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(pr.done)
		for i := 0; ctx.Err() == nil; i++ {
			v := strconv.Itoa(i)
			if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte(v)}).FirstErr(); err == nil {
				pr.mu.Lock()
				pr.acked = append(pr.acked, v)
				pr.mu.Unlock()
			}
		}
	}()
	return pr
}

func (pr *producer) count() int {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return len(pr.acked)
}

func (pr *producer) finish() []string {
	pr.stop()
	<-pr.done
	return pr.acked
}

// TestClusterReassignUnderProduce proves that a partition moved from
// brokers {1,2} to {2,3} while a producer writes to it with acks=all
// loses no acknowledged record, ends on {2,3} with both in the ISR, and
// that broker 1 deletes its replica.
func TestClusterReassignUnderProduce(t *testing.T) {
	c := nodetest.StartCluster(t, 3, nil)
	c.WaitLeader(10 * time.Second)
	createAssigned(t, c.Nodes[0].Addr, "moving", 1, 2)
	waitFor(t, "moving on every node", func() bool {
		for _, cn := range c.Nodes {
			if _, ok := partitionOn(cn, "moving", 0); !ok {
				return false
			}
		}
		return true
	})
	pr := startProducer(t, c.Nodes[1].Addr, "moving")
	waitFor(t, "records acknowledged before the move", func() bool { return pr.count() >= 200 })

	adm := kadm.NewClient(newClient(t, c.Nodes[2].Addr))
	var req kadm.AlterPartitionAssignmentsReq
	req.Assign("moving", 0, []int32{2, 3})
	resp, err := adm.AlterPartitionAssignments(testContext(t), req)
	if err != nil || resp.Error() != nil {
		t.Fatalf("reassign: %v %v", err, resp.Error())
	}
	waitFor(t, "the reassignment completed", func() bool {
		p, ok := partitionOn(c.Nodes[2], "moving", 0)
		return ok && !p.Reassigning() && slices.Equal(p.Replicas, []int32{2, 3}) && len(p.ISR) == 2
	})
	listed, err := adm.ListPartitionReassignments(testContext(t), nil)
	if err != nil || len(listed) != 0 {
		t.Fatalf("reassignments still listed: %v %v", listed, err)
	}
	moved := pr.count()
	waitFor(t, "records acknowledged after the move", func() bool { return pr.count() >= moved+200 })
	acked := pr.finish()

	waitFor(t, "broker 1 deleted its replica", func() bool {
		_, err := os.Stat(filepath.Join(c.Nodes[0].Dir, "moving-0"))
		return os.IsNotExist(err)
	})
	got := consumeAll(t, c.Nodes[0].Addr, "moving", len(acked))
	seen := map[string]bool{}
	for _, r := range got {
		seen[string(r.Value)] = true
	}
	for _, v := range acked {
		if !seen[v] {
			t.Fatalf("acknowledged record %s lost in the move (%d acknowledged, %d read)", v, len(acked), len(got))
		}
	}
	t.Logf("%d records acknowledged across the move, all read back", len(acked))
}

// TestClusterPreferredElection proves that after the preferred leader of
// a partition restarts, ElectLeaders (PREFERRED) gives it the leadership
// back once it is in sync, and answers ELECTION_NOT_NEEDED after.
func TestClusterPreferredElection(t *testing.T) {
	c := nodetest.StartCluster(t, 3, map[string]string{"auto.leader.rebalance.enable": "false"})
	c.WaitLeader(10 * time.Second)
	createAssigned(t, c.Nodes[0].Addr, "prefer", 2, 3, 1)
	waitFor(t, "prefer led by node 2", func() bool {
		p, ok := partitionOn(c.Nodes[0], "prefer", 0)
		return ok && p.Leader == 2
	})
	c.Stop(1)
	waitFor(t, "leadership moved off node 2", func() bool {
		p, _ := partitionOn(c.Nodes[0], "prefer", 0)
		return p.Leader != 2 && p.Leader >= 0
	})
	c.Restart(1)
	waitFor(t, "node 2 back in the ISR", func() bool {
		p, _ := partitionOn(c.Nodes[0], "prefer", 0)
		return slices.Contains(p.ISR, 2)
	})
	if p, _ := partitionOn(c.Nodes[0], "prefer", 0); p.Leader == 2 {
		t.Fatal("node 2 leads again without an election")
	}
	adm := kadm.NewClient(newClient(t, c.Nodes[0].Addr))
	elect := func() kadm.ElectLeadersResult {
		res, err := adm.ElectLeaders(testContext(t), kadm.ElectPreferredReplica, kadm.TopicsSet{"prefer": {0: {}}})
		if err != nil {
			t.Fatal(err)
		}
		return res["prefer"][0]
	}
	if r := elect(); r.Err != nil {
		t.Fatalf("preferred election: %v %s", r.Err, r.ErrMessage)
	}
	waitFor(t, "node 2 leads again", func() bool {
		p, _ := partitionOn(c.Nodes[2], "prefer", 0)
		return p.Leader == 2
	})
	if r := elect(); !errors.Is(r.Err, kerr.ElectionNotNeeded) {
		t.Fatalf("second election: %v, want ELECTION_NOT_NEEDED", r.Err)
	}
}

// TestClusterAutoLeaderRebalance proves that the active controller moves
// leadership back to a restarted preferred leader by itself when
// auto.leader.rebalance.enable is on.
func TestClusterAutoLeaderRebalance(t *testing.T) {
	c := nodetest.StartCluster(t, 3, map[string]string{"leader.imbalance.check.interval.seconds": "1"})
	c.WaitLeader(10 * time.Second)
	createAssigned(t, c.Nodes[0].Addr, "balance", 3, 1, 2)
	c.Stop(2)
	waitFor(t, "leadership moved off node 3", func() bool {
		p, ok := partitionOn(c.Nodes[0], "balance", 0)
		return ok && p.Leader != 3 && p.Leader >= 0
	})
	c.Restart(2)
	waitFor(t, "node 3 leads again", func() bool {
		p, _ := partitionOn(c.Nodes[0], "balance", 0)
		return p.Leader == 3
	})
}

// TestClusterRackAwarePlacement proves that a topic created on brokers
// with broker.rack set has every partition's replicas on distinct racks.
func TestClusterRackAwarePlacement(t *testing.T) {
	racks := map[kafka.NodeID]string{1: "a", 2: "a", 3: "b", 4: "b"}
	c := nodetest.StartClusterPerNode(t, 3, 1, func(id kafka.NodeID) map[string]string {
		return map[string]string{"broker.rack": racks[id]}
	})
	c.WaitLeader(10 * time.Second)
	waitFor(t, "four brokers registered", func() bool { return len(c.Nodes[0].Image().Brokers()) == 4 })
	createClusterTopic(t, c.Nodes[0].Addr, "racked", 8, 2)
	topic := waitTopic(t, c.Nodes[0], "racked")
	leaders := map[int32]int{}
	for _, p := range topic.Partitions {
		if racks[kafka.NodeID(p.Replicas[0])] == racks[kafka.NodeID(p.Replicas[1])] {
			t.Errorf("partition %d on one rack: %v", p.Partition, p.Replicas)
		}
		leaders[p.Leader]++
	}
	for id := range racks {
		if leaders[int32(id)] != 2 {
			t.Errorf("leaders not spread evenly: %v", leaders)
			break
		}
	}
}

// fetchCounter counts the Fetch requests a client sends to each broker.
type fetchCounter struct {
	mu     sync.Mutex
	counts map[int32]int
}

func (c *fetchCounter) OnBrokerE2E(meta kgo.BrokerMetadata, key int16, e2e kgo.BrokerE2E) {
	if key == 1 && e2e.Err() == nil {
		c.mu.Lock()
		c.counts[meta.NodeID]++
		c.mu.Unlock()
	}
}

func (c *fetchCounter) count(id int32) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[id]
}

// TestClusterFetchFromClosestReplica proves KIP-392: with the rack-aware
// replica selector, a consumer with client.rack "b" is sent by the leader
// (in rack "a") to the follower in rack "b", reads every record from it,
// and the follower serves it.
func TestClusterFetchFromClosestReplica(t *testing.T) {
	racks := map[kafka.NodeID]string{1: "a", 2: "b", 3: "c"}
	c := nodetest.StartClusterPerNode(t, 3, 0, func(id kafka.NodeID) map[string]string {
		return map[string]string{"broker.rack": racks[id], "replica.selector.class": "org.apache.kafka.common.replica.RackAwareReplicaSelector"}
	})
	c.WaitLeader(10 * time.Second)
	createAssigned(t, c.Nodes[0].Addr, "near", 1, 2, 3)
	waitFor(t, "near in sync on all three", func() bool {
		p, ok := partitionOn(c.Nodes[0], "near", 0)
		return ok && len(p.ISR) == 3
	})
	produceSync(t, newClient(t, c.Nodes[0].Addr, kgo.RequiredAcks(kgo.AllISRAcks())), "near", "r", 100, 10)

	counter := &fetchCounter{counts: map[int32]int{}}
	got := consumeAll(t, c.Nodes[0].Addr, "near", 100, kgo.Rack("b"), kgo.WithHooks(counter))
	if len(got) != 100 {
		t.Fatalf("read %d records, want 100", len(got))
	}
	if counter.count(2) == 0 {
		t.Fatalf("no fetch went to the follower in rack b: %v", counter.counts)
	}
}

// groupCoordinator returns the node FindCoordinator through addr names
// for group, -1 on an error.
func groupCoordinator(t *testing.T, addr, group string) int32 {
	t.Helper()
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.CoordinatorKeys = []string{group}
	resp, err := req.RequestWith(testContext(t), newClient(t, addr))
	if err != nil || len(resp.Coordinators) != 1 || resp.Coordinators[0].ErrorCode != 0 {
		return -1
	}
	return resp.Coordinators[0].NodeID
}

// TestClusterCoordinatorFailover proves that the group coordinator follows
// leadership of its __consumer_offsets partition: when the coordinator's
// node dies, FindCoordinator names the new leader, the group's committed
// offsets survive, and a consumer that stays in the group rebalances on
// the new coordinator and resumes after its commits, re-reading nothing
// it committed.
func TestClusterCoordinatorFailover(t *testing.T) {
	c := nodetest.StartCluster(t, 3, map[string]string{"offsets.topic.replication.factor": "3", "offsets.topic.num.partitions": "5"})
	c.WaitLeader(10 * time.Second)
	var seeds []string
	for _, cn := range c.Nodes {
		seeds = append(seeds, cn.Addr)
	}
	createClusterTopic(t, seeds[0], "work", 3, 3)
	producer := newClient(t, seeds[0], kgo.SeedBrokers(seeds...), kgo.RequiredAcks(kgo.AllISRAcks()))
	produceSync(t, producer, "work", "before", 30, 30)

	consumer := newClient(t, seeds[0], kgo.SeedBrokers(seeds...), kgo.ConsumerGroup("g"), kgo.ConsumeTopics("work"),
		kgo.DisableAutoCommit(), kgo.SessionTimeout(6*time.Second), kgo.HeartbeatInterval(500*time.Millisecond))
	first := pollCommitted(t, consumer, 30)
	if first != 30 {
		t.Fatalf("read %d records before the failover, want 30", first)
	}
	old := groupCoordinator(t, seeds[0], "g")
	if old < 1 {
		t.Fatal("no coordinator for g")
	}
	c.Kill(int(old) - 1)
	alive := seeds[old%3]
	var next int32
	waitFor(t, "a new coordinator for g", func() bool {
		next = groupCoordinator(t, alive, "g")
		return next > 0 && next != old
	})
	img := c.Nodes[next-1].Image()
	offsets, _ := img.Topic("__consumer_offsets")
	if leaders := offsetsLeaders(offsets); !slices.Contains(leaders, next) {
		t.Fatalf("coordinator %d leads no __consumer_offsets partition (leaders %v)", next, leaders)
	}

	committed, err := kadm.NewClient(newClient(t, alive)).FetchOffsets(testContext(t), "g")
	if err != nil || committed.Error() != nil {
		t.Fatalf("fetch offsets after the failover: %v %v", err, committed.Error())
	}
	var total int64
	committed.Each(func(o kadm.OffsetResponse) { total += o.At })
	if total != 30 {
		t.Fatalf("committed offsets after the failover sum to %d, want 30: %v", total, committed)
	}

	produceSync(t, producer, "work", "after", 30, 30)
	if n := pollCommitted(t, consumer, 30); n != 30 {
		t.Fatalf("read %d records after the failover, want exactly the 30 new ones", n)
	}
}

// offsetsLeaders returns the leaders of t's partitions.
func offsetsLeaders(t *metadata.Topic) []int32 {
	var out []int32
	for _, p := range t.Partitions {
		out = append(out, p.Leader)
	}
	return out
}

// pollCommitted polls cl until it has read n records, committing each
// poll's records, and returns how many it read (more than n means records
// committed before were read again).
func pollCommitted(t *testing.T, cl *kgo.Client, n int) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	read := 0
	for read < n && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		recs := fs.Records()
		read += len(recs)
		if len(recs) > 0 {
			if err := cl.CommitRecords(ctx, recs...); err != nil {
				t.Logf("commit: %v (retried with the next poll)", err)
			}
		}
	}
	// Anything more that arrives now was read twice.
	extra, stop := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer stop()
	read += len(cl.PollFetches(extra).Records())
	return read
}
