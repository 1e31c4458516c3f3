package replica

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/partition"
	"gregor/internal/record"
	"gregor/internal/storage"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

var testPartitionConfig = partition.Config{MaxMessageBytes: 1 << 20, MinInsyncReplicas: 1, TimestampBeforeMaxMs: math.MaxInt64, TimestampAfterMaxMs: math.MaxInt64}

var testTP = kafka.TopicPartition{Topic: "t", Partition: 0}

// replicaOf is one node's replica of testTP over a fresh log.
type replicaOf struct {
	*partition.Partition
	log *storage.Log
}

func openReplica(t *testing.T, self kafka.NodeID, role partition.Role) replicaOf {
	t.Helper()
	l, err := storage.Open(t.TempDir(), storage.DefaultConfig(), time.Now, discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	p, err := partition.Open(testTP, kafka.TopicID{1}, l, self, role, testPartitionConfig, discard)
	if err != nil {
		t.Fatal(err)
	}
	return replicaOf{p, l}
}

// contents is the whole log as stored, for comparing replicas byte for byte.
func (r replicaOf) contents(t *testing.T) []byte {
	t.Helper()
	b, err := r.log.ReadInto(nil, r.log.LogStartOffset(), math.MaxInt32, r.log.LogEndOffset(), true)
	if err != nil && !errors.Is(err, kafka.ErrOffsetOutOfRange) {
		t.Fatal(err)
	}
	return b
}

func batch(t *testing.T, value string, n int, pid int64, seq int32) record.Batch {
	t.Helper()
	spec := record.BatchSpec{ProducerID: pid, ProducerEpoch: -1, BaseSequence: -1}
	if pid >= 0 {
		spec.ProducerEpoch, spec.BaseSequence = 0, seq
	}
	for i := 0; i < n; i++ {
		spec.Records = append(spec.Records, record.Record{Timestamp: 1, Value: []byte(fmt.Sprintf("%s-%d", value, i))})
	}
	b, err := record.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func appendLeader(t *testing.T, p *partition.Partition, value string, n int) partition.AppendResult {
	t.Helper()
	res, err := p.AppendAsLeader([]record.Batch{batch(t, value, n, -1, -1)}, 1, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// memLeader is a FetchSource answering from a leader partition in memory,
// as the Fetch and OffsetForLeaderEpoch handlers answer a follower.
type memLeader struct {
	p       *partition.Partition
	now     func() time.Time
	fetches int
}

func (m *memLeader) Fetch(_ context.Context, req FetchRequest) ([]FetchedPartition, error) {
	m.fetches++
	var out []FetchedPartition
	for _, fp := range req.Partitions {
		a := FetchedPartition{TP: fp.TP, HighWatermark: -1, LogStartOffset: -1}
		a.Err = m.checkEpoch(fp.CurrentLeaderEpoch)
		if a.Err == nil {
			m.serve(req.ReplicaID, fp, &a)
		}
		out = append(out, a)
	}
	return out, nil
}

func (m *memLeader) serve(replica kafka.NodeID, fp FetchPartition, a *FetchedPartition) {
	a.HighWatermark, a.LogStartOffset = kafka.Offset(m.p.HighWatermark()), kafka.Offset(m.p.LogStartOffset())
	if epoch, end, ok := m.p.DivergingEpoch(fp.LastFetchedEpoch, fp.FetchOffset); ok {
		a.Diverging = &EpochEnd{TP: fp.TP, Epoch: epoch, EndOffset: end}
		return
	}
	if a.Err = m.p.UpdateFollower(replica, fp.FetchOffset, m.now()); a.Err != nil {
		return
	}
	a.HighWatermark = kafka.Offset(m.p.HighWatermark())
	a.Records, a.Err = m.p.ReadForFollower(nil, fp.FetchOffset, fp.MaxBytes, true)
}

func (m *memLeader) checkEpoch(epoch kafka.Epoch) error {
	switch ours := kafka.Epoch(m.p.LeaderEpoch()); {
	case !m.p.IsLeader():
		return partition.ErrNotLeader
	case epoch < ours:
		return partition.ErrFencedLeaderEpoch
	case epoch > ours:
		return partition.ErrUnknownLeaderEpoch
	}
	return nil
}

func (m *memLeader) EpochEndOffsets(_ context.Context, _ kafka.NodeID, qs []EpochQuery) ([]EpochEnd, error) {
	var out []EpochEnd
	for _, q := range qs {
		e := EpochEnd{TP: q.TP, Err: m.checkEpoch(q.CurrentLeaderEpoch)}
		if e.Err == nil {
			e.Epoch, e.EndOffset = m.p.EndOffsetForEpoch(q.LeaderEpoch)
		}
		out = append(out, e)
	}
	return out, nil
}

func (m *memLeader) Close() error { return nil }

var testFetch = FetchConfig{MaxBytes: 1 << 20, ResponseMaxBytes: 10 << 20, MinBytes: 1, MaxWait: 0, Backoff: time.Millisecond}

// divergedPair builds two replicas where node 2 led epoch 1 and wrote ten
// records of which node 1 copied five, then node 1 became leader at epoch
// 2 and acknowledged three records of its own: node 2's last five records
// are a divergent tail that no one acknowledged.
func divergedPair(t *testing.T) (leader, follower replicaOf) {
	replicas := []kafka.NodeID{1, 2}
	epoch1 := partition.Role{Leader: 2, LeaderEpoch: 1, ISR: replicas, Replicas: replicas}
	follower = openReplica(t, 2, epoch1)
	leader = openReplica(t, 1, epoch1)
	appendLeader(t, follower.Partition, "old", 5)
	copied, err := record.Split(follower.contents(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := leader.AppendAsFollower(copied); err != nil {
		t.Fatal(err)
	}
	appendLeader(t, follower.Partition, "divergent", 5)
	epoch2 := partition.Role{Leader: 1, LeaderEpoch: 2, ISR: []kafka.NodeID{1}, Replicas: replicas}
	leader.SetRole(epoch2)
	appendLeader(t, leader.Partition, "new", 3)
	follower.SetRole(epoch2)
	if leader.HighWatermark() != 8 || follower.LogEndOffset() != 10 {
		t.Fatalf("setup: leader hw %d, follower leo %d", leader.HighWatermark(), follower.LogEndOffset())
	}
	return leader, follower
}

// runRounds drives the fetcher by hand until the follower stops changing.
func runRounds(t *testing.T, f *fetcher, src FetchSource) {
	t.Helper()
	for i := 0; i < 10; i++ {
		if _, err := f.round(context.Background(), src); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFollowerTruncatesDivergentTail proves KIP-101/KIP-279 truncation by
// OffsetForLeaderEpoch: a returning follower with a divergent tail from an
// older epoch ends with a log byte for byte equal to its leader's (no
// acknowledged record lost, no divergent record kept), its leader-epoch
// cache agreeing, and the leader's high watermark past the follower's copy.
func TestFollowerTruncatesDivergentTail(t *testing.T) {
	leader, follower := divergedPair(t)
	src := &memLeader{p: leader.Partition, now: time.Now}
	f := newFetcher(2, 1, testFetch, time.Now, discard, nil)
	f.add(follower.Partition, 2)
	runRounds(t, f, src)
	checkSameLog(t, leader, follower)
}

// TestFollowerTruncatesOnDivergingEpoch proves the same through Fetch's
// diverging epoch (KIP-320) alone, with no OffsetForLeaderEpoch round.
func TestFollowerTruncatesOnDivergingEpoch(t *testing.T) {
	leader, follower := divergedPair(t)
	src := &memLeader{p: leader.Partition, now: time.Now}
	f := newFetcher(2, 1, testFetch, time.Now, discard, nil)
	f.add(follower.Partition, 2)
	f.parts[testTP].truncating = false
	runRounds(t, f, src)
	checkSameLog(t, leader, follower)
}

func checkSameLog(t *testing.T, leader, follower replicaOf) {
	t.Helper()
	if got, want := follower.contents(t), leader.contents(t); !bytes.Equal(got, want) {
		t.Fatalf("follower log (%d bytes, leo %d) differs from the leader's (%d bytes, leo %d)",
			len(got), follower.LogEndOffset(), len(want), leader.LogEndOffset())
	}
	for _, e := range []kafka.Epoch{0, 1, 2, 3} {
		le, lo := leader.EndOffsetForEpoch(e)
		fe, fo := follower.EndOffsetForEpoch(e)
		if le != fe || lo != fo {
			t.Errorf("epoch %d ends at %d/%d on the leader, %d/%d on the follower", e, le, lo, fe, fo)
		}
	}
	if follower.HighWatermark() != leader.HighWatermark() || leader.HighWatermark() != 8 {
		t.Errorf("high watermarks: leader %d, follower %d, want 8", leader.HighWatermark(), follower.HighWatermark())
	}
}

// TestFollowerCopiesAndHoldsHighWatermark proves the steady state: a
// follower in the ISR copies new records with the leader's offsets and
// epochs, the leader's high watermark waits for it, and the follower's
// high watermark is the leader's as answered.
func TestFollowerCopiesAndHoldsHighWatermark(t *testing.T) {
	replicas := []kafka.NodeID{1, 2}
	role := partition.Role{Leader: 1, LeaderEpoch: 4, ISR: replicas, Replicas: replicas}
	leader, follower := openReplica(t, 1, role), openReplica(t, 2, role)
	src := &memLeader{p: leader.Partition, now: time.Now}
	f := newFetcher(2, 1, testFetch, time.Now, discard, nil)
	f.add(follower.Partition, 4)
	appendLeader(t, leader.Partition, "a", 3)
	if leader.HighWatermark() != 0 {
		t.Fatalf("leader hw %d before the follower copied", leader.HighWatermark())
	}
	runRounds(t, f, src)
	if leader.HighWatermark() != 3 || follower.HighWatermark() != 3 || follower.LatestEpoch() != 4 {
		t.Fatalf("leader hw %d, follower hw %d epoch %d", leader.HighWatermark(), follower.HighWatermark(), follower.LatestEpoch())
	}
	checkSameLogBytes(t, leader, follower)
}

func checkSameLogBytes(t *testing.T, a, b replicaOf) {
	t.Helper()
	if !bytes.Equal(a.contents(t), b.contents(t)) {
		t.Fatal("logs differ")
	}
}

// TestFencedFollowerBacksOff proves that a follower whose leader epoch is
// stale is answered FENCED_LEADER_EPOCH and backs off without touching
// its log, then fetches once the image gives it the current epoch.
func TestFencedFollowerBacksOff(t *testing.T) {
	replicas := []kafka.NodeID{1, 2}
	leader := openReplica(t, 1, partition.Role{Leader: 1, LeaderEpoch: 5, ISR: replicas, Replicas: replicas})
	follower := openReplica(t, 2, partition.Role{Leader: 1, LeaderEpoch: 4, ISR: replicas, Replicas: replicas})
	appendLeader(t, leader.Partition, "a", 2)
	src := &memLeader{p: leader.Partition, now: time.Now}
	f := newFetcher(2, 1, FetchConfig{MaxBytes: 1 << 20, Backoff: time.Hour}, time.Now, discard, nil)
	f.add(follower.Partition, 4)
	f.parts[testTP].truncating = false
	runRounds(t, f, src)
	if follower.LogEndOffset() != 0 || src.fetches != 1 {
		t.Fatalf("fenced follower: leo %d after %d fetches, want 0 after 1", follower.LogEndOffset(), src.fetches)
	}
	f.add(follower.Partition, 5)
	runRounds(t, f, src)
	if follower.LogEndOffset() != 2 {
		t.Fatalf("follower at the current epoch: leo %d", follower.LogEndOffset())
	}
}

// TestNewLeaderNotYetAppliedRetriesSoon proves that a follower whose new
// leader has not applied its leadership yet (UNKNOWN_LEADER_EPOCH) fetches
// again after epochRetry, not after replica.fetch.backoff.ms: the new
// leader's high watermark, and acks=all produce, wait for that fetch.
func TestNewLeaderNotYetAppliedRetriesSoon(t *testing.T) {
	replicas := []kafka.NodeID{1, 2}
	leader := openReplica(t, 1, partition.Role{Leader: 1, LeaderEpoch: 4, ISR: replicas, Replicas: replicas})
	follower := openReplica(t, 2, partition.Role{Leader: 1, LeaderEpoch: 5, ISR: replicas, Replicas: replicas})
	appendLeader(t, leader.Partition, "a", 2)
	src := &memLeader{p: leader.Partition, now: time.Now}
	f := newFetcher(2, 1, FetchConfig{MaxBytes: 1 << 20, Backoff: time.Hour}, time.Now, discard, nil)
	f.add(follower.Partition, 5)
	f.parts[testTP].truncating = false
	runRounds(t, f, src)
	if follower.LogEndOffset() != 0 || src.fetches != 1 {
		t.Fatalf("ahead of its leader: leo %d after %d fetches, want 0 after 1", follower.LogEndOffset(), src.fetches)
	}
	leader.SetRole(partition.Role{Leader: 1, LeaderEpoch: 5, ISR: replicas, Replicas: replicas})
	time.Sleep(epochRetry + 10*time.Millisecond)
	runRounds(t, f, src)
	if follower.LogEndOffset() != 2 {
		t.Fatalf("once the leader applied epoch 5: leo %d after %d fetches", follower.LogEndOffset(), src.fetches)
	}
}

// TestDuplicateAfterFailover proves that idempotent producer state
// replicates with the data: after the follower takes over, a retry of a
// batch the old leader wrote is answered with its original offset and not
// written again.
func TestDuplicateAfterFailover(t *testing.T) {
	replicas := []kafka.NodeID{1, 2}
	role := partition.Role{Leader: 1, LeaderEpoch: 1, ISR: replicas, Replicas: replicas}
	leader, follower := openReplica(t, 1, role), openReplica(t, 2, role)
	appendLeader(t, leader.Partition, "plain", 2)
	first, err := leader.AppendAsLeader([]record.Batch{batch(t, "idem", 3, 7, 0)}, -1, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	f := newFetcher(2, 1, testFetch, time.Now, discard, nil)
	f.add(follower.Partition, 1)
	runRounds(t, f, &memLeader{p: leader.Partition, now: time.Now})
	follower.SetRole(partition.Role{Leader: 2, LeaderEpoch: 2, ISR: []kafka.NodeID{2}, Replicas: replicas})
	leo := follower.LogEndOffset()
	retry, err := follower.AppendAsLeader([]record.Batch{batch(t, "idem", 3, 7, 0)}, -1, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if retry.BaseOffset != first.BaseOffset || retry.LastOffset != first.LastOffset || follower.LogEndOffset() != leo {
		t.Fatalf("retry answered %d-%d (leo %d -> %d), want the original %d-%d",
			retry.BaseOffset, retry.LastOffset, leo, follower.LogEndOffset(), first.BaseOffset, first.LastOffset)
	}
	if _, err := follower.AppendAsLeader([]record.Batch{batch(t, "idem", 1, 7, 5)}, -1, time.Now()); !errors.Is(err, partition.ErrOutOfOrderSequence) {
		t.Fatalf("a gap after failover: %v, want out of order", err)
	}
}

// TestUnreachableLeaderLoggedOnce proves that a leader the follower cannot
// reach, for the same reason at every retry (a refused inter-broker
// login, say), is logged once and not at every backoff.
func TestUnreachableLeaderLoggedOnce(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))
	attempts := 0
	connected := make(chan struct{})
	connect := func(ctx context.Context) (FetchSource, error) {
		if attempts++; attempts < 20 {
			return nil, errors.New("SASL authentication failed: wrong password")
		}
		close(connected)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	f := newFetcher(2, 1, FetchConfig{MaxBytes: 1 << 20, Backoff: time.Millisecond}, time.Now, logger, connect)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.run(ctx) }()
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		t.Fatal("the fetcher stopped retrying")
	}
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if n := strings.Count(logs.String(), "cannot reach the leader"); n != 1 {
		t.Fatalf("logged the unreachable leader %d times after 19 failures, want once:\n%s", n, logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// stalledLeader is a FetchSource that never answers: each request waits
// for its context, as a leader that stopped answering on an open
// connection.
type stalledLeader struct{ requests chan stalledRequest }

// stalledRequest is how a request to a stalledLeader ended: the time its
// context still had when it arrived (-1: no deadline), how long it
// waited, and why it ended.
type stalledRequest struct {
	budget, waited time.Duration
	err            error
}

func (s *stalledLeader) wait(ctx context.Context) error {
	start := time.Now()
	budget := time.Duration(-1)
	if deadline, ok := ctx.Deadline(); ok {
		budget = deadline.Sub(start)
	}
	<-ctx.Done()
	s.requests <- stalledRequest{budget: budget, waited: time.Since(start), err: ctx.Err()}
	return ctx.Err()
}

func (s *stalledLeader) Fetch(ctx context.Context, _ FetchRequest) ([]FetchedPartition, error) {
	return nil, s.wait(ctx)
}

func (s *stalledLeader) EpochEndOffsets(ctx context.Context, _ kafka.NodeID, _ []EpochQuery) ([]EpochEnd, error) {
	return nil, s.wait(ctx)
}

func (s *stalledLeader) Close() error { return nil }

// TestSocketTimeoutBoundsRequests proves that a request to a leader that
// does not answer fails after replica.socket.timeout.ms (SocketTimeout),
// so the fetcher reconnects rather than waiting on it forever.
func TestSocketTimeoutBoundsRequests(t *testing.T) {
	replicas := []kafka.NodeID{1, 2}
	follower := openReplica(t, 2, partition.Role{Leader: 1, LeaderEpoch: 1, ISR: replicas, Replicas: replicas})
	src := &stalledLeader{requests: make(chan stalledRequest, 16)}
	connects := make(chan struct{}, 16)
	connect := func(context.Context) (FetchSource, error) {
		connects <- struct{}{}
		return src, nil
	}
	f := newFetcher(2, 1, FetchConfig{MaxBytes: 1 << 20, Backoff: time.Millisecond, SocketTimeout: 50 * time.Millisecond}, time.Now, discard, connect)
	f.add(follower.Partition, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	for i := 0; i < 2; i++ {
		select {
		case r := <-src.requests:
			// The deadline is set before the request reaches the leader, so
			// the leader sees a little less than the whole timeout.
			if !errors.Is(r.err, context.DeadlineExceeded) || r.budget < 0 || r.budget > 50*time.Millisecond || r.waited > 5*time.Second {
				t.Fatalf("request %d: %v after %v with %v left on arrival, want the 50ms socket timeout's deadline", i, r.err, r.waited, r.budget)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("request %d still waiting after 10s", i)
		}
	}
	if len(connects) < 2 {
		t.Fatalf("%d connections after two timed-out requests, want a reconnect", len(connects))
	}
}
