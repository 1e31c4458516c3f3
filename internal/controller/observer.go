package controller

// Observers: a broker that is not a voter follows the metadata log as
// KRaft's observers do, by fetching committed entries from a voter (the
// leader when it knows it), with no raft node of its own. It keeps them in
// its own __cluster_metadata log and checkpoints, applies and publishes
// them as a voter does, and forwards its requests to the leader. A voter
// answers a fetch from its applied entries, waiting up to fetchWait for
// new ones, or with its snapshot when the entries were compacted away.

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"gregor/internal/kafka"
)

const (
	fetchWait     = 500 * time.Millisecond
	fetchMaxBytes = 1 << 20
)

// fetchRequest asks a voter for the committed entries from index From.
type fetchRequest struct {
	Node kafka.NodeID `json:"node"`
	From uint64       `json:"from"`
}

// fetchReply carries the entries (protobuf each), or a snapshot first
// when From was compacted, and the voter's view of the leader.
type fetchReply struct {
	Leader   int32    `json:"leader"`
	Snapshot []byte   `json:"snapshot,omitempty"`
	Entries  [][]byte `json:"entries,omitempty"`
}

// observerSeen is what the voters know of an observer, for DescribeQuorum.
type observerSeen struct {
	leo      uint64
	fetch    time.Time
	caughtUp time.Time
}

// observers is the voters' record of the observers that fetched from them.
type observers struct {
	mu   sync.Mutex
	seen map[kafka.NodeID]observerSeen
}

func (o *observers) note(id kafka.NodeID, leo, applied uint64, now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.seen == nil {
		o.seen = map[kafka.NodeID]observerSeen{}
	}
	s := o.seen[id]
	s.leo, s.fetch = leo, now
	if leo >= applied {
		s.caughtUp = now
	}
	o.seen[id] = s
}

func (o *observers) status() []ReplicaStatus {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []ReplicaStatus
	for id, s := range o.seen {
		r := ReplicaStatus{ID: id, LogEndOffset: kafka.Offset(s.leo), LastFetchTimestamp: s.fetch.UnixMilli(), LastCaughtUpTimestamp: -1}
		if !s.caughtUp.IsZero() {
			r.LastCaughtUpTimestamp = s.caughtUp.UnixMilli()
		}
		out = append(out, r)
	}
	return out
}

// serveFetch answers an observer's fetch on a voter.
func (t *transport) serveFetch(ctx context.Context, payload []byte) []byte {
	var req fetchRequest
	if json.Unmarshal(payload, &req) != nil || req.From == 0 {
		return nil
	}
	c := t.c
	wctx, cancel := context.WithTimeout(ctx, fetchWait)
	c.waitApplied(wctx, req.From)
	cancel()
	applied := c.appliedAt.Load()
	c.observers.note(req.Node, req.From-1, applied, c.now())
	r := fetchReply{Leader: c.leader.Load()}
	from := req.From
	if first, _ := c.disk.mem.FirstIndex(); from < first {
		snap, err := c.disk.mem.Snapshot()
		if err != nil {
			return nil
		}
		r.Snapshot, _ = proto.Marshal(snap)
		from = snap.GetMetadata().GetIndex() + 1
	}
	if from <= applied {
		ents, _ := c.disk.mem.Entries(from, applied+1, fetchMaxBytes)
		for _, e := range ents {
			b, _ := proto.Marshal(e)
			r.Entries = append(r.Entries, b)
		}
	}
	data, _ := json.Marshal(r)
	return data
}

// fetch asks the voter at addr for entries from index from.
func (t *transport) fetch(ctx context.Context, addr string, from uint64) (fetchReply, error) {
	payload, _ := json.Marshal(fetchRequest{Node: t.c.q.NodeID, From: from})
	data, err := t.call(ctx, addr, frameFetch, payload, frameFetched)
	if err != nil {
		return fetchReply{}, err
	}
	var r fetchReply
	return r, json.Unmarshal(data, &r)
}

// runObserver is Run for a node that is not a voter.
func (c *Controller) runObserver(ctx context.Context) error {
	c.net = newTransport(c, nil)
	backoff, voter := 10*time.Millisecond, 0
	for ctx.Err() == nil {
		addr := c.fetchTarget(voter)
		r, err := c.net.fetch(ctx, addr, c.applied+1)
		select {
		case err := <-c.net.fatal:
			return err
		default:
		}
		if err != nil {
			voter++
			c.leader.Store(-1)
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 10 * time.Millisecond
		if err := c.follow(r); err != nil {
			return err
		}
	}
	return nil
}

// fetchTarget is the leader when known, else the voters in turn.
func (c *Controller) fetchTarget(n int) string {
	if leader, ok := c.Leader(); ok {
		return c.voterAddr(leader)
	}
	return c.q.Voters[n%len(c.q.Voters)].Addr()
}

// follow stores, applies and publishes what a fetch brought.
func (c *Controller) follow(r fetchReply) error {
	c.leader.Store(r.Leader)
	if len(r.Snapshot) > 0 {
		snap := &pb.Snapshot{}
		if err := proto.Unmarshal(r.Snapshot, snap); err != nil {
			return err
		}
		if snap.GetMetadata().GetIndex() > c.applied {
			if err := c.disk.installSnapshot(snap); err != nil {
				return fmt.Errorf("%w: %w", ErrMetadataLogFailed, err)
			}
			c.installSnapshot(snap)
		}
	}
	var ents []*pb.Entry
	for _, b := range r.Entries {
		e := &pb.Entry{}
		if err := proto.Unmarshal(b, e); err != nil {
			return err
		}
		if e.GetIndex() == c.applied+uint64(len(ents))+1 {
			ents = append(ents, e)
		}
	}
	if err := c.disk.append(ents); err != nil {
		return fmt.Errorf("%w: %w", ErrMetadataLogFailed, err)
	}
	for _, e := range ents {
		c.applyEntry(e)
	}
	c.status.Store(&QuorumStatus{LeaderID: kafka.NodeID(r.Leader), HighWatermark: kafka.Offset(c.applied)})
	if err := c.maybeSnapshot(); err != nil {
		return fmt.Errorf("%w: %w", ErrMetadataLogFailed, err)
	}
	return nil
}

// isObserver reports whether this node follows the log without voting.
func (q Quorum) isObserver() bool {
	if len(q.Voters) == 0 {
		return false
	}
	for _, v := range q.Voters {
		if kafka.NodeID(v.ID) == q.NodeID {
			return false
		}
	}
	return true
}
