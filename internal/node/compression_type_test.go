package node_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"gregor/internal/node/nodetest"
	"gregor/internal/record"
)

// storedBatches fetches topic's partition 0 from offset 0 with a raw Fetch
// and returns its batches as stored.
func storedBatches(t *testing.T, cl *kgo.Client, topic string) []record.Batch {
	t.Helper()
	p := rawFetch(t, cl, topic, 0, 1, 1<<20, 1<<20, 1000)
	if p.ErrorCode != 0 {
		t.Fatalf("fetch %s: code %d", topic, p.ErrorCode)
	}
	bs, err := record.Split(p.RecordBatches)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if err := b.Validate(); err != nil {
			t.Fatalf("stored batch at %d: %v", b.BaseOffset(), err)
		}
	}
	return bs
}

func codecsOf(bs []record.Batch) []record.Codec {
	var out []record.Codec
	for _, b := range bs {
		out = append(out, b.Codec())
	}
	return out
}

func sampleKgoRecords(topic string, n int) []*kgo.Record {
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	var rs []*kgo.Record
	for i := range n {
		rs = append(rs, &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf("key-%d", i)),
			Value:     bytes.Repeat([]byte(fmt.Sprintf("value-%d ", i)), 20),
			Headers:   []kgo.RecordHeader{{Key: "h", Value: []byte(fmt.Sprint(i))}, {Key: "empty"}},
			Timestamp: base.Add(time.Duration(i) * time.Millisecond)})
	}
	return rs
}

// TestCompressionTypeRecompresses proves that a topic whose
// compression.type is zstd stores a snappy producer's batches as zstd,
// idempotent (producer id and sequences kept), and that every record
// comes back with its key, value, headers, timestamp and offset.
func TestCompressionTypeRecompresses(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	zstd := "zstd"
	createTopic(t, n.Addr, "to-zstd", 1, map[string]*string{"compression.type": &zstd})
	cl := newClient(t, n.Addr, kgo.ProducerBatchCompression(kgo.SnappyCompression()), kgo.ProducerLinger(0))
	sent := sampleKgoRecords("to-zstd", 30)
	for _, batch := range [][]*kgo.Record{sent[:10], sent[10:]} {
		if err := cl.ProduceSync(testContext(t), batch...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	stored := storedBatches(t, cl, "to-zstd")
	if len(stored) < 2 {
		t.Fatalf("%d batches stored, want at least 2", len(stored))
	}
	nextSeq := int32(0)
	for _, b := range stored {
		if b.Codec() != record.CodecZstd || b.ProducerID() < 0 || b.BaseSequence() != nextSeq {
			t.Fatalf("batch at %d: codec %s, producer id %d, base sequence %d (want zstd, an id, %d)", b.BaseOffset(), b.Codec(), b.ProducerID(), b.BaseSequence(), nextSeq)
		}
		nextSeq += b.NumRecords()
	}
	got := consumeAll(t, n.Addr, "to-zstd", len(sent))
	for i, r := range got {
		w := sent[i]
		if r.Offset != int64(i) || !bytes.Equal(r.Key, w.Key) || !bytes.Equal(r.Value, w.Value) || !r.Timestamp.Equal(w.Timestamp) ||
			len(r.Headers) != 2 || r.Headers[0].Key != "h" || string(r.Headers[0].Value) != string(w.Headers[0].Value) || r.Headers[1].Key != "empty" || r.Headers[1].Value != nil {
			t.Fatalf("record %d: offset %d key %q timestamp %v headers %v; sent key %q timestamp %v", i, r.Offset, r.Key, r.Timestamp, r.Headers, w.Key, w.Timestamp)
		}
	}
}

// TestCompressionTypeTargets proves the other targets: uncompressed
// decompresses, producer (the default, also when set) keeps the producer's
// codec, a broker default applies to topics without an override, and a
// topic's compression.type changed by IncrementalAlterConfigs applies to
// the next batch.
func TestCompressionTypeTargets(t *testing.T) {
	n := nodetest.Start(t, "", map[string]string{"compression.type": "lz4"})
	uncompressed, producer := "uncompressed", "producer"
	createTopic(t, n.Addr, "plain", 1, map[string]*string{"compression.type": &uncompressed})
	createTopic(t, n.Addr, "kept", 1, map[string]*string{"compression.type": &producer})
	createTopic(t, n.Addr, "default", 1, nil)
	gzipClient := newClient(t, n.Addr, kgo.ProducerBatchCompression(kgo.GzipCompression()), kgo.ProducerLinger(0))
	for _, topic := range []string{"plain", "kept", "default"} {
		if err := gzipClient.ProduceSync(testContext(t), sampleKgoRecords(topic, 5)...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	for topic, want := range map[string]record.Codec{"plain": record.CodecNone, "kept": record.CodecGzip, "default": record.CodecLZ4} {
		// The client may split the five records into more than one batch.
		if got := codecsOf(storedBatches(t, gzipClient, topic)); len(got) == 0 || slices.ContainsFunc(got, func(c record.Codec) bool { return c != want }) {
			t.Fatalf("%s: stored codecs %v, want only %s", topic, got, want)
		}
		if got := consumeAll(t, n.Addr, topic, 5); len(got) != 5 || string(got[4].Key) != "key-4" {
			t.Fatalf("%s: consumed %d records", topic, len(got))
		}
	}

	zstd := "zstd"
	if err := alterTopic(t, kadm.NewClient(gzipClient), "kept", kadm.SetConfig, "compression.type", &zstd); err != nil {
		t.Fatal(err)
	}
	if err := gzipClient.ProduceSync(testContext(t), sampleKgoRecords("kept", 3)...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	got := codecsOf(storedBatches(t, gzipClient, "kept"))
	i := slices.IndexFunc(got, func(c record.Codec) bool { return c != record.CodecGzip })
	if i <= 0 || slices.ContainsFunc(got[i:], func(c record.Codec) bool { return c != record.CodecZstd }) {
		t.Fatalf("after altering compression.type to zstd: stored codecs %v, want gzip then zstd", got)
	}
}

// TestCompressionTypeTransactional proves that a transactional producer's
// batches keep their transactional bit when recompressed, that the commit
// marker stays an uncompressed control batch, and that read_committed
// consumers see the records.
func TestCompressionTypeTransactional(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	zstd := "zstd"
	createTopic(t, n.Addr, "txn-zstd", 1, map[string]*string{"compression.type": &zstd})
	cl := newClient(t, n.Addr, kgo.TransactionalID("comp-txn"), kgo.ProducerBatchCompression(kgo.SnappyCompression()), kgo.ProducerLinger(0))
	ctx := testContext(t)
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, sampleKgoRecords("txn-zstd", 4)...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	stored := storedBatches(t, cl, "txn-zstd")
	if len(stored) != 2 {
		t.Fatalf("%d batches stored, want a data batch and a marker", len(stored))
	}
	data, marker := stored[0], stored[1]
	if data.Codec() != record.CodecZstd || !data.IsTransactional() || data.IsControl() || data.ProducerID() < 0 {
		t.Fatalf("data batch: codec %s transactional %v control %v", data.Codec(), data.IsTransactional(), data.IsControl())
	}
	if marker.Codec() != record.CodecNone || !marker.IsControl() || !marker.IsTransactional() {
		t.Fatalf("marker: codec %s control %v transactional %v", marker.Codec(), marker.IsControl(), marker.IsTransactional())
	}
	if got := consumeAll(t, n.Addr, "txn-zstd", 4, kgo.FetchIsolationLevel(kgo.ReadCommitted())); len(got) != 4 {
		t.Fatalf("read_committed consumed %d records", len(got))
	}
}

// TestCompressionTypeRetriedBatch proves that a retried idempotent batch
// that the leader recompressed is still answered as a duplicate, with its
// original offset, and not written again.
func TestCompressionTypeRetriedBatch(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	zstd := "zstd"
	createTopic(t, n.Addr, "retry-zstd", 1, map[string]*string{"compression.type": &zstd})
	cl := newClient(t, n.Addr)
	pid := initProducerID(t, cl)
	batch := func(seq int32) []byte {
		b, err := record.Build(record.BatchSpec{ProducerID: pid, BaseSequence: seq, Codec: record.CodecSnappy,
			Records: []record.Record{{Timestamp: time.Now().UnixMilli(), Value: []byte("a")}, {Timestamp: time.Now().UnixMilli(), Value: []byte("b")}}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	first := batch(0)
	for i, raw := range [][]byte{first, batch(2), first} {
		resp := produceRaw(t, cl, "retry-zstd", raw)
		want := []int64{0, 2, 0}[i]
		if resp.ErrorCode != 0 || resp.BaseOffset != want {
			t.Fatalf("produce %d: code %d base offset %d, want 0 and %d", i, resp.ErrorCode, resp.BaseOffset, want)
		}
	}
	if got := codecsOf(storedBatches(t, cl, "retry-zstd")); len(got) != 2 || got[0] != record.CodecZstd || got[1] != record.CodecZstd {
		t.Fatalf("stored codecs %v, want [zstd zstd]", got)
	}
}

// TestCompressionTypeFollowerCopies proves that a follower stores the
// batches its leader recompressed byte for byte: recompression happens once,
// on the leader.
func TestCompressionTypeFollowerCopies(t *testing.T) {
	c := nodetest.StartCluster(t, 2, nil)
	zstd := "zstd"
	cl := newClient(t, c.Nodes[0].Addr, kgo.ProducerBatchCompression(kgo.SnappyCompression()), kgo.ProducerLinger(0))
	resp, err := kadm.NewClient(cl).CreateTopics(testContext(t), 1, 2, map[string]*string{"compression.type": &zstd}, "replicated-zstd")
	if err != nil || resp["replicated-zstd"].Err != nil {
		t.Fatalf("create: %v %v", err, resp["replicated-zstd"].Err)
	}
	if err := cl.ProduceSync(testContext(t), sampleKgoRecords("replicated-zstd", 20)...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	segment := func(i int) []byte {
		b, _ := os.ReadFile(filepath.Join(c.Nodes[i].Dir, "replicated-zstd-0", "00000000000000000000.log"))
		return b
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(segment(0)) == 0 || !bytes.Equal(segment(0), segment(1)) {
		if time.Now().After(deadline) {
			t.Fatalf("the replicas' segments differ: %d and %d bytes", len(segment(0)), len(segment(1)))
		}
		time.Sleep(50 * time.Millisecond)
	}
	bs, err := record.Split(segment(1))
	if err != nil || len(bs) == 0 {
		t.Fatalf("follower segment: %d batches, %v", len(bs), err)
	}
	for _, b := range bs {
		if b.Codec() != record.CodecZstd {
			t.Fatalf("replica batch at %d is %s, want zstd", b.BaseOffset(), b.Codec())
		}
	}
}

// TestCompressionTypeZstdOldFetch proves that, as in Kafka, a topic whose
// compression.type is zstd answers UNSUPPORTED_COMPRESSION_TYPE to a Fetch
// older than v10, and its records to v10; other topics answer v9.
func TestCompressionTypeZstdOldFetch(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	zstd, lz4 := "zstd", "lz4"
	createTopic(t, n.Addr, "old-zstd", 1, map[string]*string{"compression.type": &zstd})
	createTopic(t, n.Addr, "old-lz4", 1, map[string]*string{"compression.type": &lz4})
	cl := newClient(t, n.Addr)
	for _, topic := range []string{"old-zstd", "old-lz4"} {
		if err := cl.ProduceSync(testContext(t), sampleKgoRecords(topic, 2)...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		topic   string
		version int16
		code    int16
	}{{"old-zstd", 9, kerr.UnsupportedCompressionType.Code}, {"old-zstd", 10, 0}, {"old-lz4", 9, 0}} {
		versions := kversion.Stable()
		versions.SetMaxKeyVersion(1, c.version) // kgo sends the highest version both sides have
		cl := newClient(t, n.Addr, kgo.MaxVersions(versions))
		req := kmsg.NewPtrFetchRequest()
		req.Version, req.MaxBytes, req.MaxWaitMillis, req.MinBytes = c.version, 1<<20, 100, 1
		p := kmsg.NewFetchRequestTopicPartition()
		p.PartitionMaxBytes = 1 << 20
		req.Topics = []kmsg.FetchRequestTopic{{Topic: c.topic, Partitions: []kmsg.FetchRequestTopicPartition{p}}}
		resp, err := req.RequestWith(testContext(t), cl)
		if err != nil {
			t.Fatal(err)
		}
		got := resp.Topics[0].Partitions[0]
		if got.ErrorCode != c.code || (c.code == 0) != (len(got.RecordBatches) > 0) {
			t.Fatalf("%s fetch v%d: code %d, %d bytes; want code %d", c.topic, c.version, got.ErrorCode, len(got.RecordBatches), c.code)
		}
	}
}
