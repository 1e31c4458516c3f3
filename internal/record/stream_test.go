package record_test

import (
	"errors"
	"runtime"
	"testing"

	"gregor/internal/record"
	"gregor/internal/record/recordtest"
)

// bombSize is what each bomb inflates to: 1 GiB, but for snappy, whose
// best ratio (about 21x) would make a 1 GiB bomb a 50 MB batch.
func bombSize(c record.Codec) int64 {
	if c == record.CodecSnappy {
		return 256 << 20
	}
	return 1 << 30
}

var compressedCodecs = []record.Codec{record.CodecGzip, record.CodecSnappy, record.CodecLZ4, record.CodecZstd}

// allocated runs f and returns the bytes it allocated on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestScanHeadsBomb proves that scanning a batch that inflates to 1 GiB
// reads its first record's head without inflating the rest, and that a
// full scan stops at MaxUncompressedBytes with ErrInvalid (CORRUPT_MESSAGE),
// never allocating more than a few MiB either way.
func TestScanHeadsBomb(t *testing.T) {
	for _, c := range compressedCodecs {
		t.Run(c.String(), func(t *testing.T) {
			b, err := recordtest.Bomb(c, []byte("k"), bombSize(c), 1234)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Validate(); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s bomb: %d bytes inflating to %d", c, len(b), bombSize(c))
			var head record.RecordHead
			first := allocated(func() {
				err = b.ScanHeads(func(h record.RecordHead) (bool, error) {
					head = h
					return false, nil
				})
			})
			if err != nil || head.Offset != 0 || head.Timestamp != 1234 || string(head.Key) != "k" || head.ValueLen != int32(bombSize(c)) {
				t.Fatalf("first head = %+v, %v", head, err)
			}
			all := allocated(func() {
				err = b.ScanHeads(func(record.RecordHead) (bool, error) { return true, nil })
			})
			if !errors.Is(err, record.ErrInvalid) {
				t.Fatalf("full scan of a bomb: %v, want ErrInvalid", err)
			}
			t.Logf("allocated: first head %d bytes, full scan %d bytes", first, all)
			if limit := uint64(16 << 20); first > limit || all > limit {
				t.Fatalf("allocated %d and %d bytes, want under %d", first, all, limit)
			}
		})
	}
}

// TestScanHeadsMatchesRecords proves that a streaming scan sees the same
// offsets, timestamps, keys and value sizes as Records, for every codec.
func TestScanHeadsMatchesRecords(t *testing.T) {
	for _, c := range append([]record.Codec{record.CodecNone}, compressedCodecs...) {
		rs := make([]record.Record, 50)
		for i := range rs {
			rs[i] = record.Record{Timestamp: 100 + int64(i%7), Value: make([]byte, i*100)}
			switch {
			case i == 0:
				rs[i].Key = []byte{} // empty, not null, and first: no key buffer yet
			case i%3 != 0:
				rs[i].Key = []byte{byte(i), 'k'}
			}
			if i%5 == 0 {
				rs[i].Value = nil
				rs[i].Headers = []record.Header{{Key: "h", Value: []byte("v")}}
			}
		}
		b, err := record.Build(record.BatchSpec{BaseOffset: 10, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Codec: c, Records: rs})
		if err != nil {
			t.Fatal(err)
		}
		want, err := b.Records()
		if err != nil {
			t.Fatal(err)
		}
		i := 0
		err = b.ScanHeads(func(h record.RecordHead) (bool, error) {
			w := want[i]
			wantLen := int32(len(w.Value))
			if w.Value == nil {
				wantLen = -1
			}
			if h.Offset != w.Offset || h.Timestamp != w.Timestamp || string(h.Key) != string(w.Key) ||
				(h.Key == nil) != (w.Key == nil) || h.ValueLen != wantLen {
				t.Errorf("%s record %d: head %+v, record %+v", c, i, h, w)
			}
			i++
			return true, nil
		})
		if err != nil || i != len(want) {
			t.Fatalf("%s: scanned %d of %d: %v", c, i, len(want), err)
		}
	}
}

// TestRecordsBombBounded proves that Records, which must hold what it
// decodes (compaction, tools), refuses a batch inflating to 1 GiB with
// ErrInvalid (CORRUPT_MESSAGE) having allocated no more than twice the
// 128 MiB cap (its buffer grows by doubling up to the cap), not the bomb,
// for every codec.
func TestRecordsBombBounded(t *testing.T) {
	for _, c := range compressedCodecs {
		b, err := recordtest.Bomb(c, []byte("k"), bombSize(c), 1)
		if err != nil {
			t.Fatal(err)
		}
		a := allocated(func() { _, err = b.Records() })
		if !errors.Is(err, record.ErrInvalid) {
			t.Fatalf("%s: Records of a bomb: %v", c, err)
		}
		t.Logf("%s: allocated %d MiB", c, a>>20)
		if limit := 2*uint64(record.MaxUncompressedBytes) + 32<<20; a > limit {
			t.Fatalf("%s: allocated %d bytes, want at most %d", c, a, limit)
		}
	}
}
