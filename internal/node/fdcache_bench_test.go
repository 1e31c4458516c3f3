package node_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"io"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/config"
	"gregor/internal/node"
	"gregor/internal/node/nodetest"
)

// BenchmarkProduceManyPartitions measures produce throughput of 8
// concurrent producers of 1 KiB records (acks=all, async) spread over 200
// and over 10,000 and 20,000 partitions, with gregor.log.fd.cache.size=500, and
// reports the descriptors the process holds open: all of them, and those
// on segment files. Each producer writes 16 records to a partition before
// it moves to the next, so that batches are alike in both cases and the
// difference is what reopening closed segment files costs.
//
// The fd-cache=15000 case keeps every segment file open (as before the
// cache), for an A/B of what the cache costs at the same partition count.
func BenchmarkProduceManyPartitions(b *testing.B) {
	for _, c := range []struct {
		partitions int32
		cache      int
	}{{200, 500}, {10_000, 500}, {10_000, 15_000}, {20_000, 500}} {
		b.Run(fmt.Sprintf("partitions=%d/fd-cache=%d", c.partitions, c.cache), func(b *testing.B) {
			benchManyPartitions(b, c.partitions, c.cache)
		})
	}
}

func benchManyPartitions(b *testing.B, partitions int32, cache int) {
	// Creating thousands of partitions holds the controller's loop for
	// seconds: a long session, so that the node is not fenced meanwhile.
	n := startBenchNode(b, map[string]string{"gregor.log.fd.cache.size": strconv.Itoa(cache), "broker.session.timeout.ms": "600000"})
	// Creating a partition costs a few fsyncs: a long timeout, and topics
	// of 2,000 partitions (Kafka bounds a request at 10,000).
	adm := kadm.NewClient(benchClient(b, n.Addr, kgo.RequestTimeoutOverhead(5*time.Minute)))
	const perTopic = 2_000
	for t := int32(0); t*perTopic < partitions; t++ {
		resp, err := adm.CreateTopic(context.Background(), min(perTopic, partitions-t*perTopic), 1, nil, fmt.Sprintf("bench-%d", t))
		if err == nil {
			err = resp.Err
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	record := func(p int32, value []byte) *kgo.Record {
		return &kgo.Record{Topic: fmt.Sprintf("bench-%d", p/perTopic), Partition: p % perTopic, Value: value}
	}
	value := make([]byte, 1024)
	rand.Read(value)
	var left atomic.Int64
	left.Store(int64(b.N))
	clients := make([]*kgo.Client, benchProducers)
	for i := range clients {
		clients[i] = benchClient(b, n.Addr, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.MaxBufferedRecords(1024),
			kgo.ProducerBatchCompression(kgo.NoCompression()))
		warm := record(int32(i), value)
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
			k := int64(0)
			produceAsync(b, cl, &left, func() *kgo.Record {
				p := int32((int64(i)*int64(partitions)/benchProducers + k/16) % int64(partitions))
				k++
				return record(p, value)
			})
		}()
	}
	wg.Wait()
	b.StopTimer()
	all, segments := countFDs(b)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(all), "fds")
	b.ReportMetric(float64(segments), "segment-fds")
}

// startBenchNode starts a node as nodetest.Start does, but gives its stop
// minutes rather than seconds: a clean stop flushes every partition, which
// takes long with tens of thousands of them.
func startBenchNode(b *testing.B, props map[string]string) *nodetest.TestNode {
	dir := b.TempDir()
	p := map[string]string{
		"listeners": "PLAINTEXT://127.0.0.1:0", "log.dirs": dir, "offsets.topic.replication.factor": "1",
		"http.listeners": "http://127.0.0.1:0", "schema.registry.listeners": "", "rest.proxy.listeners": "",
	}
	for k, v := range props {
		p[k] = v
	}
	cfg, _, err := config.Parse(p)
	if err != nil {
		b.Fatal(err)
	}
	n, err := node.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		n.Stop()
		done := make(chan error, 1)
		go func() { done <- n.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				b.Errorf("node stopped with: %v", err)
			}
		case <-time.After(10 * time.Minute):
			b.Errorf("node did not stop within 10 minutes")
		}
	})
	return &nodetest.TestNode{Node: n, Dir: dir, Addr: n.Addrs()[0].String()}
}

// countFDs counts the process's open descriptors, and those on .log files.
func countFDs(b *testing.B) (all, segments int) {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		b.Skip("no /proc/self/fd")
	}
	for _, e := range ents {
		target, _ := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if strings.HasSuffix(target, ".log") {
			segments++
		}
	}
	return len(ents), segments
}
