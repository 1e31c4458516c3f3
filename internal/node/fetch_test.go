package node_test

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
	"gregor/internal/record"
)

// rawFetch sends one sessionless fetch of partition 0 of topic.
func rawFetch(t *testing.T, cl *kgo.Client, topic string, offset int64, minBytes, maxBytes, partitionMax, maxWaitMs int32) kmsg.FetchResponseTopicPartition {
	t.Helper()
	req := kmsg.NewPtrFetchRequest()
	req.SessionEpoch = -1
	req.MinBytes, req.MaxBytes, req.MaxWaitMillis = minBytes, maxBytes, maxWaitMs
	p := kmsg.NewFetchRequestTopicPartition()
	p.Partition, p.FetchOffset, p.PartitionMaxBytes = 0, offset, partitionMax
	req.Topics = []kmsg.FetchRequestTopic{{Topic: topic, TopicID: topicID(t, cl, topic), Partitions: []kmsg.FetchRequestTopicPartition{p}}}
	resp, err := req.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ErrorCode != 0 || len(resp.Topics) != 1 {
		t.Fatalf("fetch: code %d, %d topics", resp.ErrorCode, len(resp.Topics))
	}
	return resp.Topics[0].Partitions[0]
}

// TestFetchLongPoll proves max_wait_ms and min_bytes: a fetch with no data
// waits for an append and returns as soon as it lands, and one that finds
// nothing returns empty after max_wait_ms.
func TestFetchLongPoll(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	createTopic(t, n.Addr, "poll", 1, nil)
	cl := newClient(t, n.Addr)

	start := time.Now()
	empty := rawFetch(t, cl, "poll", 0, 1, 1<<20, 1<<20, 300)
	if waited := time.Since(start); len(empty.RecordBatches) != 0 || waited < 250*time.Millisecond {
		t.Fatalf("empty fetch returned %d bytes after %v", len(empty.RecordBatches), waited)
	}
	if empty.RecordBatches == nil {
		t.Fatal("empty fetch answered a null record set; Kafka (and librdkafka) use an empty one")
	}

	go func() {
		time.Sleep(200 * time.Millisecond)
		cl.ProduceSync(testContext(t), &kgo.Record{Topic: "poll", Value: []byte("wake")})
	}()
	start = time.Now()
	got := rawFetch(t, cl, "poll", 0, 1, 1<<20, 1<<20, 10000)
	if waited := time.Since(start); len(got.RecordBatches) == 0 || waited > 5*time.Second {
		t.Fatalf("long poll returned %d bytes after %v", len(got.RecordBatches), waited)
	}
}

// TestFetchByteLimits proves max_bytes and partition_max_bytes return whole
// batches only, and KIP-74: the first batch is returned whole even when it
// is larger than both limits.
func TestFetchByteLimits(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	createTopic(t, n.Addr, "limits", 1, nil)
	cl := newClient(t, n.Addr, kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.ProducerLinger(0), kgo.MaxBufferedRecords(1))
	for i := 0; i < 10; i++ {
		if err := cl.ProduceSync(testContext(t), &kgo.Record{Topic: "limits", Value: randomBytes(10000)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	count := func(p kmsg.FetchResponseTopicPartition) int {
		batches, err := record.Split(p.RecordBatches)
		if err != nil {
			t.Fatalf("fetch returned a partial batch: %v", err)
		}
		return len(batches)
	}
	if got := count(rawFetch(t, cl, "limits", 0, 1, 25000, 1<<20, 0)); got != 2 {
		t.Fatalf("max_bytes 25000 over 10 KB batches returned %d batches, want 2", got)
	}
	if got := count(rawFetch(t, cl, "limits", 0, 1, 1<<20, 25000, 0)); got != 2 {
		t.Fatalf("partition_max_bytes 25000 returned %d batches, want 2", got)
	}
	if got := count(rawFetch(t, cl, "limits", 3, 1, 10, 10, 0)); got != 1 {
		t.Fatalf("limits below one batch returned %d batches, want the first one whole", got)
	}
	if got := count(rawFetch(t, cl, "limits", 0, 1, 1<<20, 1<<20, 0)); got != 10 {
		t.Fatalf("unbounded fetch returned %d batches", got)
	}
}
