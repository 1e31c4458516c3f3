package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/node/nodetest"
)

// eventually runs "gregor args..." until its stdout contains want.
func eventually(t *testing.T, want string, args ...string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		// Each node applies metadata on its own: a tool whose client asks
		// another node than the one that answered a write may not see it
		// yet (as with Kafka), so errors are retried too.
		r := gregor(t, "", args...)
		out := r.stdout
		if r.err == nil && strings.Contains(out, want) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("gregor %s never printed %q; last (err %v):\n%s%s", strings.Join(args, " "), want, r.err, out, r.stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitEveryNode waits until every node of c has applied the creation of
// topic: each node applies metadata on its own, and a tool's client may
// ask any of them (as with Kafka, whose brokers also learn a new topic a
// moment after the controller commits it).
func waitEveryNode(t *testing.T, c *nodetest.Cluster, topic string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, n := range c.Nodes {
		for {
			if _, ok := n.Image().Topic(topic); ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %d never saw topic %s", n.ID, topic)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReassignPartitionsTool proves the reassign-partitions workflow on
// three nodes, with Kafka's output: --generate proposes a plan onto the
// broker list, --execute prints the rollback plan and starts it with
// Kafka's replication throttles (--throttle), --verify reports it
// completed and removes them, --list finds none left, and topics
// --describe shows the new replicas.
func TestReassignPartitionsTool(t *testing.T) {
	c := nodetest.StartCluster(t, 3, nil)
	c.WaitLeader(10 * time.Second)
	addr := c.Nodes[0].Addr
	mustGregor(t, "", "topics", "--bootstrap-server", addr, "--create", "--topic", "moving", "--partitions", "2", "--replication-factor", "2")
	waitEveryNode(t, c, "moving")
	bs := []string{"reassign-partitions", "--bootstrap-server", addr}

	move := writeFile(t, "move.json", `{"topics":[{"topic":"moving"}],"version":1}`)
	out := mustGregor(t, "", append(bs, "--generate", "--topics-to-move-json-file", move, "--broker-list", "2,3")...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || lines[0] != "Current partition replica assignment" || lines[3] != "Proposed partition reassignment configuration" {
		t.Fatalf("--generate printed:\n%s", out)
	}
	proposed := `{"version":1,"partitions":[{"topic":"moving","partition":0,"replicas":[2,3],"log_dirs":["any","any"]},{"topic":"moving","partition":1,"replicas":[3,2],"log_dirs":["any","any"]}]}`
	if lines[4] != proposed {
		t.Fatalf("proposed\n%s\nwant\n%s", lines[4], proposed)
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	before, err := adm.ListTopics(t.Context(), "moving")
	if err != nil {
		t.Fatal(err)
	}
	plan := writeFile(t, "plan.json", proposed)
	out = mustGregor(t, "", append(bs, "--execute", "--reassignment-json-file", plan, "--throttle", "50000000")...)
	if !strings.HasPrefix(out, "Current partition replica assignment\n\n{\"version\":1,\"partitions\":[{\"topic\":\"moving\",\"partition\":0,") ||
		!strings.Contains(out, "\n\nSave this to use as the --reassignment-json-file option during rollback\n"+
			"Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed.\n"+
			"The inter-broker throttle limit was set to 50000000 B/s\n"+
			"Successfully started partition reassignments for moving-0,moving-1\n") {
		t.Fatalf("--execute printed:\n%s", out)
	}
	// Kafka's throttles: the current replicas throttled as leaders, the
	// new ones as followers, and the rate on every broker taking part.
	var leaders, followers []string
	for _, p := range before["moving"].Partitions.Sorted() {
		target := [][]int32{{2, 3}, {3, 2}}[p.Partition]
		for _, id := range p.Replicas {
			leaders = append(leaders, fmt.Sprintf("%d:%d", p.Partition, id))
		}
		for _, id := range target {
			if !slices.Contains(p.Replicas, id) {
				followers = append(followers, fmt.Sprintf("%d:%d", p.Partition, id))
			}
		}
	}
	slices.Sort(leaders)
	slices.Sort(followers)
	checkThrottles(t, adm, map[string]string{"leader.replication.throttled.replicas": strings.Join(leaders, ","),
		"follower.replication.throttled.replicas": strings.Join(followers, ","),
		"leader.replication.throttled.rate":       "50000000", "follower.replication.throttled.rate": "50000000"})
	want := "Status of partition reassignment:\nReassignment of partition moving-0 is completed.\nReassignment of partition moving-1 is completed.\n\n" +
		"Clearing broker-level throttles on brokers 1,2,3\nClearing topic-level throttles on topic moving\n"
	if out := eventually(t, want, append(bs, "--verify", "--reassignment-json-file", plan)...); out != want {
		t.Fatalf("--verify printed\n%q\nwant\n%q", out, want)
	}
	checkThrottles(t, adm, map[string]string{"leader.replication.throttled.replicas": "", "follower.replication.throttled.replicas": "",
		"leader.replication.throttled.rate": "9223372036854775807", "follower.replication.throttled.rate": "9223372036854775807"})
	if out := mustGregor(t, "", append(bs, "--list")...); out != "No partition reassignments found.\n" {
		t.Fatalf("--list printed %q", out)
	}
	out = mustGregor(t, "", "topics", "--bootstrap-server", addr, "--describe", "--topic", "moving")
	if !strings.Contains(out, "Partition: 0\tLeader: 2\tReplicas: 2,3\tIsr: 2,3") || !strings.Contains(out, "Partition: 1\tLeader: ") || !strings.Contains(out, "\tReplicas: 3,2\tIsr: ") {
		t.Fatalf("describe after the move:\n%s", out)
	}
	if r := gregor(t, "", append(bs, "--list", "--verify")...); r.err == nil || !strings.Contains(r.err.Error(), "exactly one action") {
		t.Fatalf("two actions: %v", r.err)
	}

	// KIP-860: with --disallow-replication-factor-change the controller
	// refuses a plan that adds a replica, and nothing moves.
	grow := writeFile(t, "grow.json", `{"version":1,"partitions":[{"topic":"moving","partition":0,"replicas":[1,2,3]}]}`)
	r := gregor(t, "", append(bs, "--execute", "--reassignment-json-file", grow, "--disallow-replication-factor-change")...)
	if r.err == nil || !strings.Contains(r.err.Error(), "Error reassigning partition(s):\nmoving-0: ") {
		t.Fatalf("a plan changing the replication factor: %v\n%s", r.err, r.stdout)
	}
	if out := mustGregor(t, "", append(bs, "--list")...); out != "No partition reassignments found.\n" {
		t.Fatalf("--list after the refused plan printed %q", out)
	}
	if r := gregor(t, "", append(bs, "--list", "--disallow-replication-factor-change")...); r.err == nil ||
		r.err.Error() != `Option "[disallow-replication-factor-change]" can't be used with action "[list]"` {
		t.Fatalf("--disallow-replication-factor-change with --list: %v", r.err)
	}
}

// checkThrottles waits until DescribeConfigs reports the replication
// throttles of topic moving and of brokers 1 to 3 as want (each node
// applies a change on its own).
func checkThrottles(t *testing.T, adm *kadm.Client, want map[string]string) {
	t.Helper()
	var wrong []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		topics, err := adm.DescribeTopicConfigs(t.Context(), "moving")
		if err != nil {
			t.Fatal(err)
		}
		brokers, err := adm.DescribeBrokerConfigs(t.Context(), 1, 2, 3)
		if err != nil {
			t.Fatal(err)
		}
		wrong = nil
		for _, rc := range append(topics, brokers...) {
			for _, c := range rc.Configs {
				if w, ok := want[c.Key]; ok && c.MaybeValue() != w {
					wrong = append(wrong, fmt.Sprintf("%s: %s=%q, want %q", rc.Name, c.Key, c.MaybeValue(), w))
				}
			}
		}
		if len(wrong) == 0 {
			return
		}
	}
	t.Fatalf("throttles:\n%s", strings.Join(wrong, "\n"))
}

// TestLeaderElectionAndReportsTool proves that topics --describe's reports
// see a stopped broker across the cluster, and that leader-election
// PREFERRED moves leadership back after it returns, printing Kafka's
// lines for elected and already-elected partitions.
func TestLeaderElectionAndReportsTool(t *testing.T) {
	c := nodetest.StartCluster(t, 3, map[string]string{"auto.leader.rebalance.enable": "false"})
	c.WaitLeader(10 * time.Second)
	addr := c.Nodes[0].Addr
	mustGregor(t, "", "topics", "--bootstrap-server", addr, "--create", "--topic", "elect", "--partitions", "3", "--replication-factor", "3")
	waitEveryNode(t, c, "elect")
	describe := []string{"topics", "--bootstrap-server", addr, "--describe", "--topic", "elect"}
	eventually(t, "Isr: 3,1,2", describe...)

	c.Stop(2)
	// Each partition's leader shrinks its ISR on its own: wait for all three.
	var out string
	for _, p := range []string{"Partition: 0", "Partition: 1", "Partition: 2"} {
		out = eventually(t, p, append(describe, "--under-replicated-partitions")...)
	}
	if strings.Count(out, "\n") != 3 || strings.Contains(out, "PartitionCount") {
		t.Fatalf("--under-replicated-partitions printed:\n%s", out)
	}
	if out := mustGregor(t, "", append(describe, "--unavailable-partitions")...); out != "" {
		t.Fatalf("--unavailable-partitions printed:\n%s", out)
	}
	c.Restart(2)
	eventually(t, "Partition: 2\tLeader: 1\tReplicas: 3,1,2\tIsr: 1,2,3", describe...)

	elect := []string{"leader-election", "--bootstrap-server", addr, "--election-type", "PREFERRED"}
	out = mustGregor(t, "", append(elect, "--all-topic-partitions")...)
	if out != "Successfully completed leader election (PREFERRED) for partitions elect-2\n" {
		t.Fatalf("election printed %q", out)
	}
	out = mustGregor(t, "", append(elect, "--topic", "elect", "--partition", "2")...)
	if out != "Valid replica already elected for partitions elect-2\n" {
		t.Fatalf("second election printed %q", out)
	}
	r := gregor(t, "", append(elect, "--topic", "nope", "--partition", "0")...)
	if r.err == nil || r.stdout != "Error completing leader election (PREFERRED) for partition: nope-0: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: No such topic as nope\n" {
		t.Fatalf("unknown topic: %v %q", r.err, r.stdout)
	}
}

// TestReassignPartitionsLogDirs proves the log dir side of
// reassign-partitions on a node with two log dirs, with Kafka's output:
// --generate and --execute name the dir each replica is in, --execute
// with a plan naming the other dir sets the replica-alter-dir throttle and
// starts the move, --verify reports it completed and clears the
// throttle, and a dir the broker does not have fails the tool.
func TestReassignPartitionsLogDirs(t *testing.T) {
	base := t.TempDir()
	a, b := filepath.Join(base, "a"), filepath.Join(base, "b")
	n := nodetest.Start(t, a, map[string]string{"log.dirs": a + "," + b})
	addr := n.Addr
	mustGregor(t, "", "topics", "--bootstrap-server", addr, "--create", "--topic", "moving", "--partitions", "1", "--replication-factor", "1")
	var lines strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&lines, "record-%d\n", i)
	}
	mustGregor(t, lines.String(), "console-producer", "--bootstrap-server", addr, "--topic", "moving")
	bs := []string{"reassign-partitions", "--bootstrap-server", addr}

	move := writeFile(t, "move.json", `{"topics":[{"topic":"moving"}],"version":1}`)
	out := mustGregor(t, "", append(bs, "--generate", "--topics-to-move-json-file", move, "--broker-list", "1")...)
	var from, to string
	for _, d := range []string{a, b} {
		if strings.Contains(out, `"log_dirs":["`+d+`"]`) {
			from = d
		}
	}
	if to = b; from == b {
		to = a
	}
	if from == "" {
		t.Fatalf("--generate names no log dir of the replica:\n%s", out)
	}

	plan := writeFile(t, "plan.json", `{"version":1,"partitions":[{"topic":"moving","partition":0,"replicas":[1],"log_dirs":["`+to+`"]}]}`)
	out = mustGregor(t, "", append(bs, "--execute", "--reassignment-json-file", plan, "--replica-alter-log-dirs-throttle", "10000000")...)
	want := "Current partition replica assignment\n\n" +
		`{"version":1,"partitions":[{"topic":"moving","partition":0,"replicas":[1],"log_dirs":["` + from + `"]}]}` +
		"\n\nSave this to use as the --reassignment-json-file option during rollback\n" +
		"Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed.\n" +
		"The replica-alter-dir throttle limit was set to 10000000 B/s\n" +
		"Successfully started partition reassignment for moving-0\n" +
		"Successfully started moving log directory to " + to + " for replica moving-0 with broker 1 \n"
	if out != want {
		t.Fatalf("--execute printed\n%q\nwant\n%q", out, want)
	}
	want = "Status of partition reassignment:\nReassignment of partition moving-0 is completed.\n" +
		"Reassignment of replica moving-0-1 completed successfully.\n" +
		"Clearing broker-level throttles on broker 1\nClearing topic-level throttles on topic moving\n"
	if out := eventually(t, want, append(bs, "--verify", "--reassignment-json-file", plan)...); out != want {
		t.Fatalf("--verify printed\n%q\nwant\n%q", out, want)
	}
	out = mustGregor(t, "", append(bs, "--generate", "--topics-to-move-json-file", move, "--broker-list", "1")...)
	if !strings.Contains(out, `"log_dirs":["`+to+`"]`) {
		t.Fatalf("after the move --generate printed:\n%s", out)
	}
	if out := mustGregor(t, "", "console-consumer", "--bootstrap-server", addr, "--topic", "moving", "--from-beginning", "--max-messages", "1000", "--timeout-ms", "10000"); out != lines.String() {
		t.Fatalf("read after the move:\n%.200s...", out)
	}

	bad := writeFile(t, "bad.json", `{"version":1,"partitions":[{"topic":"moving","partition":0,"replicas":[1],"log_dirs":["/no/such/dir"]}]}`)
	r := gregor(t, "", append(bs, "--execute", "--reassignment-json-file", bad)...)
	if r.err == nil || !strings.Contains(r.err.Error(), "Failed to alter dir for moving-0-1: LOG_DIR_NOT_FOUND") {
		t.Fatalf("a dir the broker does not have: %v\n%s", r.err, r.stdout)
	}
}
