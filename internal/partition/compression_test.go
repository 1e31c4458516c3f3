package partition

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"gregor/internal/record"
)

func recompressConfig(target record.Codec) Config {
	return Config{MaxMessageBytes: 1 << 20, MinInsyncReplicas: 1, TimestampBeforeMaxMs: math.MaxInt64,
		TimestampAfterMaxMs: math.MaxInt64, Recompress: true, Compression: target}
}

func idempotentBatch(t *testing.T, codec record.Codec, seq int32, values ...string) record.Batch {
	t.Helper()
	spec := record.BatchSpec{ProducerID: 42, ProducerEpoch: 0, BaseSequence: seq, Codec: codec}
	for i, v := range values {
		spec.Records = append(spec.Records, record.Record{Timestamp: time.Now().UnixMilli() + int64(i), Key: []byte("k"), Value: []byte(v),
			Headers: []record.Header{{Key: "h", Value: []byte(v)}}})
	}
	b, err := record.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func storedBatches(t *testing.T, p *Partition) []record.Batch {
	t.Helper()
	data, err := p.Read(nil, 0, 1<<20, true)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := record.Split(data)
	if err != nil {
		t.Fatal(err)
	}
	return bs
}

// TestCompressionTypeRecompresses proves that a leader whose topic names a
// codec stores a batch of another codec re-encoded with it, with its
// offsets, producer fields and records, and that a retry of that batch is
// still answered as a duplicate with the original offsets.
func TestCompressionTypeRecompresses(t *testing.T) {
	p := openPartition(t, recompressConfig(record.CodecZstd))
	first := idempotentBatch(t, record.CodecSnappy, 0, "a", "b", "c")
	second := idempotentBatch(t, record.CodecSnappy, 3, "d")
	for _, b := range []record.Batch{first, second} {
		if _, err := p.AppendAsLeader([]record.Batch{b}, -1, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	res, err := p.AppendAsLeader([]record.Batch{first}, -1, time.Now())
	if err != nil || res.BaseOffset != 0 || res.LastOffset != 2 {
		t.Fatalf("retry: %+v %v, want the duplicate at offsets 0-2", res, err)
	}
	stored := storedBatches(t, p)
	if len(stored) != 2 || p.LogEndOffset() != 4 {
		t.Fatalf("%d batches stored, log end %d; want 2 and 4", len(stored), p.LogEndOffset())
	}
	for i, b := range stored {
		if err := b.Validate(); err != nil {
			t.Fatal(err)
		}
		sent := []record.Batch{first, second}[i]
		if b.Codec() != record.CodecZstd || b.ProducerID() != 42 || b.BaseSequence() != sent.BaseSequence() || b.MaxTimestamp() != sent.MaxTimestamp() {
			t.Fatalf("stored batch %d: codec %s, producer %d, sequence %d, max timestamp %d", i, b.Codec(), b.ProducerID(), b.BaseSequence(), b.MaxTimestamp())
		}
		got, _ := b.Records()
		want, _ := sent.Records()
		for j := range want {
			want[j].Offset += b.BaseOffset()
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("stored batch %d records:\n%+v\nwant\n%+v", i, got, want)
		}
	}
}

// TestCompressionTypeKeepsMatchingCodec proves that a batch already in the
// target codec, and every batch when the producer's codec is kept, is
// stored byte for byte as sent (but for the base offset and leader epoch).
func TestCompressionTypeKeepsMatchingCodec(t *testing.T) {
	for _, cfg := range []Config{recompressConfig(record.CodecLZ4), recompressConfig(record.CodecNone), {MaxMessageBytes: 1 << 20,
		MinInsyncReplicas: 1, TimestampBeforeMaxMs: math.MaxInt64, TimestampAfterMaxMs: math.MaxInt64}} {
		p := openPartition(t, cfg)
		codec := record.CodecLZ4
		if cfg.Recompress {
			codec = cfg.Compression
		}
		b := idempotentBatch(t, codec, 0, "x", "y")
		sent := append(record.Batch(nil), b...)
		if _, err := p.AppendAsLeader([]record.Batch{b}, -1, time.Now()); err != nil {
			t.Fatal(err)
		}
		got := storedBatches(t, p)[0]
		if !reflect.DeepEqual([]byte(got[record.HeaderSize:]), []byte(sent[record.HeaderSize:])) || got.CRC() != sent.CRC() {
			t.Fatalf("%+v: a %s batch was rewritten", cfg, codec)
		}
	}
}

// TestCompressionTypeDecompresses proves that compression.type=uncompressed
// stores a compressed batch without a codec.
func TestCompressionTypeDecompresses(t *testing.T) {
	p := openPartition(t, recompressConfig(record.CodecNone))
	if _, err := p.AppendAsLeader([]record.Batch{idempotentBatch(t, record.CodecGzip, 0, "x")}, 1, time.Now()); err != nil {
		t.Fatal(err)
	}
	if c := storedBatches(t, p)[0].Codec(); c != record.CodecNone {
		t.Fatalf("stored codec %s, want none", c)
	}
}

// TestCompressionTypeSizeAfterRecompression proves that, as in Kafka, a
// batch that recompression makes larger than max.message.bytes is refused
// (RECORD_TOO_LARGE) and nothing is written.
func TestCompressionTypeSizeAfterRecompression(t *testing.T) {
	noise := make([]byte, 4096)
	for i := range noise {
		noise[i] = byte(rand.IntN(256))
	}
	b, err := record.Build(record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
		Records: []record.Record{{Timestamp: time.Now().UnixMilli(), Value: noise}}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := recompressConfig(record.CodecGzip)
	cfg.MaxMessageBytes = int32(len(b))
	p := openPartition(t, cfg)
	if _, err := p.AppendAsLeader([]record.Batch{b}, 1, time.Now()); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("append: %v, want ErrMessageTooLarge", err)
	}
	if p.LogEndOffset() != 0 {
		t.Fatalf("log end %d after a refused append", p.LogEndOffset())
	}
}

// BenchmarkAppendRecompress is BenchmarkAppendAsLeader on a topic whose
// compression.type makes the leader re-encode the producer's snappy
// batches.
func BenchmarkAppendRecompress(b *testing.B) {
	for _, target := range []record.Codec{record.CodecZstd, record.CodecLZ4, record.CodecGzip, record.CodecNone} {
		b.Run("snappy-to-"+target.String(), func(b *testing.B) { benchAppend(b, recompressConfig(target), record.CodecSnappy) })
	}
}
