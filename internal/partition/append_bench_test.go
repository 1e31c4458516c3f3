package partition

import (
	"fmt"
	"math"
	"testing"
	"time"

	"gregor/internal/record"
)

// benchBatch is a batch of 16 records of 1 KiB of JSON-like text in
// codec, as a producer sends them.
func benchBatch(b *testing.B, codec record.Codec) record.Batch {
	spec := record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Codec: codec}
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

// benchAppend appends a batch of benchBatch in codec as a leader b.N
// times and reports the uncompressed record bytes appended per second
// (MB/s).
func benchAppend(b *testing.B, cfg Config, codec record.Codec) {
	p := openPartition(b, cfg)
	batch := benchBatch(b, codec)
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
// the topic's defaults (compression.type=producer): validation (every
// record decoded, the snappy batch inflated), producer state, the log.
func BenchmarkAppendAsLeader(b *testing.B) {
	benchAppend(b, Config{MaxMessageBytes: 1 << 20, MinInsyncReplicas: 1, TimestampBeforeMaxMs: math.MaxInt64, TimestampAfterMaxMs: math.MaxInt64}, record.CodecSnappy)
}

// BenchmarkAppendAsLeaderUncompressed is BenchmarkAppendAsLeader with an
// uncompressed batch, whose records are decoded in place.
func BenchmarkAppendAsLeaderUncompressed(b *testing.B) {
	benchAppend(b, Config{MaxMessageBytes: 1 << 20, MinInsyncReplicas: 1, TimestampBeforeMaxMs: math.MaxInt64, TimestampAfterMaxMs: math.MaxInt64}, record.CodecNone)
}
