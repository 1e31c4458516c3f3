package txn

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"gregor/internal/coord"
	"gregor/internal/kafka"
)

// gatedMarkers writes no marker until open is closed.
type gatedMarkers struct {
	markerLog
	open chan struct{}
}

func (g *gatedMarkers) WriteMarkers(ctx context.Context, ms Markers) []kafka.TopicPartition {
	select {
	case <-g.open:
	case <-ctx.Done():
		return ms.Partitions
	}
	return g.markerLog.WriteMarkers(ctx, ms)
}

// immediateMarkers writes every marker at once, on the coordinator's loop.
type immediateMarkers struct{ markerLog }

func (m *immediateMarkers) WriteMarkersNow(ms Markers) (func(context.Context) []kafka.TopicPartition, bool) {
	m.markerLog.WriteMarkers(context.Background(), ms)
	return nil, true
}

func newCoordinatorWithMarkers(t *testing.T, w MarkerWriter) *Coordinator {
	t.Helper()
	c := New(Config{Partitions: 1, MaxTimeout: time.Minute, IDExpiration: time.Hour,
		AbortTimedOutInterval: time.Second, RemoveExpiredInterval: time.Minute, MarkerRetryBackoff: time.Millisecond,
		FinalizedVersion: func() Version { return V2 }},
		coord.NewManualClock(time.Unix(1000, 0)), w, slog.New(slog.NewTextHandler(io.Discard, nil)))
	c.BecomeLeader(0, &memLog{}, 5)
	t.Cleanup(c.Close)
	waitLoaded(t, c)
	return c
}

// startTransaction gives id producer 7 and a transaction on partition t-0.
func startTransaction(t *testing.T, c *Coordinator, id string) kafka.TopicPartition {
	t.Helper()
	ctx := context.Background()
	if _, err := c.InitProducerID(ctx, InitRequest{TransactionalID: id, Timeout: time.Minute, ProducerID: -1, ProducerEpoch: -1, NewProducerID: 7}); err != nil {
		t.Fatal(err)
	}
	tp := kafka.TopicPartition{Topic: "t", Partition: 0}
	if _, err := c.AddPartitions(ctx, id, 7, 0, []kafka.TopicPartition{tp}, false, V2); err != nil {
		t.Fatal(err)
	}
	return tp
}

// TestEndTxnAnswersBeforeTheMarkers proves that EndTxn answers once the
// prepare state is written, as Kafka, while the markers are not written
// yet, and that the producer's next transaction, adding a partition
// meanwhile, waits for the previous one to complete and then starts,
// instead of answering CONCURRENT_TRANSACTIONS.
func TestEndTxnAnswersBeforeTheMarkers(t *testing.T) {
	markers := &gatedMarkers{open: make(chan struct{})}
	c := newCoordinatorWithMarkers(t, markers)
	tp := startTransaction(t, c, "g")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.EndTxn(ctx, EndRequest{TransactionalID: "g", ProducerID: 7, ProducerEpoch: 0, Commit: true, Version: V2, NewProducerID: -1})
	if err != nil || res != (EndResult{7, 1}) {
		t.Fatalf("EndTxn: %v %v", res, err)
	}
	if d, err := c.Describe(ctx, "g"); err != nil || d.State != PrepareCommit || len(markers.all()) != 0 {
		t.Fatalf("after EndTxn: %v %v, %d markers; want PrepareCommit and none written", d.State, err, len(markers.all()))
	}
	added := make(chan error, 1)
	go func() {
		_, err := c.AddPartitions(ctx, "g", 7, 1, []kafka.TopicPartition{tp}, false, V2)
		added <- err
	}()
	select {
	case err := <-added:
		t.Fatalf("the next transaction's partition added while the markers are not written: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(markers.open)
	select {
	case err := <-added:
		if err != nil {
			t.Fatalf("the next transaction's partition: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("AddPartitions still waiting after the markers were written")
	}
	if d := waitState(t, c, "g", Ongoing); d.ProducerEpoch != 1 || len(markers.all()) != 1 {
		t.Fatalf("next transaction at epoch %d after %d markers", d.ProducerEpoch, len(markers.all()))
	}
}

// TestImmediateMarkersCompleteBeforeTheAnswer proves that with a marker
// writer that writes at once, EndTxn answers with the transaction complete.
func TestImmediateMarkersCompleteBeforeTheAnswer(t *testing.T) {
	markers := &immediateMarkers{}
	c := newCoordinatorWithMarkers(t, markers)
	startTransaction(t, c, "i")
	ctx := context.Background()
	if _, err := c.EndTxn(ctx, EndRequest{TransactionalID: "i", ProducerID: 7, ProducerEpoch: 0, Commit: false, Version: V2, NewProducerID: -1}); err != nil {
		t.Fatal(err)
	}
	if d, err := c.Describe(ctx, "i"); err != nil || d.State != CompleteAbort || d.ProducerEpoch != 1 || len(markers.all()) != 1 {
		t.Fatalf("after EndTxn: %v at epoch %d (%v), %d markers; want CompleteAbort at 1 with its marker", d.State, d.ProducerEpoch, err, len(markers.all()))
	}
}
