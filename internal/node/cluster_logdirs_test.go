package node_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/kafka"
	"gregor/internal/node/nodetest"
	"gregor/internal/record"
)

// TestClusterMovesReplicasBetweenLogDirs proves that the replicas of a
// partition, the leader's and the followers', move between their
// brokers' log dirs at once while a producer writes with acks=all: every
// acknowledged record is read back, and the three replicas end byte for
// byte the same.
func TestClusterMovesReplicasBetweenLogDirs(t *testing.T) {
	dirsOf := map[kafka.NodeID][2]string{} // filled as the cluster starts its nodes, one after the other
	c := nodetest.StartClusterPerNode(t, 3, 0, func(id kafka.NodeID) map[string]string {
		dirsOf[id] = [2]string{t.TempDir(), t.TempDir()}
		return map[string]string{"log.dirs": dirsOf[id][0] + "," + dirsOf[id][1]}
	})
	c.WaitLeader(10 * time.Second)
	const topic = "moving"
	createAssigned(t, c.Nodes[0].Addr, topic, 1, 2, 3)
	pr := startProducer(t, c.Nodes[0].Addr, topic)
	waitFor(t, "records acknowledged before the moves", func() bool { return pr.count() >= 300 })

	targets := map[int]string{}
	for i, n := range c.Nodes {
		cl := newClient(t, n.Addr)
		dirs := dirsOf[n.ID]
		targets[i] = dirs[0]
		if _, in := replicaDirs(t, cl, topic)[dirs[0]+"/0"]; in {
			targets[i] = dirs[1]
		}
		req := kmsg.NewPtrAlterReplicaLogDirsRequest()
		addLogDirMove(req, targets[i], topic, 0)
		raw, err := cl.SeedBrokers()[0].Request(testContext(t), req)
		if err != nil {
			t.Fatal(err)
		}
		if code := raw.(*kmsg.AlterReplicaLogDirsResponse).Topics[0].Partitions[0].ErrorCode; code != 0 {
			t.Fatalf("node %d: AlterReplicaLogDirs answered %d", i+1, code)
		}
	}
	for i, n := range c.Nodes {
		cl := newClient(t, n.Addr)
		waitFor(t, fmt.Sprintf("node %d's replica in %s", i+1, targets[i]), func() bool {
			dirs := replicaDirs(t, cl, topic)
			future, ok := dirs[targets[i]+"/0"]
			return ok && !future && len(dirs) == 1
		})
	}
	moved := pr.count()
	waitFor(t, "records acknowledged after the moves", func() bool { return pr.count() >= moved+300 })
	acked := pr.finish()

	got := readAll(t, c.Nodes[0].Addr, topic)
	seen := map[string]bool{}
	for _, v := range got {
		seen[v] = true
	}
	for _, v := range acked {
		if !seen[v] {
			t.Fatalf("acknowledged record %s lost in the moves (%d acknowledged, %d read)", v, len(acked), len(got))
		}
	}
	// Every replica holds the same batches once the followers caught up.
	contents := func(i int) ([]byte, int64) {
		l, ok := c.Nodes[i].Log(topic, 0)
		if !ok {
			return nil, -1
		}
		var all []byte
		if err := l.Batches(0, func(b record.Batch) error { all = append(all, b...); return nil }); err != nil {
			t.Fatal(err)
		}
		return all, l.LogEndOffset()
	}
	waitFor(t, "the three replicas the same", func() bool {
		first, end := contents(0)
		for i := 1; i < len(c.Nodes); i++ {
			if other, otherEnd := contents(i); otherEnd != end || !bytes.Equal(other, first) {
				return false
			}
		}
		return end > 0
	})
	t.Logf("%d records acknowledged across the moves, all read back", len(acked))
}
