package partition

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
	"time"

	"gregor/internal/record"
)

func plainBatch(t *testing.T, timestamps ...int64) record.Batch {
	t.Helper()
	spec := record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1}
	for _, ts := range timestamps {
		spec.Records = append(spec.Records, record.Record{Timestamp: ts, Key: []byte("k"), Value: []byte("v")})
	}
	b, err := record.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAppendChecksEveryRecord proves that an append looks at every record
// as Kafka's LogValidator does: a record whose length lies is refused with
// INVALID_RECORD, and so does a compressed batch whose records' offset
// deltas are not 0, 1, 2...; each record whose timestamp is out of bounds is listed
// (INVALID_TIMESTAMP), not only a batch whose first or largest one is;
// and a batch whose header understates its largest timestamp is stored
// with the right one, which ListOffsets' max timestamp then finds.
func TestAppendChecksEveryRecord(t *testing.T) {
	now := time.Now()
	nowMs := now.UnixMilli()
	p := openPartition(t, Config{MaxMessageBytes: 1 << 20, MinInsyncReplicas: 1,
		TimestampBeforeMaxMs: 60_000, TimestampAfterMaxMs: math.MaxInt64})

	lying := plainBatch(t, nowMs, nowMs)
	n, w := binary.Varint(lying[record.HeaderSize:])
	binary.PutVarint(lying[record.HeaderSize:record.HeaderSize+w], n+1)
	binary.BigEndian.PutUint32(lying[17:], lying.ComputeCRC())
	if _, err := p.AppendAsLeader([]record.Batch{lying}, 1, now); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("a record whose length lies: %v, want ErrInvalidRecord", err)
	}

	// A compressed batch whose records' offset deltas skip: refused, where
	// Kafka fails on it; stored, its offsets would overlap the next batch's.
	gappy, err := record.Build(record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Codec: record.CodecLZ4,
		OffsetDeltas: true, Records: []record.Record{{Offset: 0, Timestamp: nowMs}, {Offset: 2, Timestamp: nowMs}, {Offset: 5, Timestamp: nowMs}}})
	if err != nil {
		t.Fatal(err)
	}
	binary.BigEndian.PutUint32(gappy[23:], 2) // lastOffsetDelta: three records
	binary.BigEndian.PutUint32(gappy[17:], gappy.ComputeCRC())
	if _, err := p.AppendAsLeader([]record.Batch{gappy}, 1, now); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("a compressed batch with offset deltas 0, 2, 5: %v, want ErrInvalidRecord", err)
	}

	// The first and the largest timestamps are in bounds; two in between are not.
	res, err := p.AppendAsLeader([]record.Batch{plainBatch(t, nowMs, 1000, nowMs, 2000, nowMs+5)}, 1, now)
	var refused *RecordErrors
	if !errors.As(err, &refused) || !errors.Is(err, ErrInvalidTimestamp) || refused.Total != 2 ||
		len(refused.Errors) != 2 || refused.Errors[0].Index != 1 || refused.Errors[1].Index != 3 {
		t.Fatalf("records out of bounds inside a batch: %v (%+v)", err, refused)
	}
	if res.LogStartOffset != 0 {
		t.Fatalf("a refused append answered log start offset %d, want 0", res.LogStartOffset)
	}

	b := plainBatch(t, nowMs, nowMs+7, nowMs+3)
	binary.BigEndian.PutUint64(b[35:], uint64(nowMs)) // maxTimestamp understated
	binary.BigEndian.PutUint32(b[17:], b.ComputeCRC())
	if _, err := p.AppendAsLeader([]record.Batch{b}, 1, now); err != nil {
		t.Fatal(err)
	}
	if b.MaxTimestamp() != nowMs+7 || b.Validate() != nil {
		t.Fatalf("stored max timestamp %d (%v), want %d with a valid CRC", b.MaxTimestamp(), b.Validate(), nowMs+7)
	}
	if off, ts, found, err := p.MaxTimestamp(); err != nil || !found || off != 1 || ts != nowMs+7 {
		t.Fatalf("max timestamp at offset %d, %d (%v); want offset 1 at %d", off, ts, err, nowMs+7)
	}
}
