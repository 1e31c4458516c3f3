package partition

import (
	"fmt"
	"math"
	"testing"
	"time"

	"gregor/internal/record"
)

// benchBatch is a snappy batch of 16 records of 1 KiB of JSON-like text,
// as a producer sends them.
func benchBatch(b *testing.B) record.Batch {
	spec := record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Codec: record.CodecSnappy}
	for i := range 16 {
		v := []byte{}
		for j := 0; len(v) < 1024; j++ {
			v = fmt.Appendf(v, `{"id":%d,"user":"user-%d","score":%d},`, i*100+j, (i*100+j)*7, (i*j)%977)
		}
		spec.Records = append(spec.Records, record.Record{Timestamp: time.Now().UnixMilli(), Key: fmt.Appendf(nil, "k%d", i), Value: v[:1024]})
	}
	batch, err := record.Build(spec)
	if err != nil {
		b.Fatal(err)
	}
	return batch
}

// benchAppend appends batch as a leader b.N times and reports the
// uncompressed record bytes appended per second (MB/s).
func benchAppend(b *testing.B, cfg Config) {
	p := openPartition(b, cfg)
	batch := benchBatch(b)
	b.SetBytes(16 * 1024)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := p.AppendAsLeader([]record.Batch{batch}, 1, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendAsLeader is the leader append of a produce request with
// the topic's defaults (compression.type=producer): validation, producer
// state, the log.
func BenchmarkAppendAsLeader(b *testing.B) {
	benchAppend(b, Config{MaxMessageBytes: 1 << 20, MinInsyncReplicas: 1, TimestampBeforeMaxMs: math.MaxInt64, TimestampAfterMaxMs: math.MaxInt64})
}
