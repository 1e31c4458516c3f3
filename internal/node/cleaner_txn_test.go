package node_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
	"gregor/internal/record"
)

// TestCompactionOfTransactionsOverTheWire proves Kafka's transactional
// cleaning end to end, at transaction.version 1: two franz-go transactional producers interleave
// committed and aborted transactions on a compacted topic with one segment
// per produce; a transaction still open holds the cleaner back; the
// cleaner removes every aborted record, so that a read_uncommitted consumer
// sees none and a read_committed one sees exactly the latest committed
// value of each key, and the markers of the transactions left without data
// go after delete.retention.ms while those of transactions with data stay.
func TestCompactionOfTransactionsOverTheWire(t *testing.T) {
	props := map[string]string{"log.cleaner.backoff.ms": "20"}
	for k, v := range txnProps {
		props[k] = v
	}
	n := nodetest.Start(t, "", props)
	// At transaction.version 1 the producers keep their epoch across
	// transactions, so a producer's last data batch holds its state after
	// the marker, as this test expects (at 2, compat/kafka/cleaner-diff
	// compares the cleaned log with Kafka's).
	setTransactionVersion(t, n.Addr, 1)
	compact, segmentMs, ratio, retention, zero := "compact", "1", "0.01", "500", "0"
	createTopic(t, n.Addr, "ctxn", 1, map[string]*string{"cleanup.policy": &compact, "segment.ms": &segmentMs,
		"min.cleanable.dirty.ratio": &ratio, "delete.retention.ms": &retention, "file.delete.delay.ms": &zero})
	a, b := txnClient(t, n.Addr, "cleaner-a"), txnClient(t, n.Addr, "cleaner-b")
	txn := func(cl *kgo.Client, commit bool, kvs ...string) {
		t.Helper()
		ctx := testContext(t)
		if err := cl.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(kvs); i += 2 {
			time.Sleep(5 * time.Millisecond) // past segment.ms: each batch starts a segment
			r := &kgo.Record{Topic: "ctxn", Key: []byte(kvs[i]), Value: []byte(kvs[i+1])}
			if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		if err := cl.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
			t.Fatal(err)
		}
	}
	txn(a, true, "k1", "a1", "k2", "a1")
	txn(b, false, "k1", "bx", "k3", "bx")
	txn(a, false, "k2", "ax")
	txn(b, true, "k3", "b1")
	txn(a, true, "k1", "a2")
	// b's next transaction, open, writes k1 again: nothing from its first
	// batch on is cleaned until it ends, so k1=a2 stays, and goes on
	// staying once the transaction aborts.
	if err := b.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := b.ProduceSync(testContext(t), &kgo.Record{Topic: "ctxn", Key: []byte("k1"), Value: []byte("bx")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	plain := newClient(t, n.Addr, kgo.DefaultProduceTopic("ctxn"))
	filler := 0
	produceFiller := func() {
		t.Helper()
		time.Sleep(5 * time.Millisecond)
		filler++
		r := &kgo.Record{Key: []byte("filler"), Value: fmt.Appendf(nil, "%d", filler)}
		if err := plain.ProduceSync(testContext(t), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	produceFiller()
	produceFiller()
	time.Sleep(300 * time.Millisecond) // cleanings run meanwhile
	if got := uncommittedValues(t, plain, "ctxn"); !slices.Contains(got, "k1=a2") || !slices.Contains(got, "k1=bx") {
		t.Fatalf("cleaned past the open transaction: %v", got)
	}
	if err := b.EndTransaction(testContext(t), kgo.TryAbort); err != nil {
		t.Fatal(err)
	}

	clean := func() bool {
		produceFiller() // a new segment to clean
		for _, v := range uncommittedValues(t, plain, "ctxn") {
			if strings.HasSuffix(v, "x") {
				return false
			}
		}
		return true
	}
	waitFor(t, "the cleaner to remove the aborted records", clean)
	const want = "[k2=a1 k3=b1 k1=a2]" // in offset order
	if got := fmt.Sprint(withoutFiller(uncommittedValues(t, plain, "ctxn"))); got != want {
		t.Fatalf("read_uncommitted: %s, want %s", got, want)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		produceFiller()
		// Left: a's two commits and b's commit, whose transactions have
		// data, and b's last abort: its data batch is b's last, which
		// stays as an empty header to keep b's sequence, as in Kafka.
		if markersWithRecords(t, plain, "ctxn") == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for the markers of the transactions without data to go: %s", describeBatches(t, plain, "ctxn"))
		}
	}
	last := fmt.Sprintf("filler=%d", filler)
	for _, iso := range []kgo.IsolationLevel{kgo.ReadUncommitted(), kgo.ReadCommitted()} {
		got := consumeKeyed(t, n.Addr, "ctxn", last, iso)
		if fmt.Sprint(withoutFiller(got)) != want || got[len(got)-1] != last {
			t.Fatalf("consumer (%v) read %v, want %s then fillers up to %s", iso, got, want, last)
		}
	}
	// The aborted transactions a read_committed fetch lists are those
	// whose markers stay: here only b's last, whose data is an empty header.
	empty := map[int64]bool{}
	for _, b := range allBatches(t, plain, "ctxn") {
		empty[b.BaseOffset()] = b.NumRecords() == 0 && b.IsTransactional()
	}
	p := fetchIsolated(t, plain, "ctxn", 1)
	if len(p.AbortedTransactions) != 1 || !empty[p.AbortedTransactions[0].FirstOffset] || p.LastStableOffset != p.HighWatermark {
		t.Fatalf("read_committed fetch: aborted %v, last stable %d, high watermark %d; batches %s",
			p.AbortedTransactions, p.LastStableOffset, p.HighWatermark, describeBatches(t, plain, "ctxn"))
	}
}

// fetchIsolated fetches partition 0 of topic from offset 0 at the
// isolation level given (1: read_committed).
func fetchIsolated(t *testing.T, cl *kgo.Client, topic string, isolation int8) kmsg.FetchResponseTopicPartition {
	t.Helper()
	req := kmsg.NewPtrFetchRequest()
	req.SessionEpoch, req.MaxBytes, req.IsolationLevel = -1, 1<<20, isolation
	p := kmsg.NewFetchRequestTopicPartition()
	p.PartitionMaxBytes = 1 << 20
	req.Topics = []kmsg.FetchRequestTopic{{Topic: topic, TopicID: topicID(t, cl, topic), Partitions: []kmsg.FetchRequestTopicPartition{p}}}
	resp, err := req.RequestWith(testContext(t), cl)
	if err != nil || len(resp.Topics) != 1 || resp.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("fetch: %v %+v", err, resp)
	}
	return resp.Topics[0].Partitions[0]
}

// allBatches fetches every batch of partition 0 of topic up to the high
// watermark, read_uncommitted.
func allBatches(t *testing.T, cl *kgo.Client, topic string) []record.Batch {
	t.Helper()
	var out []record.Batch
	for offset := int64(0); ; {
		p := rawFetch(t, cl, topic, offset, 1, 1<<20, 1<<20, 0)
		if p.ErrorCode != 0 {
			t.Fatalf("fetch %s at %d: code %d", topic, offset, p.ErrorCode)
		}
		bs, err := record.Split(p.RecordBatches)
		if err != nil {
			t.Fatal(err)
		}
		if len(bs) == 0 {
			return out
		}
		out = append(out, bs...)
		if offset = bs[len(bs)-1].NextOffset(); offset >= p.HighWatermark {
			return out
		}
	}
}

// uncommittedValues is what a read_uncommitted reader gets: "key=value" of
// every record outside control batches.
func uncommittedValues(t *testing.T, cl *kgo.Client, topic string) []string {
	t.Helper()
	var out []string
	for _, b := range allBatches(t, cl, topic) {
		if b.IsControl() {
			continue
		}
		rs, err := b.Records()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			out = append(out, fmt.Sprintf("%s=%s", r.Key, r.Value))
		}
	}
	return out
}

func describeBatches(t *testing.T, cl *kgo.Client, topic string) string {
	var out []string
	for _, b := range allBatches(t, cl, topic) {
		s := fmt.Sprintf("%d-%d/%d pid %d", b.BaseOffset(), b.LastOffset(), b.NumRecords(), b.ProducerID())
		if b.IsControl() {
			s += " control"
		}
		if b.IsTransactional() {
			s += " txn"
		}
		out = append(out, s)
	}
	return strings.Join(out, "; ")
}

// markersWithRecords counts the control batches that still hold a marker.
func markersWithRecords(t *testing.T, cl *kgo.Client, topic string) int {
	t.Helper()
	n := 0
	for _, b := range allBatches(t, cl, topic) {
		if b.IsControl() && b.NumRecords() > 0 {
			n++
		}
	}
	return n
}

// consumeKeyed reads topic from the start with a consumer at the isolation
// level given, as "key=value", until it reads last (at most 10s).
func consumeKeyed(t *testing.T, addr, topic, last string, iso kgo.IsolationLevel) []string {
	t.Helper()
	cl := newClient(t, addr, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(iso))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []string
	for !slices.Contains(out, last) && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { out = append(out, fmt.Sprintf("%s=%s", r.Key, r.Value)) })
	}
	if len(out) == 0 {
		t.Fatalf("consumer read nothing")
	}
	return out
}

func withoutFiller(vs []string) []string {
	return slices.DeleteFunc(slices.Clone(vs), func(v string) bool { return strings.HasPrefix(v, "filler=") })
}
