package txn

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"gregor/internal/coord"
	"gregor/internal/kafka"
	"gregor/internal/record"
)

// memLog is a committed-on-append log of one partition.
type memLog struct {
	mu   sync.Mutex
	recs []record.Record
}

func (l *memLog) Append(_ context.Context, rs []record.Record) (kafka.Offset, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range rs {
		l.recs = append(l.recs, record.Record{Key: slices.Clone(r.Key), Value: slices.Clone(r.Value)})
	}
	return kafka.Offset(len(l.recs) - 1), nil
}

func (l *memLog) WaitForHighWatermark(context.Context, kafka.Offset) error { return nil }

func (l *memLog) HighWatermark() kafka.Offset {
	l.mu.Lock()
	defer l.mu.Unlock()
	return kafka.Offset(len(l.recs))
}

func (l *memLog) Replay(fn func(key, value []byte)) error {
	l.mu.Lock()
	recs := slices.Clone(l.recs)
	l.mu.Unlock()
	for _, r := range recs {
		fn(r.Key, r.Value)
	}
	return nil
}

// markerLog records the markers written.
type markerLog struct {
	mu      sync.Mutex
	written []Markers
}

func (m *markerLog) WriteMarkers(_ context.Context, ms Markers) []kafka.TopicPartition {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.written = append(m.written, ms)
	return nil
}

func (m *markerLog) all() []Markers {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.written)
}

func newTestCoordinator(t *testing.T, log *memLog, clock *coord.ManualClock) (*Coordinator, *markerLog) {
	t.Helper()
	return newTestCoordinatorWith(t, log, clock, nil)
}

// newTestCoordinatorWith is newTestCoordinator at a finalized
// transaction.version (nil: 0).
func newTestCoordinatorWith(t *testing.T, log *memLog, clock *coord.ManualClock, finalized func() Version) (*Coordinator, *markerLog) {
	t.Helper()
	markers := &markerLog{}
	c := New(Config{Partitions: 1, MaxTimeout: time.Minute, IDExpiration: time.Hour,
		AbortTimedOutInterval: time.Second, RemoveExpiredInterval: time.Minute, MarkerRetryBackoff: time.Millisecond,
		FinalizedVersion: finalized},
		clock, markers, slog.New(slog.NewTextHandler(io.Discard, nil)))
	c.BecomeLeader(0, log, 5)
	t.Cleanup(c.Close)
	return c, markers
}

// waitState waits for id to reach state (markers complete in the background).
func waitState(t *testing.T, c *Coordinator, id string, want State) Description {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		d, err := c.Describe(context.Background(), id)
		if err == nil && d.State == want {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: state %v (err %v), want %v", id, d.State, err, want)
		}
	}
}

// TestTransactionLifecycle proves the coordinator's transitions: an id's
// first producer gets epoch 0, partitions make the transaction Ongoing,
// verify-only answers per partition, EndTxn writes markers carrying the
// coordinator epoch and completes, a second InitProducerId bumps the epoch
// and fences the first producer, and everything survives a reload.
func TestTransactionLifecycle(t *testing.T) {
	ctx := context.Background()
	log, clock := &memLog{}, coord.NewManualClock(time.Unix(1000, 0))
	c, markers := newTestCoordinator(t, log, clock)
	waitLoaded(t, c)
	res, err := c.InitProducerID(ctx, InitRequest{TransactionalID: "a", Timeout: 10 * time.Second, ProducerID: -1, ProducerEpoch: -1, NewProducerID: 77})
	if err != nil || res != (InitResult{77, 0}) {
		t.Fatalf("init: %v %v", res, err)
	}
	tp := kafka.TopicPartition{Topic: "t", Partition: 1}
	if _, err := c.AddPartitions(ctx, "a", 77, 0, []kafka.TopicPartition{tp}, false, 0); err != nil {
		t.Fatal(err)
	}
	other := kafka.TopicPartition{Topic: "t", Partition: 2}
	per, err := c.AddPartitions(ctx, "a", 77, 0, []kafka.TopicPartition{tp, other}, true, 0)
	if err != nil || per[tp] != nil || !errors.Is(per[other], ErrInvalidTxnState) {
		t.Fatalf("verify-only: %v %v", per, err)
	}
	if _, err := c.EndTxn(ctx, EndRequest{TransactionalID: "a", ProducerID: 77, ProducerEpoch: 0, Commit: true, NewProducerID: -1}); err != nil {
		t.Fatal(err)
	}
	waitState(t, c, "a", CompleteCommit)
	if got := markers.all(); len(got) != 1 || !got[0].Commit || got[0].CoordinatorEpoch != 5 || !slices.Equal(got[0].Partitions, []kafka.TopicPartition{tp}) {
		t.Fatalf("markers %+v", got)
	}
	if _, err := c.EndTxn(ctx, EndRequest{TransactionalID: "a", ProducerID: 77, ProducerEpoch: 0, Commit: true, NewProducerID: -1}); err != nil {
		t.Fatalf("a retried commit: %v", err)
	}
	res, err = c.InitProducerID(ctx, InitRequest{TransactionalID: "a", Timeout: 10 * time.Second, ProducerID: -1, ProducerEpoch: -1, NewProducerID: 78})
	if err != nil || res != (InitResult{77, 1}) {
		t.Fatalf("second init: %v %v", res, err)
	}
	if _, err := c.AddPartitions(ctx, "a", 77, 0, []kafka.TopicPartition{tp}, false, 0); !errors.Is(err, ErrProducerFenced) {
		t.Fatalf("zombie: %v", err)
	}
	c.Close()
	c2, _ := newTestCoordinator(t, log, clock)
	waitLoaded(t, c2)
	if d := waitState(t, c2, "a", Empty); d.ProducerID != 77 || d.ProducerEpoch != 1 {
		t.Fatalf("after reload: %+v", d)
	}
}

// TestTransactionTimeout proves that a transaction open longer than its
// timeout is aborted on the coordinator's clock, with the producer's epoch
// bumped so that the producer is fenced.
func TestTransactionTimeout(t *testing.T) {
	ctx := context.Background()
	clock := coord.NewManualClock(time.Unix(1000, 0))
	c, markers := newTestCoordinator(t, &memLog{}, clock)
	waitLoaded(t, c)
	if _, err := c.InitProducerID(ctx, InitRequest{TransactionalID: "b", Timeout: 3 * time.Second, ProducerID: -1, ProducerEpoch: -1, NewProducerID: 9}); err != nil {
		t.Fatal(err)
	}
	tp := kafka.TopicPartition{Topic: "t"}
	if _, err := c.AddPartitions(ctx, "b", 9, 0, []kafka.TopicPartition{tp}, false, 0); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Second)
	if d := waitState(t, c, "b", Ongoing); d.ProducerEpoch != 0 {
		t.Fatalf("aborted before its timeout: %+v", d)
	}
	clock.Advance(2 * time.Second)
	d := waitState(t, c, "b", CompleteAbort)
	if got := markers.all(); d.ProducerEpoch != 1 || len(got) != 1 || got[0].Commit || got[0].ProducerEpoch != 1 {
		t.Fatalf("after the timeout: %+v, markers %+v", d, got)
	}
	if _, err := c.EndTxn(ctx, EndRequest{TransactionalID: "b", ProducerID: 9, ProducerEpoch: 0, Commit: true, NewProducerID: -1}); !errors.Is(err, ErrProducerFenced) {
		t.Fatalf("commit by the timed-out producer: %v", err)
	}
}

func waitLoaded(t *testing.T, c *Coordinator) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := c.Describe(context.Background(), "x"); !errors.Is(err, ErrLoadInProgress) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("partition not loaded")
		}
	}
}
