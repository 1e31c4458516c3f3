package e2e

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/testutil/netproxy"
)

// TestClusterHarnessOneNode proves that the process-cluster harness works
// on the one-node cluster of today, plain and proxied: the node starts from
// its generated, formatted server.properties, serves on the address the
// harness computed, and survives SIGSTOP/SIGCONT, SIGKILL and restart, and
// SIGTERM and restart under an acks=all producer that loses nothing.
func TestClusterHarnessOneNode(t *testing.T) {
	for _, proxied := range []bool{false, true} {
		t.Run(fmt.Sprintf("proxied=%v", proxied), func(t *testing.T) {
			c := startCluster(t, 1, clusterOptions{proxied: proxied})
			if got := c.node(1).proc.addr; got != c.Addr(1) {
				t.Fatalf("node listens on %s, the harness says %s", got, c.Addr(1))
			}
			c.WaitForLog(1, regexp.MustCompile(`cluster.id=`+regexp.QuoteMeta(c.id)), time.Second)
			c.tool("topics", "--bootstrap-server", c.Bootstrap(), "--create", "--topic", "harness", "--partitions", "3")
			producer := startAckedProducer(t, 1, c.Seeds(), "harness")
			producer.waitAcked(t, 1000, 20*time.Second)

			c.Stop(1)
			time.Sleep(300 * time.Millisecond) // answers already in flight arrive
			before := producer.Acked()
			time.Sleep(500 * time.Millisecond)
			if n := producer.Acked(); n != before {
				t.Fatalf("%d acknowledgements from a SIGSTOPped node", n-before)
			}
			c.Cont(1)
			producer.waitAcked(t, 1000, 20*time.Second)

			c.Kill(1)
			c.Restart(1)
			producer.waitAcked(t, 1000, 30*time.Second)
			c.Terminate(1, 30*time.Second)
			c.Restart(1)
			producer.waitAcked(t, 1000, 30*time.Second)
			n := checkProducers(t, c.Seeds(), "harness", producer)
			t.Logf("%d records acknowledged across SIGSTOP, SIGKILL and SIGTERM, all present", n)
		})
	}
}

// requireClusterTests skips tests that need a real multi-node cluster
// unless GREGOR_CLUSTER_TESTS is set (and -short is not).
func requireClusterTests(t *testing.T) {
	if testing.Short() {
		t.Skip("a multi-node cluster test; not with -short")
	}
	if os.Getenv("GREGOR_CLUSTER_TESTS") == "" {
		t.Skip("a multi-node cluster test; set GREGOR_CLUSTER_TESTS=1 to run it")
	}
}

// TestThreeNodeCluster proves that three processes started from their own
// server.properties form one cluster: every node knows all three brokers,
// a topic of replication factor 3 created on one node has three in-sync
// replicas seen from another, and an acks=all producer loses nothing when
// a partition leader is SIGKILLed and restarted, after which the ISR is
// whole again.
func TestThreeNodeCluster(t *testing.T) {
	requireClusterTests(t)
	c := startCluster(t, 3, clusterOptions{props: map[string]string{"min.insync.replicas": "2"}})
	checkMembership(t, c)
	leader := createReplicated(t, c, "smoke")
	producer := startAckedProducer(t, 1, c.Seeds(), "smoke")
	producer.waitAcked(t, 2000, 30*time.Second)

	c.Kill(leader)
	producer.waitAcked(t, 2000, 60*time.Second)
	c.Restart(leader)
	waitFullISR(t, c, "smoke", 60*time.Second)
	producer.waitAcked(t, 1000, 30*time.Second)
	n := checkProducers(t, c.Seeds(), "smoke", producer)
	t.Logf("%d records acknowledged across the SIGKILL of leader %d, all present", n, leader)
}

// TestThreeNodeClusterIsolatedLeader proves, on a cluster whose inter-node
// traffic goes through the proxies, that the traffic does use them (each
// node's controller and replication links carry connections), and that an
// acks=all producer loses nothing when a partition leader is cut off from
// its peers (not from clients) and the cut then heals, after which the ISR
// is whole again.
func TestThreeNodeClusterIsolatedLeader(t *testing.T) {
	requireClusterTests(t)
	c := startCluster(t, 3, clusterOptions{proxied: true, props: map[string]string{"min.insync.replicas": "2"}})
	checkMembership(t, c)
	leader := createReplicated(t, c, "isolated")
	checkProxiesUsed(t, c)
	producer := startAckedProducer(t, 1, c.Seeds(), "isolated", kgo.ProduceRequestTimeout(5*time.Second))
	producer.waitAcked(t, 2000, 30*time.Second)

	c.Isolate(leader, (*netproxy.Proxy).Cut)
	producer.waitAcked(t, 2000, 90*time.Second)
	c.HealAll()
	waitFullISR(t, c, "isolated", 60*time.Second)
	producer.waitAcked(t, 1000, 30*time.Second)
	n := checkProducers(t, c.Seeds(), "isolated", producer)
	t.Logf("%d records acknowledged across the isolation of leader %d, all present", n, leader)
}

// checkMembership waits until every node, asked alone, describes every
// node of the cluster as a broker.
func checkMembership(t *testing.T, c *cluster) {
	t.Helper()
	var want []int32
	for _, nd := range c.nodes {
		want = append(want, int32(nd.id))
	}
	for _, nd := range c.nodes {
		adm := admin(t, c.Addr(nd.id))
		waitFor(t, 30*time.Second, func() string {
			brokers, err := adm.ListBrokers(testContext(t, 10*time.Second))
			if err != nil {
				return err.Error()
			}
			if got := brokers.NodeIDs(); !slices.Equal(got, want) {
				return fmt.Sprintf("node %d describes brokers %v, want %v", nd.id, got, want)
			}
			return ""
		})
	}
}

// createReplicated creates topic with 3 partitions of 3 replicas through
// node 1, waits until the last node sees every replica in sync, and
// returns the leader of partition 0.
func createReplicated(t *testing.T, c *cluster, topic string) int {
	t.Helper()
	if _, err := admin(t, c.Addr(1)).CreateTopic(testContext(t, 30*time.Second), 3, 3, nil, topic); err != nil {
		t.Fatalf("create %s with replication factor 3: %v", topic, err)
	}
	waitFullISR(t, c, topic, 30*time.Second)
	parts := describe(t, c.Addr(len(c.nodes)), topic)
	return int(parts[0].Leader)
}

// waitFullISR waits until some node describes every partition of topic
// with a leader and all its replicas in sync.
func waitFullISR(t *testing.T, c *cluster, topic string, d time.Duration) {
	t.Helper()
	waitFor(t, d, func() string {
		for _, seed := range c.Seeds() {
			parts, err := tryDescribe(t, seed, topic)
			if err != nil {
				continue // that node may be down
			}
			for _, p := range parts {
				if p.Leader < 0 || len(p.ISR) != len(p.Replicas) || len(p.Replicas) != len(c.nodes) {
					return fmt.Sprintf("%s/%d: leader %d, replicas %v, isr %v", topic, p.Partition, p.Leader, p.Replicas, p.ISR)
				}
			}
			return ""
		}
		return "no node answers"
	})
}

// checkProxiesUsed fails unless every node has connections open to some
// peer through both its controller and its replication proxies.
func checkProxiesUsed(t *testing.T, c *cluster) {
	t.Helper()
	waitFor(t, 30*time.Second, func() string {
		for _, nd := range c.nodes {
			controller, replication := 0, 0
			for _, peer := range c.nodes {
				if peer != nd {
					controller += c.Link(nd.id, peer.id).controller.Conns()
					replication += c.Link(nd.id, peer.id).replication.Conns()
				}
			}
			if controller == 0 || replication == 0 {
				return fmt.Sprintf("node %d: %d controller and %d replication connections through the proxies", nd.id, controller, replication)
			}
		}
		return ""
	})
}

func admin(t *testing.T, addr string) *kadm.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}

func describe(t *testing.T, addr, topic string) []kadm.PartitionDetail {
	t.Helper()
	parts, err := tryDescribe(t, addr, topic)
	if err != nil {
		t.Fatal(err)
	}
	return parts
}

// tryDescribe returns the partitions of topic, sorted, as addr describes them.
func tryDescribe(t *testing.T, addr, topic string) ([]kadm.PartitionDetail, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	topics, err := kadm.NewClient(cl).ListTopics(testContext(t, 5*time.Second), topic)
	if err != nil {
		return nil, err
	}
	td, ok := topics[topic]
	if !ok || td.Err != nil {
		return nil, fmt.Errorf("describe %s on %s: %v", topic, addr, td.Err)
	}
	return td.Partitions.Sorted(), nil
}

// waitFor polls cond until it returns "" and fails the test with its last
// answer if d passes first.
func waitFor(t *testing.T, d time.Duration, cond func() string) {
	t.Helper()
	var why string
	for deadline := time.Now().Add(d); ; time.Sleep(100 * time.Millisecond) {
		if why = cond(); why == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, why)
		}
	}
}
