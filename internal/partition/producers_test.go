package partition

import (
	"errors"
	"math"
	"testing"

	"gregor/internal/record"
)

func producerBatch(t *testing.T, pid int64, epoch int16, seq int32, n int, baseOffset int64) record.Batch {
	t.Helper()
	spec := record.BatchSpec{BaseOffset: baseOffset, ProducerID: pid, ProducerEpoch: epoch, BaseSequence: seq}
	for i := 0; i < n; i++ {
		spec.Records = append(spec.Records, record.Record{Timestamp: 1, Value: []byte("v")})
	}
	b, err := record.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestProducerSequences proves Kafka's idempotence rules: in-order batches
// pass, retries are recognised with their original offsets, gaps and old
// epochs are refused, and a new epoch must start at sequence 0.
func TestProducerSequences(t *testing.T) {
	s := newProducerState()
	offset := int64(0)
	accept := func(b record.Batch) {
		t.Helper()
		if _, dup, err := s.check(b); err != nil || dup {
			t.Fatalf("batch seq %d: dup=%v err=%v", b.BaseSequence(), dup, err)
		}
		b.SetBaseOffset(offset)
		offset += int64(b.NumRecords())
		s.update(b)
	}
	accept(producerBatch(t, 7, 0, 0, 3, 0))
	accept(producerBatch(t, 7, 0, 3, 2, 0))
	dup, isDup, err := s.check(producerBatch(t, 7, 0, 0, 3, 0))
	if err != nil || !isDup || dup.firstOffset != 0 {
		t.Fatalf("retry of first batch: %+v %v %v", dup, isDup, err)
	}
	if _, _, err := s.check(producerBatch(t, 7, 0, 9, 1, 0)); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("gap: %v", err)
	}
	accept(producerBatch(t, 7, 1, 0, 1, 0))
	if _, _, err := s.check(producerBatch(t, 7, 0, 6, 1, 0)); !errors.Is(err, ErrInvalidProducerEpoch) {
		t.Fatalf("old epoch: %v", err)
	}
	if _, _, err := s.check(producerBatch(t, 7, 2, 5, 1, 0)); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("new epoch not at 0: %v", err)
	}
	// An unknown producer may start anywhere (its state may have been deleted by retention).
	accept(producerBatch(t, 8, 0, 42, 1, 0))
	// Only the last five batches are remembered.
	for i := int32(1); i <= 6; i++ {
		accept(producerBatch(t, 9, 0, i-1, 1, 0))
	}
	if _, isDup, _ := s.check(producerBatch(t, 9, 0, 0, 1, 0)); isDup {
		t.Fatal("sixth-oldest batch still remembered")
	}
}

// TestProducerSequenceWrap proves sequences wrap past MaxInt32 to 0.
func TestProducerSequenceWrap(t *testing.T) {
	s := newProducerState()
	b := producerBatch(t, 1, 0, math.MaxInt32-1, 2, 0)
	s.update(b)
	if _, _, err := s.check(producerBatch(t, 1, 0, 0, 1, 0)); err != nil {
		t.Fatalf("wrapped sequence refused: %v", err)
	}
}

// TestProducerSnapshotRoundTrip proves the snapshot keeps what duplicate
// detection needs, and that a damaged snapshot is refused.
func TestProducerSnapshotRoundTrip(t *testing.T) {
	s := newProducerState()
	b := producerBatch(t, 7, 3, 10, 4, 100)
	s.update(b)
	got, err := decodeProducerState(s.encode())
	if err != nil {
		t.Fatal(err)
	}
	dup, isDup, err := got.check(producerBatch(t, 7, 3, 10, 4, 0))
	if err != nil || !isDup || dup.firstOffset != 100 || dup.lastOffset != 103 {
		t.Fatalf("after reload: %+v %v %v", dup, isDup, err)
	}
	enc := s.encode()
	enc[len(enc)-1] ^= 1
	if _, err := decodeProducerState(enc); err == nil {
		t.Fatal("corrupt snapshot accepted")
	}
}
