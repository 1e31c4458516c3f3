package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"gregor/bench/kafkatools"
	"gregor/bench/limits"
	"gregor/bench/peer"
	"gregor/bench/report"
	"gregor/bench/stats"
	"gregor/bench/workload"
)

const (
	defaultDur      = 10 * time.Second
	defaultLimitDur = 3 * time.Second
	// Kafka's settings for this two-core machine: the heap of Kafka's own
	// kafka-server-start.sh, and one network and one I/O thread per core
	// (Kafka's defaults, 3 and 8, are sized for larger servers).
	defaultKafkaHeap  = "-Xmx1g -Xms1g"
	defaultKafkaProps = "num.network.threads=2,num.io.threads=2"
	partitions        = 6
	kib               = 1024
)

type runConfig struct {
	reps                              int
	dur, limitDur                     time.Duration
	loadMB                            int64
	brokers                           string
	limits                            bool
	gregorBin, kafkaScript, kafkaHeap string
	kafkaProps, dir, out              string
	kafkaLib                          string // Kafka's jars, for its perf tools; "" skips them
	steps                             string // comma-separated subset of stepNames; empty: all
}

// stepNames are the workload steps of runBroker, in order.
var stepNames = []string{"memory", "throughput", "latency", "e2e", "kafka-tools"}

func run(ctx context.Context, args []string) error {
	cfg, err := parseRunFlags(args)
	if err != nil {
		return err
	}
	var results report.Collector
	failed := 0
	for rep := 1; rep <= cfg.reps && ctx.Err() == nil; rep++ {
		if cfg.limits {
			slog.Info("machine limits", "rep", rep)
			if err := measureLimits(&results, cfg); err != nil {
				slog.Error("machine limits", "err", err)
				failed++
			}
		}
		for _, name := range strings.Split(cfg.brokers, ",") {
			if ctx.Err() != nil {
				break
			}
			slog.Info("broker", "rep", rep, "broker", name)
			if err := runBroker(ctx, &results, cfg, name); err != nil {
				slog.Error("broker run failed; its remaining figures of this repetition are missing", "broker", name, "rep", rep, "err", err)
				failed++
			}
		}
		if err := writeResults(cfg.out, results.Results()); err != nil {
			return err
		}
	}
	report.Table(os.Stdout, results.Results(), brokerOrder, "gregor", "kafka")
	if failed > 0 {
		return fmt.Errorf("%d measurement steps failed (see the log above)", failed)
	}
	return ctx.Err()
}

func writeResults(path string, results []report.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := report.WriteJSON(f, results); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func measureLimits(results *report.Collector, cfg *runConfig) error {
	dir, err := os.MkdirTemp(cfg.dir, "limits-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ls, err := limits.Measure(dir, cfg.limitDur)
	if err != nil {
		return err
	}
	for _, l := range ls {
		slog.Info("limit", "name", l.Name, "value", l.Value, "unit", l.Unit)
		results.Add(report.Machine, l.Name, l.Value, l.Unit, l.Better)
	}
	return nil
}

func startBroker(cfg *runConfig, name, dir string) (*peer.Broker, error) {
	switch name {
	case "gregor":
		return peer.StartGregor(cfg.gregorBin, dir)
	case "kafka":
		return peer.StartKafka(cfg.kafkaScript, dir, cfg.kafkaHeap, strings.Split(cfg.kafkaProps, ","))
	case "kfake":
		self, err := os.Executable()
		if err != nil {
			return nil, err
		}
		return peer.StartKfake(self, "kfake")
	}
	return nil, fmt.Errorf("unknown broker %q (want gregor, kafka or kfake)", name)
}

// runBroker starts a fresh broker and runs every measurement against it.
func runBroker(ctx context.Context, results *report.Collector, cfg *runConfig, name string) error {
	dir, err := os.MkdirTemp(cfg.dir, "bench-"+name+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b, err := startBroker(cfg, name, dir)
	if err != nil {
		return err
	}
	defer func() {
		if err := b.Stop(); err != nil {
			slog.Error("stop", "broker", name, "err", err)
		}
	}()
	m := &measurer{ctx: ctx, results: results, cfg: cfg, b: b}
	m.add("start to first answer", ms(b.StartToAnswer), "ms", "lower")
	steps := []func() error{m.memoryAndCPU, m.throughput, m.latency, m.endToEnd}
	if cfg.kafkaLib != "" {
		steps = append(steps, m.kafkaTools)
	}
	for i, step := range steps {
		if !cfg.runs(stepNames[i]) {
			continue
		}
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// runs reports whether the step named name is selected by -steps.
func (c *runConfig) runs(name string) bool {
	return c.steps == "" || strings.Contains(","+c.steps+",", ","+name+",")
}

// measurer runs the workload steps against one broker.
type measurer struct {
	ctx     context.Context
	results *report.Collector
	cfg     *runConfig
	b       *peer.Broker
	topics  int
}

func (m *measurer) add(name string, value float64, unit, better string) {
	slog.Info("result", "broker", m.b.Name, "metric", name, "value", value, "unit", unit)
	m.results.Add(m.b.Name, name, value, unit, better)
}

// withTopic runs f on a new topic and deletes the topic afterwards. f
// gets a context that ends if the step takes far longer than it should,
// so that a stalled broker fails the step instead of the run.
func (m *measurer) withTopic(f func(ctx context.Context, topic string) error) error {
	ctx, cancel := context.WithTimeout(m.ctx, 10*m.cfg.dur+5*time.Minute)
	defer cancel()
	m.topics++
	topic := fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), m.topics)
	if err := workload.CreateTopic(ctx, m.b.Addr, topic, partitions); err != nil {
		return fmt.Errorf("create topic: %w", err)
	}
	if err := f(ctx, topic); err != nil {
		return err
	}
	return workload.DeleteTopic(ctx, m.b.Addr, topic)
}

// memoryAndCPU reads RSS when idle, then produces loadMB of 1 KiB records
// and reads RSS and the CPU time the broker used for them.
func (m *measurer) memoryAndCPU() error {
	time.Sleep(2 * time.Second)
	rss, err := peer.RSS(m.b.PID)
	if err != nil {
		return err
	}
	m.add("RSS idle", mib(rss), "MiB", "lower")
	return m.withTopic(func(ctx context.Context, topic string) error {
		cpu0, err := peer.CPU(m.b.PID)
		if err != nil {
			return err
		}
		records := m.cfg.loadMB << 20 / kib
		t, err := workload.Produce(ctx, m.b.Addr, topic, kib, time.Hour, records)
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		cpu1, err := peer.CPU(m.b.PID)
		if err != nil {
			return err
		}
		rss, err := peer.RSS(m.b.PID)
		if err != nil {
			return err
		}
		m.add(fmt.Sprintf("RSS after %s produced", loadLabel(m.cfg.loadMB)), mib(rss), "MiB", "lower")
		m.add("CPU per GB produced", (cpu1-cpu0).Seconds()/(float64(t.Bytes)/1e9), "s", "lower")
		return nil
	})
}

// throughput produces 100 B and 1 KiB records for dur each and consumes
// what was produced.
func (m *measurer) throughput() error {
	for _, size := range []int{100, kib} {
		label := sizeLabel(size)
		err := m.withTopic(func(ctx context.Context, topic string) error {
			p, err := workload.Produce(ctx, m.b.Addr, topic, size, m.cfg.dur, 0)
			if err != nil {
				return fmt.Errorf("produce %s: %w", label, err)
			}
			m.add("produce "+label, p.RecordsPerSec(), "rec/s", "higher")
			m.add("produce "+label+" MB/s", p.MBPerSec(), "MB/s", "higher")
			c, err := workload.Consume(ctx, m.b.Addr, topic, p.Records)
			if err != nil {
				return fmt.Errorf("consume %s: %w", label, err)
			}
			m.add("consume "+label, c.RecordsPerSec(), "rec/s", "higher")
			m.add("consume "+label+" MB/s", c.MBPerSec(), "MB/s", "higher")
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// latency produces 1 KiB records at 5,000 and 50,000 rec/s.
func (m *measurer) latency() error {
	for _, rate := range []int{5000, 50000} {
		err := m.withTopic(func(ctx context.Context, topic string) error {
			l, err := workload.ProduceLatency(ctx, m.b.Addr, topic, kib, rate, m.cfg.dur)
			if err != nil {
				return fmt.Errorf("latency at %d rec/s: %w", rate, err)
			}
			ps := stats.Percentiles(stats.Millis(l.Samples), 50, 99, 99.9)
			at := fmt.Sprintf("at %s rec/s", report.FormatNumber(float64(rate)))
			m.add("produce p50 "+at, ps[0], "ms", "lower")
			m.add("produce p99 "+at, ps[1], "ms", "lower")
			m.add("produce p99.9 "+at, ps[2], "ms", "lower")
			m.add("achieved rate "+at, l.Achieved, "rec/s", "higher")
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// endToEnd measures produce-to-consume latency of 1 KiB records at 5,000
// rec/s.
func (m *measurer) endToEnd() error {
	return m.withTopic(func(ctx context.Context, topic string) error {
		l, err := workload.EndToEnd(ctx, m.b.Addr, topic, kib, 5000, m.cfg.dur)
		if err != nil {
			return fmt.Errorf("end-to-end: %w", err)
		}
		ps := stats.Percentiles(stats.Millis(l.Samples), 50, 99)
		m.add("end-to-end p50 at 5,000 rec/s", ps[0], "ms", "lower")
		m.add("end-to-end p99 at 5,000 rec/s", ps[1], "ms", "lower")
		return nil
	})
}

// Records each run of Kafka's perf tools sends per second of -dur: about
// what the Java client reaches on two cores, so that a run lasts near dur.
var kafkaToolRate = map[int]int64{100: 200_000, kib: 50_000}

// kafkaTools runs Kafka's own kafka-producer-perf-test (acks=all) and
// kafka-consumer-perf-test with 100 B and 1 KiB records: the Java client's
// workload, its figures as the tools print them.
func (m *measurer) kafkaTools() error {
	tools := kafkatools.Tools{Lib: m.cfg.kafkaLib}
	for _, size := range []int{100, kib} {
		label := sizeLabel(size)
		records := max(int64(m.cfg.dur.Seconds()*float64(kafkaToolRate[size])), 10_000)
		err := m.withTopic(func(ctx context.Context, topic string) error {
			p, err := tools.Produce(ctx, m.b.Addr, topic, records, size)
			if err != nil {
				return fmt.Errorf("kafka-producer-perf-test %s: %w", label, err)
			}
			m.add("kafka-producer-perf-test "+label, p.RecordsPerSec, "rec/s", "higher")
			m.add("kafka-producer-perf-test "+label+" p99", p.P99, "ms", "lower")
			c, err := tools.Consume(ctx, m.b.Addr, topic, p.Records)
			if err != nil {
				return fmt.Errorf("kafka-consumer-perf-test %s: %w", label, err)
			}
			m.add("kafka-consumer-perf-test "+label+" (fetch)", c.FetchRecPerSec, "rec/s", "higher")
			m.add("kafka-consumer-perf-test "+label+" MB/s (fetch)", c.FetchMBPerSec, "MB/s", "higher")
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mib(bytes int64) float64 { return float64(bytes) / (1 << 20) }

func sizeLabel(size int) string {
	if size == kib {
		return "1 KiB"
	}
	return fmt.Sprintf("%d B", size)
}

func loadLabel(mb int64) string {
	if mb%1024 == 0 {
		return fmt.Sprintf("%d GiB", mb/1024)
	}
	return fmt.Sprintf("%d MiB", mb)
}
