package node_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/node/nodetest"
)

// BenchmarkProduceDurability measures produce throughput and latency of 8
// concurrent producers of 1 KiB records (acks=all, idempotent, no
// compression) on the real
// disk under three flush policies: the default (no fsync before the
// answer), gregor.flush.before.ack=true (group commit) and
// flush.messages=1 (an fsync per append); with all producers on one
// partition and with one partition each. Two loads: "sync", each producer
// sends one record and waits for its answer (the worst case for an fsync
// per answer), and "async", each keeps up to 1,024 records buffered as
// producer-perf-test does and pipelines up to 5 produce requests (the
// idempotent producer's max.in.flight, as the Java client's default); the
// broker serves a connection's requests one at a time, as Kafka does.
func BenchmarkProduceDurability(b *testing.B) {
	modes := []struct {
		name   string
		config map[string]*string
	}{
		{"default", nil},
		{"durable", map[string]*string{"gregor.flush.before.ack": kadm.StringPtr("true")}},
		{"flush.messages=1", map[string]*string{"flush.messages": kadm.StringPtr("1")}},
	}
	for _, load := range []string{"sync", "async"} {
		for _, partitions := range []int32{1, 8} {
			for _, m := range modes {
				b.Run(fmt.Sprintf("%s/partitions=%d/%s", load, partitions, m.name), func(b *testing.B) {
					benchDurableProduce(b, load == "async", partitions, m.config)
				})
			}
		}
	}
}

const benchProducers = 8

func benchDurableProduce(b *testing.B, async bool, partitions int32, config map[string]*string) {
	n := nodetest.Start(b, "", nil)
	adm := kadm.NewClient(benchClient(b, n.Addr))
	if _, err := adm.CreateTopic(context.Background(), partitions, 1, config, "bench"); err != nil {
		b.Fatal(err)
	}
	value := make([]byte, 1024)
	rand.Read(value) // incompressible, though nothing is compressed
	var left atomic.Int64
	left.Store(int64(b.N))
	latencies := make([][]time.Duration, benchProducers)
	clients := make([]*kgo.Client, benchProducers)
	for i := range clients {
		clients[i] = benchClient(b, n.Addr, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.MaxBufferedRecords(1024),
			kgo.ProducerBatchCompression(kgo.NoCompression()))
		warm := &kgo.Record{Topic: "bench", Partition: int32(i) % partitions, Value: value}
		if err := clients[i].ProduceSync(context.Background(), warm).FirstErr(); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(1024)
	b.ResetTimer()
	var wg sync.WaitGroup
	for i, cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			produce := produceOneByOne
			if async {
				produce = produceAsync
			}
			latencies[i] = produce(b, cl, &left, func() *kgo.Record {
				return &kgo.Record{Topic: "bench", Partition: int32(i) % partitions, Value: value}
			})
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	all := slices.Concat(latencies...)
	b.ReportMetric(percentile(all, 0.50).Seconds()*1000, "p50-ms")
	b.ReportMetric(percentile(all, 0.99).Seconds()*1000, "p99-ms")
}

// produceOneByOne produces records one at a time while left lasts and returns
// their latencies.
func produceOneByOne(b testing.TB, cl *kgo.Client, left *atomic.Int64, next func() *kgo.Record) []time.Duration {
	var ds []time.Duration
	for left.Add(-1) >= 0 {
		start := time.Now()
		if err := cl.ProduceSync(context.Background(), next()).FirstErr(); err != nil {
			b.Error(err)
			break
		}
		ds = append(ds, time.Since(start))
	}
	return ds
}

// produceAsync produces records without waiting (the client blocks at
// 1,024 buffered) while left lasts, then waits for every answer, and
// returns the latencies from Produce to the answer.
func produceAsync(b testing.TB, cl *kgo.Client, left *atomic.Int64, next func() *kgo.Record) []time.Duration {
	var mu sync.Mutex
	var ds []time.Duration
	for left.Add(-1) >= 0 {
		start := time.Now()
		cl.Produce(context.Background(), next(), func(_ *kgo.Record, err error) {
			if err != nil {
				b.Error(err)
			}
			mu.Lock()
			ds = append(ds, time.Since(start))
			mu.Unlock()
		})
	}
	if err := cl.Flush(context.Background()); err != nil {
		b.Error(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return ds
}

func benchClient(b testing.TB, addr string, opts ...kgo.Opt) *kgo.Client {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(cl.Close)
	return cl
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[min(int(float64(len(ds))*p), len(ds)-1)]
}
