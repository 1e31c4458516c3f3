package e2e

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// This file is the cluster benchmark of docs/BENCHMARKS.md, run by
// scripts/cluster-bench.sh: GREGOR_CLUSTER_BENCH=1 go test -run
// TestClusterBench -v ./test/e2e. Its figures are printed, not checked.

// requireClusterBench skips unless GREGOR_CLUSTER_BENCH is set.
func requireClusterBench(t *testing.T) {
	if os.Getenv("GREGOR_CLUSTER_BENCH") == "" {
		t.Skip("a cluster benchmark; set GREGOR_CLUSTER_BENCH=1 to run it")
	}
}

// benchReps is how many times each throughput figure is measured.
func benchReps() int {
	if n, err := strconv.Atoi(os.Getenv("REPS")); err == nil && n > 0 {
		return n
	}
	return 3
}

var perfRate = regexp.MustCompile(`records sent, ([0-9.]+) records/sec \(([0-9.]+) MB/sec\)`)

// TestClusterBenchThroughput measures acks=all produce throughput with
// gregor producer-perf-test, alternating in one run between a topic of
// replication factor 3 on a three-node cluster (min.insync.replicas=2)
// and one of replication factor 1 on a one-node cluster, for 100 B and
// 1 KiB records, and prints the median of REPS runs of each.
func TestClusterBenchThroughput(t *testing.T) {
	requireClusterBench(t)
	three := startCluster(t, 3, clusterOptions{props: map[string]string{"min.insync.replicas": "2"}})
	one := startCluster(t, 1, clusterOptions{})
	for _, size := range []int{100, 1024} {
		n := map[int]int{100: 3_000_000, 1024: 1_000_000}[size]
		rates := map[string][]float64{}
		for rep := range benchReps() {
			for _, setup := range []struct {
				name string
				c    *cluster
				rf   string
			}{{"rf3", three, "3"}, {"rf1", one, "1"}} {
				topic := fmt.Sprintf("bench-%s-%d-%d", setup.name, size, rep)
				setup.c.tool("topics", "--bootstrap-server", setup.c.Bootstrap(), "--create", "--topic", topic, "--partitions", "6", "--replication-factor", setup.rf)
				out := setup.c.tool("producer-perf-test", "--topic", topic, "--num-records", strconv.Itoa(n), "--record-size", strconv.Itoa(size),
					"--throughput", "-1", "--producer-props", "bootstrap.servers="+setup.c.Bootstrap(), "acks=all")
				m := perfRate.FindStringSubmatch(out)
				if m == nil {
					t.Fatalf("producer-perf-test printed no rate:\n%s", out)
				}
				rate, _ := strconv.ParseFloat(m[1], 64)
				rates[setup.name] = append(rates[setup.name], rate)
				t.Logf("size=%d %s rep=%d: %.0f rec/s (%s MB/s)", size, setup.name, rep, rate, m[2])
				setup.c.tool("topics", "--bootstrap-server", setup.c.Bootstrap(), "--delete", "--topic", topic)
			}
		}
		rf3, rf1 := median(rates["rf3"]), median(rates["rf1"])
		t.Logf("RESULT size=%d acks=all: RF=3 on 3 nodes %.0f rec/s (%.1f MB/s), RF=1 on 1 node %.0f rec/s (%.1f MB/s), ratio x%.2f (medians of %d)",
			size, rf3, rf3*float64(size)/1e6, rf1, rf1*float64(size)/1e6, rf3/rf1, len(rates["rf3"]))
	}
}

// TestClusterBenchFailover measures, on a three-node cluster with
// faultProps (broker.session.timeout.ms=2000, heartbeats every 250 ms),
// the time from a partition leader's SIGKILL, and from its SIGTERM
// (controlled shutdown), to the acknowledgement of a record handed to the
// producer after the signal, over KILLS of each (default 10), and prints
// p50 and p99.
func TestClusterBenchFailover(t *testing.T) {
	requireClusterBench(t)
	kills := 10
	if n, err := strconv.Atoi(os.Getenv("KILLS")); err == nil && n > 0 {
		kills = n
	}
	c := startCluster(t, 3, clusterOptions{props: faultProps})
	createOnePartition(t, c, "failover")
	producer := startAckedProducer(t, 1, c.Seeds(), "failover", failoverOpts...)
	producer.waitAcked(t, 1000, 30*time.Second)
	for _, how := range []string{"SIGKILL", "SIGTERM"} {
		var took []float64
		for range kills {
			leader := leaderOf(t, c, "failover", 0)
			if how == "SIGKILL" {
				c.Kill(leader)
			} else {
				c.signal(leader, syscall.SIGTERM)
			}
			took = append(took, producer.waitNewAck(t, 30*time.Second).Seconds())
			c.waitExit(leader, 30*time.Second)
			c.Restart(leader)
			waitFullISRof(t, c, "failover", 3, 30*time.Second)
		}
		t.Logf("RESULT leader %s -> acknowledged again, %d times: p50 %.3f s, p99 %.3f s, max %.3f s (all: %.3f)",
			how, len(took), percentile(took, 50), percentile(took, 99), slices.Max(took), took)
	}
	n := checkProducers(t, c.Seeds(), "failover", producer)
	t.Logf("%d records acknowledged across the kills and shutdowns, all present", n)
}

// TestClusterBenchFollowerRejoin measures, under an acks=all producer of
// 1 KiB records limited to 50 MB/s, how long a follower SIGKILLed for DOWN
// (default 20s) takes to rejoin the ISR after its restart, and the
// produce rate meanwhile. The three replicas write DOWN x 50 MB each
// (about 3 GB in all for 20 s): at full speed, for 60 s, they filled the
// disk of the reference machine.
func TestClusterBenchFollowerRejoin(t *testing.T) {
	requireClusterBench(t)
	down := 20 * time.Second
	if d, err := time.ParseDuration(os.Getenv("DOWN")); err == nil {
		down = d
	}
	c := startCluster(t, 3, clusterOptions{props: benchProps(faultProps)})
	createOnePartition(t, c, "rejoin")
	producer := startSizedProducer(t, c.Seeds(), "rejoin", 1024, 50_000_000/1024)
	time.Sleep(2 * time.Second)
	leader := leaderOf(t, c, "rejoin", 0)
	follower := leader%3 + 1
	before := endOffset(t, c.Addr(leader), "rejoin")
	c.Kill(follower)
	start := time.Now()
	time.Sleep(down)
	behind := endOffset(t, c.Addr(leader), "rejoin") - before
	rate := float64(behind) * 1024 / time.Since(start).Seconds() / 1e6
	c.Restart(follower)
	restarted := time.Now()
	waitFullISRof(t, c, "rejoin", 3, 120*time.Second)
	t.Logf("RESULT follower down %v under %.1f MB/s of 1 KiB acks=all records (%d records, %.0f MB behind): rejoined the ISR %.3f s after its restart",
		down, rate, behind, float64(behind)*1024/1e6, time.Since(restarted).Seconds())
	producer()
}

// startSizedProducer produces size-byte records with acks=all through
// gregor producer-perf-test in the background, at most rate records a
// second; calling the function it returns stops it.
func startSizedProducer(t *testing.T, seeds []string, topic string, size, rate int) func() {
	t.Helper()
	ctx := testContext(t, 30*time.Minute)
	cmd := exec.CommandContext(ctx, binary, "producer-perf-test", "--topic", topic, "--num-records", "1000000000", "--record-size", strconv.Itoa(size),
		"--throughput", strconv.Itoa(rate), "--producer-props", "bootstrap.servers="+strings.Join(seeds, ","), "acks=all")
	if err := startTied(cmd); err != nil {
		t.Fatal(err)
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	t.Cleanup(stop)
	return stop
}

func median(xs []float64) float64 { return percentile(xs, 50) }

// percentile is the nearest-rank percentile p of xs.
func percentile(xs []float64, p float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// benchProps is props with the key=value pairs of BENCH_PROPS (comma
// separated) on top, to measure a setting's effect or to turn on
// http.pprof.enable and profile a node.
func benchProps(props map[string]string) map[string]string {
	out := maps.Clone(props)
	for _, kv := range strings.Split(os.Getenv("BENCH_PROPS"), ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			out[k] = v
		}
	}
	return out
}
