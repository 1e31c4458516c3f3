package node_test

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
	"gregor/internal/record"
)

// TestFetchMaxBytesConfig proves that the broker's fetch.max.bytes bounds
// a fetch that asks for more, as Kafka's min(max_bytes, fetch.max.bytes):
// with 1024 a fetch of 1 MiB over two partitions, each holding three
// batches of about 700 bytes, returns the first batch of the first
// partition only; with the default it returns all six.
func TestFetchMaxBytesConfig(t *testing.T) {
	for _, tc := range []struct {
		props        map[string]string
		wantBatches0 int
		wantBatches1 int
	}{
		{map[string]string{"fetch.max.bytes": "1024"}, 1, 0},
		{nil, 3, 3},
	} {
		n := nodetest.Start(t, "", tc.props)
		createTopic(t, n.Addr, "fmb", 2, nil)
		cl := newClient(t, n.Addr, kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.RecordPartitioner(kgo.ManualPartitioner()))
		for p := int32(0); p < 2; p++ {
			for i := 0; i < 3; i++ { // one ProduceSync, one batch
				r := &kgo.Record{Topic: "fmb", Partition: p, Value: randomBytes(600)}
				if err := cl.ProduceSync(testContext(t), r).FirstErr(); err != nil {
					t.Fatal(err)
				}
			}
		}
		fetch := kmsg.NewPtrFetchRequest()
		fetch.MaxBytes, fetch.SessionEpoch = 1<<20, -1
		id := topicID(t, cl, "fmb")
		fetch.Topics = []kmsg.FetchRequestTopic{{Topic: "fmb", TopicID: id, Partitions: []kmsg.FetchRequestTopicPartition{
			{Partition: 0, PartitionMaxBytes: 1 << 20, CurrentLeaderEpoch: -1, LastFetchedEpoch: -1},
			{Partition: 1, PartitionMaxBytes: 1 << 20, CurrentLeaderEpoch: -1, LastFetchedEpoch: -1},
		}}}
		resp, err := fetch.RequestWith(testContext(t), cl)
		if err != nil {
			t.Fatal(err)
		}
		got := map[int32]int{}
		for _, p := range resp.Topics[0].Partitions {
			if p.ErrorCode != 0 {
				t.Fatalf("partition %d: error %d", p.Partition, p.ErrorCode)
			}
			got[p.Partition] = len(splitBatches(t, p.RecordBatches))
		}
		if got[0] != tc.wantBatches0 || got[1] != tc.wantBatches1 {
			t.Fatalf("props %v: batches %v, want %d and %d", tc.props, got, tc.wantBatches0, tc.wantBatches1)
		}
	}
}

// splitBatches splits a partition's records into their batches.
func splitBatches(t *testing.T, b []byte) []record.Batch {
	t.Helper()
	batches, err := record.Split(b)
	if err != nil {
		t.Fatal(err)
	}
	return batches
}

// TestOffsetsTopicCompressionCodecConfig proves that the group coordinator
// writes __consumer_offsets with offsets.topic.compression.codec (1, gzip,
// here), as Kafka does, and reads its compressed batches back after a
// restart.
func TestOffsetsTopicCompressionCodecConfig(t *testing.T) {
	dir := t.TempDir()
	props := map[string]string{"offsets.topic.compression.codec": "1", "offsets.topic.num.partitions": "1"}
	n := nodetest.Start(t, dir, props)
	createTopic(t, n.Addr, "occ", 1, nil)
	cl := newClient(t, n.Addr)
	offsets := kadm.Offsets{}
	offsets.Add(kadm.Offset{Topic: "occ", Partition: 0, At: 7, LeaderEpoch: -1, Metadata: "m"})
	committed, err := kadm.NewClient(cl).CommitOffsets(testContext(t), "cg", offsets)
	if err != nil || committed.Error() != nil {
		t.Fatalf("commit: %v %v", err, committed.Error())
	}
	fetch := kmsg.NewPtrFetchRequest()
	fetch.MaxBytes, fetch.SessionEpoch = 1<<20, -1
	fetch.Topics = []kmsg.FetchRequestTopic{{Topic: "__consumer_offsets", TopicID: topicID(t, cl, "__consumer_offsets"),
		Partitions: []kmsg.FetchRequestTopicPartition{{Partition: 0, PartitionMaxBytes: 1 << 20, CurrentLeaderEpoch: -1, LastFetchedEpoch: -1}}}}
	resp, err := fetch.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	p := resp.Topics[0].Partitions[0]
	batches := splitBatches(t, p.RecordBatches)
	if p.ErrorCode != 0 || len(batches) == 0 {
		t.Fatalf("__consumer_offsets: error %d, %d batches", p.ErrorCode, len(batches))
	}
	for _, b := range batches {
		if b.Codec() != record.CodecGzip {
			t.Fatalf("batch at %d has codec %v, want gzip", b.BaseOffset(), b.Codec())
		}
	}

	n.Shutdown()
	n = nodetest.Start(t, dir, props)
	got, err := kadm.NewClient(newClient(t, n.Addr)).FetchOffsets(testContext(t), "cg")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := got.Lookup("occ", 0); o.At != 7 || o.Metadata != "m" {
		t.Fatalf("after a restart: %+v, want offset 7 with metadata m", o.Offset)
	}
}
