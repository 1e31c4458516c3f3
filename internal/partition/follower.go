package partition

import (
	"math"
	"slices"
	"time"

	"gregor/internal/kafka"
)

// The replication operations that are not the high-watermark rule itself:
// what the leader answers a follower's fetch with, and what a follower
// needs to know of its own log to truncate to its leader's.

// ReadForFollower returns whole batches from offset for a follower's
// fetch: bounded by the log end offset, not the high watermark, since the
// follower must copy what the high watermark waits for. It fails with
// ErrNotLeader unless this replica leads.
func (p *Partition) ReadForFollower(buf []byte, offset kafka.Offset, maxBytes int32, minOneBatch bool) ([]byte, error) {
	if !p.leading.Load() {
		return nil, ErrNotLeader
	}
	return p.log.ReadInto(buf, int64(offset), maxBytes, p.log.LogEndOffset(), minOneBatch)
}

// ReadRegionForFollower is ReadForFollower as a region of a segment file
// (see Log.ReadRegion); ok false: ReadForFollower instead.
func (p *Partition) ReadRegionForFollower(offset kafka.Offset, maxBytes int32, minOneBatch bool) (kafka.FileRegion, bool, error) {
	if !p.leading.Load() {
		return kafka.FileRegion{}, true, ErrNotLeader
	}
	return p.log.ReadRegion(int64(offset), maxBytes, p.log.LogEndOffset(), minOneBatch)
}

// DivergingEpoch checks a fetch that says its last batch before
// fetchOffset had lastFetchedEpoch (Fetch v12+, KIP-320): when this log
// does not hold that epoch up to fetchOffset, the fetcher's log has
// diverged, and the answer is the largest epoch at or below
// lastFetchedEpoch with its end offset here, to which it must truncate.
// A lastFetchedEpoch below 0 (not sent) never diverges.
func (p *Partition) DivergingEpoch(lastFetchedEpoch kafka.Epoch, fetchOffset kafka.Offset) (kafka.Epoch, kafka.Offset, bool) {
	if lastFetchedEpoch < 0 {
		return -1, -1, false
	}
	epoch, end := p.EndOffsetForEpoch(lastFetchedEpoch)
	if epoch == lastFetchedEpoch && end >= fetchOffset {
		return -1, -1, false
	}
	return epoch, end, true
}

// LatestEpoch is the epoch of the last batch in the log, or -1 when the
// log holds none: what a follower asks its leader about (OffsetForLeaderEpoch)
// and sends as its last fetched epoch.
func (p *Partition) LatestEpoch() kafka.Epoch {
	epoch, _ := p.EndOffsetForEpoch(math.MaxInt32)
	return epoch
}

// Role returns the role last set.
func (p *Partition) Role() Role {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.role
	r.ISR, r.Replicas = slices.Clone(r.ISR), slices.Clone(r.Replicas)
	return r
}

// IsLeader reports whether this replica leads.
func (p *Partition) IsLeader() bool { return p.leading.Load() }

// FollowerState is what the leader knows of one follower: the log end
// offset its fetches reached and when it was last caught up.
type FollowerState struct {
	ID           kafka.NodeID
	LogEndOffset kafka.Offset
	LastCaughtUp time.Time
}

// Followers returns, on the leader, the state of every follower that has
// fetched since this node became leader; nil on a follower.
func (p *Partition) Followers() []FollowerState {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.isLeaderLocked() {
		return nil
	}
	out := make([]FollowerState, 0, len(p.followers))
	for id, leo := range p.followers {
		out = append(out, FollowerState{ID: id, LogEndOffset: leo, LastCaughtUp: p.lag[id].lastCaughtUp})
	}
	return out
}
