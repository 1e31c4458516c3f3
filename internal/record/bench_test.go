package record

import (
	"bytes"
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
