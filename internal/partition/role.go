package partition

import (
	"fmt"
	"slices"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/record"
)

// Role is this replica's part in the partition, as the metadata names it.
type Role struct {
	Leader      kafka.NodeID // the partition's leader: this node leads when it is self
	LeaderEpoch kafka.Epoch
	ISR         []kafka.NodeID // the in-sync replicas, the leader among them
	// Replicas are every replica of the partition, the leader among them:
	// the leader takes follower fetches only from these.
	Replicas []kafka.NodeID
}

// highWatermark is the high-watermark rule (see doc.go) as a pure function:
// the smallest log end offset among the ISR, the leader's own (leo)
// counting, a follower's as it last reported (one that has not reported
// holds the watermark where it is), and never below current.
func highWatermark(current, leo kafka.Offset, self kafka.NodeID, isr []kafka.NodeID, followers map[kafka.NodeID]kafka.Offset) kafka.Offset {
	hw := leo
	for _, id := range isr {
		if id == self {
			continue
		}
		end, ok := followers[id]
		if !ok {
			return current
		}
		hw = min(hw, end)
	}
	return max(current, hw)
}

// SetRole applies a leadership or ISR change from the metadata. A replica
// that stops leading fails the waiters of WaitForHighWatermark with
// ErrNotLeader (what they waited for may be truncated away); one that
// starts leading, or leads at a new epoch, forgets what followers reported
// and notes its log end offset as the start of its epoch. Any ISR change
// proposed before (SetPendingISR) is settled by the new role.
func (p *Partition) SetRole(role Role) {
	p.mu.Lock()
	moved := p.setRoleLocked(role)
	p.mu.Unlock()
	if moved {
		p.notify()
	}
}

// setRoleLocked applies role and reports whether the high watermark moved.
func (p *Partition) setRoleLocked(role Role) bool {
	wasLeader, oldEpoch := p.isLeaderLocked(), p.role.LeaderEpoch
	p.role = Role{Leader: role.Leader, LeaderEpoch: role.LeaderEpoch, ISR: slices.Clone(role.ISR), Replicas: slices.Clone(role.Replicas)}
	p.pendingISR = nil
	leader := p.isLeaderLocked()
	p.leading.Store(leader)
	if leader != wasLeader || role.LeaderEpoch != oldEpoch {
		p.followers = map[kafka.NodeID]kafka.Offset{}
		p.lag = map[kafka.NodeID]followerLag{}
		p.epochStartOffset = kafka.Offset(p.log.LogEndOffset())
	}
	if !leader {
		p.failWaiters(fmt.Errorf("%w: %s is now led by node %d", ErrNotLeader, p.TP, role.Leader))
		return false
	}
	return p.advanceHighWatermarkLocked()
}

func (p *Partition) isLeaderLocked() bool { return p.role.Leader == p.self }

// UpdateFollower records the log end offset a follower reached (the leader
// learns it from the follower's fetch offset) at now, keeps the time it was
// last caught up (see followerLag) and moves the high watermark by the
// rule. It fails with ErrNotLeader on a follower, with ErrNotFollower when
// id is not a replica of the partition, and with ErrOffsetOutOfRange when
// leo is past this log's end.
func (p *Partition) UpdateFollower(id kafka.NodeID, leo kafka.Offset, now time.Time) error {
	p.mu.Lock()
	err := p.updateFollowerLocked(id, leo, now)
	moved := err == nil && p.advanceHighWatermarkLocked()
	signal := err == nil && p.expandableLocked(id)
	p.mu.Unlock()
	if moved {
		p.notify()
	}
	if signal {
		p.signalISR()
	}
	return err
}

func (p *Partition) updateFollowerLocked(id kafka.NodeID, leo kafka.Offset, now time.Time) error {
	end := kafka.Offset(p.log.LogEndOffset())
	switch {
	case !p.isLeaderLocked():
		return fmt.Errorf("%w: %s is led by node %d", ErrNotLeader, p.TP, p.role.Leader)
	case id == p.self || !slices.Contains(p.role.Replicas, id):
		return fmt.Errorf("%w: node %d is not a follower of %s (replicas %v)", ErrNotFollower, id, p.TP, p.role.Replicas)
	case leo > end:
		return fmt.Errorf("%w: follower %d fetches from %d, log end %d", ErrOffsetOutOfRange, id, leo, end)
	}
	p.followers[id] = leo
	p.lag[id] = p.lag[id].fetched(leo, end, now)
	return nil
}

// advanceHighWatermarkLocked applies the rule on the leader and reports
// whether the high watermark moved.
func (p *Partition) advanceHighWatermarkLocked() bool {
	if !p.isLeaderLocked() {
		return false
	}
	current := kafka.Offset(p.highWatermark.Load())
	next := highWatermark(current, kafka.Offset(p.log.LogEndOffset()), p.self, p.maximalISRLocked(), p.followers)
	return p.setHighWatermarkLocked(next)
}

// setHighWatermarkLocked publishes hw: to readers, to the log (retention and
// the cleaner stop there) and to the waiters it satisfies.
func (p *Partition) setHighWatermarkLocked(hw kafka.Offset) bool {
	if leo := p.log.LogEndOffset(); int64(hw) > leo {
		panic(fmt.Sprintf("%s: high watermark %d > log end offset %d", p.TP, hw, leo))
	}
	if int64(hw) == p.highWatermark.Load() {
		return false
	}
	p.highWatermark.Store(int64(hw))
	p.log.SetCommitted(hw)
	if len(p.unreplicated) > 0 {
		p.updateFirstUnstableLocked()
	} else {
		p.log.SetStable(kafka.Offset(p.LastStableOffset()))
	}
	p.fireWaiters(hw)
	return true
}

// SetHighWatermark sets a follower's high watermark from its leader's, as
// the follower fetch answers it: min(leaderHW, own log end offset), never
// moving back. It fails with ErrNotFollower on the leader, whose high
// watermark follows the rule.
func (p *Partition) SetHighWatermark(leaderHW kafka.Offset) error {
	p.mu.Lock()
	if p.isLeaderLocked() {
		p.mu.Unlock()
		return fmt.Errorf("%w: %s is led here", ErrNotFollower, p.TP)
	}
	hw := max(kafka.Offset(p.highWatermark.Load()), min(leaderHW, kafka.Offset(p.log.LogEndOffset())))
	moved := p.setHighWatermarkLocked(hw)
	p.mu.Unlock()
	if moved {
		p.notify()
	}
	return nil
}

// AppendAsFollower stores batches copied from the leader with the leader's
// offsets and leader epochs (see storage.Log.AppendWithOffsets) and records
// their producers. The high watermark does not move: SetHighWatermark does
// that. It fails with ErrNotFollower on the leader.
func (p *Partition) AppendAsFollower(batches []record.Batch) error {
	for _, b := range batches {
		if err := b.Validate(); err != nil {
			return err
		}
	}
	p.mu.Lock()
	err := p.appendAsFollowerLocked(batches)
	p.mu.Unlock()
	if err == nil {
		p.notify()
	}
	return err
}

func (p *Partition) appendAsFollowerLocked(batches []record.Batch) error {
	if p.isLeaderLocked() {
		return fmt.Errorf("%w: %s is led here", ErrNotFollower, p.TP)
	}
	if err := p.log.AppendWithOffsets(batches); err != nil {
		return err
	}
	for _, b := range batches {
		p.recordBatchLocked(b)
	}
	return nil
}

// TruncateTo removes the records from offset on (a follower truncating to
// its leader's log, OffsetForLeaderEpoch), rebuilds the producer state and
// lowers the high watermark to the new log end if it was above. It fails
// with ErrNotFollower on the leader.
func (p *Partition) TruncateTo(offset kafka.Offset) error {
	return p.truncate(func() error { return p.log.TruncateTo(int64(offset)) })
}

// TruncateFullyAndStartAt empties a follower's log and makes it begin at
// offset: its leader's log starts past the follower's end (retention or
// DeleteRecords removed what it would fetch next), as Kafka's follower
// starts over. The high watermark becomes offset.
func (p *Partition) TruncateFullyAndStartAt(offset kafka.Offset) error {
	return p.truncate(func() error { return p.log.TruncateFullyAndStartAt(int64(offset)) })
}

// truncate runs a follower's truncation, then brings the high watermark
// within the log (at most its end, at least its start) and rebuilds the
// producer state.
func (p *Partition) truncate(cut func() error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.isLeaderLocked() {
		return fmt.Errorf("%w: %s is led here", ErrNotFollower, p.TP)
	}
	if err := cut(); err != nil {
		return err
	}
	hw := p.highWatermark.Load()
	if within := min(max(hw, p.log.LogStartOffset()), p.log.LogEndOffset()); within != hw {
		p.highWatermark.Store(within)
		p.log.SetCommitted(kafka.Offset(within))
		p.log.SetStable(kafka.Offset(p.LastStableOffset()))
	}
	p.snapshotOffset = -1
	clear(p.guards)
	return p.loadProducerState()
}

// FollowLogStart advances a follower's log start offset to its leader's,
// at most to its own high watermark, as Kafka's follower does after each
// fetch: records the leader deleted (retention, DeleteRecords) go here too.
func (p *Partition) FollowLogStart(leaderStart kafka.Offset) error {
	offset := min(int64(leaderStart), p.HighWatermark())
	if offset <= p.log.LogStartOffset() {
		return nil
	}
	return p.log.DeleteRecordsBefore(offset)
}
