package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSampleClusterClients proves item 7(g): on the three nodes started
// from config/cluster/node1..3.properties, `gregor topics` creates a topic
// of replication factor 3 and describes it with three in-sync replicas per
// partition; `console-producer`, kcat (librdkafka, when installed) and
// franz-go each produce 100 records with acks=all; and `console-consumer`,
// kcat and franz-go each read all 300 back. Without kcat it checks the
// rest and says so, unless GREGOR_REQUIRE_KCAT is set.
func TestSampleClusterClients(t *testing.T) {
	c := startSampleCluster(t)
	boot := c.Bootstrap()
	c.tool("topics", "--bootstrap-server", boot, "--create", "--topic", "clients", "--partitions", "3", "--replication-factor", "3")
	waitFullISRof(t, c, "clients", 3, 30*time.Second)
	checkDescribedISR(t, c.tool("topics", "--bootstrap-server", boot, "--describe", "--topic", "clients"))

	lines := func(prefix string) string {
		var b strings.Builder
		for i := range 100 {
			fmt.Fprintf(&b, "%s-%d\n", prefix, i)
		}
		return b.String()
	}
	if _, errOut, err := runTool(t, lines("console"), "console-producer", "--bootstrap-server", boot, "--topic", "clients",
		"--producer-property", "acks=all"); err != nil {
		t.Fatalf("console-producer: %v\n%s", err, errOut)
	}
	kcat, err := exec.LookPath("kcat")
	if err != nil && os.Getenv("GREGOR_REQUIRE_KCAT") != "" {
		t.Fatal("kcat is not installed, and GREGOR_REQUIRE_KCAT is set")
	}
	if err != nil {
		t.Log("kcat is not installed: librdkafka is not exercised (CI installs it with apt-get install kcat)")
	} else {
		runKcat(t, lines("kcat"), kcat, "-P", "-b", boot, "-t", "clients", "-X", "acks=all")
	}
	produceN(t, c, "clients", "franz", 100)
	want := 300
	if kcat == "" {
		want = 200
	}

	out, errOut, err := runTool(t, "", "console-consumer", "--bootstrap-server", boot, "--topic", "clients",
		"--from-beginning", "--max-messages", fmt.Sprint(want), "--timeout-ms", "20000")
	if err != nil {
		t.Fatalf("console-consumer: %v\n%s", err, errOut)
	}
	checkClientRecords(t, "console-consumer", out, kcat != "")
	if kcat != "" {
		checkClientRecords(t, "kcat", runKcat(t, "", kcat, "-C", "-b", boot, "-t", "clients", "-o", "beginning", "-e", "-q", "-f", "%s\n"), true)
	}
	var b strings.Builder
	for _, s := range consumeEverything(t, c.Seeds(), "clients") {
		b.WriteString(s.value + "\n")
	}
	checkClientRecords(t, "franz-go", b.String(), kcat != "")
}

// checkDescribedISR fails unless topics --describe shows replication
// factor 3 and every partition with three replicas, all in sync.
func checkDescribedISR(t *testing.T, out string) {
	t.Helper()
	t.Logf("topics --describe:\n%s", out)
	if !regexp.MustCompile(`ReplicationFactor:\s*3\b`).MatchString(out) {
		t.Fatalf("topics --describe shows no ReplicationFactor: 3")
	}
	isr := regexp.MustCompile(`Replicas:\s*(\S+)\s+Isr:\s*(\S+)`).FindAllStringSubmatch(out, -1)
	if len(isr) != 3 {
		t.Fatalf("topics --describe shows %d partitions with Replicas and Isr, want 3", len(isr))
	}
	for _, m := range isr {
		if len(strings.Split(m[1], ",")) != 3 || len(strings.Split(m[2], ",")) != 3 {
			t.Fatalf("partition with replicas %s and isr %s, want three of each", m[1], m[2])
		}
	}
}

// checkClientRecords fails unless out, one value a line, holds each of
// the 100 records of every producer once.
func checkClientRecords(t *testing.T, who, out string, withKcat bool) {
	t.Helper()
	seen := map[string]int{}
	for _, v := range strings.Fields(out) {
		seen[v]++
	}
	producers := []string{"console", "franz"}
	if withKcat {
		producers = append(producers, "kcat")
	}
	for _, p := range producers {
		for i := range 100 {
			if v := fmt.Sprintf("%s-%d", p, i); seen[v] != 1 {
				t.Fatalf("%s read %s %d times; it read %d values", who, v, seen[v], len(strings.Fields(out)))
			}
		}
	}
	if len(seen) != 100*len(producers) {
		t.Fatalf("%s read %d distinct values, want %d", who, len(seen), 100*len(producers))
	}
}

func runKcat(t *testing.T, stdin, kcat string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(testContext(t, 60*time.Second), kcat, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("kcat %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String()
}
