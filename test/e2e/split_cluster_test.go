package e2e

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSampleSplitClusterProperties proves that config/cluster-split's
// controller1..3 and broker1..3.properties, with free ports, format
// without warnings with one cluster id; and, with GREGOR_CLUSTER_TESTS set,
// that the six processes form KRaft's split deployment: the brokers, and
// only they, are registered; metadata-quorum through a broker and through
// the controllers lists the controllers as voters and the brokers as
// observers; a topic of three replicas takes acks=all writes while the
// active controller is SIGKILLed (a new one is elected and a topic is
// created after) and then the partition's leader broker, and every
// acknowledged record is read back.
func TestSampleSplitClusterProperties(t *testing.T) {
	c := &cluster{t: t}
	c.id = c.tool("storage", "random-uuid")
	ports := map[string]string{}
	var brokers []*clusterNode
	for _, name := range []string{"controller1", "controller2", "controller3", "broker1", "broker2", "broker3"} {
		nd := &clusterNode{dir: t.TempDir()}
		nd.config, nd.id, nd.client = copySample(t, "../../config/cluster-split/"+name+".properties", nd.dir, ports)
		if want := len(c.nodes) + 1; nd.id != want {
			t.Fatalf("%s.properties has node.id=%d, want %d", name, nd.id, want)
		}
		formatSample(t, nd.config, c.id, nd.id, nd.dir)
		c.nodes = append(c.nodes, nd)
		if nd.client != 0 {
			brokers = append(brokers, nd)
		}
	}
	requireClusterTests(t)
	t.Cleanup(c.logOnFailure)
	for _, nd := range c.nodes {
		c.spawn(nd)
	}
	for _, nd := range c.nodes {
		nd.proc.waitListening(t, 60*time.Second)
	}
	var seeds, controllers []string
	for _, nd := range c.nodes {
		if nd.client != 0 {
			seeds = append(seeds, loopback(nd.client))
		} else {
			controllers = append(controllers, nd.proc.addr)
		}
	}
	for _, nd := range brokers {
		adm := admin(t, loopback(nd.client))
		waitFor(t, 30*time.Second, func() string {
			got, err := adm.ListBrokers(testContext(t, 10*time.Second))
			if err != nil {
				return err.Error()
			}
			if ids := got.NodeIDs(); !slices.Equal(ids, []int32{4, 5, 6}) {
				return fmt.Sprintf("broker %d lists brokers %v", nd.id, ids)
			}
			return ""
		})
	}
	leader := quorumLeader(t, c, "--bootstrap-server", seeds[0])
	quorumLeader(t, c, "--bootstrap-controller", strings.Join(controllers, ","))

	bootstrap := strings.Join(seeds, ",")
	c.tool("topics", "--bootstrap-server", bootstrap, "--create", "--topic", "split", "--partitions", "1", "--replication-factor", "3")
	producer := startAckedProducer(t, 1, seeds, "split")
	producer.waitAcked(t, 1000, 30*time.Second)

	c.Kill(leader)
	start := time.Now()
	var newLeader int
	waitFor(t, 30*time.Second, func() string {
		out, errOut, err := runTool(t, "", "metadata-quorum", "--bootstrap-server", bootstrap, "describe", "--status")
		m := leaderIDLine.FindStringSubmatch(out)
		if err != nil || m == nil {
			return fmt.Sprintf("%v %s", err, errOut)
		}
		newLeader, _ = strconv.Atoi(m[1])
		if newLeader == leader || newLeader < 1 || newLeader > 3 {
			return fmt.Sprintf("leader %d", newLeader)
		}
		return ""
	})
	t.Logf("controller %d killed; controller %d leads after %v", leader, newLeader, time.Since(start))
	c.tool("topics", "--bootstrap-server", bootstrap, "--create", "--topic", "after-controller", "--partitions", "1", "--replication-factor", "2")
	producer.waitAcked(t, 1000, 30*time.Second)

	partitionLeader := int(describe(t, seeds[0], "split")[0].Leader)
	c.Kill(partitionLeader)
	start = time.Now()
	var alive []string
	for _, nd := range brokers {
		if nd.id != partitionLeader {
			alive = append(alive, loopback(nd.client))
		}
	}
	waitFor(t, 60*time.Second, func() string {
		parts, err := tryDescribe(t, alive[0], "split")
		if err != nil {
			return err.Error()
		}
		if l := int(parts[0].Leader); l < 4 || l == partitionLeader {
			return fmt.Sprintf("split/0 led by %d", l)
		}
		return ""
	})
	t.Logf("broker %d killed; the partition has another leader after %v", partitionLeader, time.Since(start))
	producer.waitAcked(t, 1000, 60*time.Second)
	n := checkProducers(t, alive, "split", producer)
	t.Logf("%d records acknowledged across the SIGKILL of controller %d and of leader broker %d, all present", n, leader, partitionLeader)
}

var leaderIDLine = regexp.MustCompile(`(?m)^LeaderId:\s+([0-9]+)$`)

// quorumLeader runs metadata-quorum describe --status with the flag given
// until it lists the three controllers as voters and the three brokers as
// observers, and returns the leader's id.
func quorumLeader(t *testing.T, c *cluster, flag, addrs string) int {
	t.Helper()
	var leader int
	waitFor(t, 30*time.Second, func() string {
		out, errOut, err := runTool(t, "", "metadata-quorum", flag, addrs, "describe", "--status")
		if err != nil {
			return fmt.Sprintf("%v %s", err, errOut)
		}
		m := leaderIDLine.FindStringSubmatch(out)
		if m == nil || !strings.Contains(out, `CurrentObservers:       [{"id": 4}, {"id": 5}, {"id": 6}]`) ||
			!strings.Contains(out, `CurrentVoters:          [{"id": 1, `) || !strings.Contains(out, "ClusterId:              "+c.id) {
			return out
		}
		leader, _ = strconv.Atoi(m[1])
		return ""
	})
	return leader
}
