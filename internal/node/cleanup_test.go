package node_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/node/nodetest"
	"gregor/internal/record"
)

// waitFor polls cond every 20ms until it holds or 20s have passed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRetentionOverTheWire proves that the broker's retention task deletes
// a segment whose records are older than retention.ms: ListOffsets earliest
// moves to the first kept record and a fetch below it answers
// OFFSET_OUT_OF_RANGE, while the newer segment is served.
func TestRetentionOverTheWire(t *testing.T) {
	n := nodetest.Start(t, "", map[string]string{"log.retention.check.interval.ms": "20"})
	segmentMs, retentionMs, noDelay := "1", "600000", "0"
	createTopic(t, n.Addr, "ret", 1, map[string]*string{
		"segment.ms": &segmentMs, "retention.ms": &retentionMs, "file.delete.delay.ms": &noDelay})
	cl := newClient(t, n.Addr, kgo.DefaultProduceTopic("ret"))
	hourAgo := time.Now().Add(-time.Hour)
	var old []*kgo.Record
	for i := range 3 {
		old = append(old, &kgo.Record{Value: fmt.Appendf(nil, "old-%d", i), Timestamp: hourAgo})
	}
	if err := cl.ProduceSync(testContext(t), old...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // past segment.ms: the next batch rolls a new segment
	if err := cl.ProduceSync(testContext(t), &kgo.Record{Value: []byte("new")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	adm := kadm.NewClient(cl)
	start := func() int64 {
		l, err := adm.ListStartOffsets(testContext(t), "ret")
		if err != nil {
			t.Fatal(err)
		}
		o, _ := l.Lookup("ret", 0)
		return o.Offset
	}
	waitFor(t, "retention to delete the old segment", func() bool { return start() == 3 })
	// As Kafka, a consumer's fetch that fails answers no offsets.
	if p := rawFetch(t, cl, "ret", 0, 1, 1<<20, 1<<20, 0); p.ErrorCode != kerr.OffsetOutOfRange.Code || p.LogStartOffset != -1 || p.HighWatermark != -1 {
		t.Fatalf("fetch below the log start: code %d, log start %d", p.ErrorCode, p.LogStartOffset)
	}
	p := rawFetch(t, cl, "ret", 3, 1, 1<<20, 1<<20, 0)
	if got := fetchedValues(t, p.RecordBatches); p.ErrorCode != 0 || fmt.Sprint(got) != "[3=new]" {
		t.Fatalf("fetch at the log start: code %d, records %v", p.ErrorCode, got)
	}
}

// readFrom fetches partition 0 of topic from offset up to the high
// watermark (one segment per fetch, as Kafka serves) and decodes it with
// fetchedValues.
func readFrom(t *testing.T, cl *kgo.Client, topic string, offset int64) []string {
	t.Helper()
	var out []string
	for {
		p := rawFetch(t, cl, topic, offset, 1, 1<<20, 1<<20, 0)
		if p.ErrorCode != 0 {
			t.Fatalf("fetch %s at %d: code %d", topic, offset, p.ErrorCode)
		}
		bs, err := record.Split(p.RecordBatches)
		if err != nil || len(bs) == 0 {
			return out
		}
		out = append(out, fetchedValues(t, p.RecordBatches)...)
		if offset = bs[len(bs)-1].NextOffset(); offset >= p.HighWatermark {
			return out
		}
	}
}

// fetchedValues decodes fetched batches to "offset=value" ("offset" alone
// for a tombstone), keyed records as "offset:key=value".
func fetchedValues(t *testing.T, data []byte) []string {
	t.Helper()
	bs, err := record.Split(data)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range bs {
		rs, err := b.Records()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			s := fmt.Sprint(r.Offset)
			if r.Key != nil {
				s += ":" + string(r.Key)
			}
			if r.Value != nil {
				s += "=" + string(r.Value)
			}
			out = append(out, s)
		}
	}
	return out
}

// TestCompactionOverTheWire proves that the broker's log cleaner compacts a
// cleanup.policy=compact topic produced to with franz-go: a consumer from
// the start reads only the latest value of each key, at its original
// offset, a tombstone goes with the cleaning after its delete.retention.ms,
// and a record without a key is refused with INVALID_RECORD.
func TestCompactionOverTheWire(t *testing.T) {
	n := nodetest.Start(t, "", map[string]string{"log.cleaner.backoff.ms": "20"})
	compact, segmentMs, ratio, zero := "compact", "1", "0.01", "0"
	createTopic(t, n.Addr, "cmp", 1, map[string]*string{"cleanup.policy": &compact, "segment.ms": &segmentMs,
		"min.cleanable.dirty.ratio": &ratio, "delete.retention.ms": &zero, "file.delete.delay.ms": &zero})
	cl := newClient(t, n.Addr, kgo.DefaultProduceTopic("cmp"), kgo.ProducerBatchCompression(kgo.ZstdCompression()))
	produce := func(rs ...*kgo.Record) {
		t.Helper()
		time.Sleep(5 * time.Millisecond) // past segment.ms: each produce starts a segment
		if err := cl.ProduceSync(testContext(t), rs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 3 { // offsets 0-11
		var rs []*kgo.Record
		for k := range 4 {
			rs = append(rs, &kgo.Record{Key: fmt.Appendf(nil, "k%d", k), Value: fmt.Appendf(nil, "v%d", round)})
		}
		produce(rs...)
	}
	produce(&kgo.Record{Key: []byte("k3")})                        // a tombstone, offset 12
	produce(&kgo.Record{Key: []byte("k0"), Value: []byte("last")}) // offset 13, in the active segment
	read := func() string { return fmt.Sprint(readFrom(t, cl, "cmp", 0)) }
	// The active segment is never cleaned, so k0=v2 stays until 13 is in a
	// closed segment; the first cleaning of the tombstone keeps it.
	want := "[8:k0=v2 9:k1=v2 10:k2=v2 12:k3 13:k0=last]"
	waitFor(t, "the cleaner to compact the topic to "+want, func() bool { return read() == want })
	produce(&kgo.Record{Key: []byte("a"), Value: []byte("1")})
	produce(&kgo.Record{Key: []byte("b"), Value: []byte("2")})
	want = "[9:k1=v2 10:k2=v2 13:k0=last 14:a=1 15:b=2]"
	waitFor(t, "the next cleaning to give "+want, func() bool { return read() == want })

	var got []string
	for _, r := range consumeAll(t, n.Addr, "cmp", 5) {
		got = append(got, fmt.Sprintf("%d:%s=%s", r.Offset, r.Key, r.Value))
	}
	if fmt.Sprint(got) != want {
		t.Fatalf("consumer read %v, want %s", got, want)
	}
	err := cl.ProduceSync(testContext(t), &kgo.Record{Value: []byte("no key")}).FirstErr()
	if !errors.Is(err, kerr.InvalidRecord) {
		t.Fatalf("record without a key on a compacted topic: %v", err)
	}
}
