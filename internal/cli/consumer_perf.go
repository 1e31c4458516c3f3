package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
)

// consumerPerfFlags are kafka-consumer-perf-test.sh's flags.
type consumerPerfFlags struct {
	conn              connFlags
	topic             string
	include           string // a regular expression of topics, instead of --topic
	group             string
	messages          int64
	fetchSize         int32
	timeoutMs         int64
	reportingInterval int64
	fromLatest        bool
	showDetailedStats bool
	hideHeader        bool
	consumerConfig    string
	commandProps      []string // --command-property, taking precedence over the files
}

// perfDate formats t as Kafka's default --date-format,
// yyyy-MM-dd HH:mm:ss:SSS (Go's layouts take fractions only after a dot).
func perfDate(t time.Time) string {
	return fmt.Sprintf("%s:%03d", t.Format("2006-01-02 15:04:05"), t.Nanosecond()/int(time.Millisecond))
}

func newConsumerPerfCommand() *cobra.Command {
	f := &consumerPerfFlags{}
	cmd := &cobra.Command{
		Use:   "consumer-perf-test",
		Short: "Measure consume throughput (kafka-consumer-perf-test.sh)",
		Long: `Consume --num-records records from the beginning of every partition of a topic
(--topic), or of every topic whose whole name matches a regular expression
(--include), and report throughput in kafka-consumer-perf-test.sh's CSV format:

  start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec

Without --group, partitions are assigned directly (rebalance.time.ms is 0);
with --group, the consumer joins the group first, rebalance.time.ms is the
time until its partitions were assigned, and it commits what it read when
it finishes. A cluster that does not serve consumer groups, or has no
coordinator for the group, stops the run at once with the reason. The run stops early, with a
warning on standard error, when no record arrives for --timeout ms.
--show-detailed-stats prints a progress line every --reporting-interval ms
instead of the summary.`,
		Example: `  # Read back a million records
  gregor consumer-perf-test --bootstrap-server localhost:9092 --topic perf --num-records 1000000

  # As a group member, with 4 MiB per-partition fetches, no header
  gregor consumer-perf-test --bootstrap-server localhost:9092 --topic perf \
      --num-records 1000000 --group perf-group --fetch-size 4194304 --hide-header`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConsumerPerf(cmd, f)
		},
	}
	f.conn.register(cmd, true)
	fl := cmd.Flags()
	fl.StringVar(&f.topic, "topic", "", "the topic to consume (this or --include)")
	fl.StringVar(&f.include, "include", "", "a regular expression of the topics to consume, matching whole names (this or --topic)")
	fl.StringVar(&f.group, "group", "", "a consumer group to join (default: no group, direct assignment)")
	fl.Int64Var(&f.messages, "num-records", 0, "REQUIRED: the number of records to consume")
	fl.Int64Var(&f.messages, "messages", 0, "deprecated: the same as --num-records")
	fl.Int32Var(&f.fetchSize, "fetch-size", 1048576, "the bytes to fetch per partition per request")
	fl.Int64Var(&f.timeoutMs, "timeout", 10000, "the most milliseconds to wait between records")
	fl.Int64Var(&f.reportingInterval, "reporting-interval", 5000, "milliseconds between --show-detailed-stats lines")
	fl.BoolVar(&f.fromLatest, "from-latest", false, "start at the end of each partition instead of the beginning")
	fl.BoolVar(&f.showDetailedStats, "show-detailed-stats", false, "print a progress line every --reporting-interval")
	fl.BoolVar(&f.hideHeader, "hide-header", false, "do not print the header line")
	refuse(cmd,
		refusal{"print-metrics", false, "the Java client's metrics registry has no Go equivalent"},
		refusal{"socket-buffer-size", true, "the TCP buffer sizes are the operating system's"},
		refusal{"date-format", true, "a Java SimpleDateFormat pattern; the default format is used"},
	)
	fl.StringVar(&f.consumerConfig, "consumer.config", "", "a consumer properties file")
	deprecate(cmd, "messages", "Warning: --messages is deprecated. Use --num-records instead.")
	deprecate(cmd, "consumer.config", "Warning: --consumer.config is deprecated. Use --command-config instead.")
	fl.StringArrayVar(&f.commandProps, "command-property", nil, "a consumer property, key=value (repeatable; Kafka 4.1's flag)")
	return cmd
}

// exactlyOne is Kafka's CommandLineUtils.checkOneOf: one, and only one, of
// names must be given, worded as Kafka words it.
func exactlyOne(cmd *cobra.Command, names ...string) error {
	given := 0
	for _, n := range names {
		if cmd.Flags().Changed(n) {
			given++
		}
	}
	if given == 1 {
		return nil
	}
	return fmt.Errorf("Exactly one of the following arguments is required: [%s]", strings.Join(names, "], ["))
}

// consumerPerfRun is one consumer-perf-test run. Only the poll loop
// touches it, except joinedNanos, which kgo's group goroutine sets.
type consumerPerfRun struct {
	f           *consumerPerfFlags
	group       string // --group or group.id; empty: direct assignment
	out         *printer
	start       time.Time
	joinedNanos atomic.Int64 // when partitions were first assigned; 0 before

	messages, bytes int64
}

func runConsumerPerf(cmd *cobra.Command, f *consumerPerfFlags) error {
	if err := exactlyOne(cmd, "topic", "include"); err != nil {
		return err
	}
	if err := exactlyOne(cmd, "messages", "num-records"); err != nil {
		return err
	}
	run := &consumerPerfRun{f: f, out: newPrinter(cmd.OutOrStdout())}
	opts, err := run.options(cmd)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	run.start = time.Now()
	cl, err := connect(ctx, f.conn.bootstrapServer, opts...)
	if err != nil {
		return err
	}
	defer closeConsumer(cl, cmd.ErrOrStderr())
	if f.topic != "" {
		if _, err := lookupTopic(ctx, adminFor(cl), f.topic); err != nil {
			return err
		}
	}
	if run.group != "" {
		if err := checkGroup(ctx, cl, f.conn.bootstrapServer, run.group); err != nil {
			return err
		}
	}
	if !f.hideHeader {
		run.printHeader()
	}
	if err := run.consume(ctx, cl, cmd); err != nil {
		return err
	}
	return run.out.flush()
}

func (r *consumerPerfRun) options(cmd *cobra.Command) ([]kgo.Opt, error) {
	p, err := loadPropsFile(r.f.conn.commandConfig)
	if err != nil {
		return nil, err
	}
	fileProps, err := loadPropsFile(r.f.consumerConfig)
	if err != nil {
		return nil, err
	}
	p.merge(fileProps)
	flagProps, err := parseProps(r.f.commandProps)
	if err != nil {
		return nil, err
	}
	p.merge(flagProps)
	opts, err := clientOptions(p, consumerProps, cmd.ErrOrStderr())
	if err != nil {
		return nil, err
	}
	common, err := consumerCommonOptions(p)
	if err != nil {
		return nil, err
	}
	start := kgo.NewOffset().AtStart()
	if r.f.fromLatest {
		start = kgo.NewOffset().AtEnd()
	}
	opts = append(opts, common...)
	if r.f.include != "" {
		// Kafka's pattern subscription matches whole topic names; kgo's
		// regular expressions match anywhere in the name.
		if _, err := regexp.Compile(r.f.include); err != nil {
			return nil, fmt.Errorf("--include: %w", err)
		}
		opts = append(opts, kgo.ConsumeRegex(), kgo.ConsumeTopics("^(?:"+r.f.include+")$"))
	} else {
		opts = append(opts, kgo.ConsumeTopics(r.f.topic))
	}
	opts = append(opts,
		kgo.ConsumeResetOffset(start),
		kgo.FetchMaxPartitionBytes(r.f.fetchSize),
	)
	if r.group = firstNonEmpty(r.f.group, p["group.id"]); r.group != "" {
		opts = append(opts, kgo.ConsumerGroup(r.group),
			kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) {
				r.joinedNanos.CompareAndSwap(0, time.Now().UnixNano())
			}))
	}
	return opts, nil
}

// rebalanceTime is the time spent joining the group before the first
// assignment; zero without a group.
func (r *consumerPerfRun) rebalanceTime() time.Duration {
	if joined := r.joined(); !joined.IsZero() {
		return joined.Sub(r.start)
	}
	return 0
}

func (r *consumerPerfRun) joined() time.Time {
	if n := r.joinedNanos.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// consume polls until --num-records records were read or --timeout passes
// without one, then prints the summary.
func (r *consumerPerfRun) consume(ctx context.Context, cl *kgo.Client, cmd *cobra.Command) error {
	timeout := time.Duration(r.f.timeoutMs) * time.Millisecond
	lastConsumed := time.Now()
	lastReport := r.start
	var reportedMessages, reportedBytes int64
	for r.messages < r.f.messages && ctx.Err() == nil {
		idle := time.Since(lastConsumed)
		if idle > timeout {
			break
		}
		pollCtx, cancel := context.WithTimeout(ctx, timeout-idle)
		fetches := cl.PollFetches(pollCtx)
		cancel()
		if fetches.IsClientClosed() {
			break
		}
		n := int64(0)
		fetches.EachRecord(func(rec *kgo.Record) {
			n++
			r.bytes += int64(len(rec.Key) + len(rec.Value))
		})
		now := time.Now()
		if n > 0 {
			r.messages += n
			lastConsumed = now
		}
		if r.f.showDetailedStats && now.Sub(lastReport) >= time.Duration(r.f.reportingInterval)*time.Millisecond {
			r.printProgress(lastReport, now, reportedMessages, reportedBytes)
			lastReport, reportedMessages, reportedBytes = now, r.messages, r.bytes
		}
	}
	end := time.Now()
	if r.messages < r.f.messages && ctx.Err() == nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "WARNING: Exiting before consuming the expected number of messages: timeout (%d ms) exceeded. You can use the --timeout option to increase the timeout.\n", r.f.timeoutMs)
	}
	if !r.f.showDetailedStats {
		r.printSummary(end)
	}
	return nil
}

func (r *consumerPerfRun) printHeader() {
	extra := ", rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
	if r.f.showDetailedStats {
		r.out.line("time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec" + extra)
		return
	}
	r.out.line("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec" + extra)
}

const bytesPerMB = 1024 * 1024

// printSummary prints Kafka's one CSV line for the whole run.
func (r *consumerPerfRun) printSummary(end time.Time) {
	elapsedSec := seconds(end.Sub(r.start))
	fetchTime := end.Sub(r.start) - r.rebalanceTime()
	mb := float64(r.bytes) / bytesPerMB
	r.out.linef("%s, %s, %.4f, %.4f, %d, %.4f, %d, %d, %.4f, %.4f",
		perfDate(r.start), perfDate(end),
		mb, mb/elapsedSec, r.messages, float64(r.messages)/elapsedSec,
		r.rebalanceTime().Milliseconds(), fetchTime.Milliseconds(),
		mb/seconds(fetchTime), float64(r.messages)/seconds(fetchTime))
}

// printProgress prints a --show-detailed-stats line for the interval
// (from, to], as Kafka's printConsumerProgress does for thread 0.
func (r *consumerPerfRun) printProgress(from, to time.Time, lastMessages, lastBytes int64) {
	interval := seconds(to.Sub(from))
	intervalMB := float64(r.bytes-lastBytes) / bytesPerMB
	intervalMessages := float64(r.messages - lastMessages)
	rebalance := time.Duration(0)
	if joined := r.joined(); joined.After(from) {
		rebalance = joined.Sub(from)
	}
	fetch := to.Sub(from) - rebalance
	r.out.linef("%s, %d, %.4f, %.4f, %d, %.4f, %d, %d, %.4f, %.4f",
		perfDate(to), 0, float64(r.bytes)/bytesPerMB, intervalMB/interval,
		r.messages, intervalMessages/interval, rebalance.Milliseconds(), fetch.Milliseconds(),
		intervalMB/seconds(fetch), intervalMessages/seconds(fetch))
	r.out.flush()
}

// seconds is d in seconds, never zero, so rates stay finite.
func seconds(d time.Duration) float64 {
	return max(d.Seconds(), 0.001)
}
