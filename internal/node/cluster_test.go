package node_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/controller"
	"gregor/internal/metadata"
	"gregor/internal/node/nodetest"
	"gregor/internal/storage"
)

// TestClusterFailover proves, on three in-process nodes, that the quorum
// elects a controller, that a topic created through one node reaches every
// node's metadata with its replicas placed evenly, that after the active
// controller dies a new one is elected and metadata changes through
// another node still commit, that the dead node's partitions get leaders
// from their ISR once it is fenced, and that it catches up and is
// unfenced when it returns.
func TestClusterFailover(t *testing.T) {
	start := time.Now()
	c := nodetest.StartCluster(t, 3, nil)
	leader := c.WaitLeader(10 * time.Second)
	t.Logf("3 nodes started and elected node %d in %v", leader+1, time.Since(start))

	createClusterTopic(t, c.Nodes[0].Addr, "orders", 3, 3)
	for _, cn := range c.Nodes {
		topic := waitTopic(t, cn, "orders")
		leaders := map[int32]int{}
		for _, p := range topic.Partitions {
			if len(p.Replicas) != 3 {
				t.Fatalf("node %d: partition %d replicas %v", cn.ID, p.Partition, p.Replicas)
			}
			leaders[p.Leader]++
		}
		if len(leaders) != 3 {
			t.Fatalf("node %d: leaders not spread: %v", cn.ID, leaders)
		}
	}
	checkMetadata(t, c.Nodes[1].Addr, "orders", 3)
	checkDescribeQuorum(t, c.Nodes[(leader+1)%3].Addr, int32(c.Nodes[leader].ID))
	logCommitLatency(t, c.Nodes[leader], "the active controller")
	logCommitLatency(t, c.Nodes[(leader+1)%3], "a follower (forwarded)")

	c.Kill(leader)
	killed := c.Nodes[leader].ID
	start = time.Now()
	newLeader := c.WaitLeader(10 * time.Second)
	if newLeader == leader {
		t.Fatalf("node %d still leads after it was killed", killed)
	}
	t.Logf("node %d elected %v after the controller died", newLeader+1, time.Since(start))
	other := (leader + 1) % 3
	createClusterTopic(t, c.Nodes[other].Addr, "after", 1, 2)

	waitFor(t, "the killed broker fenced and its partitions led from the ISR", func() bool {
		img := c.Nodes[newLeader].Image()
		b, _ := img.Broker(killed)
		topic, _ := img.Topic("orders")
		for _, p := range topic.Partitions {
			if p.Leader == int32(killed) || slices.Contains(p.ISR, int32(killed)) || !slices.Contains(p.ISR, p.Leader) {
				return false
			}
		}
		return b.Fenced
	})

	c.Restart(leader)
	waitTopic(t, c.Nodes[leader], "after")
	waitFor(t, "the restarted broker unfenced", func() bool {
		b, _ := c.Nodes[newLeader].Image().Broker(killed)
		return !b.Fenced
	})
}

// TestClusterControlledShutdown proves that a node that stops cleanly is
// moved off its leaderships before it is gone, and that with
// controlled.shutdown.enable=false it is not: its partitions keep it as
// their leader until the controller fences it (after
// broker.session.timeout.ms, a minute here).
func TestClusterControlledShutdown(t *testing.T) {
	for _, enabled := range []bool{true, false} {
		c := nodetest.StartCluster(t, 3, map[string]string{
			"controlled.shutdown.enable": strconv.FormatBool(enabled), "broker.session.timeout.ms": "60000"})
		leader := c.WaitLeader(10 * time.Second)
		createClusterTopic(t, c.Nodes[0].Addr, "moving", 3, 3)
		victim := (leader + 1) % 3
		victimID := int32(c.Nodes[victim].ID)
		waitTopic(t, c.Nodes[victim], "moving")
		led := 0
		waitFor(t, "leaders elected", func() bool {
			topic, _ := c.Nodes[leader].Image().Topic("moving")
			led = 0
			for _, p := range topic.Partitions {
				if p.Leader < 0 {
					return false
				}
				if p.Leader == victimID {
					led++
				}
			}
			return true
		})
		c.Stop(victim)
		topic, _ := c.Nodes[leader].Image().Topic("moving")
		still := 0
		for _, p := range topic.Partitions {
			if p.Leader < 0 {
				t.Fatalf("enabled=%v: partition %d has no leader after node %d stopped", enabled, p.Partition, victimID)
			}
			if p.Leader == victimID {
				still++
			}
		}
		if enabled && still > 0 {
			t.Fatalf("%d partitions led by %d after it stopped with a controlled shutdown", still, victimID)
		}
		if !enabled && (led == 0 || still != led) {
			t.Fatalf("without controlled shutdown: node %d led %d partitions before it stopped and %d after, want the same, at least one", victimID, led, still)
		}
	}
}

func createClusterTopic(t *testing.T, addr, name string, partitions int32, rf int16) {
	t.Helper()
	start := time.Now()
	adm := kadm.NewClient(newClient(t, addr))
	resp, err := adm.CreateTopic(testContext(t), partitions, rf, nil, name)
	if err != nil || resp.Err != nil {
		t.Fatalf("create %s through %s: %v %v", name, addr, err, resp.Err)
	}
	t.Logf("created %s through %s in %v", name, addr, time.Since(start))
}

func waitTopic(t *testing.T, cn *nodetest.ClusterNode, name string) *metadata.Topic {
	t.Helper()
	var topic *metadata.Topic
	waitFor(t, "topic "+name+" on node", func() bool {
		var ok bool
		topic, ok = cn.Image().Topic(name)
		return ok
	})
	return topic
}

func checkMetadata(t *testing.T, addr, topic string, brokers int) {
	t.Helper()
	meta, err := kadm.NewClient(newClient(t, addr)).Metadata(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(meta.Brokers) != brokers || len(meta.Topics[topic].Partitions) == 0 || meta.Controller < 1 {
		t.Fatalf("metadata from %s: brokers %v, topic %+v, controller %d", addr, meta.Brokers, meta.Topics[topic], meta.Controller)
	}
}

// checkDescribeQuorum asks a node for the quorum: the leader, an epoch,
// a high watermark and three voters with their log end offsets.
func checkDescribeQuorum(t *testing.T, addr string, leader int32) {
	t.Helper()
	req := kmsg.NewPtrDescribeQuorumRequest()
	req.Topics = []kmsg.DescribeQuorumRequestTopic{{Topic: "__cluster_metadata", Partitions: []kmsg.DescribeQuorumRequestTopicPartition{{Partition: 0}}}}
	resp, err := req.RequestWith(testContext(t), newClient(t, addr))
	if err != nil {
		t.Fatal(err)
	}
	p := resp.Topics[0].Partitions[0]
	if p.ErrorCode != 0 || p.LeaderID != leader || p.LeaderEpoch < 1 || p.HighWatermark < 1 || len(p.CurrentVoters) != 3 || len(resp.Nodes) != 3 {
		t.Fatalf("DescribeQuorum from %s: %+v nodes %+v", addr, p, resp.Nodes)
	}
	for _, v := range p.CurrentVoters {
		if v.LogEndOffset < 1 {
			t.Fatalf("voter %d: log end offset %d", v.ReplicaID, v.LogEndOffset)
		}
	}
}

// TestClusterRefusesAnotherClusterID proves that a node formatted with
// another cluster id does not join the quorum, and says why, while the
// cluster it tried to join keeps serving.
func TestClusterRefusesAnotherClusterID(t *testing.T) {
	c := nodetest.StartCluster(t, 3, nil)
	c.WaitLeader(10 * time.Second)
	c.Stop(2)
	dir := c.Nodes[2].Dir
	m, err := storage.ReadMetaProperties(dir)
	if err != nil {
		t.Fatal(err)
	}
	m.ClusterID = "another-cluster-id-000"
	if err := storage.WriteMetaProperties(dir, m); err != nil {
		t.Fatal(err)
	}
	err = c.TryRestart(2)
	if err == nil || !strings.Contains(err.Error(), "cluster") || !strings.Contains(err.Error(), "another-cluster-id-000") {
		t.Fatalf("restart with another cluster id: %v", err)
	}
	if testing.Verbose() {
		t.Log(err)
	}
	time.Sleep(300 * time.Millisecond) // the stranger's connections reach the others
	createClusterTopic(t, c.Nodes[0].Addr, "still-serving", 1, 2)
}

// logCommitLatency logs how long a metadata change submitted on cn takes
// to commit on the quorum and be applied on cn.
func logCommitLatency(t *testing.T, cn *nodetest.ClusterNode, where string) {
	const n = 20
	start := time.Now()
	for range n {
		if _, err := cn.Controller().Submit(testContext(t), controller.AllocateProducerIDsRequest{Size: 1}); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("a metadata change submitted on %s commits in %v on average", where, time.Since(start)/n)
}

// TestClusterBrokerOnlyObserver proves that a broker that is not a voter
// follows the metadata log: it registers, sees a topic created through a
// voter, creates one itself through the active controller, shows in
// DescribeQuorum as an observer, and catches up after a restart.
func TestClusterBrokerOnlyObserver(t *testing.T) {
	c := nodetest.StartClusterWithBrokers(t, 3, 1, nil)
	leader := c.WaitLeader(10 * time.Second)
	broker := c.Nodes[3]
	waitFor(t, "the broker registered on every node", func() bool {
		for _, cn := range c.Nodes {
			if _, ok := cn.Image().Broker(broker.ID); !ok {
				return false
			}
		}
		return true
	})
	createClusterTopic(t, c.Nodes[0].Addr, "seen", 4, 2)
	waitTopic(t, broker, "seen")
	resp0, err := broker.Controller().Submit(testContext(t), controller.CreateTopicsRequest{Topics: []controller.TopicSpec{{Name: "made", NumPartitions: 1, ReplicationFactor: 3}}})
	if err != nil || resp0.(controller.CreateTopicsResponse).Topics[0].Err != nil {
		t.Fatalf("create through the broker's controller: %v %+v", err, resp0)
	}
	if _, ok := broker.Image().Topic("made"); !ok {
		t.Fatal("the broker answered its forwarded request before its image had the topic")
	}
	waitTopic(t, c.Nodes[leader], "made")
	req := kmsg.NewPtrDescribeQuorumRequest()
	req.Topics = []kmsg.DescribeQuorumRequestTopic{{Topic: "__cluster_metadata", Partitions: []kmsg.DescribeQuorumRequestTopicPartition{{Partition: 0}}}}
	resp, err := req.RequestWith(testContext(t), newClient(t, broker.Addr))
	if err != nil {
		t.Fatal(err)
	}
	if p := resp.Topics[0].Partitions[0]; len(p.CurrentVoters) != 3 || len(p.Observers) != 1 || p.Observers[0].ReplicaID != int32(broker.ID) {
		t.Fatalf("DescribeQuorum: voters %+v observers %+v", p.CurrentVoters, p.Observers)
	}
	c.Stop(3)
	createClusterTopic(t, c.Nodes[1].Addr, "while-away", 1, 1)
	c.Restart(3)
	waitTopic(t, broker, "while-away")
}

// TestClusterLoneVoterServesBrokers proves that a single combined node
// serves its CONTROLLER listener to broker-only nodes, as a one-controller
// KRaft cluster does: the broker registers with it and a topic replicated
// on both is created through the broker.
func TestClusterLoneVoterServesBrokers(t *testing.T) {
	c := nodetest.StartClusterWithBrokers(t, 1, 1, nil)
	c.WaitLeader(10 * time.Second)
	broker := c.Nodes[1]
	waitFor(t, "the broker registered on the voter", func() bool {
		_, ok := c.Nodes[0].Image().Broker(broker.ID)
		return ok
	})
	createClusterTopic(t, broker.Addr, "both", 2, 2)
	waitTopic(t, c.Nodes[0], "both")
}
