package record

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkValidate measures header validation (CRC32C dominated) of a 16 KiB batch.
func BenchmarkValidate(b *testing.B) {
	rs := make([]Record, 16)
	for i := range rs {
		rs[i] = Record{Timestamp: int64(i), Value: bytes.Repeat([]byte{'x'}, 1000)}
	}
	batch := mustBuild(b, BatchSpec{ProducerID: -1, BaseSequence: -1, Records: rs})
	b.SetBytes(int64(len(batch)))
	b.ReportAllocs()
	for b.Loop() {
		if err := batch.ValidateProduce(); err != nil {
			b.Fatal(err)
		}
	}
}

// benchRecords returns n keyed records of 1 KiB values that compress about
// 2:1 (half random, half zeros), like the log cleaner's benchmark.
func benchRecords(n int) []Record {
	rng := rand.New(rand.NewPCG(1, 2))
	rs := make([]Record, n)
	for i := range rs {
		v := make([]byte, 1024)
		for j := range v[:512] {
			v[j] = byte(rng.Uint32())
		}
		rs[i] = Record{Timestamp: 1, Key: fmt.Appendf(nil, "key-%08d", i), Value: v}
	}
	return rs
}

// BenchmarkRecords measures Records on batches of 16 and 1024 records of
// 1 KiB in each codec, and in snappy as Java frames it (xerial, 32 KiB
// blocks); MB/s counts the uncompressed records produced.
func BenchmarkRecords(b *testing.B) {
	for _, n := range []int{16, 1024} {
		rs := benchRecords(n)
		plain := mustBuild(b, BatchSpec{ProducerID: -1, BaseSequence: -1, Records: rs})
		size := int64(len(plain) - HeaderSize)
		for _, c := range allCodecs {
			batch := mustBuild(b, BatchSpec{ProducerID: -1, BaseSequence: -1, Codec: c, Records: rs})
			b.Run(fmt.Sprintf("%s/%d", c, n), func(b *testing.B) { benchRecordsOf(b, batch, size) })
		}
		xerial := xerialBatch(b, rs, 32<<10)
		b.Run(fmt.Sprintf("snappy-xerial/%d", n), func(b *testing.B) { benchRecordsOf(b, xerial, size) })
	}
}

func benchRecordsOf(b *testing.B, batch Batch, size int64) {
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := batch.Records(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecompress measures Recompress of a snappy batch of 1024
// records of 1 KiB (1 MiB) into each other codec at its default level;
// MB/s counts the uncompressed records.
func BenchmarkRecompress(b *testing.B) {
	rs := benchRecords(1024)
	plain := mustBuild(b, BatchSpec{ProducerID: -1, BaseSequence: -1, Records: rs})
	batch := mustBuild(b, BatchSpec{ProducerID: -1, BaseSequence: -1, Codec: CodecSnappy, Records: rs})
	for _, target := range []Codec{CodecNone, CodecGzip, CodecLZ4, CodecZstd} {
		b.Run("snappy-to-"+target.String(), func(b *testing.B) {
			b.SetBytes(int64(len(plain) - HeaderSize))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := batch.Recompress(target, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
