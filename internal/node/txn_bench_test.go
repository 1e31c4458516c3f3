package node_test

import (
	"context"
	"fmt"
	"os"
	"slices"
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
// record, so the ratio of ns/op is the throughput ratio.
func BenchmarkTransactionalProduce(b *testing.B) {
	addr := txnBenchBroker(b)
	for _, every := range []int{0, 10000, 100} {
		name := "idempotent"
		if every > 0 {
			name = fmt.Sprintf("commit-every-%d", every)
		}
		b.Run(name, func(b *testing.B) { benchTransactionalProduce(b, addr, name, every) })
	}
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

func benchTransactionalProduce(b *testing.B, addr, topic string, every int) {
	opts := []kgo.Opt{kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(5 * time.Millisecond)}
	if every > 0 {
		opts = append(opts, kgo.TransactionalID("bench-"+topic))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := kadm.NewClient(cl).CreateTopics(ctx, 3, 1, nil, topic); err != nil {
		b.Fatal(err)
	}
	value := make([]byte, 100)
	fail := func(_ *kgo.Record, err error) {
		if err != nil {
			b.Error(err)
		}
	}
	// One record first, so that the timed part starts with the topic's
	// metadata known, the producer id in hand and, with transactions, the
	// coordinator found.
	if every > 0 {
		if err := cl.BeginTransaction(); err != nil {
			b.Fatal(err)
		}
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: value}).FirstErr(); err != nil {
		b.Fatal(err)
	}
	if every > 0 {
		if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(value)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if every > 0 && i%every == 0 {
			if err := cl.BeginTransaction(); err != nil {
				b.Fatal(err)
			}
		}
		cl.Produce(ctx, &kgo.Record{Value: value}, fail)
		if every > 0 && (i%every == every-1 || i == b.N-1) {
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
// transaction of 100 records goes, one op per transaction: the median
// (p50), 90th percentile and mean of producing the 100 records into the
// client's buffer, of flushing them (a Produce round trip; its first write
// adds the partitions to the transaction at transaction version 2), and of
// EndTxn; for reference, the same flush by a plain idempotent producer and
// a bare request round trip (ApiVersions), measured alternately in one
// run. txn-extra is, per transaction, the flush and EndTxn less the
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
	produce := func(cl *kgo.Client) {
		for range 100 {
			cl.Produce(ctx, &kgo.Record{Value: value}, nil)
		}
	}
	var phases [5][]time.Duration // produce, flush, end, idempotent flush, round trip
	lap := func(phase int, start time.Time) time.Time {
		now := time.Now()
		phases[phase] = append(phases[phase], now.Sub(start))
		return now
	}
	for i := -1; i < b.N; i++ { // a first transaction to warm up, not counted
		if i == 0 {
			phases = [5][]time.Duration{}
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
		lap(4, t)
	}
	extra := make([]time.Duration, len(phases[0]))
	for i := range extra {
		extra[i] = phases[1][i] + phases[2][i] - phases[3][i] - phases[4][i]
	}
	slices.Sort(extra)
	b.ReportMetric(float64(extra[len(extra)/2].Nanoseconds())/1e3, "txn-extra-p50-µs")
	for i, name := range []string{"produce", "flush", "endtxn", "idempotent-flush", "roundtrip"} {
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
