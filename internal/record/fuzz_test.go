package record

import (
	"testing"
)

func fuzzSeeds(f *testing.F) {
	for _, c := range allCodecs {
		b, err := Build(BatchSpec{ProducerID: -1, BaseSequence: -1, Codec: c, Records: sampleRecords(4)})
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(b))
	}
	f.Add([]byte{})
	f.Add(make([]byte, HeaderSize))
}

// crcFixed is data as a batch whose CRC is made right, so that a fuzzer
// reaches the decoders rather than the CRC check.
func crcFixed(data []byte) Batch {
	b := Batch(data)
	if len(b) >= HeaderSize {
		b.updateCRC()
	}
	return b
}

// FuzzValidate proves that Validate never panics and accepts only well-framed batches.
func FuzzValidate(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		b := Batch(data)
		if b.Validate() == nil && int(b.BatchLength())+12 != len(b) {
			t.Fatal("accepted a batch whose length field disagrees")
		}
		_ = b.ValidateProduce()
	})
}

// FuzzSplit proves that Split never panics and its batches tile the input.
func FuzzSplit(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		bs, err := Split(data)
		n := 0
		for _, b := range bs {
			n += len(b)
		}
		if err == nil && n != len(data) {
			t.Fatalf("batches cover %d of %d bytes", n, len(data))
		}
	})
}

// FuzzRecords proves that decoding arbitrary (CRC-fixed) batches never panics or allocates without bound.
func FuzzRecords(f *testing.F) {
	fuzzSeeds(f)
	MaxUncompressedBytes = 4 << 20
	f.Fuzz(func(t *testing.T, data []byte) {
		b := crcFixed(data)
		rs, err := b.Records()
		if err == nil && len(rs) != int(b.NumRecords()) {
			t.Fatalf("decoded %d records, header says %d", len(rs), b.NumRecords())
		}
	})
}

// FuzzScanHeads proves that streaming arbitrary (CRC-fixed) batches never
// panics, and that it sees what Records sees whenever Records succeeds.
func FuzzScanHeads(f *testing.F) {
	fuzzSeeds(f)
	MaxUncompressedBytes = 4 << 20
	f.Fuzz(func(t *testing.T, data []byte) {
		b := crcFixed(data)
		var heads []RecordHead
		err := b.ScanHeads(func(h RecordHead) (bool, error) {
			if h.Key != nil {
				h.Key = append([]byte{}, h.Key...) // an empty key stays non-nil (not null)
			}
			heads = append(heads, h)
			return true, nil
		})
		rs, rerr := b.Records()
		if rerr != nil {
			return
		}
		if err != nil || len(heads) != len(rs) {
			t.Fatalf("Records decoded %d records, ScanHeads %d (%v)", len(rs), len(heads), err)
		}
		for i, r := range rs {
			h := heads[i]
			if h.Offset != r.Offset || h.Timestamp != r.Timestamp || string(h.Key) != string(r.Key) || (h.Key == nil) != (r.Key == nil) {
				t.Fatalf("record %d: head %+v, record %+v", i, h, r)
			}
		}
	})
}

// FuzzCheckRecords proves that checking arbitrary (CRC-fixed) batches never
// panics, and that a batch it passes decodes with Records to the records
// whose heads it saw.
func FuzzCheckRecords(f *testing.F) {
	fuzzSeeds(f)
	MaxUncompressedBytes = 4 << 20
	f.Fuzz(func(t *testing.T, data []byte) {
		b := crcFixed(data)
		var heads []RecordHead
		err := b.CheckRecords(func(i int, h RecordHead) error {
			if i != len(heads) {
				t.Fatalf("record %d seen as %d", len(heads), i)
			}
			h.Key = append([]byte(nil), h.Key...)
			heads = append(heads, h)
			return nil
		})
		if err != nil {
			return
		}
		rs, rerr := b.Records()
		if rerr != nil || len(rs) != len(heads) || len(heads) != int(b.NumRecords()) {
			t.Fatalf("checked %d records, Records decoded %d (%v), header says %d", len(heads), len(rs), rerr, b.NumRecords())
		}
		for i, r := range rs {
			if h := heads[i]; h.Offset != r.Offset || h.Timestamp != r.Timestamp || string(h.Key) != string(r.Key) {
				t.Fatalf("record %d: head %+v, record %+v", i, h, r)
			}
		}
	})
}
