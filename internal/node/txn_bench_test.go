package node_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
)

// BenchmarkTransactionalProduce measures producing 100-byte records to 3
// partitions, plain idempotent against transactional committing every
// 10,000 and every 100 records, in one run on one node; each op is one
// record, so the ratio of ns/op is the throughput ratio. The cases run one
// after the other: on a shared machine, BenchmarkTransactionalProduceRatio
// gives the steadier ratio.
func BenchmarkTransactionalProduce(b *testing.B) {
	addr := txnBenchBroker(b)
	for _, every := range []int{0, 10000, 100} {
		b.Run(txnBenchName(every), func(b *testing.B) {
			p := newTxnBenchProducer(b, addr, every, "")
			b.SetBytes(int64(len(p.value)))
			b.ResetTimer()
			p.produce(b, b.N)
		})
	}
}

// BenchmarkTransactionalProduceRatio is BenchmarkTransactionalProduce made
// robust on a shared machine: the three cases (idempotent, committing
// every 10,000, committing every 100) are set up once, and each of
// GREGOR_BENCH_REPS repetitions (default 5) has each case produce b.N
// records, in an order that rotates, so that all three see the same
// machine. It reports the median ns per record of each and the median of
// the repetitions' throughput ratios against idempotent. Run it with
// -benchtime 1000000x.
//
// It runs twice: "producers=1", one producer per case, and "producers=4",
// four producers per case (each with a topic and, transactional, an id of
// its own) sharing the b.N records, as an exactly-once application runs
// one producer per task. A single transactional producer is idle while it
// waits at every commit for its records' acknowledgements (the client's
// flush, which idempotent producing overlaps with buffering the next
// records) and for EndTxn; with several, the others fill that time.
func BenchmarkTransactionalProduceRatio(b *testing.B) {
	for _, n := range []int{1, 4} {
		b.Run(fmt.Sprintf("producers=%d", n), func(b *testing.B) { benchTransactionalProduceRatio(b, n) })
	}
}

func benchTransactionalProduceRatio(b *testing.B, perCase int) {
	if b.N == 1 {
		return // the testing package's first probe run: nothing to measure
	}
	addr := txnBenchBroker(b)
	everies := []int{0, 10000, 100}
	cases := make([][]*txnBenchProducer, len(everies))
	for i, every := range everies {
		for k := range perCase {
			cases[i] = append(cases[i], newTxnBenchProducer(b, addr, every, fmt.Sprintf("-%d", k)))
		}
	}
	nsPerRecord := make([][]float64, len(everies))
	ratios := make([][]float64, len(everies))
	b.ResetTimer()
	for r := range benchReps(5) {
		took := make([]time.Duration, len(everies))
		for k := range everies {
			i := (k + r) % len(everies)
			start := time.Now()
			var wg sync.WaitGroup
			for j, p := range cases[i] {
				wg.Go(func() { p.produce(b, b.N/perCase+boolInt(j < b.N%perCase)) })
			}
			wg.Wait()
			took[i] = time.Since(start)
			nsPerRecord[i] = append(nsPerRecord[i], float64(took[i].Nanoseconds())/float64(b.N))
		}
		for i := 1; i < len(everies); i++ {
			ratios[i] = append(ratios[i], took[0].Seconds()/took[i].Seconds())
		}
		b.Logf("rep %d: idempotent %v, every 10,000 %v (%.2fx), every 100 %v (%.2fx)", r,
			took[0], took[1], took[0].Seconds()/took[1].Seconds(), took[2], took[0].Seconds()/took[2].Seconds())
	}
	b.StopTimer()
	for i, every := range everies {
		b.ReportMetric(medianOf(nsPerRecord[i]), "ns/record-"+txnBenchName(every))
		if every > 0 {
			b.ReportMetric(medianOf(ratios[i]), "ratio-"+txnBenchName(every))
		}
	}
}

// boolInt is 1 for true, 0 for false.
func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

// benchReps is GREGOR_BENCH_REPS, or def when it is not set.
func benchReps(def int) int {
	if n, err := strconv.Atoi(os.Getenv("GREGOR_BENCH_REPS")); err == nil && n > 0 {
		return n
	}
	return def
}

func txnBenchName(every int) string {
	if every == 0 {
		return "idempotent"
	}
	return fmt.Sprintf("commit-every-%d", every)
}

// txnBenchBroker is the address of the broker the transaction benchmarks
// run against: GREGOR_TXN_BENCH_BROKER when set (another broker, such as
// Apache Kafka started by compat/kafka/broker, for comparison), otherwise
// a node started for the benchmark.
func txnBenchBroker(b *testing.B) string {
	if addr := os.Getenv("GREGOR_TXN_BENCH_BROKER"); addr != "" {
		return addr
	}
	return nodetest.Start(b, "", txnProps).Addr
}

// txnBenchProducer produces 100-byte records to a topic of 3 partitions of
// its own (named for the case, with suffix), committing a transaction every `every` records (every 0: a
// plain idempotent producer).
type txnBenchProducer struct {
	cl    *kgo.Client
	every int
	value []byte
}

func newTxnBenchProducer(b *testing.B, addr string, every int, suffix string) *txnBenchProducer {
	topic := txnBenchName(every) + suffix
	opts := []kgo.Opt{kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(5 * time.Millisecond)}
	if every > 0 {
		opts = append(opts, kgo.TransactionalID("bench-"+topic))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(cl.Close)
	p := &txnBenchProducer{cl: cl, every: every, value: make([]byte, 100)}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := kadm.NewClient(cl).CreateTopics(ctx, 3, 1, nil, topic); err != nil {
		b.Fatal(err)
	}
	// One record first, so that the timed part starts with the topic's
	// metadata known, the producer id in hand and, with transactions, the
	// coordinator found.
	p.produce(b, 1)
	return p
}

// produce produces n records, committing as it goes and at the end.
func (p *txnBenchProducer) produce(b *testing.B, n int) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	fail := func(_ *kgo.Record, err error) {
		if err != nil {
			b.Error(err)
		}
	}
	cl, every := p.cl, p.every
	for i := 0; i < n; i++ {
		if every > 0 && i%every == 0 {
			if err := cl.BeginTransaction(); err != nil {
				b.Fatal(err)
			}
		}
		cl.Produce(ctx, &kgo.Record{Value: p.value}, fail)
		if every > 0 && (i%every == every-1 || i == n-1) {
			if err := cl.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := cl.Flush(ctx); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkTransactionLatency measures where the wall time of a
// transaction of 100 records (GREGOR_TXN_BENCH_RECORDS to change it) goes,
// one op per transaction: the median
// (p50), 90th percentile and mean of producing the records into the
// client's buffer, of flushing them (a Produce round trip; its first write
// adds the partitions to the transaction at transaction version 2), and of
// EndTxn; for reference, the same flush by a plain idempotent producer, a
// request round trip through the client (ApiVersions, "roundtrip") and the
// same request written and read on a plain socket ("bare-roundtrip": what
// a round trip costs on this machine with no client library), measured
// alternately in one run. txn-extra is, per transaction, the flush and EndTxn less the
// idempotent flush and the bare round trip measured right after them: what
// the broker's transactional work adds to the two round trips that the
// client's protocol waits for.
func BenchmarkTransactionLatency(b *testing.B) {
	addr := txnBenchBroker(b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	newProducer := func(topic string, opts ...kgo.Opt) *kgo.Client {
		cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(5 * time.Millisecond)}, opts...)...)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(cl.Close)
		if _, err := kadm.NewClient(cl).CreateTopics(ctx, 3, 1, nil, topic); err != nil {
			b.Fatal(err)
		}
		return cl
	}
	txn, idem := newProducer("latency-txn", kgo.TransactionalID("latency")), newProducer("latency-idem")
	value := make([]byte, 100)
	records := 100
	if n, err := strconv.Atoi(os.Getenv("GREGOR_TXN_BENCH_RECORDS")); err == nil && n > 0 {
		records = n
	}
	produce := func(cl *kgo.Client) {
		for range records {
			cl.Produce(ctx, &kgo.Record{Value: value}, nil)
		}
	}
	// The bare round trip without a client library: the floor of any
	// request's round trip on this machine.
	bare := dial(b, addr)
	apiVersions := kmsg.NewPtrApiVersionsRequest()
	apiVersions.Version, apiVersions.ClientSoftwareName, apiVersions.ClientSoftwareVersion = 3, "bench", "1"
	var phases [6][]time.Duration // produce, flush, end, idempotent flush, round trip, bare round trip
	lap := func(phase int, start time.Time) time.Time {
		now := time.Now()
		phases[phase] = append(phases[phase], now.Sub(start))
		return now
	}
	for i := -1; i < b.N; i++ { // a first transaction to warm up, not counted
		if i == 0 {
			phases = [6][]time.Duration{}
			b.ResetTimer()
		}
		if err := txn.BeginTransaction(); err != nil {
			b.Fatal(err)
		}
		t := time.Now()
		produce(txn)
		t = lap(0, t)
		if err := txn.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		t = lap(1, t)
		if err := txn.EndTransaction(ctx, kgo.TryCommit); err != nil {
			b.Fatal(err)
		}
		lap(2, t)
		produce(idem)
		t = time.Now()
		if err := idem.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		t = lap(3, t)
		if _, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, idem); err != nil {
			b.Fatal(err)
		}
		t = lap(4, t)
		bare.send(apiVersions, 1)
		if _, _, err := bare.receive(false); err != nil { // ApiVersions answers with header v0
			b.Fatal(err)
		}
		lap(5, t)
	}
	extra := make([]time.Duration, len(phases[0]))
	for i := range extra {
		extra[i] = phases[1][i] + phases[2][i] - phases[3][i] - phases[4][i]
	}
	slices.Sort(extra)
	b.ReportMetric(float64(extra[len(extra)/2].Nanoseconds())/1e3, "txn-extra-p50-µs")
	for i, name := range []string{"produce", "flush", "endtxn", "idempotent-flush", "roundtrip", "bare-roundtrip"} {
		slices.Sort(phases[i])
		var sum time.Duration
		for _, d := range phases[i] {
			sum += d
		}
		b.ReportMetric(float64(phases[i][len(phases[i])/2].Nanoseconds())/1e3, name+"-p50-µs")
		b.ReportMetric(float64(phases[i][len(phases[i])*9/10].Nanoseconds())/1e3, name+"-p90-µs")
		b.ReportMetric(float64(sum.Nanoseconds())/float64(len(phases[i]))/1e3, name+"-mean-µs")
	}
}
