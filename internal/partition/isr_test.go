package partition

import (
	"errors"
	"slices"
	"testing"
	"time"

	"gregor/internal/kafka"
)

// TestISRRule proves the ISR rule as a function: a lagging follower leaves
// only once it has not been caught up for more than the lag time, a
// follower at the log end never leaves, a replica outside the ISR joins
// once it reached the high watermark and the leader's epoch start, and a
// shrink is proposed before any expansion.
func TestISRRule(t *testing.T) {
	t0 := time.Unix(1000, 0)
	maxLag := 10 * time.Second
	base := isrView{self: 1, isr: []kafka.NodeID{1, 2, 3}, replicas: []kafka.NodeID{1, 2, 3}, logEndOffset: 100, highWatermark: 80, epochStartOffset: 50}
	caught := func(at time.Time) followerLag { return followerLag{lastCaughtUp: at} }
	for _, tc := range []struct {
		name      string
		isr       []kafka.NodeID
		followers map[kafka.NodeID]kafka.Offset
		lag       map[kafka.NodeID]followerLag
		now       time.Time
		want      []kafka.NodeID
	}{
		{"all in sync", nil, map[kafka.NodeID]kafka.Offset{2: 100, 3: 90}, map[kafka.NodeID]followerLag{2: caught(t0), 3: caught(t0)}, t0.Add(5 * time.Second), nil},
		{"lagging, within the lag time", nil, map[kafka.NodeID]kafka.Offset{2: 100, 3: 90}, map[kafka.NodeID]followerLag{2: caught(t0), 3: caught(t0)}, t0.Add(maxLag), nil},
		{"lagging past the lag time", nil, map[kafka.NodeID]kafka.Offset{2: 100, 3: 90}, map[kafka.NodeID]followerLag{2: caught(t0), 3: caught(t0)}, t0.Add(maxLag + 1), []kafka.NodeID{1, 2}},
		{"at the log end: never out", nil, map[kafka.NodeID]kafka.Offset{2: 100, 3: 100}, map[kafka.NodeID]followerLag{2: caught(t0), 3: caught(t0)}, t0.Add(time.Hour), nil},
		{"no clock yet: kept", nil, map[kafka.NodeID]kafka.Offset{3: 10}, map[kafka.NodeID]followerLag{}, t0.Add(time.Hour), nil},
		{"caught up: joins", []kafka.NodeID{1, 2}, map[kafka.NodeID]kafka.Offset{2: 100, 3: 80}, nil, t0, []kafka.NodeID{1, 2, 3}},
		{"below the high watermark: stays out", []kafka.NodeID{1, 2}, map[kafka.NodeID]kafka.Offset{2: 100, 3: 79}, nil, t0, nil},
		{"shrink before expand", []kafka.NodeID{1, 2}, map[kafka.NodeID]kafka.Offset{2: 60, 3: 100}, map[kafka.NodeID]followerLag{2: caught(t0)}, t0.Add(time.Hour), []kafka.NodeID{1}},
	} {
		v := base
		if tc.isr != nil {
			v.isr = tc.isr
		}
		v.followers, v.lag = tc.followers, tc.lag
		if got := isrChange(v, tc.now, maxLag); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	late := base
	late.isr, late.followers, late.epochStartOffset = []kafka.NodeID{1, 2}, map[kafka.NodeID]kafka.Offset{2: 100, 3: 90}, 95
	if got := isrChange(late, t0, maxLag); got != nil {
		t.Errorf("a follower below the leader's epoch start joined: %v", got)
	}
}

// TestFollowerLagClock proves Kafka's lastCaughtUpTime rule: a fetch from
// the log end is caught up at its time; one that reaches the log end of the
// previous fetch was caught up at the previous fetch's time; one behind
// both leaves the clock where it was.
func TestFollowerLagClock(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var l followerLag
	l = l.fetched(10, 10, t0)
	if !l.lastCaughtUp.Equal(t0) {
		t.Fatalf("at the log end: caught up %v", l.lastCaughtUp)
	}
	l = l.fetched(10, 20, t0.Add(time.Second)) // behind now, but had what the last fetch saw
	if !l.lastCaughtUp.Equal(t0) {
		t.Fatalf("reached the previous log end: caught up %v, want %v", l.lastCaughtUp, t0)
	}
	l = l.fetched(20, 30, t0.Add(2*time.Second))
	if !l.lastCaughtUp.Equal(t0.Add(time.Second)) {
		t.Fatalf("reached the previous log end: caught up %v, want the previous fetch's time", l.lastCaughtUp)
	}
	l = l.fetched(25, 40, t0.Add(3*time.Second))
	if !l.lastCaughtUp.Equal(t0.Add(time.Second)) {
		t.Fatalf("behind both: caught up moved to %v", l.lastCaughtUp)
	}
}

// TestISRShrinkAndExpandOnLeader proves the leader's side end to end on a
// fake clock: a silent ISR follower is proposed out after the lag time,
// nothing more is proposed while that is pending, the proposal applies only
// when the role says so, a follower that catches up signals and is proposed
// back in, and while that proposal is pending it already holds the high
// watermark (the maximal ISR).
func TestISRShrinkAndExpandOnLeader(t *testing.T) {
	replicas := []kafka.NodeID{1, 2}
	p := openAs(t, 1, Role{Leader: 1, LeaderEpoch: 3, ISR: replicas, Replicas: replicas})
	signal := make(chan struct{}, 1)
	p.SetISRSignal(signal)
	maxLag := 30 * time.Second
	t0 := time.Unix(1000, 0)
	if _, ok := p.ProposeISR(t0, maxLag, nil); ok {
		t.Fatal("proposed a change at once")
	}
	appendN(t, p, 5)
	if _, ok := p.ProposeISR(t0.Add(maxLag), maxLag, nil); ok {
		t.Fatal("proposed a shrink within the lag time")
	}
	prop, ok := p.ProposeISR(t0.Add(maxLag+time.Millisecond), maxLag, nil)
	if !ok || !slices.Equal(prop.ISR, []kafka.NodeID{1}) || prop.LeaderEpoch != 3 {
		t.Fatalf("shrink: %+v %v", prop, ok)
	}
	if _, ok := p.ProposeISR(t0.Add(2*maxLag), maxLag, nil); ok {
		t.Fatal("proposed again while a proposal is pending")
	}
	if p.HighWatermark() != 0 {
		t.Fatalf("a pending shrink moved the high watermark to %d", p.HighWatermark())
	}
	p.SetRole(Role{Leader: 1, LeaderEpoch: 3, ISR: []kafka.NodeID{1}, Replicas: replicas})
	if p.HighWatermark() != 5 {
		t.Fatalf("high watermark %d after the shrink applied, want 5", p.HighWatermark())
	}
	if err := p.UpdateFollower(2, 5, t0.Add(3*maxLag)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-signal:
	default:
		t.Fatal("a caught-up follower did not signal")
	}
	prop, ok = p.ProposeISR(t0.Add(3*maxLag), maxLag, nil)
	if !ok || !slices.Equal(prop.ISR, []kafka.NodeID{1, 2}) {
		t.Fatalf("expand: %+v %v", prop, ok)
	}
	appendN(t, p, 2)
	if p.HighWatermark() != 5 {
		t.Fatalf("high watermark %d passed a follower joining the ISR", p.HighWatermark())
	}
	p.AbandonISRProposal()
	if p.HighWatermark() != 5 { // never moves back; the next append moves it alone
		t.Fatalf("high watermark %d", p.HighWatermark())
	}
}

// TestUpdateFollowerRefusals proves that the leader takes fetch offsets only
// from its replicas, only up to its log end, and only while it leads.
func TestUpdateFollowerRefusals(t *testing.T) {
	p := openAs(t, 1, Role{Leader: 1, LeaderEpoch: 1, ISR: []kafka.NodeID{1, 2}, Replicas: []kafka.NodeID{1, 2}})
	appendN(t, p, 3)
	now := time.Now()
	for _, tc := range []struct {
		id   kafka.NodeID
		leo  kafka.Offset
		want error
	}{{3, 1, ErrNotFollower}, {1, 1, ErrNotFollower}, {2, 4, ErrOffsetOutOfRange}, {2, 3, nil}} {
		if err := p.UpdateFollower(tc.id, tc.leo, now); !errors.Is(err, tc.want) {
			t.Errorf("node %d at %d: %v, want %v", tc.id, tc.leo, err, tc.want)
		}
	}
	p.SetRole(Role{Leader: 2, LeaderEpoch: 2, ISR: []kafka.NodeID{2}, Replicas: []kafka.NodeID{1, 2}})
	if err := p.UpdateFollower(2, 3, now); !errors.Is(err, ErrNotLeader) {
		t.Errorf("on a follower: %v", err)
	}
}

// TestNotEnoughReplicasAfterAppend proves that an append that reached the
// high watermark is refused afterwards when the ISR has shrunk below
// min.insync.replicas meanwhile.
func TestNotEnoughReplicasAfterAppend(t *testing.T) {
	p := openAs(t, 1, Role{Leader: 1, LeaderEpoch: 1, ISR: []kafka.NodeID{1, 2}, Replicas: []kafka.NodeID{1, 2}})
	cfg := testConfig
	cfg.MinInsyncReplicas = 2
	p.SetConfig(cfg)
	if err := p.CheckMinISRAfterAppend(); err != nil {
		t.Fatal(err)
	}
	p.SetRole(Role{Leader: 1, LeaderEpoch: 1, ISR: []kafka.NodeID{1}, Replicas: []kafka.NodeID{1, 2}})
	if err := p.CheckMinISRAfterAppend(); !errors.Is(err, ErrNotEnoughReplicasAfterAppend) {
		t.Fatalf("after the shrink: %v", err)
	}
}

// TestISRKeepsIneligibleReplicaOut proves KIP-841 on the leader's side: a
// caught-up follower that eligible refuses (a fenced broker) is not
// proposed back into the ISR, call after call, and is once it is eligible.
func TestISRKeepsIneligibleReplicaOut(t *testing.T) {
	replicas := []kafka.NodeID{1, 2}
	p := openAs(t, 1, Role{Leader: 1, LeaderEpoch: 3, ISR: []kafka.NodeID{1}, Replicas: replicas})
	maxLag := 30 * time.Second
	t0 := time.Unix(1000, 0)
	appendN(t, p, 5)
	if err := p.UpdateFollower(2, 5, t0); err != nil {
		t.Fatal(err)
	}
	fenced := func(id kafka.NodeID) bool { return id != 2 }
	for i := range 3 {
		if prop, ok := p.ProposeISR(t0.Add(time.Duration(i)*time.Second), maxLag, fenced); ok {
			t.Fatalf("proposed %v with broker 2 fenced", prop.ISR)
		}
	}
	prop, ok := p.ProposeISR(t0.Add(5*time.Second), maxLag, func(kafka.NodeID) bool { return true })
	if !ok || !slices.Equal(prop.ISR, replicas) {
		t.Fatalf("broker 2 unfenced: %+v %v", prop, ok)
	}
}
