// Command gregor-bench measures the machine's limits and runs one franz-go
// client workload against Gregor, Apache Kafka and franz-go's kfake in
// the same run, writing one JSON line per metric and a markdown table.
//
//	gregor-bench run -gregor BIN -kafka-script compat/kafka/broker -out FILE
//	gregor-bench table FILE        print the table of a results file
//	gregor-bench kfake             serve a one-broker kfake (the run's child)
//	gregor-bench logdir-move -broker ADDR   move a replica between the broker's two log dirs
//
// bench/run builds the binaries and calls it with the repository's paths.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"

	"gregor/bench/peer"
	"gregor/bench/report"
)

// brokerOrder is the order of the table's columns; the ratio is taken
// of Gregor to Kafka.
var brokerOrder = []string{"gregor", "kafka", "kfake"}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "run":
		err = run(ctx, os.Args[2:])
	case "table":
		err = table(os.Args[2:])
	case "logdir-move":
		err = logdirMove(ctx, os.Args[2:])
	case "kfake":
		err = peer.ServeKfake(ctx, func() (string, func(), error) {
			c, err := kfake.NewCluster(kfake.NumBrokers(1))
			if err != nil {
				return "", nil, err
			}
			return c.ListenAddrs()[0], c.Close, nil
		})
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gregor-bench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: gregor-bench run [flags] | table FILE... | kfake | logdir-move -broker ADDR")
	os.Exit(2)
}

func table(files []string) error {
	if len(files) == 0 {
		return fmt.Errorf("table: no results file given")
	}
	var all []report.Result
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		results, err := report.ReadJSON(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		all = append(all, results...)
	}
	report.Table(os.Stdout, all, brokerOrder, "gregor", "kafka")
	return nil
}

// flags of the run subcommand.
func parseRunFlags(args []string) (*runConfig, error) {
	cfg := &runConfig{}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.IntVar(&cfg.reps, "reps", 3, "repetitions; each reports the median")
	fs.DurationVar(&cfg.dur, "dur", defaultDur, "duration of each timed workload")
	fs.DurationVar(&cfg.limitDur, "limit-dur", defaultLimitDur, "duration of each machine-limit measurement")
	fs.Int64Var(&cfg.loadMB, "load-mb", 1024, "MiB produced before reading RSS and CPU per GB")
	fs.StringVar(&cfg.brokers, "brokers", "gregor,kafka,kfake", "brokers to run, comma-separated")
	fs.BoolVar(&cfg.limits, "limits", true, "measure the machine limits in each repetition")
	fs.StringVar(&cfg.gregorBin, "gregor", "", "the gregor binary")
	fs.StringVar(&cfg.kafkaScript, "kafka-script", "", "compat/kafka/broker")
	fs.StringVar(&cfg.kafkaHeap, "kafka-heap", defaultKafkaHeap, "Kafka's JVM heap options")
	fs.StringVar(&cfg.kafkaProps, "kafka-props", defaultKafkaProps, "extra Kafka server properties, comma-separated key=value")
	fs.StringVar(&cfg.kafkaLib, "kafka-lib", "", "Kafka's jars (compat/kafka/target/lib): also run Kafka's producer and consumer perf tools against every broker; empty: not")
	fs.StringVar(&cfg.dir, "dir", os.TempDir(), "where brokers keep their data during the run")
	fs.StringVar(&cfg.out, "out", "", "results file (JSON lines), rewritten after every repetition")
	fs.StringVar(&cfg.steps, "steps", "", "workload steps to run, comma-separated: memory, throughput, latency, e2e, kafka-tools (default all)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	for _, s := range strings.Split(cfg.steps, ",") {
		if s != "" && !slices.Contains(stepNames, s) {
			return nil, fmt.Errorf("run: unknown step %q in -steps (want %s)", s, strings.Join(stepNames, ", "))
		}
	}
	if cfg.out == "" {
		return nil, fmt.Errorf("run: -out is required")
	}
	return cfg, nil
}
