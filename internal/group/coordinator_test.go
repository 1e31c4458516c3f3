package group

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"gregor/internal/coord"
	"gregor/internal/kafka"
	"gregor/internal/record"
)

// memLog is an in-memory partition of __consumer_offsets.
type memLog struct {
	mu   sync.Mutex
	recs []record.Record
	gate chan struct{} // when set, the high watermark waits for it to close
}

func (l *memLog) Append(_ context.Context, recs []record.Record) (kafka.Offset, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, recs...)
	return kafka.Offset(len(l.recs) - 1), nil
}

// WaitForHighWatermark returns at once (every append is committed) unless
// the test has closed the gate.
func (l *memLog) WaitForHighWatermark(ctx context.Context, _ kafka.Offset) error {
	l.mu.Lock()
	gate := l.gate
	l.mu.Unlock()
	if gate == nil {
		return nil
	}
	select {
	case <-gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *memLog) Replay(fn func(key, value []byte)) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.recs {
		fn(r.Key, r.Value)
	}
	return nil
}

func testConfig() Config {
	return Config{
		Partitions: 1, MinSessionTimeout: 10 * time.Millisecond, MaxSessionTimeout: time.Minute,
		MaxSize: 3, OffsetMetadataMaxBytes: 4096, OffsetsRetention: time.Hour, OffsetsRetentionCheck: time.Hour,
	}
}

// start returns a coordinator leading its only partition over log.
func start(t *testing.T, cfg Config, log *memLog, clock coord.Clock) *Coordinator {
	t.Helper()
	c := New(cfg, clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	c.BecomeLeader(0, log)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := call(c, "any", func(*shard) bool { return true })
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("partition not loaded: %v", err)
		}
		time.Sleep(time.Millisecond)
	}
	t.Cleanup(c.Close)
	return c
}

func joinReq(g, member string) JoinRequest {
	return JoinRequest{
		GroupID: g, MemberID: member, ClientID: "c", SessionTimeout: 10 * time.Second,
		RebalanceTimeout: 300 * time.Millisecond, ProtocolType: "consumer",
		Protocols: []Protocol{{Name: "range", Metadata: []byte{1}}},
	}
}

func joinAsync(c *Coordinator, req JoinRequest) <-chan JoinResult {
	ch := make(chan JoinResult, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ch <- c.Join(ctx, req)
	}()
	return ch
}

// TestInitialRebalanceDelay: members arriving during
// group.initial.rebalance.delay.ms join the first generation together.
func TestInitialRebalanceDelay(t *testing.T) {
	cfg := testConfig()
	cfg.InitialRebalanceDelay = 150 * time.Millisecond
	c := start(t, cfg, &memLog{}, coord.RealClock{})
	a := joinAsync(c, joinReq("g", ""))
	time.Sleep(50 * time.Millisecond)
	b := joinAsync(c, joinReq("g", ""))
	ra, rb := <-a, <-b
	if ra.Err != nil || rb.Err != nil {
		t.Fatalf("joins: %v, %v", ra.Err, rb.Err)
	}
	if ra.Generation != 1 || rb.Generation != 1 || ra.Leader != rb.Leader {
		t.Fatalf("generations %d/%d, leaders %s/%s", ra.Generation, rb.Generation, ra.Leader, rb.Leader)
	}
	leader := ra
	if rb.MemberID == rb.Leader {
		leader = rb
	}
	if len(leader.Members) != 2 {
		t.Fatalf("leader sees %d members", len(leader.Members))
	}
}

// TestRebalanceTimeoutDropsMembersThatDoNotRejoin: a member that does not
// rejoin within the rebalance timeout is removed; the others go on.
func TestRebalanceTimeoutDropsMembersThatDoNotRejoin(t *testing.T) {
	c := start(t, testConfig(), &memLog{}, coord.RealClock{})
	a := <-joinAsync(c, joinReq("g", ""))
	b := joinAsync(c, joinReq("g", "")) // rebalances: a must rejoin
	waitState(t, c, "g", PreparingRebalance)
	a2 := <-joinAsync(c, joinReq("g", a.MemberID))
	rb := <-b
	if a2.Err != nil || rb.Err != nil || a2.Generation != 2 {
		t.Fatalf("second generation: %+v %+v", a2, rb)
	}
	// A third member joins; only a rejoins, so b is dropped at the timeout.
	c3 := joinAsync(c, joinReq("g", ""))
	waitState(t, c, "g", PreparingRebalance)
	a3 := <-joinAsync(c, joinReq("g", a.MemberID))
	r3 := <-c3
	if a3.Err != nil || r3.Err != nil || a3.Generation != 3 || len(a3.Members)+len(r3.Members) != 2 {
		t.Fatalf("third generation: a %+v, c %+v", a3, r3)
	}
	if err := c.Heartbeat("g", rb.MemberID, "", 3); err != ErrUnknownMemberID {
		t.Fatalf("heartbeat of the dropped member: %v", err)
	}
}

// TestGroupMaxSize: the member beyond group.max.size is refused.
func TestGroupMaxSize(t *testing.T) {
	cfg := testConfig()
	cfg.MaxSize = 1
	c := start(t, cfg, &memLog{}, coord.RealClock{})
	if r := <-joinAsync(c, joinReq("g", "")); r.Err != nil {
		t.Fatal(r.Err)
	}
	if r := <-joinAsync(c, joinReq("g", "")); r.Err != ErrGroupMaxSizeReached {
		t.Fatalf("second member: %v", r.Err)
	}
}

// TestLoadRebuildsGroupsAndOffsets: a coordinator that takes over the
// partition sees the groups, members, assignments and offsets stored there,
// and not what was deleted.
func TestLoadRebuildsGroupsAndOffsets(t *testing.T) {
	log := &memLog{}
	clk := coord.NewManualClock(time.UnixMilli(1_700_000_000_000))
	c := start(t, testConfig(), log, clk)
	j := <-joinAsync(c, joinReq("g", ""))
	if r := c.Sync(context.Background(), SyncRequest{GroupID: "g", MemberID: j.MemberID, Generation: j.Generation, Assignments: map[string][]byte{j.MemberID: []byte("plan")}}); r.Err != nil {
		t.Fatal(r.Err)
	}
	tp := kafka.TopicPartition{Topic: "t", Partition: 1}
	if _, err := c.Commit(CommitRequest{GroupID: "g", MemberID: j.MemberID, Generation: j.Generation, Offsets: map[kafka.TopicPartition]Offset{tp: {Offset: 9, LeaderEpoch: 2, Metadata: "x", CommitTime: clk.Now()}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Commit(CommitRequest{GroupID: "gone", Generation: -1, Offsets: map[kafka.TopicPartition]Offset{tp: {Offset: 1}}}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteGroup("gone"); err != nil {
		t.Fatal(err)
	}
	c.Close()

	c2 := start(t, testConfig(), log, clk)
	d, err := c2.Describe("g")
	if err != nil || d.State != Stable || len(d.Members) != 1 || string(d.Members[0].Assignment) != "plan" {
		t.Fatalf("reloaded group: %+v, %v", d, err)
	}
	offs, err := c2.Fetch("g", nil)
	if err != nil || offs[tp].Offset != 9 || offs[tp].LeaderEpoch != 2 || offs[tp].Metadata != "x" {
		t.Fatalf("reloaded offsets: %+v, %v", offs, err)
	}
	if _, err := c2.Describe("gone"); err != ErrGroupIDNotFound {
		t.Fatalf("deleted group after reload: %v", err)
	}
	// The reloaded member is still fenced by generation and keeps its session.
	if err := c2.Heartbeat("g", j.MemberID, "", j.Generation); err != nil {
		t.Fatalf("heartbeat after reload: %v", err)
	}
	if err := c2.Heartbeat("g", j.MemberID, "", j.Generation-1); err != ErrIllegalGeneration {
		t.Fatalf("stale heartbeat after reload: %v", err)
	}
}

// TestExpireOffsets: offsets of an empty group expire offsets.retention
// after the group became empty; then the group is deleted.
func TestExpireOffsets(t *testing.T) {
	log := &memLog{}
	clk := coord.NewManualClock(time.UnixMilli(1_700_000_000_000))
	c := start(t, testConfig(), log, clk)
	tp := kafka.TopicPartition{Topic: "t", Partition: 0}
	if _, err := c.Commit(CommitRequest{GroupID: "g", Generation: -1, Offsets: map[kafka.TopicPartition]Offset{tp: {Offset: 5, CommitTime: clk.Now()}}}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(59 * time.Minute)
	c.ExpireOffsets()
	if offs, _ := c.Fetch("g", nil); len(offs) != 1 {
		t.Fatalf("offsets expired early: %v", offs)
	}
	clk.Advance(2 * time.Minute)
	c.ExpireOffsets()
	if offs, _ := c.Fetch("g", nil); len(offs) != 0 {
		t.Fatalf("offsets not expired: %v", offs)
	}
	if _, err := c.Describe("g"); err != ErrGroupIDNotFound {
		t.Fatalf("expired group still described: %v", err)
	}
	c.Close()
	c2 := start(t, testConfig(), log, clk)
	if offs, _ := c2.Fetch("g", nil); len(offs) != 0 {
		t.Fatalf("expired offsets came back after reload: %v", offs)
	}
}

func waitState(t *testing.T, c *Coordinator, g string, want State) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		d, _ := c.Describe(g)
		if d.State == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("group %s in state %s, want %s", g, d.State, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestSyncAnswerWaitsForCommittedAssignment proves that SyncGroup answers
// only once the group metadata carrying the assignment is committed, and
// that the assignment the group then serves is the one replayed from it.
func TestSyncAnswerWaitsForCommittedAssignment(t *testing.T) {
	log := &memLog{}
	c := start(t, testConfig(), log, coord.RealClock{})
	j := <-joinAsync(c, joinReq("g", ""))
	if j.Err != nil {
		t.Fatal(j.Err)
	}
	gate := make(chan struct{})
	log.mu.Lock()
	log.gate = gate
	log.mu.Unlock()
	got := make(chan SyncResult, 1)
	go func() {
		got <- c.Sync(context.Background(), SyncRequest{GroupID: "g", MemberID: j.MemberID, Generation: j.Generation,
			Assignments: map[string][]byte{j.MemberID: []byte("parts")}})
	}()
	select {
	case r := <-got:
		t.Fatalf("sync answered before its assignment was committed: %+v", r)
	case <-time.After(50 * time.Millisecond):
	}
	seen := make(chan string, 1)
	if err := c.rt.Submit(0, func(s *shard) {
		g := s.groups["g"]
		seen <- g.state.String() + " " + string(g.members[j.MemberID].assignment)
	}); err != nil {
		t.Fatal(err)
	}
	if v := <-seen; v != "Stable parts" {
		t.Fatalf("while the write waits, the loop runs on and sees the replayed assignment: got %q", v)
	}
	close(gate)
	if r := <-got; r.Err != nil || string(r.Assignment) != "parts" {
		t.Fatalf("sync: %+v", r)
	}
}

// TestResignedPartitionIsNotCoordinator proves that requests for a
// partition this node stopped leading fail with the group's
// ErrNotCoordinator, which the handler maps to NOT_COORDINATOR.
func TestResignedPartitionIsNotCoordinator(t *testing.T) {
	c := start(t, testConfig(), &memLog{}, coord.RealClock{})
	c.Resign(0)
	if err := c.Heartbeat("g", "m", "", 1); !errors.Is(err, ErrNotCoordinator) {
		t.Fatalf("heartbeat after resign: %v, want ErrNotCoordinator", err)
	}
}
