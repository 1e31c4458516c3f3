package cli

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Kafka's producer-perf-test lines, as regular expressions.
var (
	producerWindowLine = regexp.MustCompile(`^\d+ records sent, \d+\.\d records/sec \(\d+\.\d{2} MB/sec\), \d+\.\d ms avg latency, \d+\.\d ms max latency\.$`)
	producerTotalLine  = regexp.MustCompile(`^(\d+) records sent, \d+\.\d{6} records/sec \(\d+\.\d{2} MB/sec\), \d+\.\d{2} ms avg latency, \d+\.\d{2} ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.$`)
	consumerHeader     = "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
	consumerLine       = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}, \d+\.\d{4}, \d+\.\d{4}, (\d+), \d+\.\d{4}, (\d+), \d+, \d+\.\d{4}, \d+\.\d{4}$`)
)

func TestProducerPerfTestOutput(t *testing.T) {
	// producer-perf-test delivers every record, takes Kafka's trailing
	// "--producer-props k=v k=v" form, and prints Kafka's summary line.
	addr := startBroker(t)
	topic := uniqueTopic(t)
	createTopic(t, addr, topic, 3)
	out := mustGregor(t, "", "producer-perf-test", "--topic", topic, "--num-records", "5000",
		"--record-size", "100", "--throughput", "-1",
		"--command-property", "bootstrap.servers="+addr, "acks=all", "linger.ms=1", "batch.size=65536")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	m := producerTotalLine.FindStringSubmatch(lines[len(lines)-1])
	if m == nil || m[1] != "5000" {
		t.Fatalf("summary %q", out)
	}
	for _, l := range lines[:len(lines)-1] {
		if !producerWindowLine.MatchString(l) {
			t.Errorf("progress line %q", l)
		}
	}
	fetchAll(t, addr, topic, 5000)
}

func TestProducerPerfTestThrottles(t *testing.T) {
	// --throughput 200 makes 100 records take about half a second.
	addr := startBroker(t)
	topic := uniqueTopic(t)
	createTopic(t, addr, topic, 1)
	r := gregor(t, "", "producer-perf-test", "--topic", topic, "--num-records", "100",
		"--record-size", "10", "--throughput", "200", "--bootstrap-server", addr)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.elapsed < 450*time.Millisecond {
		t.Errorf("100 records at 200/s took %v", r.elapsed)
	}
}

func TestProducerPerfTestWarmup(t *testing.T) {
	// --warmup-records prints Kafka's announcement, switches the progress
	// lines to the steady state when its first record is acknowledged, and
	// ends with a steady-state summary of the records after the warmup.
	addr := startBroker(t)
	topic := uniqueTopic(t)
	createTopic(t, addr, topic, 1)
	out := mustGregor(t, "", "producer-perf-test", "--topic", topic, "--num-records", "600", "--record-size", "10",
		"--throughput", "1000", "--warmup-records", "200", "--reporting-interval", "100", "--bootstrap-server", addr)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) < 5 || lines[0] != "Warmup first 200 records. Steady state results will print after the complete test summary." {
		t.Fatalf("output %q", out)
	}
	if !slices.Contains(lines, "In steady state.") {
		t.Errorf("no steady-state line in %q", out)
	}
	for _, l := range lines[1 : len(lines)-2] {
		if l != "In steady state." && !producerWindowLine.MatchString(l) {
			t.Errorf("progress line %q", l)
		}
	}
	if m := producerTotalLine.FindStringSubmatch(lines[len(lines)-2]); m == nil || m[1] != "600" {
		t.Errorf("summary %q", lines[len(lines)-2])
	}
	steady := strings.Replace(lines[len(lines)-1], " steady state records", " records", 1)
	if m := producerTotalLine.FindStringSubmatch(steady); m == nil || m[1] != "400" || steady == lines[len(lines)-1] {
		t.Errorf("steady-state summary %q", lines[len(lines)-1])
	}
	for args, want := range map[string]string{
		"--warmup-records 600":   "The value for --warmup-records must be strictly fewer than the number of records in the test, --num-records.",
		"--reporting-interval 0": "--reporting-interval should be greater than zero.",
	} {
		r := gregor(t, "", append([]string{"producer-perf-test", "--topic", topic, "--num-records", "600", "--record-size", "10",
			"--throughput", "-1", "--bootstrap-server", addr}, strings.Fields(args)...)...)
		if r.err == nil || r.err.Error() != want {
			t.Errorf("%s: %v, want %q", args, r.err, want)
		}
	}
}

func TestProducerPerfWindowLine(t *testing.T) {
	// The 5-second progress line has Kafka's format.
	var b strings.Builder
	f := &producerPerfFlags{numRecords: 10, reportingInterval: 5000}
	run := newPerfRun(f, [][]byte{make([]byte, 100)}, newPrinter(&b), &b)
	run.total.windowStart = time.Now().Add(-5 * time.Second)
	run.total.record(3, 100, time.Now())
	run.out.flush()
	if line := strings.TrimSuffix(b.String(), "\n"); !producerWindowLine.MatchString(line) {
		t.Errorf("window line %q", line)
	}
}

func TestPercentiles(t *testing.T) {
	// Percentiles index the sorted sample at q*len, as Kafka does.
	samples := make([]int32, 1000)
	for i := range samples {
		samples[i] = int32(999 - i)
	}
	got := percentiles(samples, 0.5, 0.95, 0.99, 0.999)
	if want := []int32{500, 950, 990, 999}; !equalInt32(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got := percentiles(nil, 0.5); got[0] != 0 {
		t.Errorf("empty: %v", got)
	}
}

func equalInt32(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestConsumerPerfTestOutput(t *testing.T) {
	// consumer-perf-test reads what producer-perf-test wrote, directly and
	// as a group member that commits, and prints Kafka's header and CSV
	// line.
	addr := startBroker(t)
	topic := uniqueTopic(t)
	createTopic(t, addr, topic, 3)
	mustGregor(t, "", "producer-perf-test", "--topic", topic, "--num-records", "3000",
		"--record-size", "100", "--throughput", "-1", "--producer-props", "bootstrap.servers="+addr)

	for _, extra := range [][]string{nil, {"--group", uniqueTopic(t)}} {
		args := append([]string{"consumer-perf-test", "--bootstrap-server", addr, "--topic", topic,
			"--num-records", "3000", "--timeout", "5000"}, extra...)
		out := mustGregor(t, "", args...)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != 2 || lines[0] != consumerHeader {
			t.Fatalf("%v: output %q", extra, out)
		}
		m := consumerLine.FindStringSubmatch(lines[1])
		if m == nil || m[1] != "3000" {
			t.Errorf("%v: line %q", extra, lines[1])
		}
		if extra == nil {
			continue
		}
		// The group member committed what it read when it finished.
		total := int64(0)
		for _, o := range committedOffsets(t, addr, extra[1], topic) {
			total += o
		}
		if total != 3000 {
			t.Errorf("group %s committed %d records in all, want 3000", extra[1], total)
		}
	}
	out := mustGregor(t, "", "consumer-perf-test", "--bootstrap-server", addr, "--topic", topic,
		"--num-records", "3000", "--hide-header")
	if strings.Contains(out, "start.time") || !consumerLine.MatchString(strings.TrimSuffix(out, "\n")) {
		t.Errorf("--hide-header: %q", out)
	}
}

func TestConsumerPerfTestInclude(t *testing.T) {
	// --include consumes every topic whose whole name matches, directly
	// and as a group member; a topic whose name only contains a match is
	// left alone, as Java's pattern subscription leaves it.
	addr := startBroker(t)
	prefix := uniqueTopic(t)
	for i, n := range map[string]int{prefix + "-a": 100, prefix + "-b": 200, "x" + prefix + "-c": 400} {
		createTopic(t, addr, i, 2)
		mustGregor(t, "", "producer-perf-test", "--topic", i, "--num-records", strconv.Itoa(n),
			"--record-size", "10", "--throughput", "-1", "--producer-props", "bootstrap.servers="+addr)
	}
	for _, extra := range [][]string{nil, {"--group", uniqueTopic(t)}} {
		args := append([]string{"consumer-perf-test", "--bootstrap-server", addr, "--include", prefix + "-.*",
			"--num-records", "700", "--timeout", "2000", "--hide-header"}, extra...)
		r := gregor(t, "", args...)
		m := consumerLine.FindStringSubmatch(strings.TrimSuffix(r.stdout, "\n"))
		if r.err != nil || m == nil || m[1] != "300" {
			t.Errorf("%v: %v %q %q, want 300 records", extra, r.err, r.stdout, r.stderr)
		}
	}
	r := gregor(t, "", "consumer-perf-test", "--bootstrap-server", addr, "--include", prefix+"-a",
		"--messages", "100", "--hide-header")
	if r.err != nil || !strings.HasPrefix(r.stdout, "Warning: --messages is deprecated. Use --num-records instead.\n") {
		t.Errorf("--messages: %v %q", r.err, r.stderr)
	}
}

func TestConsumerPerfTestTimeout(t *testing.T) {
	// Asking for more records than exist ends after --timeout with Kafka's
	// warning and a summary of what was read.
	addr := startBroker(t)
	topic := uniqueTopic(t)
	createTopic(t, addr, topic, 1)
	r := gregor(t, "", "consumer-perf-test", "--bootstrap-server", addr, "--topic", topic,
		"--num-records", "10", "--timeout", "300")
	if r.err != nil || !strings.Contains(r.stderr, "WARNING: Exiting before consuming the expected number of messages") {
		t.Fatalf("got %v %q", r.err, r.stderr)
	}
	if m := consumerLine.FindStringSubmatch(strings.Split(r.stdout, "\n")[1]); m == nil || m[1] != "0" {
		t.Errorf("stdout %q", r.stdout)
	}
}
