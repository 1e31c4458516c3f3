package record

import (
	"errors"
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
				got, err := b.Recompress(to)
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
	got, err := b.Recompress(CodecZstd)
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
	if got, err := c.Recompress(CodecZstd); err != nil || &got[0] != &c[0] {
		t.Fatalf("control batch recompressed (err %v)", err)
	}
	b := mustBuild(t, BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Codec: CodecSnappy, Records: sampleRecords(5)})
	b[offRecordsCount+3]++ // one record more than the body holds
	if _, err := b.Recompress(CodecZstd); !errors.Is(err, ErrInvalid) {
		t.Fatalf("short body: %v, want ErrInvalid", err)
	}
}
