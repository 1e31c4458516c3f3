package partition

import (
	"fmt"
	"slices"
	"time"

	"gregor/internal/kafka"
)

// followerLag is what the leader keeps of one follower's fetches to tell
// whether it is in sync, as Kafka's Replica: the time it was last caught
// up, and the leader's log end offset and the time of its previous fetch.
type followerLag struct {
	lastCaughtUp          time.Time
	lastFetch             time.Time
	lastFetchLeaderLogEnd kafka.Offset
}

// fetched is l after a fetch at now from fetchOffset while the leader's log
// ended at leaderLogEnd. A fetch from the log end is caught up now; one
// from at least the log end of the previous fetch was caught up then.
func (l followerLag) fetched(fetchOffset, leaderLogEnd kafka.Offset, now time.Time) followerLag {
	switch {
	case fetchOffset >= leaderLogEnd:
		l.lastCaughtUp = laterOf(l.lastCaughtUp, now)
	case !l.lastFetch.IsZero() && fetchOffset >= l.lastFetchLeaderLogEnd:
		l.lastCaughtUp = laterOf(l.lastCaughtUp, l.lastFetch)
	}
	l.lastFetch, l.lastFetchLeaderLogEnd = now, leaderLogEnd
	return l
}

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// isrView is what the ISR rule reads of a leader.
type isrView struct {
	self             kafka.NodeID
	isr, replicas    []kafka.NodeID
	logEndOffset     kafka.Offset
	highWatermark    kafka.Offset
	epochStartOffset kafka.Offset
	followers        map[kafka.NodeID]kafka.Offset
	lag              map[kafka.NodeID]followerLag
	// eligible, when set, says which caught-up replicas may join: KIP-841
	// keeps fenced and shutting-down brokers out of the ISR.
	eligible func(kafka.NodeID) bool
}

// isrChange is the ISR rule as a pure function: it returns the ISR to
// propose, or nil for none. A follower in the ISR that is behind the log
// end and has not been caught up for more than maxLag is removed
// (replica.lag.time.max.ms); otherwise a replica outside the ISR whose log
// end offset reached the high watermark and the start of the leader's
// epoch is added. Shrinking comes first, as each is its own proposal.
func isrChange(v isrView, now time.Time, maxLag time.Duration) []kafka.NodeID {
	if shrunk := slices.DeleteFunc(slices.Clone(v.isr), v.outOfSync(now, maxLag)); len(shrunk) < len(v.isr) {
		return shrunk
	}
	var added []kafka.NodeID
	for _, id := range v.replicas {
		if !slices.Contains(v.isr, id) && v.caughtUp(id) && (v.eligible == nil || v.eligible(id)) {
			added = append(added, id)
		}
	}
	if len(added) == 0 {
		return nil
	}
	return append(slices.Clone(v.isr), added...)
}

// outOfSync returns the test of an ISR member that has fallen behind.
func (v isrView) outOfSync(now time.Time, maxLag time.Duration) func(kafka.NodeID) bool {
	return func(id kafka.NodeID) bool {
		if id == v.self {
			return false
		}
		l, ok := v.lag[id]
		return ok && v.followers[id] < v.logEndOffset && now.Sub(l.lastCaughtUp) > maxLag
	}
}

// caughtUp reports whether follower id may join the ISR.
func (v isrView) caughtUp(id kafka.NodeID) bool {
	leo, ok := v.followers[id]
	return id != v.self && ok && leo >= v.highWatermark && leo >= v.epochStartOffset
}

// ISRProposal is an ISR change for the controller (AlterPartition), made
// by the leader at LeaderEpoch.
type ISRProposal struct {
	ISR         []kafka.NodeID
	LeaderEpoch kafka.Epoch
}

// ProposeISR applies the ISR rule (isrChange) at now and returns the
// change to propose, which it holds as pending until the next role
// (SetRole) or AbandonISRProposal; ok is false when this replica does not
// lead, a proposal is pending, or the ISR is right as it is. An ISR
// member not heard from since this replica took its epoch counts as caught
// up at the first call, as Kafka starts every ISR member's clock when it
// becomes leader. A caught-up replica joins only if eligible (nil: any)
// says so: as KIP-841 has it, the leader does not propose a broker the
// controller would refuse (a fenced one), proposal after proposal.
func (p *Partition) ProposeISR(now time.Time, maxLag time.Duration, eligible func(kafka.NodeID) bool) (ISRProposal, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.isLeaderLocked() || p.pendingISR != nil {
		return ISRProposal{}, false
	}
	for _, id := range p.role.ISR {
		if _, ok := p.lag[id]; !ok && id != p.self {
			p.lag[id] = followerLag{lastCaughtUp: now}
		}
	}
	v := p.isrViewLocked()
	v.eligible = eligible
	isr := isrChange(v, now, maxLag)
	if isr == nil {
		return ISRProposal{}, false
	}
	p.pendingISR = isr
	return ISRProposal{ISR: slices.Clone(isr), LeaderEpoch: p.role.LeaderEpoch}, true
}

// AbandonISRProposal forgets the pending proposal (the controller refused
// it or could not be reached), so that the next ProposeISR decides anew.
func (p *Partition) AbandonISRProposal() {
	p.mu.Lock()
	p.pendingISR = nil
	p.mu.Unlock()
}

// SetISRSignal registers ch to receive a non-blocking send whenever a
// follower outside the ISR catches up, so that the replica manager can
// propose its return at once rather than at its next periodic check.
func (p *Partition) SetISRSignal(ch chan<- struct{}) {
	p.mu.Lock()
	p.isrSignal = ch
	p.mu.Unlock()
}

func (p *Partition) isrViewLocked() isrView {
	return isrView{
		self: p.self, isr: p.role.ISR, replicas: p.role.Replicas,
		logEndOffset: kafka.Offset(p.log.LogEndOffset()), highWatermark: kafka.Offset(p.highWatermark.Load()),
		epochStartOffset: p.epochStartOffset, followers: p.followers, lag: p.lag,
	}
}

// maximalISRLocked is the ISR the high watermark waits for: the role's,
// plus the members a pending proposal adds (Kafka's maximal ISR), so that
// a follower joins the ISR only having every record below the watermark.
func (p *Partition) maximalISRLocked() []kafka.NodeID {
	isr := p.role.ISR
	for _, id := range p.pendingISR {
		if !slices.Contains(isr, id) {
			isr = append(slices.Clone(isr), id)
		}
	}
	return isr
}

// expandableLocked reports whether follower id, outside the ISR and any
// pending proposal, may now join it.
func (p *Partition) expandableLocked(id kafka.NodeID) bool {
	return p.isrSignal != nil && p.pendingISR == nil && !slices.Contains(p.role.ISR, id) && p.isrViewLocked().caughtUp(id)
}

// signalISR tells the replica manager that a follower has caught up.
func (p *Partition) signalISR() {
	p.mu.Lock()
	ch := p.isrSignal
	p.mu.Unlock()
	select {
	case ch <- struct{}{}:
	default:
	}
}

// CheckMinISRAfterAppend answers an acks=all append whose wait for the
// high watermark ended well: ErrNotEnoughReplicasAfterAppend when the ISR
// has meanwhile shrunk below min.insync.replicas, as Kafka's delayed
// produce answers.
func (p *Partition) CheckMinISRAfterAppend() error {
	minISR := p.cfg.Load().MinInsyncReplicas
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.role.ISR) < int(minISR) {
		return fmt.Errorf("%w: isr %v, min.insync.replicas %d", ErrNotEnoughReplicasAfterAppend, p.role.ISR, minISR)
	}
	return nil
}
