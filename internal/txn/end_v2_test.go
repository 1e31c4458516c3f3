package txn

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/coord"
	"gregor/internal/kafka"
	"gregor/internal/record"
)

// TestEndTxnVersion2EpochOverflow proves that an end at transaction
// version 2 whose bumped epoch is the last one writes the markers at that
// epoch, answers the new producer id at epoch 0, completes onto it with the
// old id as the previous one (in TransactionLogValue v1's tagged fields),
// and recognises the producer's retry at the old id and epoch.
func TestEndTxnVersion2EpochOverflow(t *testing.T) {
	tp := kafka.TopicPartition{Topic: "t", Partition: 0}
	ongoing := stored{producerID: 5, epoch: math.MaxInt16 - 1, timeout: time.Minute, state: Ongoing,
		partitions: []kafka.TopicPartition{tp}, start: time.Unix(1000, 0), prevProducerID: -1, nextProducerID: -1}
	log := &memLog{recs: []record.Record{{Key: encodeKey("o"), Value: encodeValue(ongoing, 1)}}}
	c, markers := newTestCoordinatorWith(t, log, coord.NewManualClock(time.Unix(1000, 0)), func() Version { return V2 })
	waitLoaded(t, c)
	ctx := context.Background()
	end := EndRequest{TransactionalID: "o", ProducerID: 5, ProducerEpoch: math.MaxInt16 - 1, Commit: true, Version: V2, NewProducerID: -1}
	if _, err := c.EndTxn(ctx, end); !errors.Is(err, ErrNoProducerID) {
		t.Fatalf("an overflowing end without a new id: %v", err)
	}
	end.NewProducerID = 99
	res, err := c.EndTxn(ctx, end)
	if err != nil || res != (EndResult{99, 0}) {
		t.Fatalf("end: %v %v, want 99/0", res, err)
	}
	d := waitState(t, c, "o", CompleteCommit)
	if d.ProducerID != 99 || d.ProducerEpoch != 0 {
		t.Fatalf("completed at %d/%d, want 99/0", d.ProducerID, d.ProducerEpoch)
	}
	if got := markers.all(); len(got) != 1 || got[0].ProducerID != 5 || got[0].ProducerEpoch != math.MaxInt16 || !got[0].Commit {
		t.Fatalf("markers %+v, want producer 5 at epoch %d", got, math.MaxInt16)
	}
	if res, err := c.EndTxn(ctx, EndRequest{TransactionalID: "o", ProducerID: 5, ProducerEpoch: math.MaxInt16 - 1, Commit: true, Version: V2, NewProducerID: 100}); err != nil || res != (EndResult{99, 0}) {
		t.Fatalf("retry at the old id: %v %v", res, err)
	}
	var v kmsg.TxnMetadataValue
	if err := v.ReadFrom(log.recs[len(log.recs)-1].Value); err != nil || v.Version != 1 || v.ProducerID != 99 ||
		v.PreviousProducerID != 5 || v.NextProducerID != -1 || v.ClientTransactionVersion != 2 {
		t.Fatalf("last record %+v (%v)", v, err)
	}
}

// TestEndTxnVersion2Transitions proves the version 2 answers: the bumped
// epoch, a retry at the old epoch answered alike, an old epoch fenced, an
// abort with no partition allowed and bumping, a commit with none refused.
func TestEndTxnVersion2Transitions(t *testing.T) {
	c, _ := newTestCoordinatorWith(t, &memLog{}, coord.NewManualClock(time.Unix(1000, 0)), nil)
	waitLoaded(t, c)
	ctx := context.Background()
	if _, err := c.InitProducerID(ctx, InitRequest{TransactionalID: "v", Timeout: time.Second, ProducerID: -1, ProducerEpoch: -1, NewProducerID: 7}); err != nil {
		t.Fatal(err)
	}
	tp := kafka.TopicPartition{Topic: "t", Partition: 0}
	if _, err := c.AddPartitions(ctx, "v", 7, 0, []kafka.TopicPartition{tp}, false, V2); err != nil {
		t.Fatal(err)
	}
	end := func(epoch int16, commit bool) (EndResult, error) {
		return c.EndTxn(ctx, EndRequest{TransactionalID: "v", ProducerID: 7, ProducerEpoch: epoch, Commit: commit, Version: V2, NewProducerID: -1})
	}
	for _, step := range []struct {
		name   string
		epoch  int16
		commit bool
		want   EndResult
		err    error
		then   State // the state the id reaches
	}{
		{"commit", 0, true, EndResult{7, 1}, nil, CompleteCommit},
		{"retried commit", 0, true, EndResult{7, 1}, nil, CompleteCommit},
		{"retried as an abort", 0, false, EndResult{-1, -1}, ErrInvalidTxnState, CompleteCommit},
		{"empty commit", 1, true, EndResult{-1, -1}, ErrInvalidTxnState, CompleteCommit},
		{"empty abort", 1, false, EndResult{7, 2}, nil, CompleteAbort},
		{"old epoch", 0, false, EndResult{-1, -1}, ErrProducerFenced, CompleteAbort},
	} {
		res, err := end(step.epoch, step.commit)
		if res != step.want || !errors.Is(err, step.err) || (step.err == nil && err != nil) {
			t.Fatalf("%s: %v %v, want %v %v", step.name, res, err, step.want, step.err)
		}
		waitState(t, c, "v", step.then)
	}
}
