package record

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// TestRecompress proves that a batch re-encoded with another codec keeps
// every header field and record, gets a valid CRC, and that a batch already
// in the target codec, or a control batch, comes back as it is.
func TestRecompress(t *testing.T) {
	for _, from := range allCodecs {
		for _, to := range allCodecs {
			t.Run(from.String()+"-"+to.String(), func(t *testing.T) {
				rs := sampleRecords(30)
				b := mustBuild(t, BatchSpec{BaseOffset: 0, PartitionLeaderEpoch: 3, ProducerID: 9, ProducerEpoch: 4,
					BaseSequence: 11, Transactional: true, Codec: from, Records: rs})
				got, err := b.Recompress(to, 0)
				if err != nil {
					t.Fatal(err)
				}
				if from == to && &got[0] != &b[0] {
					t.Fatal("a batch already in the target codec was copied")
				}
				if err := got.ValidateProduce(); err != nil {
					t.Fatal(err)
				}
				if got.Codec() != to {
					t.Fatalf("codec %s, want %s", got.Codec(), to)
				}
				for _, f := range []struct {
					name      string
					got, want any
				}{
					{"base offset", got.BaseOffset(), b.BaseOffset()},
					{"last offset delta", got.LastOffsetDelta(), b.LastOffsetDelta()},
					{"leader epoch", got.PartitionLeaderEpoch(), b.PartitionLeaderEpoch()},
					{"producer id", got.ProducerID(), b.ProducerID()},
					{"producer epoch", got.ProducerEpoch(), b.ProducerEpoch()},
					{"base sequence", got.BaseSequence(), b.BaseSequence()},
					{"transactional", got.IsTransactional(), true},
					{"max timestamp", got.MaxTimestamp(), b.MaxTimestamp()},
					{"records", got.NumRecords(), b.NumRecords()},
				} {
					if !reflect.DeepEqual(f.got, f.want) {
						t.Errorf("%s: %v, want %v", f.name, f.got, f.want)
					}
				}
				want, _ := b.Records()
				have, err := got.Records()
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(have, want) {
					t.Fatalf("records differ:\n%+v\n%+v", have, want)
				}
			})
		}
	}
}

// TestRecompressLogAppendTime proves that a LogAppendTime batch keeps its
// timestamp type and append time.
func TestRecompressLogAppendTime(t *testing.T) {
	b := mustBuild(t, BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Codec: CodecSnappy, Records: sampleRecords(5)})
	b.SetLogAppendTime(1_800_000_000_000)
	got, err := b.Recompress(CodecZstd, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !got.LogAppendTime() || got.MaxTimestamp() != 1_800_000_000_000 {
		t.Fatalf("log append time %v, max timestamp %d", got.LogAppendTime(), got.MaxTimestamp())
	}
}

// TestRecompressKeepsControl proves that control batches are never
// compressed, and that a body short of its record count fails with ErrInvalid.
func TestRecompressKeepsControl(t *testing.T) {
	c := mustBuild(t, BatchSpec{ProducerID: 5, ProducerEpoch: 1, BaseSequence: -1, Transactional: true, Control: true,
		Records: []Record{{Key: []byte{0, 0, 0, 1}, Value: []byte{0, 0, 0, 0, 0, 0}}}})
	if got, err := c.Recompress(CodecZstd, 0); err != nil || &got[0] != &c[0] {
		t.Fatalf("control batch recompressed (err %v)", err)
	}
	b := mustBuild(t, BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Codec: CodecSnappy, Records: sampleRecords(5)})
	b[offRecordsCount+3]++ // one record more than the body holds
	if _, err := b.Recompress(CodecZstd, 0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("short body: %v, want ErrInvalid", err)
	}
}

// TestCompressionLevels proves that every level Kafka accepts for a codec
// encodes a batch that decodes to the same records, and that a higher
// level compresses text at least as well as the fastest one.
func TestCompressionLevels(t *testing.T) {
	var rs []Record
	for i := range 500 {
		rs = append(rs, Record{Timestamp: int64(i), Key: []byte(fmt.Sprint(i)),
			Value: []byte(fmt.Sprintf(`{"id":%d,"name":"user-%d","email":"u%d@example.com","score":%d}`, i, i*7, i*13, i*i%977))})
	}
	plain := mustBuild(t, BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Records: rs})
	want, _ := plain.Records()
	for _, c := range []struct {
		codec  Codec
		levels []int
	}{
		{CodecGzip, []int{1, -1, 5, 9}},
		{CodecLZ4, []int{9, 1, 2, 12, 17}},
		{CodecZstd, []int{-131072, -5, 1, 3, 7, 12, 22}},
	} {
		sizes := map[int]int{}
		for _, level := range c.levels {
			b, err := plain.Recompress(c.codec, level)
			if err != nil {
				t.Fatalf("%s level %d: %v", c.codec, level, err)
			}
			got, err := b.Records()
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("%s level %d: records differ (%v)", c.codec, level, err)
			}
			sizes[level] = len(b)
		}
		lo, hi := c.levels[0], c.levels[len(c.levels)-1]
		if sizes[hi] > sizes[lo] {
			t.Errorf("%s: level %d gives %d bytes, more than level %d's %d", c.codec, hi, sizes[hi], lo, sizes[lo])
		}
	}
}
