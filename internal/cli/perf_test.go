package cli

import (
	"regexp"
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
		"--producer-props", "bootstrap.servers="+addr, "acks=all", "linger.ms=1", "batch.size=65536")
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

func TestProducerPerfWindowLine(t *testing.T) {
	// The 5-second progress line has Kafka's format.
	var b strings.Builder
	f := &producerPerfFlags{numRecords: 10}
	run := newPerfRun(f, [][]byte{make([]byte, 100)}, newPrinter(&b), &b)
	run.windowStart = time.Now().Add(-reportInterval)
	run.record(3, 100, time.Now())
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
			"--messages", "3000", "--timeout", "5000"}, extra...)
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
		"--messages", "3000", "--hide-header")
	if strings.Contains(out, "start.time") || !consumerLine.MatchString(strings.TrimSuffix(out, "\n")) {
		t.Errorf("--hide-header: %q", out)
	}
}

func TestConsumerPerfTestTimeout(t *testing.T) {
	// Asking for more records than exist ends after --timeout with Kafka's
	// warning and a summary of what was read.
	addr := startBroker(t)
	topic := uniqueTopic(t)
	createTopic(t, addr, topic, 1)
	r := gregor(t, "", "consumer-perf-test", "--bootstrap-server", addr, "--topic", topic,
		"--messages", "10", "--timeout", "300")
	if r.err != nil || !strings.Contains(r.stderr, "WARNING: Exiting before consuming the expected number of messages") {
		t.Fatalf("got %v %q", r.err, r.stderr)
	}
	if m := consumerLine.FindStringSubmatch(strings.Split(r.stdout, "\n")[1]); m == nil || m[1] != "0" {
		t.Errorf("stdout %q", r.stdout)
	}
}
