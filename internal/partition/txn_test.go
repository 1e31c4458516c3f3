package partition

import (
	"errors"
	"io"
	"log/slog"
	"math"
	"reflect"
	"testing"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/record"
	"gregor/internal/storage"
)

func txnBatch(t *testing.T, pid int64, epoch int16, seq int32, n int) record.Batch {
	t.Helper()
	spec := record.BatchSpec{ProducerID: pid, ProducerEpoch: epoch, BaseSequence: seq, Transactional: true}
	for i := 0; i < n; i++ {
		spec.Records = append(spec.Records, record.Record{Timestamp: time.Now().UnixMilli(), Value: []byte("v")})
	}
	b, err := record.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var txnTestConfig = Config{MaxMessageBytes: 1 << 20, MinInsyncReplicas: 1, TimestampBeforeMaxMs: math.MaxInt64, TimestampAfterMaxMs: math.MaxInt64}

// TestTransactionLifecycle proves that a transactional batch needs a
// verification, that an ongoing transaction holds the last stable offset
// at its first offset, that read_committed reads stop there, and that an
// abort marker releases it and is answered as an aborted transaction,
// also after the partition is reopened from its log.
func TestTransactionLifecycle(t *testing.T) {
	dir := t.TempDir()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	open := func() (*Partition, *storage.Log) {
		l, err := storage.Open(dir, storage.DefaultConfig(), time.Now, logger)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Open(kafka.TopicPartition{Topic: "t"}, kafka.TopicID{}, l, 1, soleLeader, txnTestConfig, logger)
		if err != nil {
			t.Fatal(err)
		}
		return p, l
	}
	p, l := open()
	now := time.Now()
	if _, err := p.AppendAsLeader([]record.Batch{keyedBatch(t, record.CodecNone, []byte("a"))}, 1, now); err != nil {
		t.Fatal(err)
	}
	if _, err := p.AppendAsLeader([]record.Batch{txnBatch(t, 9, 0, 0, 2)}, 1, now); !errors.Is(err, ErrInvalidTxnState) {
		t.Fatalf("unverified transactional batch: %v", err)
	}
	guard, needed := p.VerifyTransaction(9, 0)
	if !needed {
		t.Fatal("a producer without an ongoing transaction needs no verification")
	}
	if _, err := p.AppendVerified([]record.Batch{txnBatch(t, 9, 0, 0, 2)}, 1, now, guard); err != nil {
		t.Fatal(err)
	}
	if _, err := p.AppendAsLeader([]record.Batch{txnBatch(t, 9, 0, 2, 1)}, 1, now); err != nil {
		t.Fatalf("second batch of an ongoing transaction: %v", err)
	}
	if lso, hw := p.LastStableOffset(), p.HighWatermark(); lso != 1 || hw != 4 {
		t.Fatalf("lso %d hw %d, want 1 and 4", lso, hw)
	}
	data, aborted, err := p.ReadCommitted(nil, 0, 1<<20, true)
	if err != nil || lastOffsetIn(data) != 0 || aborted != nil {
		t.Fatalf("read_committed during the transaction: last %d aborted %v err %v", lastOffsetIn(data), aborted, err)
	}
	if _, err := p.WriteTxnMarker(Marker{ProducerID: 9, ProducerEpoch: 0, CoordinatorEpoch: 3}, now); err != nil {
		t.Fatal(err)
	}
	want := []kafka.AbortedTransaction{{ProducerID: 9, FirstOffset: 1, LastOffset: 4, LastStableOffset: 5}}
	check := func(p *Partition) {
		t.Helper()
		if lso := p.LastStableOffset(); lso != 5 {
			t.Fatalf("lso after the abort %d, want 5", lso)
		}
		_, aborted, err := p.ReadCommitted(nil, 0, 1<<20, true)
		if err != nil || !reflect.DeepEqual(aborted, want) {
			t.Fatalf("aborted %v err %v, want %v", aborted, err, want)
		}
	}
	check(p)
	if _, err := p.AppendAsLeader([]record.Batch{txnBatch(t, 9, 0, 3, 1)}, 1, now); !errors.Is(err, ErrInvalidTxnState) {
		t.Fatalf("a batch after the marker needs a new verification: %v", err)
	}
	if _, err := p.WriteTxnMarker(Marker{ProducerID: 9, ProducerEpoch: 0, CoordinatorEpoch: 2}, now); !errors.Is(err, ErrTransactionCoordinatorFenced) {
		t.Fatalf("marker from an older coordinator epoch: %v", err)
	}
	l.Close()
	p, l = open()
	defer l.Close()
	check(p)
}

// TestActiveProducersForTheCleaner proves what the partition tells the log
// cleaner to keep of a producer: the last offset of its last data batch,
// then, once a marker of a newer epoch ends a transaction that wrote
// nothing, that epoch and no data offset; and nothing once it expired.
func TestActiveProducersForTheCleaner(t *testing.T) {
	p := openPartition(t, txnTestConfig)
	now := time.Now()
	guard, _ := p.VerifyTransaction(9, 0)
	if _, err := p.AppendVerified([]record.Batch{txnBatch(t, 9, 0, 0, 2)}, 1, now, guard); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WriteTxnMarker(Marker{ProducerID: 9, ProducerEpoch: 0, Commit: true}, now); err != nil {
		t.Fatal(err)
	}
	if got, want := p.activeProducers(), map[kafka.ProducerID]kafka.ActiveProducer{9: {LastDataOffset: 1, Epoch: 0}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after a commit: %v, want %v", got, want)
	}
	if _, err := p.WriteTxnMarker(Marker{ProducerID: 9, ProducerEpoch: 1}, now); err != nil {
		t.Fatal(err)
	}
	if got, want := p.activeProducers(), map[kafka.ProducerID]kafka.ActiveProducer{9: {LastDataOffset: -1, Epoch: 1}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after an abort at a bumped epoch: %v, want %v", got, want)
	}
	p.ExpireProducers(now.Add(time.Hour), time.Minute)
	if got := p.activeProducers(); len(got) != 0 {
		t.Fatalf("after expiry: %v", got)
	}
}

// TestNewerEpochWaitsForTheMarker proves that a transactional batch at a
// newer epoch than the producer's transaction ongoing here (its next
// transaction at transaction version 2, whose marker has not arrived yet)
// needs a verification and does not join that transaction, and that a
// marker written between the verification and the append invalidates it.
func TestNewerEpochWaitsForTheMarker(t *testing.T) {
	p := openPartition(t, txnTestConfig)
	now := time.Now()
	guard, _ := p.VerifyTransaction(9, 0)
	if _, err := p.AppendVerified([]record.Batch{txnBatch(t, 9, 0, 0, 2)}, 1, now, guard); err != nil {
		t.Fatal(err)
	}
	if _, needed := p.VerifyTransaction(9, 0); needed {
		t.Fatal("a batch of the ongoing transaction's epoch needs a verification")
	}
	if _, err := p.AppendAsLeader([]record.Batch{txnBatch(t, 9, 1, 0, 1)}, 1, now); !errors.Is(err, ErrInvalidTxnState) {
		t.Fatalf("an unverified batch at the next epoch: %v, want INVALID_TXN_STATE", err)
	}
	guard, needed := p.VerifyTransaction(9, 1)
	if !needed {
		t.Fatal("a batch at the next epoch needs no verification while the previous transaction is ongoing")
	}
	if _, err := p.WriteTxnMarker(Marker{ProducerID: 9, ProducerEpoch: 1, Commit: true}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := p.AppendVerified([]record.Batch{txnBatch(t, 9, 1, 0, 1)}, 1, now, guard); !errors.Is(err, ErrInvalidTxnState) {
		t.Fatalf("a verification taken before the marker: %v, want INVALID_TXN_STATE", err)
	}
	guard, _ = p.VerifyTransaction(9, 1)
	res, err := p.AppendVerified([]record.Batch{txnBatch(t, 9, 1, 0, 1)}, 1, now, guard)
	if err != nil {
		t.Fatal(err)
	}
	if lso := p.LastStableOffset(); lso != res.BaseOffset {
		t.Fatalf("last stable offset %d, want %d: the new transaction starts after the marker", lso, res.BaseOffset)
	}
}
