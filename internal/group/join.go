package group

import (
	"context"
	"time"
)

// JoinRequest is a JoinGroup request.
type JoinRequest struct {
	GroupID          string
	MemberID         string // "" on a member's first join
	InstanceID       string // group.instance.id; "" for dynamic members
	ClientID         string
	ClientHost       string
	SessionTimeout   time.Duration
	RebalanceTimeout time.Duration
	ProtocolType     string
	Protocols        []Protocol
	// RequireKnownMemberID is set from JoinGroup v4 (KIP-394): a first join
	// is answered MEMBER_ID_REQUIRED with the id to join with.
	RequireKnownMemberID bool
}

// JoinMember is a member as the leader sees it in the JoinGroup response.
type JoinMember struct {
	MemberID   string
	InstanceID string
	Metadata   []byte
}

// JoinResult is the answer to a JoinGroup. On ErrMemberIDRequired,
// MemberID carries the id to rejoin with.
type JoinResult struct {
	Err          error
	Generation   int32
	ProtocolType string
	Protocol     string
	Leader       string
	MemberID     string
	Members      []JoinMember // only for the leader
	// SkipAssignment tells a static leader that rejoined a stable group
	// that it must not compute a new assignment (JoinGroup v9).
	SkipAssignment bool
}

// Join handles a JoinGroup, waiting until the rebalance completes or ctx
// ends.
func (c *Coordinator) Join(ctx context.Context, req JoinRequest) JoinResult {
	fail := func(err error) JoinResult {
		return JoinResult{Err: err, Generation: -1, MemberID: req.MemberID}
	}
	if req.SessionTimeout < c.cfg.MinSessionTimeout || req.SessionTimeout > c.cfg.MaxSessionTimeout {
		return fail(ErrInvalidSessionTimeout)
	}
	ch := make(chan JoinResult, 1)
	type answer struct {
		res  JoinResult
		wait bool
	}
	a, err := call(c, req.GroupID, func(s *shard) answer {
		res, wait := c.join(s, req, ch)
		return answer{res, wait}
	})
	if err != nil {
		return fail(err)
	}
	if !a.wait {
		return a.res
	}
	select {
	case r := <-ch:
		return r
	case <-ctx.Done():
		return fail(ErrRebalanceInProgress)
	}
}

// join runs on the shard's loop. It answers at once, or registers ch to
// receive the answer when the rebalance completes (wait).
func (c *Coordinator) join(s *shard, req JoinRequest, ch chan JoinResult) (JoinResult, bool) {
	fail := func(err error) (JoinResult, bool) {
		return JoinResult{Err: err, Generation: -1, MemberID: req.MemberID}, false
	}
	now := c.now()
	g := s.groups[req.GroupID]
	if g == nil {
		if req.MemberID != "" {
			return fail(ErrUnknownMemberID)
		}
		g = newGroup(req.GroupID, now)
		s.groups[req.GroupID] = g
	}
	if g.state == Dead {
		return fail(ErrCoordinatorNotAvailable)
	}
	if g.consumer != nil {
		// group.consumer.migration.policy=disabled: a consumer group with
		// members takes no classic member; an empty one becomes classic.
		if len(g.consumer.members) > 0 {
			return fail(ErrInconsistentProtocol)
		}
		if err := c.dropConsumerState(s, g); err != nil {
			return fail(err)
		}
	}
	if !g.supports(req.ProtocolType, req.Protocols) {
		return fail(ErrInconsistentProtocol)
	}
	if req.MemberID == "" {
		return c.joinUnknown(s, g, req, ch, now)
	}
	if t, ok := g.pending[req.MemberID]; ok {
		t.Stop()
		delete(g.pending, req.MemberID)
		c.addAndRebalance(s, g, req, req.MemberID, ch, now)
		return JoinResult{}, true
	}
	if req.InstanceID != "" {
		if id, ok := g.static[req.InstanceID]; ok && id != req.MemberID {
			return fail(ErrFencedInstanceID)
		}
	}
	m := g.members[req.MemberID]
	if m == nil {
		return fail(ErrUnknownMemberID)
	}
	switch g.state {
	case PreparingRebalance:
		c.updateMember(g, m, req, ch)
		c.maybeCompleteJoin(s, g)
		return JoinResult{}, true
	case CompletingRebalance:
		if sameProtocols(m.protocols, req.Protocols) {
			return c.currentGeneration(g, m, false), false
		}
		c.updateMember(g, m, req, ch)
		c.prepareRebalance(s, g, "member "+m.id+" changed its protocols")
		return JoinResult{}, true
	case Stable:
		if m.id != g.leader && sameProtocols(m.protocols, req.Protocols) {
			return c.currentGeneration(g, m, false), false
		}
		c.updateMember(g, m, req, ch)
		c.prepareRebalance(s, g, "leader or member protocols changed: "+m.id)
		return JoinResult{}, true
	default: // Empty
		return fail(ErrUnknownMemberID)
	}
}

func (c *Coordinator) joinUnknown(s *shard, g *group, req JoinRequest, ch chan JoinResult, now time.Time) (JoinResult, bool) {
	if req.InstanceID != "" {
		if old, ok := g.static[req.InstanceID]; ok {
			return c.replaceStatic(s, g, g.members[old], req, ch)
		}
	}
	if c.cfg.MaxSize > 0 && len(g.members)+len(g.pending) >= c.cfg.MaxSize {
		return JoinResult{Err: ErrGroupMaxSizeReached, Generation: -1}, false
	}
	prefix := req.ClientID
	if req.InstanceID != "" {
		prefix = req.InstanceID
	}
	id := newMemberID(prefix)
	if req.RequireKnownMemberID && req.InstanceID == "" {
		g.pending[id] = s.p.AfterFunc(req.SessionTimeout, func() {
			if _, ok := g.pending[id]; ok {
				delete(g.pending, id)
				if g.state == PreparingRebalance {
					c.maybeCompleteJoin(s, g)
				}
			}
		})
		return JoinResult{Err: ErrMemberIDRequired, Generation: -1, MemberID: id}, false
	}
	c.addAndRebalance(s, g, req, id, ch, now)
	return JoinResult{}, true
}

// replaceStatic gives a rejoining static member a new member id, fencing the
// old one. A stable group with unchanged protocols does not rebalance
// (KIP-345): the member gets the current generation back.
func (c *Coordinator) replaceStatic(s *shard, g *group, old *member, req JoinRequest, ch chan JoinResult) (JoinResult, bool) {
	newID := newMemberID(req.InstanceID)
	if old.join != nil {
		old.join <- JoinResult{Err: ErrFencedInstanceID, Generation: -1, MemberID: old.id}
		old.join = nil
	}
	if old.sync != nil {
		old.sync <- SyncResult{Err: ErrFencedInstanceID}
		old.sync = nil
	}
	wasLeader := g.leader == old.id
	g.removeMember(old.id)
	m := &member{
		id: newID, instanceID: req.InstanceID, clientID: req.ClientID, clientHost: req.ClientHost,
		rebalanceTimeout: req.RebalanceTimeout, sessionTimeout: req.SessionTimeout,
		protocolType: req.ProtocolType, protocols: req.Protocols, assignment: old.assignment,
	}
	g.addMember(m)
	if wasLeader || g.leader == "" {
		g.leader = newID
	}
	if g.state == Stable && g.sameSubscription(old, req.Protocols) {
		if err := c.storeGroup(s, g, nil); err != nil {
			// Undo: the old member keeps its place.
			g.removeMember(newID)
			g.addMember(old)
			if wasLeader {
				g.leader = old.id
			}
			return JoinResult{Err: err, Generation: -1}, false
		}
		c.scheduleSession(s, g, m)
		return c.currentGeneration(g, m, wasLeader), false
	}
	m.join = ch
	m.isNew = true
	switch g.state {
	case PreparingRebalance:
		c.maybeCompleteJoin(s, g)
	default:
		c.prepareRebalance(s, g, "static member "+req.InstanceID+" rejoined")
	}
	return JoinResult{}, true
}

// currentGeneration answers a join that does not change the group.
func (c *Coordinator) currentGeneration(g *group, m *member, skipAssignment bool) JoinResult {
	r := JoinResult{
		Generation: g.generation, ProtocolType: g.protocolType, Protocol: g.protocol,
		Leader: g.leader, MemberID: m.id, SkipAssignment: skipAssignment,
	}
	if m.id == g.leader {
		r.Members = g.joinMembers()
	}
	return r
}

func (g *group) joinMembers() []JoinMember {
	out := make([]JoinMember, 0, len(g.members))
	for _, id := range g.joinOrder {
		m := g.members[id]
		out = append(out, JoinMember{MemberID: m.id, InstanceID: m.instanceID, Metadata: m.metadataFor(g.protocol)})
	}
	return out
}

func (c *Coordinator) addAndRebalance(s *shard, g *group, req JoinRequest, id string, ch chan JoinResult, now time.Time) {
	m := &member{
		id: id, instanceID: req.InstanceID, clientID: req.ClientID, clientHost: req.ClientHost,
		rebalanceTimeout: req.RebalanceTimeout, sessionTimeout: req.SessionTimeout,
		protocolType: req.ProtocolType, protocols: req.Protocols, join: ch, isNew: true,
		deadline: now.Add(req.SessionTimeout),
	}
	g.addMember(m)
	g.newMemberAdded = true
	if g.state == PreparingRebalance {
		c.maybeCompleteJoin(s, g)
		return
	}
	c.prepareRebalance(s, g, "new member "+id+" joined")
}

func (c *Coordinator) updateMember(g *group, m *member, req JoinRequest, ch chan JoinResult) {
	if m.join != nil {
		// A duplicate join replaces the earlier one, which is told to retry.
		m.join <- JoinResult{Err: ErrRebalanceInProgress, Generation: -1, MemberID: m.id}
	}
	m.protocols = req.Protocols
	m.protocolType = req.ProtocolType
	m.rebalanceTimeout = req.RebalanceTimeout
	m.sessionTimeout = req.SessionTimeout
	m.clientID = req.ClientID
	m.clientHost = req.ClientHost
	m.join = ch
}

// prepareRebalance moves a group to PreparingRebalance. Members waiting for
// a SyncGroup are told to rejoin. A group that was empty waits
// group.initial.rebalance.delay.ms for more members, extended while members
// keep arriving, up to the rebalance timeout.
func (c *Coordinator) prepareRebalance(s *shard, g *group, reason string) {
	now := c.now()
	if g.state == CompletingRebalance {
		for _, m := range g.members {
			m.assignment = nil
			if m.sync != nil {
				m.sync <- SyncResult{Err: ErrRebalanceInProgress}
				m.sync = nil
			}
		}
	}
	wasEmpty := g.state == Empty
	g.transition(PreparingRebalance, now)
	c.logger.Debug("preparing rebalance", "group", g.id, "generation", g.generation, "reason", reason)
	g.rebalanceSeq++
	if g.rebalanceTimer != nil {
		g.rebalanceTimer.Stop()
	}
	if wasEmpty && c.cfg.InitialRebalanceDelay > 0 {
		g.initialDelay = now.Add(g.maxRebalanceTimeout())
		g.newMemberAdded = false
		c.armRebalance(s, g, min(c.cfg.InitialRebalanceDelay, g.maxRebalanceTimeout()))
		return
	}
	g.initialDelay = time.Time{}
	c.armRebalance(s, g, g.maxRebalanceTimeout())
	c.maybeCompleteJoin(s, g)
}

func (c *Coordinator) armRebalance(s *shard, g *group, d time.Duration) {
	seq := g.rebalanceSeq
	g.rebalanceTimer = s.p.AfterFunc(d, func() {
		if g.rebalanceSeq != seq || g.state != PreparingRebalance || s.groups[g.id] != g {
			return
		}
		c.rebalanceTimeout(s, g)
	})
}

// rebalanceTimeout fires at the end of the initial delay or the rebalance
// timeout.
func (c *Coordinator) rebalanceTimeout(s *shard, g *group) {
	if !g.initialDelay.IsZero() {
		remaining := g.initialDelay.Sub(c.now())
		if g.newMemberAdded && remaining > 0 {
			g.newMemberAdded = false
			c.armRebalance(s, g, min(c.cfg.InitialRebalanceDelay, remaining))
			return
		}
	}
	c.completeJoin(s, g)
}

// maybeCompleteJoin completes the join phase once every member has
// rejoined, unless the group is in its initial delay.
func (c *Coordinator) maybeCompleteJoin(s *shard, g *group) {
	if g.state != PreparingRebalance || !g.initialDelay.IsZero() {
		return
	}
	if g.allJoined() {
		c.completeJoin(s, g)
	}
}

// completeJoin ends the join phase: members that did not rejoin are removed
// (static members are kept until their session expires), the generation
// advances and every waiting member gets its JoinGroup response.
func (c *Coordinator) completeJoin(s *shard, g *group) {
	g.rebalanceSeq++
	if g.rebalanceTimer != nil {
		g.rebalanceTimer.Stop()
	}
	g.initialDelay = time.Time{}
	for _, id := range append([]string(nil), g.joinOrder...) {
		if m := g.members[id]; m.join == nil && m.instanceID == "" {
			g.removeMember(id)
		}
	}
	now := c.now()
	g.generation++
	if len(g.members) == 0 {
		g.protocol = ""
		g.leader = ""
		g.transition(Empty, now)
		if err := c.storeGroup(s, g, nil); err != nil {
			c.logger.Warn("cannot store empty group", "group", g.id, "err", err)
		}
		return
	}
	g.protocol = g.selectProtocol()
	if g.leader == "" || g.members[g.leader] == nil || g.members[g.leader].join == nil {
		g.leader = ""
		for _, id := range g.joinOrder {
			if g.members[id].join != nil {
				g.leader = id
				break
			}
		}
	}
	g.transition(CompletingRebalance, now)
	c.logger.Debug("rebalance: join complete", "group", g.id, "generation", g.generation, "members", len(g.members), "protocol", g.protocol)
	for _, m := range g.members {
		if m.join == nil {
			continue
		}
		s.replyJoin(m.join, c.currentGeneration(g, m, false))
		m.join = nil
		m.isNew = false
		c.scheduleSession(s, g, m)
	}
}

// scheduleSession (re)starts a member's session timer.
func (c *Coordinator) scheduleSession(s *shard, g *group, m *member) {
	m.deadline = c.now().Add(m.sessionTimeout)
	if m.timer != nil {
		m.timer.Stop()
	}
	id := m.id
	m.timer = s.p.AfterFunc(m.sessionTimeout, func() {
		cur := g.members[id]
		if cur != m || s.groups[g.id] != g {
			return
		}
		if m.join != nil || m.sync != nil || c.now().Before(m.deadline) {
			return // waiting members are bounded by the rebalance timeout instead
		}
		c.logger.Info("member session expired", "group", g.id, "member", id)
		c.removeAndRebalance(s, g, id, "member "+id+" session expired")
	})
}

// removeAndRebalance removes a member and moves the group on.
func (c *Coordinator) removeAndRebalance(s *shard, g *group, id, reason string) {
	m := g.removeMember(id)
	if m == nil {
		return
	}
	if m.join != nil {
		m.join <- JoinResult{Err: ErrUnknownMemberID, Generation: -1, MemberID: id}
	}
	if m.sync != nil {
		m.sync <- SyncResult{Err: ErrUnknownMemberID}
	}
	switch g.state {
	case Stable, CompletingRebalance:
		c.prepareRebalance(s, g, reason)
	case PreparingRebalance:
		c.maybeCompleteJoin(s, g)
	}
}

// replyJoin hands a waiting JoinGroup its answer once what the shard has
// written is committed.
func (s *shard) replyJoin(ch chan JoinResult, res JoinResult) {
	s.p.OnCommit(func(err error) {
		if err != nil {
			res = JoinResult{Err: err, Generation: -1, MemberID: res.MemberID}
		}
		ch <- res
	})
}
