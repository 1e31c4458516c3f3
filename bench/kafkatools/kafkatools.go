// Package kafkatools runs Apache Kafka's own perf tools, the classes behind
// kafka-producer-perf-test.sh (ProducerPerformance) and
// kafka-consumer-perf-test.sh (ConsumerPerformance), from Kafka's jars
// against a broker, and reads their summaries: the Java client's workload,
// beside the franz-go one of package workload.
package kafkatools

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// Tools runs the tools with java from the jars in Lib (compat/kafka/target/lib).
type Tools struct {
	Lib  string // the folder of Kafka's jars
	Java string // the java command; "java" when empty
	Heap string // the tools' JVM heap options; "-Xmx512m" when empty
}

func (t Tools) run(ctx context.Context, class string, args ...string) (string, error) {
	java := t.Java
	if java == "" {
		java = "java"
	}
	heap := t.Heap
	if heap == "" {
		heap = "-Xmx512m"
	}
	argv := append(strings.Fields(heap), "-cp", t.Lib+"/*", class)
	cmd := exec.CommandContext(ctx, java, append(argv, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w\n%s", class, err, tail(string(out), 20))
	}
	return string(out), nil
}

// ProduceResult is ProducerPerformance's summary line.
type ProduceResult struct {
	Records                 int64
	RecordsPerSec, MBPerSec float64
	AvgMs, MaxMs            float64
	P50, P95, P99, P999     float64 // ms
}

// Produce sends records of size bytes to topic at addr as fast as the Java
// client can, acks=all (the client's default with idempotence).
func (t Tools) Produce(ctx context.Context, addr, topic string, records int64, size int) (ProduceResult, error) {
	out, err := t.run(ctx, "org.apache.kafka.tools.ProducerPerformance",
		"--topic", topic, "--num-records", strconv.FormatInt(records, 10), "--record-size", strconv.Itoa(size),
		"--throughput", "-1", "--bootstrap-server", addr, "--command-property", "acks=all")
	if err != nil {
		return ProduceResult{}, err
	}
	return parseProduce(out)
}

// The last summary line of ProducerPerformance, e.g. "50000 records sent,
// 15523.129463 records/sec (1.48 MB/sec), 393.57 ms avg latency, 1625.00 ms
// max latency, 317 ms 50th, 689 ms 95th, 706 ms 99th, 708 ms 99.9th."
var produceSummary = regexp.MustCompile(`(?m)^(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.$`)

func parseProduce(out string) (ProduceResult, error) {
	all := produceSummary.FindAllStringSubmatch(out, -1)
	if len(all) == 0 {
		return ProduceResult{}, fmt.Errorf("ProducerPerformance printed no summary line:\n%s", tail(out, 20))
	}
	m := all[len(all)-1]
	var f [9]float64
	for i := range f {
		v, err := strconv.ParseFloat(m[i+1], 64)
		if err != nil {
			return ProduceResult{}, fmt.Errorf("ProducerPerformance summary %q: %w", m[0], err)
		}
		f[i] = v
	}
	return ProduceResult{Records: int64(f[0]), RecordsPerSec: f[1], MBPerSec: f[2], AvgMs: f[3], MaxMs: f[4],
		P50: f[5], P95: f[6], P99: f[7], P999: f[8]}, nil
}

// ConsumeResult is ConsumerPerformance's summary: the fetch figures leave
// out the time the consumer's group took to join.
type ConsumeResult struct {
	Records                       int64
	MB                            float64
	RebalanceMs, FetchMs          float64
	FetchMBPerSec, FetchRecPerSec float64
}

// Consume reads records from topic at addr in a consumer group of its own
// and reports the fetch rate.
func (t Tools) Consume(ctx context.Context, addr, topic string, records int64) (ConsumeResult, error) {
	out, err := t.run(ctx, "org.apache.kafka.tools.ConsumerPerformance",
		"--bootstrap-server", addr, "--topic", topic, "--num-records", strconv.FormatInt(records, 10), "--timeout", "60000")
	if err != nil {
		return ConsumeResult{}, err
	}
	return parseConsume(out)
}

// parseConsume reads the line after ConsumerPerformance's header
// "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg,
// nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec".
func parseConsume(out string) (ConsumeResult, error) {
	lines := strings.Split(out, "\n")
	for i, line := range lines {
		if !strings.HasPrefix(line, "start.time, end.time,") || i+1 >= len(lines) {
			continue
		}
		names := splitCSV(line)
		values := splitCSV(lines[i+1])
		if len(values) != len(names) {
			return ConsumeResult{}, fmt.Errorf("ConsumerPerformance: %d values for %d columns: %q", len(values), len(names), lines[i+1])
		}
		col := map[string]float64{}
		for j, n := range names[2:] {
			v, err := strconv.ParseFloat(values[j+2], 64)
			if err != nil {
				return ConsumeResult{}, fmt.Errorf("ConsumerPerformance %s %q: %w", n, values[j+2], err)
			}
			col[n] = v
		}
		return ConsumeResult{Records: int64(col["data.consumed.in.nMsg"]), MB: col["data.consumed.in.MB"],
			RebalanceMs: col["rebalance.time.ms"], FetchMs: col["fetch.time.ms"],
			FetchMBPerSec: col["fetch.MB.sec"], FetchRecPerSec: col["fetch.nMsg.sec"]}, nil
	}
	return ConsumeResult{}, fmt.Errorf("ConsumerPerformance printed no summary:\n%s", tail(out, 20))
}

func splitCSV(line string) []string {
	f := strings.Split(line, ",")
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	return f
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
