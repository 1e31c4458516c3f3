package node_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/auth/authtest"
	"gregor/internal/node/nodetest"
)

// sendfileProps are a node's settings for the sendfile tests: a file
// cache of four, so that segment files close and reopen under the
// fetches, and retention acting at once.
func sendfileProps(enable string) map[string]string {
	return map[string]string{
		"gregor.fetch.sendfile.enable":    enable,
		"gregor.log.fd.cache.size":        "4",
		"log.retention.check.interval.ms": "20",
		"file.delete.delay.ms":            "0",
	}
}

// rollingSegments is a topic's configuration whose segments roll every
// 20 ms, while consumers fetch from them.
func rollingSegments() map[string]*string {
	ms := "20"
	return map[string]*string{"segment.ms": &ms}
}

// produceNumbered produces count records to each of partitions, the value
// of each its offset, so that what a consumer reads can be checked alone.
func produceNumbered(ctx context.Context, cl *kgo.Client, topic string, partitions, count int) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for i := range count {
		for p := range partitions {
			wg.Add(1)
			r := &kgo.Record{Topic: topic, Partition: int32(p), Value: fmt.Appendf(nil, "%d:%0200d", p, i)}
			cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
				defer wg.Done()
				mu.Lock()
				defer mu.Unlock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
			})
		}
	}
	wg.Wait()
	return firstErr
}

// consumeNumbered reads topic from the start until want records arrive, and
// returns each partition's values in offset order, checking that offsets
// follow one another.
func consumeNumbered(t *testing.T, addr, topic string, want int, opts ...kgo.Opt) map[int32][]string {
	t.Helper()
	cl := newClient(t, addr, append([]kgo.Opt{kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxPartitionBytes(20000), kgo.FetchMaxBytes(100000)}, opts...)...)
	out := map[int32][]string{}
	ctx := testContext(t)
	for n := 0; n < want; {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records: %v", n, want, err)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s-%d: %v", topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			if got := int64(len(out[r.Partition])); r.Offset != got {
				t.Fatalf("partition %d: offset %d after %d records", r.Partition, r.Offset, got)
			}
			out[r.Partition] = append(out[r.Partition], string(r.Value))
			n++
		})
	}
	return out
}

// TestFetchSendfileMatchesCopy proves that consumers read the same records
// from a node that sends record batches with sendfile as from one that
// reads them: many partitions, segments rolling while the consumers fetch
// (they start before the producers finish), files closed and reopened by a
// small file cache.
func TestFetchSendfileMatchesCopy(t *testing.T) {
	fetchRegionsMatchRead(t, func(props map[string]string) *nodetest.TestNode { return nodetest.Start(t, "", props) })
}

// TestFetchRegionsOverTLSMatchesRead proves the same over an SSL listener,
// where the batches of a region are read from the file a chunk at a time
// as they are sealed, rather than with sendfile.
func TestFetchRegionsOverTLSMatchesRead(t *testing.T) {
	ca := authtest.NewCA(t)
	start := func(props map[string]string) *nodetest.TestNode { return startTLSNode(t, ca, props) }
	fetchRegionsMatchRead(t, start, kgo.DialTLSConfig(clientTLS(t, ca, "alice")))
}

// fetchRegionsMatchRead is TestFetchSendfileMatchesCopy on nodes that
// start starts, reached with the clients' opts.
func fetchRegionsMatchRead(t *testing.T, start func(props map[string]string) *nodetest.TestNode, opts ...kgo.Opt) {
	const partitions, count = 8, 400
	results := map[string]map[int32][]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, enable := range []string{"true", "false"} {
		n := start(sendfileProps(enable))
		createTopic(t, n.Addr, "sf", partitions, rollingSegments(), opts...)
		wg.Add(1)
		go func() {
			defer wg.Done()
			got := consumeNumbered(t, n.Addr, "sf", partitions*count, opts...)
			mu.Lock()
			results[enable] = got
			mu.Unlock()
		}()
		prod := newClient(t, n.Addr, append([]kgo.Opt{kgo.ProducerLinger(time.Millisecond), kgo.RecordPartitioner(kgo.ManualPartitioner())}, opts...)...)
		if err := produceNumbered(testContext(t), prod, "sf", partitions, count); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for p := int32(0); p < partitions; p++ {
		on, off := results["true"][p], results["false"][p]
		if len(on) != count || len(off) != count {
			t.Fatalf("partition %d: %d records with sendfile, %d without, want %d", p, len(on), len(off), count)
		}
		for i := range on {
			if want := fmt.Sprintf("%d:%0200d", p, i); on[i] != want || off[i] != want {
				t.Fatalf("partition %d offset %d: %q with sendfile, %q without", p, i, on[i][:20], off[i][:20])
			}
		}
	}
}

// TestFetchSendfileUnderRetention proves that fetches served with sendfile
// stay correct while retention deletes the segments they read from: a
// consumer that falls behind the log start is told OFFSET_OUT_OF_RANGE or
// resets, and never reads a record that is not the one at its offset.
func TestFetchSendfileUnderRetention(t *testing.T) {
	n := nodetest.Start(t, "", sendfileProps("true"))
	retention := "40000"
	configs := rollingSegments()
	configs["retention.bytes"] = &retention
	createTopic(t, n.Addr, "sfr", 2, configs)
	ctx, cancel := context.WithTimeout(testContext(t), 4*time.Second)
	defer cancel()
	prod := newClient(t, n.Addr, kgo.ProducerLinger(time.Millisecond), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	produced := make(chan error, 1)
	go func() {
		var err error
		for ctx.Err() == nil && err == nil {
			err = produceNumbered(ctx, prod, "sfr", 2, 100)
		}
		produced <- err
	}()
	cl := newClient(t, n.Addr, kgo.ConsumeTopics("sfr"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxPartitionBytes(20000))
	read := 0
	for ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			// Values restart at 0 for each produceNumbered call: check
			// the partition and the shape, the offsets' order below.
			if p, _, ok := cutValue(string(r.Value)); !ok || p != int(r.Partition) {
				t.Fatalf("partition %d offset %d: value %q", r.Partition, r.Offset, string(r.Value))
			}
			read++
		})
	}
	if err := <-produced; err != nil && ctx.Err() == nil {
		t.Fatal(err)
	}
	offsets, err := kadm.NewClient(newClient(t, n.Addr)).ListStartOffsets(testContext(t), "sfr")
	if err != nil {
		t.Fatal(err)
	}
	if start, _ := offsets.Lookup("sfr", 0); start.Offset == 0 || read == 0 {
		t.Fatalf("log start offset %d, %d records read: retention did not delete under the consumer", start.Offset, read)
	}
}

// cutValue splits a value produceNumbered wrote.
func cutValue(v string) (partition, seq int, ok bool) {
	for i := range len(v) {
		if v[i] == ':' {
			p, err1 := strconv.Atoi(v[:i])
			s, err2 := strconv.Atoi(v[i+1:])
			return p, s, err1 == nil && err2 == nil && len(v)-i-1 == 200
		}
	}
	return 0, 0, false
}
