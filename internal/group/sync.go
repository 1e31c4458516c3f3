package group

import (
	"context"
)

// SyncRequest is a SyncGroup request. Assignments is set by the leader only.
type SyncRequest struct {
	GroupID      string
	MemberID     string
	InstanceID   string
	Generation   int32
	ProtocolType string // v5+; "" when not sent
	Protocol     string // v5+; "" when not sent
	Assignments  map[string][]byte
}

// SyncResult is the answer to a SyncGroup.
type SyncResult struct {
	Err          error
	ProtocolType string
	Protocol     string
	Assignment   []byte
}

// Sync handles a SyncGroup, waiting for the leader's assignment.
func (c *Coordinator) Sync(ctx context.Context, req SyncRequest) SyncResult {
	ch := make(chan SyncResult, 1)
	type answer struct {
		res  SyncResult
		wait bool
	}
	a, err := call(c, req.GroupID, func(s *shard) answer {
		res, wait := c.sync(s, req, ch)
		return answer{res, wait}
	})
	if err != nil {
		return SyncResult{Err: err}
	}
	if !a.wait {
		return a.res
	}
	select {
	case r := <-ch:
		return r
	case <-ctx.Done():
		return SyncResult{Err: ErrRebalanceInProgress}
	}
}

func (c *Coordinator) sync(s *shard, req SyncRequest, ch chan SyncResult) (SyncResult, bool) {
	g := s.groups[req.GroupID]
	if g == nil || g.consumer != nil {
		return SyncResult{Err: ErrUnknownMemberID}, false
	}
	m, err := g.checkMember(req.MemberID, req.InstanceID)
	if err != nil {
		return SyncResult{Err: err}, false
	}
	if req.Generation != g.generation {
		return SyncResult{Err: ErrIllegalGeneration}, false
	}
	if (req.ProtocolType != "" && req.ProtocolType != g.protocolType) || (req.Protocol != "" && req.Protocol != g.protocol) {
		return SyncResult{Err: ErrInconsistentProtocol}, false
	}
	switch g.state {
	case PreparingRebalance:
		return SyncResult{Err: ErrRebalanceInProgress}, false
	case Stable:
		c.scheduleSession(s, g, m)
		return SyncResult{ProtocolType: g.protocolType, Protocol: g.protocol, Assignment: m.assignment}, false
	case CompletingRebalance:
	default:
		return SyncResult{Err: ErrUnknownMemberID}, false
	}
	if m.sync != nil {
		m.sync <- SyncResult{Err: ErrRebalanceInProgress}
	}
	m.sync = ch
	if m.id != g.leader {
		return SyncResult{}, true
	}
	assignments := map[string][]byte{}
	for id := range g.members {
		assignments[id] = req.Assignments[id]
	}
	if err := c.storeGroup(s, g, assignments); err != nil {
		c.logger.Warn("cannot store group assignment", "group", g.id, "err", err)
		for _, mm := range g.members {
			mm.assignment = nil
			if mm.sync != nil {
				mm.sync <- SyncResult{Err: err}
				mm.sync = nil
			}
		}
		c.prepareRebalance(s, g, "cannot store the assignment")
		return SyncResult{}, true
	}
	for _, mm := range g.members {
		if mm.sync != nil {
			s.replySync(mm.sync, SyncResult{ProtocolType: g.protocolType, Protocol: g.protocol, Assignment: mm.assignment})
			mm.sync = nil
			c.scheduleSession(s, g, mm)
		}
	}
	return SyncResult{}, true
}

// checkMember finds a member, fencing a static member's old incarnation.
func (g *group) checkMember(memberID, instanceID string) (*member, error) {
	if instanceID != "" {
		if id, ok := g.static[instanceID]; ok && id != memberID {
			return nil, ErrFencedInstanceID
		}
	}
	m := g.members[memberID]
	if m == nil {
		return nil, ErrUnknownMemberID
	}
	return m, nil
}

// Heartbeat handles a Heartbeat.
func (c *Coordinator) Heartbeat(groupID, memberID, instanceID string, generation int32) error {
	return callErr(c, groupID, func(s *shard) error {
		g := s.groups[groupID]
		if g == nil || g.consumer != nil {
			return ErrUnknownMemberID
		}
		m, err := g.checkMember(memberID, instanceID)
		if err != nil {
			return err
		}
		switch g.state {
		case Empty, Dead:
			return ErrUnknownMemberID
		case CompletingRebalance:
			// Members waiting for the leader's SyncGroup keep their session.
			if generation != g.generation {
				return ErrIllegalGeneration
			}
			c.scheduleSession(s, g, m)
			return nil
		case PreparingRebalance:
			c.scheduleSession(s, g, m)
			return ErrRebalanceInProgress
		}
		if generation != g.generation {
			return ErrIllegalGeneration
		}
		c.scheduleSession(s, g, m)
		return nil
	})
}

// LeaveMember is one member leaving (LeaveGroup v3+ leaves in batches).
type LeaveMember struct {
	MemberID   string
	InstanceID string
}

// Leave handles a LeaveGroup. It returns a per-member error, or a group-level
// error.
func (c *Coordinator) Leave(groupID string, members []LeaveMember) ([]error, error) {
	return call2(c, groupID, func(s *shard) ([]error, error) {
		g := s.groups[groupID]
		if g == nil || g.state == Dead || g.consumer != nil {
			return nil, ErrUnknownMemberID
		}
		errs := make([]error, len(members))
		for i, lm := range members {
			id := lm.MemberID
			if lm.InstanceID != "" {
				cur, ok := g.static[lm.InstanceID]
				switch {
				case !ok:
					errs[i] = ErrUnknownMemberID
					continue
				case id != "" && id != cur:
					errs[i] = ErrFencedInstanceID
					continue
				}
				id = cur
			}
			if t, ok := g.pending[id]; ok {
				t.Stop()
				delete(g.pending, id)
				c.maybeCompleteJoin(s, g)
				continue
			}
			if g.members[id] == nil {
				errs[i] = ErrUnknownMemberID
				continue
			}
			c.removeAndRebalance(s, g, id, "member "+id+" left the group")
		}
		return errs, nil
	})
}

// replySync hands a waiting SyncGroup its answer once the assignment it
// carries is committed.
func (s *shard) replySync(ch chan SyncResult, res SyncResult) {
	s.p.OnCommit(func(err error) {
		if err != nil {
			res = SyncResult{Err: err}
		}
		ch <- res
	})
}
