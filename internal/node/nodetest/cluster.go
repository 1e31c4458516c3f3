package nodetest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gregor/internal/config"
	"gregor/internal/kafka"
	"gregor/internal/node"
	"gregor/internal/storage"
	"gregor/internal/testutil/freeport"
	"gregor/internal/vfs"
)

// Cluster is n combined (broker and controller) nodes started in-process
// by StartCluster, every one a voter of the controller quorum; or, from
// StartSplitCluster, controller-only voters and broker-only observers.
type Cluster struct {
	t         testing.TB
	ClusterID string
	Nodes     []*ClusterNode
	fs        vfs.FS // the log dirs' filesystem; nil: the real one
}

// ClusterNode is one node of a Cluster. Node is nil while it is stopped;
// Addr is its broker listener's address (a new one after each restart),
// or a controller-only node's CONTROLLER listener address.
type ClusterNode struct {
	*node.Node
	ID   kafka.NodeID
	Dir  string
	Addr string
	// MetadataDir is the node's metadata.log.dir when it is not Dir
	// (StartClusterFS); empty otherwise.
	MetadataDir string

	props map[string]string
	mu    sync.Mutex
}

// StartCluster starts n nodes with node ids 1..n on loopback: ephemeral
// broker ports, controller ports picked free, data in temp dirs formatted
// with one cluster id. overrides apply to every node. The nodes start
// together (each waits for a quorum) and stop when the test ends.
func StartCluster(t testing.TB, n int, overrides map[string]string) *Cluster {
	t.Helper()
	return StartClusterWithBrokers(t, n, 0, overrides)
}

// StartClusterFS is StartCluster with every node's log dirs on fsys,
// through which a test injects disk faults (vfs.Faulty), and its
// metadata log in a dir of its own (MetadataDir): a failure of the
// metadata log dir stops a node, as in Kafka, so a test that fails Dir
// sees the node go on without it.
func StartClusterFS(t testing.TB, n int, overrides map[string]string, fsys vfs.FS) *Cluster {
	t.Helper()
	return startCluster(t, n, 0, false, func(kafka.NodeID) map[string]string { return overrides }, fsys)
}

// StartSplitCluster starts controllers controller-only nodes
// (process.roles=controller, ids 1..controllers), the voters, and brokers
// broker-only nodes (the ids after them), KRaft's split deployment.
func StartSplitCluster(t testing.TB, controllers, brokers int, overrides map[string]string) *Cluster {
	t.Helper()
	return startCluster(t, controllers, brokers, true, func(kafka.NodeID) map[string]string { return overrides }, nil)
}

// StartClusterWithBrokers starts voters combined nodes (ids 1..voters), as
// StartCluster does, and brokers broker-only nodes (the ids after them)
// that follow the metadata log as observers.
func StartClusterWithBrokers(t testing.TB, voters, brokers int, overrides map[string]string) *Cluster {
	t.Helper()
	return StartClusterPerNode(t, voters, brokers, func(kafka.NodeID) map[string]string { return overrides })
}

// StartClusterPerNode starts a cluster as StartClusterWithBrokers does,
// with the overrides of each node given by its id (broker.rack, say).
func StartClusterPerNode(t testing.TB, voters, brokers int, overridesOf func(kafka.NodeID) map[string]string) *Cluster {
	t.Helper()
	return startCluster(t, voters, brokers, false, overridesOf, nil)
}

func startCluster(t testing.TB, voters, brokers int, controllerOnly bool, overridesOf func(kafka.NodeID) map[string]string, fsys vfs.FS) *Cluster {
	t.Helper()
	n := voters + brokers
	ports := freePorts(t, voters)
	var voterList []string
	for i, p := range ports {
		voterList = append(voterList, fmt.Sprintf("%d@127.0.0.1:%d", i+1, p))
	}
	c := &Cluster{t: t, ClusterID: kafka.NewTopicID().String(), fs: fsys}
	for i := range n {
		cn := &ClusterNode{ID: kafka.NodeID(i + 1), Dir: t.TempDir()}
		cn.props = map[string]string{
			"node.id":                          strconv.Itoa(i + 1),
			"process.roles":                    "broker,controller",
			"listeners":                        "PLAINTEXT://127.0.0.1:0",
			"controller.listener.names":        "CONTROLLER",
			"controller.quorum.voters":         strings.Join(voterList, ","),
			"log.dirs":                         cn.Dir,
			"offsets.topic.replication.factor": "1",
			"group.initial.rebalance.delay.ms": "0",
			"broker.heartbeat.interval.ms":     "200",
			"broker.session.timeout.ms":        "2000",
			"http.listeners":                   "http://127.0.0.1:0",
			"schema.registry.listeners":        "",
			"rest.proxy.listeners":             "http://127.0.0.1:0",
		}
		switch {
		case i < voters && controllerOnly:
			cn.props["process.roles"] = "controller"
			cn.props["listeners"] = fmt.Sprintf("CONTROLLER://127.0.0.1:%d", ports[i])
		case i < voters:
			cn.props["listeners"] += fmt.Sprintf(",CONTROLLER://127.0.0.1:%d", ports[i])
		default:
			cn.props["process.roles"] = "broker"
		}
		for k, v := range overridesOf(cn.ID) {
			cn.props[k] = v
		}
		dirs := strings.Split(cn.props["log.dirs"], ",") // an override may name several
		if fsys != nil {
			cn.MetadataDir = t.TempDir()
			cn.props["metadata.log.dir"] = cn.MetadataDir
			dirs = append(dirs, cn.MetadataDir)
		}
		for _, d := range dirs {
			if err := storage.WriteMetaProperties(d, storage.MetaProperties{ClusterID: c.ClusterID, NodeID: int32(i + 1), DirectoryID: kafka.NewTopicID().String()}); err != nil {
				t.Fatal(err)
			}
		}
		c.Nodes = append(c.Nodes, cn)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range c.Nodes {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = c.start(i) }()
	}
	wg.Wait()
	t.Cleanup(func() {
		// Brokers first, then voters: each controlled shutdown still has
		// a quorum to move its leaderships.
		for i := len(c.Nodes) - 1; i >= 0; i-- {
			c.Stop(i)
		}
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// freePorts picks n free loopback ports (see freeport).
func freePorts(t testing.TB, n int) []int {
	ports, err := freeport.Get(n)
	if err != nil {
		t.Fatal(err)
	}
	return ports
}

func (c *Cluster) start(i int) error {
	cn := c.Nodes[i]
	cfg, _, err := config.Parse(cn.props)
	if err != nil {
		return err
	}
	var nd *node.Node
	for attempt := 0; ; attempt++ {
		nd, err = node.StartWith(context.Background(), cfg, logger(fmt.Sprintf("node%d", cn.ID)), node.Options{LogDirFS: c.fs})
		if err == nil || attempt == 20 || !strings.Contains(err.Error(), "address already in use") {
			break
		}
		time.Sleep(50 * time.Millisecond) // the controller port was taken in between: retry
	}
	if err != nil {
		return fmt.Errorf("node %d: %w", cn.ID, err)
	}
	addr := nd.Controller().ListenerAddr()
	if len(nd.Addrs()) > 0 {
		addr = nd.Addrs()[0]
	}
	cn.mu.Lock()
	cn.Node, cn.Addr = nd, addr.String()
	cn.mu.Unlock()
	return nil
}

// Stop stops node i (a clean shutdown, controlled shutdown first) and
// waits for it; stopping a stopped node does nothing.
func (c *Cluster) Stop(i int) { c.stop(i, (*node.Node).Stop) }

// Kill stops node i without a controlled shutdown: its leaderships stay
// until the controller fences it, as after a crash.
func (c *Cluster) Kill(i int) { c.stop(i, (*node.Node).Halt) }

func (c *Cluster) stop(i int, how func(*node.Node)) {
	cn := c.Nodes[i]
	cn.mu.Lock()
	nd := cn.Node
	cn.Node = nil
	cn.mu.Unlock()
	if nd == nil {
		return
	}
	how(nd)
	done := make(chan error, 1)
	go func() { done <- nd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			c.t.Errorf("node %d stopped with: %v", cn.ID, err)
		}
	case <-time.After(30 * time.Second):
		c.t.Errorf("node %d did not stop within 30s", cn.ID)
	}
}

// Restart starts stopped node i again on its data.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	if err := c.TryRestart(i); err != nil {
		c.t.Fatal(err)
	}
}

// TryRestart starts stopped node i again and returns why it did not start.
func (c *Cluster) TryRestart(i int) error { return c.start(i) }

// Leader returns the index of the node that is the active controller, as
// the running nodes see it, or -1 while they do not agree on one.
func (c *Cluster) Leader() int {
	leader := -1
	for _, cn := range c.Nodes {
		if cn.Node == nil {
			continue
		}
		id, ok := cn.Controller().Leader()
		if !ok || leader >= 0 && int(id) != leader+1 {
			return -1
		}
		leader = int(id) - 1
	}
	return leader
}

// WaitLeader waits up to timeout for the running nodes to agree on an
// active controller and returns its index.
func (c *Cluster) WaitLeader(timeout time.Duration) int {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if l := c.Leader(); l >= 0 && c.Nodes[l].Node != nil {
			return l
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.t.Fatalf("no active controller within %v", timeout)
	return -1
}
