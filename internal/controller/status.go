package controller

import (
	"fmt"
	"log/slog"
	"slices"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"

	"gregor/internal/kafka"
)

// DescribeQuorumRequest asks the active controller for the quorum's state
// (DescribeQuorum, API 55); it writes nothing.
type DescribeQuorumRequest struct{}

// DescribeQuorumResponse is the leader's view of the quorum.
type DescribeQuorumResponse struct{ Status QuorumStatus }

func (DescribeQuorumRequest) isRequest()   {}
func (DescribeQuorumResponse) isResponse() {}

// QuorumStatus is the controller quorum as one node sees it. Offsets are
// metadata log offsets: entry index - 1, so the high watermark (the first
// uncommitted offset) is the commit index.
type QuorumStatus struct {
	LeaderID      kafka.NodeID // -1 when unknown
	LeaderEpoch   kafka.Epoch  // the raft term
	HighWatermark kafka.Offset
	Voters        []ReplicaStatus
	Observers     []ReplicaStatus
}

// ReplicaStatus is one member's log end offset and, where the leader knows
// them, when it last heard from it and when it was last caught up
// (unix ms, -1 when unknown).
type ReplicaStatus struct {
	ID                    kafka.NodeID
	LogEndOffset          kafka.Offset
	LastFetchTimestamp    int64
	LastCaughtUpTimestamp int64
}

// peerSeen is when the leader last heard from a voter and last saw it
// caught up.
type peerSeen struct{ fetch, caughtUp time.Time }

// seen notes, for the leader's status, when a voter was last heard from.
func (c *Controller) seen(m *pb.Message) {
	id := nodeID(m.GetFrom())
	p := c.peers[id]
	if p == nil {
		p = &peerSeen{}
		c.peers[id] = p
	}
	p.fetch = c.now()
}

// Status returns the quorum as this node last saw it; on the leader it
// has every voter's progress.
func (c *Controller) Status() QuorumStatus {
	if s := c.status.Load(); s != nil {
		return *s
	}
	return QuorumStatus{LeaderID: -1}
}

// updateStatus refreshes what Status returns; it runs on the loop.
func (c *Controller) updateStatus() {
	s := c.quorumStatus()
	c.status.Store(&s)
}

func (c *Controller) quorumStatus() QuorumStatus {
	st := c.rn.Status()
	leader, _ := c.Leader()
	s := QuorumStatus{LeaderID: leader, LeaderEpoch: kafka.Epoch(st.GetTerm()), HighWatermark: kafka.Offset(st.GetCommit())}
	if !c.known() {
		s.LeaderID = -1
	}
	last, _ := c.disk.mem.LastIndex()
	now := c.now()
	for _, v := range c.disk.voters {
		r := ReplicaStatus{ID: nodeID(v), LogEndOffset: -1, LastFetchTimestamp: -1, LastCaughtUpTimestamp: -1}
		switch {
		case v == st.ID:
			r.LogEndOffset, r.LastFetchTimestamp, r.LastCaughtUpTimestamp = kafka.Offset(last), now.UnixMilli(), now.UnixMilli()
		case st.RaftState == raft.StateLeader:
			c.leaderView(&r, st.Progress[v].Match, last)
		}
		s.Voters = append(s.Voters, r)
	}
	slices.SortFunc(s.Voters, func(a, b ReplicaStatus) int { return int(a.ID) - int(b.ID) })
	if st.RaftState == raft.StateLeader {
		s.Observers = c.observers.status()
		slices.SortFunc(s.Observers, func(a, b ReplicaStatus) int { return int(a.ID) - int(b.ID) })
	}
	return s
}

// leaderView fills r from the leader's progress of that voter.
func (c *Controller) leaderView(r *ReplicaStatus, match, last uint64) {
	r.LogEndOffset = kafka.Offset(match)
	p := c.peers[r.ID]
	if p == nil {
		return
	}
	if match >= last {
		p.caughtUp = p.fetch
	}
	r.LastFetchTimestamp = p.fetch.UnixMilli()
	if !p.caughtUp.IsZero() {
		r.LastCaughtUpTimestamp = p.caughtUp.UnixMilli()
	}
}

func (c *Controller) known() bool { _, ok := c.Leader(); return ok }

// raftLogger sends raft's own log lines to slog, at debug level except
// warnings and errors.
type raftLogger struct{ l *slog.Logger }

func (r raftLogger) Debug(v ...any)              { r.l.Debug(fmt.Sprint(v...)) }
func (r raftLogger) Debugf(f string, v ...any)   { r.l.Debug(fmt.Sprintf(f, v...)) }
func (r raftLogger) Info(v ...any)               { r.l.Debug(fmt.Sprint(v...)) }
func (r raftLogger) Infof(f string, v ...any)    { r.l.Debug(fmt.Sprintf(f, v...)) }
func (r raftLogger) Warning(v ...any)            { r.l.Warn(fmt.Sprint(v...)) }
func (r raftLogger) Warningf(f string, v ...any) { r.l.Warn(fmt.Sprintf(f, v...)) }
func (r raftLogger) Error(v ...any)              { r.l.Error(fmt.Sprint(v...)) }
func (r raftLogger) Errorf(f string, v ...any)   { r.l.Error(fmt.Sprintf(f, v...)) }
func (r raftLogger) Fatal(v ...any)              { r.l.Error(fmt.Sprint(v...)); panic(fmt.Sprint(v...)) }
func (r raftLogger) Fatalf(f string, v ...any)   { r.Fatal(fmt.Sprintf(f, v...)) }
func (r raftLogger) Panic(v ...any)              { r.Fatal(v...) }
func (r raftLogger) Panicf(f string, v ...any)   { r.Fatal(fmt.Sprintf(f, v...)) }
