package node_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
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
// on segment files. The partitions are in 8 topics, one a producer (see
// manyPartitions for why). Each producer writes 16 records to a partition
// of its topic before it moves to the next, and buffers at most 16
// partitions' worth: fewer than the 25 partitions each producer cycles
// through at 200, so that a batch holds 16 records at every partition
// count (with more buffered, the 200-partition case merged two rounds into
// batches of 32 and more) and the difference is what many partitions cost
// the broker.
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

// perPartition records go to a partition before the next;
// inFlightPartitions of those runs are buffered by a producer at most.
const perPartition, inFlightPartitions = 16, 16

func benchManyPartitions(b *testing.B, partitions int32, cache int) {
	mp := startManyPartitions(b, partitions, cache)
	b.SetBytes(1024)
	b.ResetTimer()
	mp.produce(b, b.N)
	b.StopTimer()
	all, segments := countFDs(b)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(all), "fds")
	b.ReportMetric(float64(segments), "segment-fds")
}

// BenchmarkProduceManyPartitionsRatio is the comparison of
// BenchmarkProduceManyPartitions made robust on a shared machine: one node
// with 200 partitions and one with 20,000 (fd cache 500) run in the same
// process, and each repetition produces b.N records to one, then to the
// other (the order alternating), so that both see the same machine. It
// reports the median records/s of each, the median of the repetitions'
// ratios, the median producer p99, and the median records per Produce
// request the broker served (from its metrics), which says whether the
// producers sent it requests of the same size in both cases. GREGOR_BENCH_REPS sets the
// repetitions (default 5); run it with -benchtime 100000x.
// GREGOR_BENCH_CPUPROFILE=file writes a CPU profile of the first
// 20,000-partition run alone (not of creating the partitions), of the
// first 200-partition run with GREGOR_BENCH_PROFILE_FEW=1;
// GREGOR_BENCH_CPUPROFILE_FEW=file profiles the first 200-partition run
// into a file of its own, so that one run profiles both.
// GREGOR_BENCH_PRODUCERS=process runs the producers in a child process
// (see producerProcess), and then the benchmark also reports the CPU time
// per record of the broker and of the producers, medians of the runs.
func BenchmarkProduceManyPartitionsRatio(b *testing.B) {
	if b.N == 1 {
		// The testing package runs a benchmark once with b.N = 1 before
		// the -benchtime count: not worth creating 20,200 partitions twice.
		return
	}
	reps := 5
	if s := os.Getenv("GREGOR_BENCH_REPS"); s != "" {
		reps, _ = strconv.Atoi(s)
	}
	few, many := startManyPartitions(b, 200, 500), startManyPartitions(b, 20_000, 500)
	var fewRate, manyRate, ratios, fewP99, manyP99 []float64
	b.ResetTimer()
	for r := range reps {
		cases := []*manyPartitions{few, many}
		if r%2 == 1 {
			cases = []*manyPartitions{many, few}
		}
		rate := map[*manyPartitions]float64{}
		for _, c := range cases {
			stopProfile := func() {}
			if c == profiled(few, many) && r == 0 {
				stopProfile = startCPUProfile(b, os.Getenv("GREGOR_BENCH_CPUPROFILE"))
			} else if c == few && r == 0 {
				stopProfile = startCPUProfile(b, os.Getenv("GREGOR_BENCH_CPUPROFILE_FEW"))
			}
			requests0 := produceRequests(b, c.node)
			start, cpu0 := time.Now(), selfCPU(b)
			var prod0 time.Duration
			if c.proc != nil {
				prod0 = c.proc.cpu(b)
			}
			p99 := c.produce(b, b.N)
			stopProfile()
			rate[c] = float64(b.N) / time.Since(start).Seconds()
			if c.proc != nil {
				c.brokerCPU = append(c.brokerCPU, float64((selfCPU(b)-cpu0).Microseconds())/float64(b.N))
				c.producerCPU = append(c.producerCPU, float64((c.proc.cpu(b)-prod0).Microseconds())/float64(b.N))
			}
			c.recordsPerRequest = append(c.recordsPerRequest, float64(b.N)/(produceRequests(b, c.node)-requests0))
			if c == few {
				fewP99 = append(fewP99, p99.Seconds()*1000)
			} else {
				manyP99 = append(manyP99, p99.Seconds()*1000)
			}
		}
		fewRate, manyRate = append(fewRate, rate[few]), append(manyRate, rate[many])
		ratios = append(ratios, rate[many]/rate[few])
		b.Logf("rep %d: 200 partitions %.0f records/s, 20,000 %.0f records/s, ratio %.2f", r, rate[few], rate[many], rate[many]/rate[few])
	}
	b.StopTimer()
	b.ReportMetric(medianOf(fewRate), "records/s-200")
	b.ReportMetric(medianOf(manyRate), "records/s-20000")
	b.ReportMetric(medianOf(ratios), "ratio")
	b.ReportMetric(medianOf(fewP99), "p99-ms-200")
	b.ReportMetric(medianOf(manyP99), "p99-ms-20000")
	b.ReportMetric(medianOf(few.recordsPerRequest), "records/request-200")
	b.ReportMetric(medianOf(many.recordsPerRequest), "records/request-20000")
	if few.proc != nil {
		b.ReportMetric(medianOf(few.brokerCPU), "broker-us/record-200")
		b.ReportMetric(medianOf(many.brokerCPU), "broker-us/record-20000")
		b.ReportMetric(medianOf(few.producerCPU), "producer-us/record-200")
		b.ReportMetric(medianOf(many.producerCPU), "producer-us/record-20000")
		for r := range reps {
			b.Logf("rep %d: broker CPU %.1f us/record at 200 partitions, %.1f at 20,000; producers %.1f and %.1f",
				r, few.brokerCPU[r], many.brokerCPU[r], few.producerCPU[r], many.producerCPU[r])
		}
	}
}

// startCPUProfile profiles into path until the returned function is
// called; with path empty it does nothing.
func startCPUProfile(b *testing.B, path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

func medianOf(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// manyPartitions is a node with its partitions in benchProducers topics
// of equal size and benchProducers warmed-up producers, producer i the
// only one to write to topic bench-i.
//
// One topic a producer, rather than every producer writing to every
// partition, because a franz-go client's cost per produce request grows
// with the partitions it knows of: kgo's sink.createReq locks and looks
// at the record buffer of every partition of the broker, buffered records
// or not, for each request it builds. With every client knowing all
// 20,000 partitions that was 20,000 buffers a request, about 7.6 µs of
// producer CPU per record against 1.5 at 200 partitions, and on a shared
// machine the producers then set the pace, not the broker. Each client
// now knows only its own topic (partitions/8 buffers). What the broker
// sees is unchanged: 8 connections, batches of perPartition records, at
// most inFlightPartitions of them buffered a producer, every partition
// written in turn.
type manyPartitions struct {
	partitions int32
	clients    []*kgo.Client
	value      []byte
	next       int64 // where the producers resume, so that each run writes on
	// proc, when set, runs the producers in a process of their own
	// (GREGOR_BENCH_PRODUCERS=process) and the fields above are unused.
	proc *producerProcess
	// brokerCPU and producerCPU are the CPU microseconds per record of
	// each run, of this process (the broker alone) and of proc's.
	brokerCPU, producerCPU []float64
	node                   *nodetest.TestNode
	recordsPerRequest      []float64 // of each run
}

func startManyPartitions(b *testing.B, partitions int32, cache int) *manyPartitions {
	// Creating thousands of partitions holds the controller's loop for
	// seconds: a long session, so that the node is not fenced meanwhile.
	n := startBenchNode(b, map[string]string{"gregor.log.fd.cache.size": strconv.Itoa(cache), "broker.session.timeout.ms": "600000"})
	// Creating a partition costs a few fsyncs: a long timeout, and one
	// topic a request (Kafka bounds a request at 10,000 partitions).
	adm := kadm.NewClient(benchClient(b, n.Addr, kgo.RequestTimeoutOverhead(5*time.Minute)))
	for t := range benchProducers {
		resp, err := adm.CreateTopic(context.Background(), partitions/benchProducers, 1, nil, benchTopic(t))
		if err == nil {
			err = resp.Err
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	if os.Getenv("GREGOR_BENCH_PRODUCERS") == "process" {
		return &manyPartitions{partitions: partitions, proc: startProducerProcess(b, n.Addr, partitions), node: n}
	}
	mp := newManyPartitions(b, n.Addr, partitions)
	mp.node = n
	return mp
}

// produceRequests is the number of Produce requests n has served, of
// every version.
func produceRequests(tb testing.TB, n *nodetest.TestNode) float64 {
	var sum float64
	if f := scrape(tb, n)["kafka_network_requestmetrics_requests_total"]; f != nil {
		for _, m := range f.Metric {
			if hasLabels(m, map[string]string{"request": "Produce"}) {
				sum += m.Counter.GetValue()
			}
		}
	}
	return sum
}

// newManyPartitions connects benchProducers producers to the node at addr
// and warms them up.
func newManyPartitions(tb testing.TB, addr string, partitions int32) *manyPartitions {
	mp := &manyPartitions{partitions: partitions, value: make([]byte, 1024), clients: make([]*kgo.Client, benchProducers)}
	rand.Read(mp.value)
	for i := range mp.clients {
		mp.clients[i] = benchClient(tb, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.MaxBufferedRecords(perPartition*inFlightPartitions),
			kgo.ProducerBatchCompression(kgo.NoCompression()))
		// A record to its topic, so that each client has the metadata of
		// its partitions before the measured runs.
		if err := mp.clients[i].ProduceSync(context.Background(), mp.record(i, 0)).FirstErr(); err != nil {
			tb.Fatal(err)
		}
	}
	return mp
}

func benchTopic(producer int) string { return fmt.Sprintf("bench-%d", producer) }

// record is a record to partition p of producer's topic.
func (mp *manyPartitions) record(producer int, p int32) *kgo.Record {
	return &kgo.Record{Topic: benchTopic(producer), Partition: p, Value: mp.value}
}

// produce has the producers write records records between them, each
// perPartition to a partition before the next, and returns the p99 of
// the records' produce latency.
func (mp *manyPartitions) produce(b testing.TB, records int) time.Duration {
	if mp.proc != nil {
		return mp.proc.produce(b, records)
	}
	var left atomic.Int64
	left.Store(int64(records))
	latencies := make([][]time.Duration, len(mp.clients))
	var wg sync.WaitGroup
	for i, cl := range mp.clients {
		wg.Go(func() {
			k := mp.next
			latencies[i] = produceAsync(b, cl, &left, func() *kgo.Record {
				p := int32(k / perPartition % int64(mp.partitions/benchProducers))
				k++
				return mp.record(i, p)
			})
		})
	}
	wg.Wait()
	mp.next += int64(records) / benchProducers
	return percentile(slices.Concat(latencies...), 0.99)
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

// profiled is the case GREGOR_BENCH_CPUPROFILE profiles: the 20,000
// partitions, or the 200 with GREGOR_BENCH_PROFILE_FEW=1.
func profiled(few, many *manyPartitions) *manyPartitions {
	if os.Getenv("GREGOR_BENCH_PROFILE_FEW") == "1" {
		return few
	}
	return many
}
