package node_test

import (
	"context"
	"maps"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/node/nodetest"
)

// clusterTxnProps: three replicas of everything, one partition of each
// coordinator topic so that one node coordinates every transaction and
// group, and the partitions of the data topics led by all three nodes.
var clusterTxnProps = map[string]string{
	"transaction.state.log.replication.factor":                    "3",
	"transaction.state.log.min.isr":                               "2",
	"transaction.state.log.num.partitions":                        "1",
	"offsets.topic.replication.factor":                            "3",
	"offsets.topic.num.partitions":                                "1",
	"min.insync.replicas":                                         "2",
	"transaction.abort.timed.out.transaction.cleanup.interval.ms": "100",
	"group.min.session.timeout.ms":                                "200",
	"group.initial.rebalance.delay.ms":                            "0",
}

// startTxnCluster starts three nodes with clusterTxnProps, topics in and
// out of three partitions and three replicas, and total records in in;
// it returns the cluster and the addresses of its nodes.
func startTxnCluster(t *testing.T, in, out string, total int) (*nodetest.Cluster, []string) {
	c := nodetest.StartCluster(t, 3, clusterTxnProps)
	c.WaitLeader(10 * time.Second)
	seeds := []string{c.Nodes[0].Addr, c.Nodes[1].Addr, c.Nodes[2].Addr}
	createClusterTopic(t, seeds[0], in, 3, 3)
	createClusterTopic(t, seeds[0], out, 3, 3)
	waitISR(t, c, in, 3)
	waitISR(t, c, out, 3)
	produceSync(t, newClient(t, seeds[0], kgo.SeedBrokers(seeds...)), in, "in", total, 50)
	return c, seeds
}

// leadersOf returns the nodes (1-based ids) leading the partitions of
// topic, as the first running node's image says.
func leadersOf(t *testing.T, c *nodetest.Cluster, topic string) []int32 {
	t.Helper()
	for _, cn := range c.Nodes {
		if cn.Node == nil {
			continue
		}
		tp, ok := cn.Image().Topic(topic)
		if !ok {
			t.Fatalf("no topic %s", topic)
		}
		leaders := map[int32]bool{}
		for _, p := range tp.Partitions {
			leaders[p.Leader] = true
		}
		return slices.Sorted(maps.Keys(leaders))
	}
	t.Fatal("no node running")
	return nil
}

// TestClusterConsumeTransformProduceExactlyOnce proves transactions whose
// partitions are led by other nodes than their coordinator: a
// GroupTransactSession copies A to B on three nodes (the transaction
// coordinator on one, B's partitions led by all three, so that markers go
// over WriteTxnMarkers and first writes are verified at a coordinator on
// another node), with aborts and processes stopping mid-transaction, and B
// read with read_committed holds every input record exactly once.
func TestClusterConsumeTransformProduceExactlyOnce(t *testing.T) {
	const total = 300
	c, seeds := startTxnCluster(t, "xctp-a", "xctp-b", total)
	if leaders := leadersOf(t, c, "xctp-b"); len(leaders) < 2 {
		t.Fatalf("the output's partitions are led by %v only: the test needs several leaders", leaders)
	}
	job := copyJob{seeds: seeds, in: "xctp-a", out: "xctp-b", group: "xctp-g", txnID: "xctp"}
	job.run(t, nil)
	coordinator := partitionLeader(t, c, "__transaction_state")
	t.Logf("coordinator node %d; output led by %v", coordinator+1, leadersOf(t, c, "xctp-b"))
	checkExactlyOnce(t, readCommitted(t, seeds[0], "xctp-b", total), total)
}

// TestClusterTransactionsSurviveCoordinatorKill proves that when the node
// of the transaction coordinator is killed (no controlled shutdown) while
// a process of a consume-transform-produce copy runs its transactions
// (1.5 s into round 2 or later, with aborts and stopped processes before
// and after), the coordinator moves with its partition and every
// transaction still commits or aborts as a whole: B read with
// read_committed holds every input record exactly once.
func TestClusterTransactionsSurviveCoordinatorKill(t *testing.T) {
	const total = 300
	c, seeds := startTxnCluster(t, "kctp-a", "kctp-b", total)
	job := copyJob{seeds: seeds, in: "kctp-a", out: "kctp-b", group: "kctp-g", txnID: "kctp"}
	killed, done := -1, make(chan struct{})
	var running, killedIn atomic.Int32
	job.run(t, func(round int) {
		running.Store(int32(round))
		if round != 2 {
			return
		}
		killed = partitionLeader(t, c, "__transaction_state")
		timer := time.AfterFunc(1500*time.Millisecond, func() { // inside a round's transactions
			defer close(done)
			killedIn.Store(running.Load())
			c.Kill(killed)
		})
		t.Cleanup(func() {
			if !timer.Stop() {
				<-done
			}
		})
	})
	if killed < 0 {
		t.Fatal("the copy ended before the coordinator was killed: make the input larger")
	}
	<-done
	t.Logf("killed node %d, the transaction coordinator, during round %d", killed+1, killedIn.Load())
	alive := seeds[(killed+1)%3]
	checkExactlyOnce(t, readCommitted(t, alive, "kctp-b", total), total)
}

// readCommitted reads topic with read_committed from its start until it
// has want records (or 30 s pass), then for one second more, so that a
// duplicate would be seen too.
func readCommitted(t *testing.T, addr, topic string, want int) []string {
	t.Helper()
	cl := newClient(t, addr, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []string
	for ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)) })
		if len(out) >= want {
			more, stop := context.WithTimeout(ctx, time.Second)
			cl.PollFetches(more).EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)) })
			stop()
			break
		}
	}
	return out
}
