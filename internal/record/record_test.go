package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

var allCodecs = []Codec{CodecNone, CodecGzip, CodecSnappy, CodecLZ4, CodecZstd}

func sampleRecords(n int) []Record {
	rs := make([]Record, n)
	for i := range rs {
		rs[i] = Record{
			Timestamp: 1_700_000_000_000 + int64(i*7%5),
			Key:       []byte(fmt.Sprintf("key-%d", i)),
			Value:     bytes.Repeat([]byte{byte(i)}, i*3),
		}
		if i%3 == 0 {
			rs[i].Key = nil
			rs[i].Headers = []Header{{Key: "h", Value: []byte("v")}, {Key: "", Value: nil}}
		}
	}
	return rs
}

func mustBuild(t testing.TB, spec BatchSpec) Batch {
	t.Helper()
	b, err := Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func withOffsets(rs []Record, base int64) []Record {
	out := append([]Record(nil), rs...)
	for i := range out {
		out[i].Offset = base + int64(i)
	}
	return out
}

// TestBuildRoundTrip proves that Build output validates and decodes to the same records for every codec.
func TestBuildRoundTrip(t *testing.T) {
	for _, c := range allCodecs {
		t.Run(c.String(), func(t *testing.T) {
			rs := sampleRecords(20)
			b := mustBuild(t, BatchSpec{BaseOffset: 100, ProducerID: 7, ProducerEpoch: 2, BaseSequence: 5, Codec: c, Records: rs})
			if err := b.ValidateProduce(); err != nil {
				t.Fatal(err)
			}
			got, err := b.Records()
			if err != nil {
				t.Fatal(err)
			}
			if want := withOffsets(rs, 100); !reflect.DeepEqual(got, want) {
				t.Fatalf("records differ:\n got %+v\nwant %+v", got, want)
			}
			checkHeader(t, b, c)
		})
	}
}

func checkHeader(t *testing.T, b Batch, c Codec) {
	t.Helper()
	if b.Codec() != c || b.NumRecords() != 20 || b.LastOffset() != 119 || b.ProducerID() != 7 ||
		b.ProducerEpoch() != 2 || b.BaseSequence() != 5 || b.LastSequence() != 24 || b.Magic() != 2 ||
		b.BaseTimestamp() != 1_700_000_000_000 || b.MaxTimestamp() != 1_700_000_000_004 {
		t.Fatalf("bad header fields: %v", b[:HeaderSize])
	}
}

// TestPatchOutsideCRC proves that base offset and leader epoch patches keep the CRC valid, and SetLogAppendTime recomputes it.
func TestPatchOutsideCRC(t *testing.T) {
	b := mustBuild(t, BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Records: sampleRecords(3)})
	b.SetBaseOffset(1 << 40)
	b.SetPartitionLeaderEpoch(9)
	if err := b.Validate(); err != nil || b.BaseOffset() != 1<<40 || b.PartitionLeaderEpoch() != 9 {
		t.Fatalf("err %v offset %d epoch %d", err, b.BaseOffset(), b.PartitionLeaderEpoch())
	}
	b.SetLogAppendTime(42)
	if err := b.Validate(); err != nil || !b.LogAppendTime() || b.MaxTimestamp() != 42 {
		t.Fatalf("err %v lat %v max %d", err, b.LogAppendTime(), b.MaxTimestamp())
	}
	if b.LastSequence() != -1 {
		t.Fatalf("last sequence %d", b.LastSequence())
	}
}

// TestLastSequenceWraps proves that sequences wrap past MaxInt32 to 0 as in Kafka.
func TestLastSequenceWraps(t *testing.T) {
	b := mustBuild(t, BatchSpec{ProducerID: 1, BaseSequence: math.MaxInt32 - 1, Records: sampleRecords(4)})
	if got := b.LastSequence(); got != 1 {
		t.Fatalf("LastSequence = %d, want 1", got)
	}
}

// TestValidateRejects proves that each kind of damage maps to the right sentinel error.
func TestValidateRejects(t *testing.T) {
	good := mustBuild(t, BatchSpec{ProducerID: -1, BaseSequence: -1, Records: sampleRecords(5)})
	cases := []struct {
		name   string
		mutate func(b Batch) Batch
		want   error
	}{
		{"flipped record byte", func(b Batch) Batch { b[len(b)-1] ^= 1; return b }, ErrCorrupt},
		{"flipped crc", func(b Batch) Batch { b[offCRC] ^= 1; return b }, ErrCorrupt},
		{"magic 1", func(b Batch) Batch { b[offMagic] = 1; return b }, ErrUnsupportedMagic},
		{"short", func(b Batch) Batch { return b[:HeaderSize-1] }, ErrInvalid},
		{"truncated", func(b Batch) Batch { return b[:len(b)-1] }, ErrInvalid},
		{"codec 5", func(b Batch) Batch { b[offAttributes+1] |= 5; b.updateCRC(); return b }, ErrInvalid},
		{"negative count", func(b Batch) Batch { putI32(b, offRecordsCount, -1); return b }, ErrInvalid},
		{"count above delta", func(b Batch) Batch { putI32(b, offRecordsCount, 6); return b }, ErrInvalid},
		{"huge count", func(b Batch) Batch {
			putI32(b, offRecordsCount, math.MaxInt32)
			putI32(b, offLastOffsetDelta, math.MaxInt32)
			return b
		}, ErrInvalid},
	}
	for _, tc := range cases {
		b := tc.mutate(append(Batch(nil), good...))
		if err := b.Validate(); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func putI32(b Batch, off int, v int32) {
	binary.BigEndian.PutUint32(b[off:], uint32(v))
	b.updateCRC()
}

// TestValidateProduceCountRule proves that compacted-style gaps pass Validate but fail ValidateProduce.
func TestValidateProduceCountRule(t *testing.T) {
	b := mustBuild(t, BatchSpec{ProducerID: -1, BaseSequence: -1, Records: sampleRecords(5)})
	putI32(b, offLastOffsetDelta, 9)
	if err := b.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if err := b.ValidateProduce(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("ValidateProduce: %v", err)
	}
}

// TestSplit proves that Split cuts concatenated batches and reports a truncated tail.
func TestSplit(t *testing.T) {
	var buf []byte
	for i := range 3 {
		buf = append(buf, mustBuild(t, BatchSpec{BaseOffset: int64(i * 5), Records: sampleRecords(5)})...)
	}
	bs, err := Split(buf)
	if err != nil || len(bs) != 3 || bs[2].BaseOffset() != 10 {
		t.Fatalf("Split: %d batches, %v", len(bs), err)
	}
	last := len(bs[2])
	bs, err = Split(buf[:len(buf)-3])
	if !errors.Is(err, ErrInvalid) || len(bs) != 2 {
		t.Fatalf("truncated Split: %d batches, %v", len(bs), err)
	}
	if _, err := Split(buf[:len(buf)-last+5]); !errors.Is(err, ErrInvalid) {
		t.Fatalf("header-truncated Split: %v", err)
	}
}

// TestXerialSnappy proves that snappy data in Java's xerial framing decodes.
func TestXerialSnappy(t *testing.T) {
	rs := sampleRecords(10)
	got, err := xerialBatch(t, rs, 64).Records()
	if err != nil || !reflect.DeepEqual(got, withOffsets(rs, 0)) {
		t.Fatalf("xerial decode: %v", err)
	}
}

// xerialBatch builds a snappy batch of rs in Java's xerial framing, the
// records cut into blocks of blockSize bytes before compression.
func xerialBatch(t testing.TB, rs []Record, blockSize int) Batch {
	framed := xerialFrame(BatchSpec{Records: rs}.appendRecords(nil), blockSize)
	b := mustBuild(t, BatchSpec{ProducerID: -1, BaseSequence: -1, Codec: CodecSnappy, Records: rs})
	b = append(b[:HeaderSize], framed...)
	binary.BigEndian.PutUint32(b[offBatchLength:], uint32(len(b)-lengthFieldEnd))
	b.updateCRC()
	return b
}

// xerialFrame compresses raw in xerial framing, in blocks of blockSize bytes.
func xerialFrame(raw []byte, blockSize int) []byte {
	framed := append([]byte(nil), xerialMagic...)
	framed = binary.BigEndian.AppendUint32(framed, 1)
	framed = binary.BigEndian.AppendUint32(framed, 1)
	for chunk := range slices.Chunk(raw, blockSize) {
		c, _ := compress(CodecSnappy, 0, nil, chunk)
		framed = binary.BigEndian.AppendUint32(framed, uint32(len(c)))
		framed = append(framed, c...)
	}
	return framed
}

// TestDecompressLimit proves that gzip, snappy and lz4 data decode up to
// exactly MaxUncompressedBytes and fail one byte past it, including
// outputs larger than the scratch buffers kept between batches.
func TestDecompressLimit(t *testing.T) {
	defer func(limit int) { MaxUncompressedBytes = limit }(MaxUncompressedBytes)
	encoders := map[string]func([]byte) []byte{
		"gzip":          func(raw []byte) []byte { b, _ := compress(CodecGzip, 0, nil, raw); return b },
		"snappy":        func(raw []byte) []byte { b, _ := compress(CodecSnappy, 0, nil, raw); return b },
		"snappy-xerial": func(raw []byte) []byte { return xerialFrame(raw, 300) },
		"lz4":           func(raw []byte) []byte { b, _ := compress(CodecLZ4, 0, nil, raw); return b },
	}
	codecs := map[string]Codec{"gzip": CodecGzip, "snappy": CodecSnappy, "snappy-xerial": CodecSnappy, "lz4": CodecLZ4}
	cases := []struct {
		limit, size int
		fail        bool
	}{
		{1000, 999, false},
		{1000, 1000, false},
		{1000, 1001, true},
		{2 * maxKeptScratch, maxKeptScratch + 1, false},
	}
	for name, encode := range encoders {
		for _, c := range cases {
			MaxUncompressedBytes = c.limit
			raw := make([]byte, c.size)
			for i := range raw {
				raw[i] = byte(i * 7 % 251)
			}
			got, err := decompress(codecs[name], encode(raw))
			if c.fail {
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "more than") {
					t.Errorf("%s: %d bytes with limit %d: err %v", name, c.size, c.limit, err)
				}
			} else if err != nil || !bytes.Equal(got, raw) {
				t.Errorf("%s: %d bytes with limit %d: %d bytes back, err %v", name, c.size, c.limit, len(got), err)
			}
		}
	}
}

// TestDecodeAfterCorrupt proves that a batch decodes the same after
// another batch of its codec failed to.
func TestDecodeAfterCorrupt(t *testing.T) {
	for _, c := range allCodecs[1:] {
		good := mustBuild(t, BatchSpec{ProducerID: -1, BaseSequence: -1, Codec: c, Records: sampleRecords(20)})
		bad := slices.Clone(good)
		for i := HeaderSize + len(bad[HeaderSize:])/2; i < len(bad); i++ {
			bad[i] ^= 0x55
		}
		bad.updateCRC()
		for range 3 {
			if _, err := bad.Records(); !errors.Is(err, ErrInvalid) {
				t.Fatalf("%v: corrupt batch: err %v", c, err)
			}
			if got, err := good.Records(); err != nil || !reflect.DeepEqual(got, withOffsets(sampleRecords(20), 0)) {
				t.Fatalf("%v: after a corrupt batch: %v", c, err)
			}
		}
	}
}

// kmsgBatch encodes rs with franz-go's kmsg types and compressor, independently of Build.
func kmsgBatch(t *testing.T, rs []Record, codec kgo.CompressionCodec) []byte {
	var raw []byte
	for i, r := range rs {
		kr := kmsg.Record{TimestampDelta64: r.Timestamp - rs[0].Timestamp, OffsetDelta: int32(i), Key: r.Key, Value: r.Value}
		for _, h := range r.Headers {
			kr.Headers = append(kr.Headers, kmsg.Header{Key: h.Key, Value: h.Value})
		}
		kr.Length = int32(len(kr.AppendTo(nil)) - 1)
		raw = kr.AppendTo(raw)
	}
	comp, err := kgo.DefaultCompressor(codec)
	if err != nil {
		t.Fatal(err)
	}
	body, ctype := raw, kgo.CodecNone
	if comp != nil { // nil for no compression
		body, ctype = comp.Compress(new(bytes.Buffer), raw)
	}
	kb := kmsg.RecordBatch{
		FirstOffset: 0, Magic: 2, Attributes: int16(ctype), LastOffsetDelta: int32(len(rs) - 1),
		FirstTimestamp: rs[0].Timestamp, MaxTimestamp: rs[0].Timestamp + 4, ProducerID: -1, ProducerEpoch: -1,
		FirstSequence: -1, NumRecords: int32(len(rs)), Records: body,
	}
	kb.Length = int32(HeaderSize - lengthFieldEnd + len(body))
	out := kb.AppendTo(nil)
	kb.CRC = int32(crc32.Checksum(out[offAttributes:], crc32.MakeTable(crc32.Castagnoli)))
	return kb.AppendTo(nil)
}

// TestFranzGoBatches proves that batches encoded and compressed by franz-go validate and decode to the same values.
func TestFranzGoBatches(t *testing.T) {
	codecs := []kgo.CompressionCodec{kgo.NoCompression(), kgo.GzipCompression(), kgo.SnappyCompression(), kgo.Lz4Compression(), kgo.ZstdCompression()}
	rs := sampleRecords(20)
	for i := range rs {
		rs[i].Timestamp = rs[0].Timestamp + int64(i%5)
	}
	for i, c := range codecs {
		b := Batch(kmsgBatch(t, rs, c))
		if b.Codec() != allCodecs[i] {
			t.Fatalf("franz-go wrote codec %v, want %v", b.Codec(), allCodecs[i])
		}
		if err := b.ValidateProduce(); err != nil {
			t.Fatalf("codec %v: %v", b.Codec(), err)
		}
		got, err := b.Records()
		if err != nil || !reflect.DeepEqual(got, withOffsets(rs, 0)) {
			t.Fatalf("codec %v: decode mismatch, err %v", b.Codec(), err)
		}
	}
}

// TestBuildReadByFranzGo proves that franz-go's decompressor and kmsg decoder read what Build writes.
func TestBuildReadByFranzGo(t *testing.T) {
	rs := sampleRecords(20)
	for _, c := range allCodecs {
		b := mustBuild(t, BatchSpec{ProducerID: -1, BaseSequence: -1, Codec: c, Records: rs})
		var kb kmsg.RecordBatch
		if err := kb.ReadFrom(b); err != nil {
			t.Fatal(err)
		}
		raw, err := kgo.DefaultDecompressor().Decompress(kb.Records, kgo.CompressionCodecType(c))
		if err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		var kr kmsg.Record
		if err := kr.ReadFrom(raw); err != nil || kr.OffsetDelta != 0 || string(kr.Value) != "" {
			t.Fatalf("%v: first record %+v, %v", c, kr, err)
		}
	}
}

// TestBuildCompacted proves that a batch rebuilt as the cleaner does keeps
// each record's offset and timestamp, the original last offset, the delete
// horizon and LogAppendTime, in every codec, and that franz-go reads it.
func TestBuildCompacted(t *testing.T) {
	rs := withOffsets(sampleRecords(12), 1000)
	kept := []Record{rs[1], rs[4], rs[5], rs[9]}
	kept[2].Value = nil // a tombstone
	for _, c := range allCodecs {
		spec := BatchSpec{BaseOffset: 1000, ProducerID: 9, ProducerEpoch: 1, BaseSequence: 40, Codec: c,
			Records: kept, OffsetDeltas: true, LastOffsetDelta: 11, DeleteHorizon: true, DeleteHorizonMs: 1_800_000_000_000}
		b := mustBuild(t, spec)
		if err := b.Validate(); err != nil {
			t.Fatal(err)
		}
		if b.LastOffset() != 1011 || b.LastSequence() != 51 || b.NumRecords() != 4 || b.Codec() != c {
			t.Fatalf("%v: last offset %d, last sequence %d, %d records", c, b.LastOffset(), b.LastSequence(), b.NumRecords())
		}
		if h, ok := b.DeleteHorizonMs(); !ok || h != 1_800_000_000_000 {
			t.Fatalf("%v: delete horizon %d %v", c, h, ok)
		}
		got, err := b.Records()
		if err != nil || !reflect.DeepEqual(got, kept) {
			t.Fatalf("%v: records differ: %v", c, err)
		}
		var kb kmsg.RecordBatch
		if err := kb.ReadFrom(b); err != nil || kb.LastOffsetDelta != 11 || kb.NumRecords != 4 {
			t.Fatalf("%v: franz-go reads %+v, %v", c, kb, err)
		}
	}
	if _, err := Build(BatchSpec{BaseOffset: 1000, Records: []Record{rs[4], rs[1]}, OffsetDeltas: true}); err == nil {
		t.Fatal("decreasing offsets accepted")
	}
	lat := mustBuild(t, BatchSpec{ProducerID: -1, BaseSequence: -1, LogAppendTime: true,
		Records: []Record{{Timestamp: 77, Value: []byte("a")}, {Timestamp: 77, Value: []byte("b")}}})
	if !lat.LogAppendTime() || lat.MaxTimestamp() != 77 {
		t.Fatalf("LogAppendTime batch: bit %v, max timestamp %d", lat.LogAppendTime(), lat.MaxTimestamp())
	}
}

// TestEmptyCopy proves that the header kept for a fully compacted batch
// validates, has no records, and keeps the offsets and producer fields.
func TestEmptyCopy(t *testing.T) {
	b := mustBuild(t, BatchSpec{BaseOffset: 50, PartitionLeaderEpoch: 3, ProducerID: 4, ProducerEpoch: 2,
		BaseSequence: 10, Codec: CodecZstd, Records: sampleRecords(5)})
	e := b.EmptyCopy()
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	rs, err := e.Records()
	if err != nil || len(rs) != 0 || len(e) != HeaderSize {
		t.Fatalf("%d records, %d bytes, %v", len(rs), len(e), err)
	}
	if e.BaseOffset() != 50 || e.LastOffset() != 54 || e.PartitionLeaderEpoch() != 3 || e.ProducerID() != 4 ||
		e.ProducerEpoch() != 2 || e.LastSequence() != 14 || e.MaxTimestamp() != b.MaxTimestamp() ||
		e.Codec() != CodecNone || e.BaseTimestamp() != -1 {
		t.Fatalf("empty copy header differs: %x", []byte(e))
	}
}

// withBody returns the batch of codec c with like's header (its codec,
// counts and timestamps, fields patched by patch) over the records body,
// compressed with c, its length and CRC made right.
func withBody(t *testing.T, like Batch, c Codec, body []byte, patch func(Batch)) Batch {
	t.Helper()
	data := body
	if c != CodecNone {
		var err error
		if data, err = compress(c, 0, nil, body); err != nil {
			t.Fatal(err)
		}
	}
	b := append(append(Batch(nil), like[:HeaderSize]...), data...)
	if patch != nil {
		patch(b)
	}
	binary.BigEndian.PutUint32(b[offBatchLength:], uint32(len(b)-lengthFieldEnd))
	binary.BigEndian.PutUint32(b[offCRC:], b.ComputeCRC())
	return b
}

// TestCheckRecords proves that CheckRecords sees every record's head as
// Records decodes it, in place or through every codec, and refuses, with
// ErrBadRecord, a record whose length lies, a null header key, and records
// that end before or go on after the count in the header, as Kafka's
// broker does (INVALID_RECORD); a compressed body that does not
// decompress is ErrInvalid, the batch's fault rather than a record's.
func TestCheckRecords(t *testing.T) {
	rs := sampleRecords(30)
	plain := mustBuild(t, BatchSpec{BaseOffset: 5, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Records: rs})
	body := []byte(plain[HeaderSize:])
	for _, c := range allCodecs {
		like := mustBuild(t, BatchSpec{BaseOffset: 5, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Codec: c, Records: rs})
		want, err := like.Records()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		err = like.CheckRecords(func(i int, h RecordHead) error {
			w := want[i]
			wantLen := int32(len(w.Value))
			if w.Value == nil {
				wantLen = -1
			}
			if i != n || h.Offset != w.Offset || h.Timestamp != w.Timestamp || !bytes.Equal(h.Key, w.Key) ||
				(h.Key == nil) != (w.Key == nil) || h.ValueLen != wantLen {
				t.Errorf("%s record %d (call %d): head %+v, record %+v", c, i, n, h, w)
			}
			n++
			return nil
		})
		if err != nil || n != len(want) {
			t.Fatalf("%s: checked %d of %d: %v", c, n, len(want), err)
		}

		lengthLies := slices.Clone(body)
		l, w := binary.Varint(lengthLies)
		binary.PutVarint(lengthLies[:w], l+1)
		nullHeaderKey := slices.Clone(body) // record 0 has headers: its first key's length is its first header byte
		hdrAt := bytes.Index(nullHeaderKey, []byte{2, 'h'})
		nullHeaderKey[hdrAt] = 1 // zigzag -1
		bad := map[string]Batch{
			"record length lies": withBody(t, like, c, lengthLies, nil),
			"null header key":    withBody(t, like, c, nullHeaderKey, nil),
			"fewer records than counted": withBody(t, like, c, body, func(b Batch) {
				putI32(b, offRecordsCount, 31)
				putI32(b, offLastOffsetDelta, 30)
			}),
			"more records than counted": withBody(t, like, c, body, func(b Batch) { putI32(b, offRecordsCount, 29) }),
		}
		for name, b := range bad {
			if err := b.Validate(); err != nil {
				t.Fatalf("%s %s: the framing itself is refused: %v", c, name, err)
			}
			if err := b.CheckRecords(func(int, RecordHead) error { return nil }); !errors.Is(err, ErrBadRecord) {
				t.Errorf("%s %s: %v, want ErrBadRecord", c, name, err)
			}
		}
		if c == CodecNone {
			continue
		}
		garbage := slices.Clone(like)
		for i := HeaderSize + 8; i < len(garbage); i++ {
			garbage[i] ^= 0x5a
		}
		garbage.updateCRC()
		if err := garbage.CheckRecords(func(int, RecordHead) error { return nil }); !errors.Is(err, ErrInvalid) || errors.Is(err, ErrBadRecord) {
			t.Errorf("%s garbage: %v, want ErrInvalid and not ErrBadRecord (the batch does not decompress)", c, err)
		}
	}
}
