package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
)

// producerPerfFlags are kafka-producer-perf-test.sh's flags.
type producerPerfFlags struct {
	conn              connFlags
	topic             string
	numRecords        int64
	recordSize        int
	throughput        float64
	producerProps     []string
	producerConfig    string
	payloadFile       string
	payloadDelimiter  string
	warmupRecords     int64
	reportingInterval int64
}

func newProducerPerfCommand() *cobra.Command {
	f := &producerPerfFlags{}
	cmd := &cobra.Command{
		Use:   "producer-perf-test",
		Short: "Measure produce throughput and latency (kafka-producer-perf-test.sh)",
		Long: `Produce --num-records records of --record-size bytes as fast as allowed and
report throughput and latency, in kafka-producer-perf-test.sh's format: a line
every --reporting-interval ms (5 seconds by default)

  N records sent, X records/sec (Y MB/sec), Z ms avg latency, W ms max latency.

and a final summary with latency percentiles (50th, 95th, 99th, 99.9th).
With --warmup-records N, the first N records count only in that summary: a
second one, "steady state records sent", covers the rest, and the progress
lines restart with it.
Latency is measured per record from send to acknowledgement, in whole
milliseconds as Kafka does; percentiles come from a sample of at most 500000
records.

--throughput caps records per second; -1 means no cap. The bootstrap
servers come from --producer-props bootstrap.servers=H:P, --producer.config,
or --bootstrap-server. Producer properties use Kafka's names; linger.ms
defaults to 5 (Kafka 4's default) and batch.size to 1048576 (larger than
Kafka's 16384, as suits this client; pass batch.size to match a Java run).`,
		Example: `  # One million 100-byte records, unthrottled, acks=all
  gregor producer-perf-test --topic perf --num-records 1000000 --record-size 100 \
      --throughput -1 --producer-props bootstrap.servers=localhost:9092 acks=all

  # 10000 records/s of lines from a file, lz4, leader acks
  gregor producer-perf-test --topic perf --num-records 100000 --throughput 10000 \
      --payload-file payloads.txt --producer-props bootstrap.servers=localhost:9092 \
      acks=1 compression.type=lz4 linger.ms=10 batch.size=65536`,
		Args:         cobra.ArbitraryArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.takeTrailingProps(args); err != nil {
				return err
			}
			return runProducerPerf(cmd, f)
		},
	}
	f.conn.register(cmd, false)
	fl := cmd.Flags()
	fl.StringVar(&f.topic, "topic", "", "REQUIRED: the topic to produce to")
	fl.Int64Var(&f.numRecords, "num-records", 0, "REQUIRED: the number of records to produce")
	fl.IntVar(&f.recordSize, "record-size", 0, "the record size in bytes (this or --payload-file)")
	fl.Float64Var(&f.throughput, "throughput", 0, "REQUIRED: the maximum records per second; -1 for no limit")
	fl.StringArrayVar(&f.producerProps, "producer-props", nil, "producer properties, key=value ... (bootstrap.servers, acks, linger.ms, ...)")
	alias(fl, "command-property", "producer-props")
	fl.StringVar(&f.producerConfig, "producer.config", "", "a producer properties file")
	for flag, instead := range map[string]string{"producer-props": "command-property", "producer.config": "command-config"} {
		deprecate(cmd, flag, "Option --"+flag+" has been deprecated and will be removed in a future version. Use --"+instead+" instead.")
	}
	fl.StringVar(&f.payloadFile, "payload-file", "", "a file of payloads, split by --payload-delimiter; each record takes a random one")
	fl.StringVar(&f.payloadDelimiter, "payload-delimiter", "\\n", "the payload delimiter in --payload-file")
	fl.Int64Var(&f.warmupRecords, "warmup-records", 0, "the first records to leave out of a second, steady-state summary")
	fl.Int64Var(&f.reportingInterval, "reporting-interval", 5000, "milliseconds between progress lines")
	_ = cmd.MarkFlagRequired("topic")
	_ = cmd.MarkFlagRequired("num-records")
	_ = cmd.MarkFlagRequired("throughput")
	refuse(cmd,
		refusal{"payload-monotonic", false, "payloads are random or from --payload-file"},
		refusal{"print-metrics", false, "the Java client's metrics registry has no Go equivalent"},
		refusal{"transactional-id", true, "transactions are not supported by this tool yet"},
		refusal{"transaction-duration-ms", true, "transactions are not supported by this tool yet"},
	)
	return cmd
}

// takeTrailingProps accepts Kafka's "--producer-props k1=v1 k2=v2" form:
// the flag takes one value, so the words after it arrive as arguments.
func (f *producerPerfFlags) takeTrailingProps(args []string) error {
	for _, a := range args {
		if len(f.producerProps) == 0 || !strings.Contains(a, "=") {
			return fmt.Errorf("unexpected argument %q", a)
		}
		f.producerProps = append(f.producerProps, a)
	}
	return nil
}

func runProducerPerf(cmd *cobra.Command, f *producerPerfFlags) error {
	if (f.recordSize > 0) == (f.payloadFile != "") {
		return errors.New("either --record-size or --payload-file must be specified but not both")
	}
	if f.numRecords <= 0 {
		return errors.New("--num-records should be greater than zero.")
	}
	if f.warmupRecords >= f.numRecords {
		return errors.New("The value for --warmup-records must be strictly fewer than the number of records in the test, --num-records.")
	}
	if f.reportingInterval <= 0 {
		return errors.New("--reporting-interval should be greater than zero.")
	}
	p, bootstrap, err := producerPerfProps(f)
	if err != nil {
		return err
	}
	payloads, err := perfPayloads(f)
	if err != nil {
		return err
	}
	opts, err := producerOptions(p, producerDefaults{
		linger: 5 * time.Millisecond, batchBytes: 1 << 20, acks: "all", idempotent: true,
		maxBuffered: 256 << 10,
	}, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	opts = append(opts, kgo.DefaultProduceTopic(f.topic), kgo.AllowAutoTopicCreation())
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cl, err := connect(ctx, bootstrap, opts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := ensureProducible(ctx, cl, f.topic); err != nil {
		return err
	}
	run := newPerfRun(f, payloads, newPrinter(cmd.OutOrStdout()), cmd.ErrOrStderr())
	return run.produce(ctx, cl)
}

// producerPerfProps merges --command-config, --producer.config and
// --producer-props, and finds the bootstrap servers among them and
// --bootstrap-server.
func producerPerfProps(f *producerPerfFlags) (props, string, error) {
	p, err := loadPropsFile(f.conn.commandConfig)
	if err != nil {
		return nil, "", err
	}
	fileProps, err := loadPropsFile(f.producerConfig)
	if err != nil {
		return nil, "", err
	}
	flagProps, err := parseProps(f.producerProps)
	if err != nil {
		return nil, "", err
	}
	p.merge(fileProps).merge(flagProps)
	bootstrap := firstNonEmpty(f.conn.bootstrapServer, p["bootstrap.servers"])
	if bootstrap == "" {
		return nil, "", errors.New("missing bootstrap servers: pass --bootstrap-server or --producer-props bootstrap.servers=HOST:PORT")
	}
	return p, bootstrap, nil
}

// perfPayloads returns one payload of random upper-case letters of
// --record-size bytes (as Kafka's tool builds it), or the payloads of
// --payload-file.
func perfPayloads(f *producerPerfFlags) ([][]byte, error) {
	if f.payloadFile == "" {
		payload := make([]byte, f.recordSize)
		for i := range payload {
			payload[i] = byte('A' + rand.IntN(26))
		}
		return [][]byte{payload}, nil
	}
	data, err := os.ReadFile(f.payloadFile)
	if err != nil {
		return nil, err
	}
	delim := []byte(unescapeDelimiter(f.payloadDelimiter))
	var payloads [][]byte
	for _, pl := range bytes.Split(data, delim) {
		if len(pl) > 0 {
			payloads = append(payloads, pl)
		}
	}
	if len(payloads) == 0 {
		return nil, fmt.Errorf("no payloads in %s", f.payloadFile)
	}
	return payloads, nil
}

func unescapeDelimiter(d string) string {
	switch d {
	case "\\n":
		return "\n"
	case "\\t":
		return "\t"
	case "\\r\\n":
		return "\r\n"
	}
	return d
}

// maxLatencySamples bounds the latencies kept for percentiles, as Kafka's
// tool does: every sampling-th acknowledged record is kept.
const maxLatencySamples = 500000

// perfRun is one producer-perf-test run. Records are pooled and reused and
// the payload is shared, so the send loop allocates nothing per record in
// the steady state. The stats are written only by the promises, which kgo
// calls serially from one goroutine; the send loop reads none of them
// until Flush returns.
type perfRun struct {
	numRecords int64
	warmup     int64 // the first records, left out of the steady-state stats
	throughput float64
	payloads   [][]byte
	out        *printer
	errOut     io.Writer
	pool       sync.Pool
	promise    func(*kgo.Record, error) // for a warmup record, or every record without warmup
	steadyDone func(*kgo.Record, error) // for a record after the warmup

	start    time.Time
	total    *perfStats
	steady   *perfStats // nil until the first steady-state record is acknowledged
	failed   int64
	firstErr error
}

// perfStats are Kafka's Stats: the whole run's figures, and a window that
// prints a progress line every reporting interval while printing is on.
type perfStats struct {
	out      *printer
	interval time.Duration
	printing bool

	start                    time.Time
	count, bytes             int64
	totalLatency, maxLatency int64
	windowStart              time.Time
	windowCount, windowBytes int64
	windowLatency, windowMax int64
	sampling                 int64
	samples                  []int32
}

func newPerfStats(out *printer, start time.Time, records int64, interval time.Duration) *perfStats {
	s := &perfStats{out: out, interval: interval, printing: true, start: start, windowStart: start,
		sampling: max(1, records/min(max(records, 1), maxLatencySamples))}
	s.samples = make([]int32, 0, records/s.sampling+1)
	return s
}

func newPerfRun(f *producerPerfFlags, payloads [][]byte, out *printer, errOut io.Writer) *perfRun {
	r := &perfRun{
		numRecords: f.numRecords,
		warmup:     max(f.warmupRecords, 0),
		throughput: f.throughput,
		payloads:   payloads,
		out:        out,
		errOut:     errOut,
	}
	r.start = time.Now()
	r.total = newPerfStats(out, r.start, f.numRecords, time.Duration(f.reportingInterval)*time.Millisecond)
	r.pool.New = func() any { return new(kgo.Record) }
	r.promise = func(rec *kgo.Record, err error) { r.completed(rec, err, false) }
	r.steadyDone = func(rec *kgo.Record, err error) { r.completed(rec, err, true) }
	return r
}

// produce sends the records, throttled to --throughput, waits for every
// acknowledgement and prints the summary, and, after --warmup-records,
// the steady state's.
func (r *perfRun) produce(ctx context.Context, cl *kgo.Client) error {
	r.start = time.Now()
	r.total.start, r.total.windowStart = r.start, r.start
	if r.warmup > 0 {
		r.out.linef("Warmup first %d records. Steady state results will print after the complete test summary.", r.warmup)
		r.out.flush()
	}
	var interval time.Duration
	if r.throughput > 0 {
		interval = time.Duration(float64(time.Second) / r.throughput)
	}
	for i := int64(0); i < r.numRecords && ctx.Err() == nil; i++ {
		rec := r.pool.Get().(*kgo.Record)
		rec.Value = r.payload()
		rec.Timestamp = time.Now()
		if interval > 0 {
			r.throttle(rec.Timestamp, i, interval)
		}
		if r.warmup > 0 && i >= r.warmup {
			cl.Produce(ctx, rec, r.steadyDone)
		} else {
			cl.Produce(ctx, rec, r.promise)
		}
	}
	if err := cl.Flush(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	now := time.Now()
	r.total.printTotal(now, "")
	if r.steady != nil {
		r.steady.printTotal(now, " steady state")
	}
	if err := r.out.flush(); err != nil {
		return err
	}
	if r.failed > 0 {
		return fmt.Errorf("%d of %d records failed: %w", r.failed, r.failed+r.total.count, r.firstErr)
	}
	return nil
}

func (r *perfRun) payload() []byte {
	if len(r.payloads) == 1 {
		return r.payloads[0]
	}
	return r.payloads[rand.IntN(len(r.payloads))]
}

// throttle sleeps until record i is due at the target rate.
func (r *perfRun) throttle(now time.Time, i int64, interval time.Duration) {
	due := r.start.Add(time.Duration(i) * interval)
	if wait := due.Sub(now); wait > 0 {
		time.Sleep(wait)
	}
}

// completed is the promise: it records the record's latency (send to
// acknowledgement, in milliseconds as Kafka measures it) and returns the
// record to the pool. The first steady-state record starts the steady
// state's stats, which print the progress lines from then on, as Kafka's
// tool switches them.
func (r *perfRun) completed(rec *kgo.Record, err error, steady bool) {
	now := time.Now()
	if err != nil {
		if r.failed++; r.firstErr == nil {
			r.firstErr = err
			fmt.Fprintf(r.errOut, "ERROR producing to %s: %v\n", rec.Topic, err)
		}
	} else {
		latency, size := now.UnixMilli()-rec.Timestamp.UnixMilli(), int64(len(rec.Value))
		if steady && r.steady == nil {
			r.out.line("In steady state.")
			r.total.printing = false
			r.steady = newPerfStats(r.out, rec.Timestamp, r.numRecords-r.warmup, r.total.interval)
		}
		r.total.record(latency, size, now)
		if steady {
			r.steady.record(latency, size, now)
		}
	}
	*rec = kgo.Record{}
	r.pool.Put(rec)
}

func (s *perfStats) record(latency, size int64, now time.Time) {
	if s.count%s.sampling == 0 && len(s.samples) < cap(s.samples) {
		s.samples = append(s.samples, int32(latency))
	}
	s.count++
	s.bytes += size
	s.totalLatency += latency
	s.maxLatency = max(s.maxLatency, latency)
	s.windowCount++
	s.windowBytes += size
	s.windowLatency += latency
	s.windowMax = max(s.windowMax, latency)
	if now.Sub(s.windowStart) >= s.interval {
		if s.printing {
			s.printWindow(now)
		}
		s.windowStart = now
		s.windowCount, s.windowBytes, s.windowLatency, s.windowMax = 0, 0, 0, 0
	}
}

// printWindow prints Kafka's progress line for the window ending now.
func (s *perfStats) printWindow(now time.Time) {
	elapsed := max(now.Sub(s.windowStart).Milliseconds(), 1)
	recsPerSec := 1000.0 * float64(s.windowCount) / float64(elapsed)
	mbPerSec := 1000.0 * float64(s.windowBytes) / float64(elapsed) / (1024.0 * 1024.0)
	s.out.linef("%d records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, %.1f ms max latency.",
		s.windowCount, recsPerSec, mbPerSec, float64(s.windowLatency)/float64(max(s.windowCount, 1)), float64(s.windowMax))
	s.out.flush()
}

// printTotal prints Kafka's summary line; what is " steady state" for the
// steady state's.
func (s *perfStats) printTotal(now time.Time, what string) {
	elapsed := max(now.Sub(s.start).Milliseconds(), 1)
	recsPerSec := 1000.0 * float64(s.count) / float64(elapsed)
	mbPerSec := 1000.0 * float64(s.bytes) / float64(elapsed) / (1024.0 * 1024.0)
	p := percentiles(s.samples, 0.5, 0.95, 0.99, 0.999)
	s.out.linef("%d%s records sent, %f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, %d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.",
		s.count, what, recsPerSec, mbPerSec, float64(s.totalLatency)/float64(max(s.count, 1)), float64(s.maxLatency), p[0], p[1], p[2], p[3])
}

// percentiles sorts samples and picks samples[q*len], as Kafka does.
func percentiles(samples []int32, qs ...float64) []int32 {
	out := make([]int32, len(qs))
	if len(samples) == 0 {
		return out
	}
	slices.Sort(samples)
	for i, q := range qs {
		out[i] = samples[min(int(q*float64(len(samples))), len(samples)-1)]
	}
	return out
}
