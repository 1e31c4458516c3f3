package node_test

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
)

// TestFetchOfCorruptBatch proves, over a real socket, that a batch damaged
// on disk after a clean shutdown (so that the restart does not re-read it)
// is not served: a fetch from before it gets the batches before it, a
// fetch at it gets CORRUPT_MESSAGE for that partition, and the batches
// after it are still served.
func TestFetchOfCorruptBatch(t *testing.T) {
	dir := t.TempDir()
	n := nodetest.Start(t, dir, nil)
	createTopic(t, n.Addr, "c", 1, nil)
	cl := newClient(t, n.Addr, kgo.DisableIdempotentWrite())
	// One batch per record, 30 KB in all: the damage at offset 5 lies below
	// the last offset-index entry, where a restart's recovery starts.
	for range 30 {
		if err := cl.ProduceSync(testContext(t), &kgo.Record{Topic: "c", Value: randomBytes(1000)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	n.Shutdown()
	corruptBatchAt(t, filepath.Join(dir, "c-0", "00000000000000000000.log"), 5)

	n = nodetest.Start(t, dir, nil)
	cl = newClient(t, n.Addr)
	for _, c := range []struct {
		from    int64
		code    int16
		records int
	}{{0, 0, 5}, {5, kerr.CorruptMessage.Code, 0}, {6, 0, 24}} {
		code, got := fetchOnce(t, cl, "c", c.from)
		for deadline := time.Now().Add(10 * time.Second); code != c.code && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond) // the restarted node is still loading its metadata
			code, got = fetchOnce(t, cl, "c", c.from)
		}
		if code != c.code || got != c.records {
			t.Fatalf("fetch from %d: error %d, %d records; want %d, %d", c.from, code, got, c.code, c.records)
		}
	}
}

// corruptBatchAt flips a byte in the records of the batch based at offset.
func corruptBatchAt(t *testing.T, path string, offset int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for pos := 0; pos+61 <= len(data); pos += 12 + int(binary.BigEndian.Uint32(data[pos+8:])) {
		if int64(binary.BigEndian.Uint64(data[pos:])) == offset {
			data[pos+61+3] ^= 0xff
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no batch at offset %d in %s", offset, path)
}

// fetchOnce sends one Fetch for partition 0 of topic from offset and
// returns the partition's error code and the records of the batches.
func fetchOnce(t *testing.T, cl *kgo.Client, topic string, from int64) (int16, int) {
	t.Helper()
	req := kmsg.NewPtrFetchRequest()
	req.MaxWaitMillis = 0
	req.MaxBytes = 1 << 20
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	topics, err := kadm.NewClient(cl).ListTopics(testContext(t), topic)
	if err != nil {
		t.Fatal(err)
	}
	rt.TopicID = topics[topic].ID // the client picks the newest version, which names topics by id
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.FetchOffset = from
	rp.PartitionMaxBytes = 1 << 20
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		t.Fatalf("fetch answered %d topics", len(resp.Topics))
	}
	p := resp.Topics[0].Partitions[0]
	records := 0
	for data := p.RecordBatches; len(data) >= 61; data = data[12+int(binary.BigEndian.Uint32(data[8:])):] {
		records += int(binary.BigEndian.Uint32(data[57:]))
	}
	return p.ErrorCode, records
}
