package group

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"gregor/internal/coord"
	"gregor/internal/kafka"
)

// TopicInfo is what a consumer group needs to know of a topic.
type TopicInfo struct {
	ID         kafka.TopicID
	Name       string
	Partitions int32
}

// Topics is the cluster's topics as a heartbeat sees them.
type Topics interface {
	// Topic returns a topic by name.
	Topic(name string) (TopicInfo, bool)
	// Names returns every topic name, for regex subscriptions.
	Names() []string
}

// HeartbeatRequest is a ConsumerGroupHeartbeat. Nil fields are "unchanged
// since the last heartbeat", as on the wire.
type HeartbeatRequest struct {
	Version          int16
	GroupID          string
	MemberID         string
	MemberEpoch      int32
	InstanceID       *string
	RackID           *string
	RebalanceTimeout int32 // milliseconds; -1 unchanged
	SubscribedTopics []string
	SubscribedRegex  *string
	ServerAssignor   *string
	Owned            Assignment // nil: unchanged
	ClientID         string
	ClientHost       string
}

// HeartbeatResult is the answer to a ConsumerGroupHeartbeat. Assignment is
// nil when the member's assignment is not sent.
type HeartbeatResult struct {
	Err               error
	MemberID          string
	MemberEpoch       int32
	HeartbeatInterval time.Duration
	Assignment        Assignment
}

// validateHeartbeat refuses a malformed request before any group changes,
// with Kafka's messages.
func (c *Coordinator) validateHeartbeat(req HeartbeatRequest) error {
	blank := func(s *string) bool { return s != nil && strings.TrimSpace(*s) == "" }
	switch {
	case (req.Version >= 1 || req.MemberEpoch > 0 || req.MemberEpoch == leaveEpoch) && strings.TrimSpace(req.MemberID) == "":
		return errorf(ErrInvalidRequest, "MemberId can't be empty.")
	case strings.TrimSpace(req.GroupID) == "":
		return errorf(ErrInvalidRequest, "GroupId can't be empty.")
	case blank(req.InstanceID):
		return errorf(ErrInvalidRequest, "InstanceId can't be empty.")
	case blank(req.RackID):
		return errorf(ErrInvalidRequest, "RackId can't be empty.")
	}
	switch {
	case req.MemberEpoch == joinEpoch:
		if req.RebalanceTimeout == -1 {
			return errorf(ErrInvalidRequest, "RebalanceTimeoutMs must be provided in first request.")
		}
		if req.Owned == nil || req.Owned.Len() > 0 {
			return errorf(ErrInvalidRequest, "TopicPartitions must be empty when (re-)joining.")
		}
		if req.SubscribedTopics == nil && req.SubscribedRegex == nil {
			return errorf(ErrInvalidRequest, "Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.")
		}
	case req.MemberEpoch == staticLeaveEpoch:
		if req.InstanceID == nil {
			return errorf(ErrInvalidRequest, "InstanceId can't be null.")
		}
	case req.MemberEpoch < staticLeaveEpoch:
		return errorf(ErrInvalidRequest, "MemberEpoch is invalid.")
	}
	if req.ServerAssignor != nil && !slices.Contains(c.cfg.ConsumerAssignors, *req.ServerAssignor) {
		return errorf(ErrUnsupportedAssignor, "ServerAssignor %s is not supported. Supported assignors: %s.",
			*req.ServerAssignor, strings.Join(c.cfg.ConsumerAssignors, ", "))
	}
	if req.SubscribedRegex != nil && *req.SubscribedRegex != "" {
		if _, err := regexp.Compile(*req.SubscribedRegex); err != nil {
			return errorf(ErrInvalidRegularExpression, "SubscribedTopicRegex `%s` is not a valid regular expression: %v.", *req.SubscribedRegex, err)
		}
	}
	return nil
}

// ConsumerHeartbeat handles a ConsumerGroupHeartbeat: joining (epoch 0),
// heartbeating with the current epoch, and leaving (-1, or -2 for a static
// member that will come back).
func (c *Coordinator) ConsumerHeartbeat(req HeartbeatRequest, topics Topics) HeartbeatResult {
	if err := c.validateHeartbeat(req); err != nil {
		return HeartbeatResult{Err: err}
	}
	res, err := call(c, req.GroupID, func(s *shard) HeartbeatResult { return c.consumerHeartbeatOn(s, req, topics) })
	if err != nil {
		return HeartbeatResult{Err: err}
	}
	return res
}

func (c *Coordinator) consumerHeartbeatOn(s *shard, req HeartbeatRequest, topics Topics) HeartbeatResult {
	if req.MemberEpoch == leaveEpoch || req.MemberEpoch == staticLeaveEpoch {
		return c.consumerLeave(s, req, topics)
	}
	g, created, err := c.consumerGroupFor(s, req.GroupID, req.MemberEpoch == joinEpoch)
	if err != nil {
		return HeartbeatResult{Err: err}
	}
	res := c.consumerHeartbeat(s, g, req, topics)
	if res.Err != nil && created {
		delete(s.groups, g.id)
	}
	return res
}

// consumerGroupFor returns the consumer group groupID, creating it (or
// converting an empty classic group, whose offsets it keeps) on a join.
func (c *Coordinator) consumerGroupFor(s *shard, groupID string, join bool) (*group, bool, error) {
	g := s.groups[groupID]
	switch {
	case g == nil || g.state == Dead:
		if !join {
			return nil, false, errorf(ErrGroupIDNotFound, "Group %s not found.", groupID)
		}
		g = newGroup(groupID, c.now())
		s.groups[groupID] = g
		return g, true, nil
	case g.consumer != nil:
		return g, false, nil
	case len(g.members) == 0 && len(g.pending) == 0 && join:
		return g, false, nil // an empty classic group becomes a consumer group
	default:
		return nil, false, errorf(ErrGroupIDNotFound, "Group %s is not a consumer group.", groupID)
	}
}

func (c *Coordinator) consumerHeartbeat(s *shard, g *group, req HeartbeatRequest, topics Topics) HeartbeatResult {
	tx := newConsumerTx(g)
	if g.consumer == nil {
		c.convertClassic(tx)
	}
	m, res := c.heartbeatMember(tx, req)
	if res.Err != nil {
		return res
	}
	before := m.currentAssignment
	c.updateConsumerMember(tx, m, req)
	c.refreshSubscriptions(tx, topics)
	c.maybeAssign(tx)
	m = tx.cg.members[m.id]
	c.reconcileMember(tx, m.id, req.Owned)
	if err := c.commit(s, tx); err != nil {
		return HeartbeatResult{Err: err, MemberID: req.MemberID}
	}
	m = g.consumer.members[m.id]
	c.scheduleConsumerSession(s, g, m)
	res = HeartbeatResult{MemberID: m.id, MemberEpoch: m.epoch, HeartbeatInterval: c.consumerHeartbeatInterval(g.id)}
	if req.MemberEpoch == joinEpoch || !before.assigned.Equal(m.assigned) || before.epoch != m.epoch ||
		(req.Owned != nil && !req.Owned.Equal(m.assigned)) {
		res.Assignment = m.assigned
	}
	return res
}

// convertClassic starts the consumer state of an empty classic group.
func (c *Coordinator) convertClassic(tx *consumerTx) {
	tx.add(consumerRecord{kind: consumerMetadataKey, epoch: 0})
}

// heartbeatMember finds (or, on a join, creates) the member of a heartbeat
// and checks its epoch.
func (c *Coordinator) heartbeatMember(tx *consumerTx, req HeartbeatRequest) (*consumerMember, HeartbeatResult) {
	cg := tx.cg
	fail := func(err error) (*consumerMember, HeartbeatResult) {
		return nil, HeartbeatResult{Err: err, MemberID: req.MemberID, MemberEpoch: req.MemberEpoch}
	}
	if req.MemberEpoch != joinEpoch {
		m := cg.members[req.MemberID]
		if m == nil {
			return fail(errorf(ErrUnknownMemberID, "Member %s is not a member of group %s.", req.MemberID, tx.g.id))
		}
		if req.InstanceID != nil && m.instanceID != *req.InstanceID {
			return fail(errorf(ErrFencedInstanceID, "Static member %s with instance id %s is fenced.", req.MemberID, *req.InstanceID))
		}
		switch {
		case req.MemberEpoch == m.epoch:
		case req.MemberEpoch < m.epoch && req.MemberEpoch == m.previousEpoch && req.Owned != nil && subset(req.Owned, m.assigned):
			// The response that moved the member to its epoch was lost.
		default:
			return fail(errorf(ErrFencedMemberEpoch, "The consumer group member has a greater epoch (%d) than the one known by the group coordinator (%d). The member must abandon all its partitions and rejoin.", req.MemberEpoch, m.epoch))
		}
		return m, HeartbeatResult{}
	}
	id := req.MemberID
	if id == "" {
		id = newMemberID(req.ClientID) // v0: the coordinator names the member
	}
	if req.InstanceID != nil {
		if old := cg.staticMember(*req.InstanceID); old != nil && old.id != id {
			if old.epoch != staticLeaveEpoch {
				return fail(errorf(ErrUnreleasedInstanceID, "Static member %s with instance id %s cannot join the group because the instance id is owned by member %s.", id, *req.InstanceID, old.id))
			}
			return c.replaceStaticConsumer(tx, old, id), HeartbeatResult{}
		}
	}
	if m := cg.members[id]; m != nil {
		// Rejoining (after being fenced, say): it owns nothing any more.
		tx.add(consumerRecord{kind: consumerCurrentAssignmentKey, member: id, current: currentAssignment{assigned: Assignment{}, revoking: Assignment{}}})
		return tx.cg.members[id], HeartbeatResult{}
	}
	if max := c.cfg.ConsumerMaxSize; max > 0 && len(cg.members) >= max {
		return fail(errorf(ErrGroupMaxSizeReached, "The consumer group has reached its maximum capacity of %d members.", max))
	}
	return &consumerMember{id: id, currentAssignment: currentAssignment{assigned: Assignment{}, revoking: Assignment{}}}, HeartbeatResult{}
}

// replaceStaticConsumer gives a static member that left with epoch -2 to the new
// member id that rejoins with its instance id: the new member takes its
// assignment over and the group does not rebalance.
func (c *Coordinator) replaceStaticConsumer(tx *consumerTx, old *consumerMember, id string) *consumerMember {
	target := tx.cg.target[old.id]
	cur := old.currentAssignment
	cur.epoch = cur.previousEpoch
	meta := old.memberMetadata
	tx.add(consumerRecord{kind: consumerCurrentAssignmentKey, member: old.id, tombstone: true})
	tx.add(consumerRecord{kind: consumerTargetMemberKey, member: old.id, tombstone: true})
	tx.add(consumerRecord{kind: consumerMemberMetadataKey, member: old.id, tombstone: true})
	tx.add(consumerRecord{kind: consumerMemberMetadataKey, member: id, meta: meta})
	if target != nil {
		tx.add(consumerRecord{kind: consumerTargetMemberKey, member: id, target: target})
	}
	tx.add(consumerRecord{kind: consumerCurrentAssignmentKey, member: id, current: cur})
	return tx.cg.members[id]
}

// updateConsumerMember records the member's metadata if it changed; a new
// member, a new subscription or a new assignor bumps the group epoch.
func (c *Coordinator) updateConsumerMember(tx *consumerTx, m *consumerMember, req HeartbeatRequest) {
	meta := m.memberMetadata
	meta.clientID, meta.clientHost = req.ClientID, req.ClientHost
	if req.InstanceID != nil {
		meta.instanceID = *req.InstanceID
	}
	if req.RackID != nil {
		meta.rackID = *req.RackID
	}
	if req.RebalanceTimeout >= 0 {
		meta.rebalanceTimeout = req.RebalanceTimeout
	}
	if req.SubscribedTopics != nil {
		meta.topics = slices.Compact(slices.Sorted(slices.Values(req.SubscribedTopics)))
	}
	if req.SubscribedRegex != nil {
		meta.regex = *req.SubscribedRegex
	}
	if req.ServerAssignor != nil {
		meta.assignor = *req.ServerAssignor
	}
	_, known := tx.cg.members[m.id]
	if known && meta.equal(m.memberMetadata) {
		return
	}
	tx.add(consumerRecord{kind: consumerMemberMetadataKey, member: m.id, meta: meta})
	if !known {
		tx.add(consumerRecord{kind: consumerCurrentAssignmentKey, member: m.id, current: m.currentAssignment})
	}
	if !known || !slices.Equal(meta.topics, m.topics) || meta.regex != m.regex || meta.assignor != m.assignor {
		tx.add(consumerRecord{kind: consumerMetadataKey, epoch: tx.cg.epoch + 1})
	}
}

// refreshSubscriptions resolves the members' subscriptions against the
// cluster's topics; a topic created, deleted or grown bumps the group epoch.
func (c *Coordinator) refreshSubscriptions(tx *consumerTx, topics Topics) {
	if topics == nil {
		return
	}
	want := map[string]topicMetadata{}
	add := func(name string) {
		if t, ok := topics.Topic(name); ok {
			want[name] = topicMetadata{id: t.ID, name: name, partitions: t.Partitions}
		}
	}
	var patterns []*regexp.Regexp
	for _, m := range tx.cg.members {
		for _, t := range m.topics {
			add(t)
		}
		if m.regex != "" {
			if re, err := compileSubscription(m.regex); err == nil {
				patterns = append(patterns, re)
			}
		}
	}
	if len(patterns) > 0 {
		for _, name := range topics.Names() {
			for _, re := range patterns {
				if re.MatchString(name) {
					add(name)
					break
				}
			}
		}
	}
	if maps.Equal(want, tx.cg.topics) {
		return
	}
	tx.add(consumerRecord{kind: consumerPartitionMetadataKey, topics: want})
	tx.add(consumerRecord{kind: consumerMetadataKey, epoch: tx.cg.epoch + 1})
}

// maybeAssign computes a new target assignment when the group epoch has
// moved past the assignment's.
func (c *Coordinator) maybeAssign(tx *consumerTx) {
	cg := tx.cg
	if cg.epoch <= cg.assignmentEpoch {
		return
	}
	partitions := map[kafka.TopicID]int32{}
	for _, t := range cg.topics {
		partitions[t.id] = t.partitions
	}
	members := make([]assignMember, 0, len(cg.members))
	for _, id := range slices.Sorted(maps.Keys(cg.members)) {
		m := cg.members[id]
		am := assignMember{id: id}
		for name, t := range cg.topics {
			if slices.Contains(m.topics, name) || (m.regex != "" && regexMatches(m.regex, name)) {
				am.topics = append(am.topics, t.id)
			}
		}
		slices.SortFunc(am.topics, compareTopicIDs)
		members = append(members, am)
	}
	target := assignors[c.groupAssignor(cg)](members, partitions, cg.target)
	for _, am := range members {
		if a := target[am.id]; !a.Equal(cg.target[am.id]) || cg.target[am.id] == nil {
			tx.add(consumerRecord{kind: consumerTargetMemberKey, member: am.id, target: a})
		}
	}
	tx.add(consumerRecord{kind: consumerTargetMetadataKey, epoch: cg.epoch})
}

func regexMatches(pattern, name string) bool {
	re, err := compileSubscription(pattern)
	return err == nil && re.MatchString(name)
}

// compileSubscription compiles a subscribed topic regex the way Kafka applies
// it: to the whole topic name (orders does not match orders-v2), and to every
// topic, internal ones such as __consumer_offsets included.
func compileSubscription(pattern string) (*regexp.Regexp, error) {
	return regexp.Compile(`^(?:` + pattern + `)$`)
}

// groupAssignor picks the assignor the most members ask for, the first of
// group.consumer.assignors when none asks or on a tie.
func (c *Coordinator) groupAssignor(cg *consumerGroup) string {
	votes := map[string]int{}
	for _, m := range cg.members {
		if m.assignor != "" {
			votes[m.assignor]++
		}
	}
	best := c.cfg.ConsumerAssignors[0]
	for _, name := range c.cfg.ConsumerAssignors {
		if votes[name] > votes[best] {
			best = name
		}
	}
	return best
}

// reconcileMember moves one member towards its target assignment.
func (c *Coordinator) reconcileMember(tx *consumerTx, id string, owned Assignment) {
	cg := tx.cg
	m := cg.members[id]
	owners := cg.owners()
	byOther := func(t kafka.TopicID, p int32) bool {
		o, ok := owners[partitionKey{t, p}]
		return ok && o != id
	}
	target := cg.target[id]
	if target == nil {
		target = Assignment{}
	}
	next := reconcile(m.currentAssignment, cg.assignmentEpoch, target, owned, byOther)
	if !next.equal(m.currentAssignment) {
		tx.add(consumerRecord{kind: consumerCurrentAssignmentKey, member: id, current: next})
	}
}

// consumerLeave handles epoch -1 (leave) and -2 (a static member that
// will rejoin: it keeps its partitions until its session expires).
func (c *Coordinator) consumerLeave(s *shard, req HeartbeatRequest, topics Topics) HeartbeatResult {
	g := s.groups[req.GroupID]
	if g == nil || g.state == Dead || g.consumer == nil {
		return HeartbeatResult{Err: errorf(ErrGroupIDNotFound, "Group %s not found.", req.GroupID), MemberID: req.MemberID, MemberEpoch: req.MemberEpoch}
	}
	m := g.consumer.members[req.MemberID]
	if req.InstanceID != nil {
		sm := g.consumer.staticMember(*req.InstanceID)
		switch {
		case sm == nil:
			return HeartbeatResult{Err: errorf(ErrUnknownMemberID, "Instance id %s is unknown.", *req.InstanceID), MemberID: req.MemberID, MemberEpoch: req.MemberEpoch}
		case sm.id != req.MemberID:
			return HeartbeatResult{Err: errorf(ErrFencedInstanceID, "Static member %s with instance id %s is fenced.", req.MemberID, *req.InstanceID), MemberID: req.MemberID, MemberEpoch: req.MemberEpoch}
		}
	}
	if m == nil {
		return HeartbeatResult{Err: errorf(ErrUnknownMemberID, "Member %s is not a member of group %s.", req.MemberID, req.GroupID), MemberID: req.MemberID, MemberEpoch: req.MemberEpoch}
	}
	tx := newConsumerTx(g)
	if req.MemberEpoch == staticLeaveEpoch {
		cur := m.currentAssignment
		if cur.epoch != staticLeaveEpoch {
			cur.previousEpoch = cur.epoch
		}
		cur.epoch = staticLeaveEpoch
		tx.add(consumerRecord{kind: consumerCurrentAssignmentKey, member: m.id, current: cur})
	} else {
		c.removeConsumerMember(tx, m.id)
	}
	if err := c.commit(s, tx); err != nil {
		return HeartbeatResult{Err: err, MemberID: req.MemberID, MemberEpoch: req.MemberEpoch}
	}
	if req.MemberEpoch == leaveEpoch {
		c.stopConsumerSession(g, m.id)
	}
	return HeartbeatResult{MemberID: req.MemberID, MemberEpoch: req.MemberEpoch, HeartbeatInterval: c.consumerHeartbeatInterval(g.id)}
}

// removeConsumerMember removes a member, bumps the group epoch and assigns
// its partitions to the others.
func (c *Coordinator) removeConsumerMember(tx *consumerTx, id string) {
	tx.add(consumerRecord{kind: consumerCurrentAssignmentKey, member: id, tombstone: true})
	tx.add(consumerRecord{kind: consumerTargetMemberKey, member: id, tombstone: true})
	tx.add(consumerRecord{kind: consumerMemberMetadataKey, member: id, tombstone: true})
	tx.add(consumerRecord{kind: consumerMetadataKey, epoch: tx.cg.epoch + 1})
	c.maybeAssign(tx)
}

// consumerTimer is a member's session, and the deadline by which it must
// revoke partitions it was asked to give up (its rebalance timeout).
type consumerTimer struct {
	timer          coord.Timer
	session        time.Time
	revokeDeadline time.Time // zero unless the member is revoking
	revokeEpoch    int32
}

// scheduleConsumerSession pushes a member's session deadline and, when it
// has just been asked to revoke partitions, starts its rebalance timeout.
func (c *Coordinator) scheduleConsumerSession(s *shard, g *group, m *consumerMember) {
	now := c.now()
	t := g.consumerTimers[m.id]
	if t == nil {
		t = &consumerTimer{}
		g.consumerTimers[m.id] = t
	}
	t.session = now.Add(c.consumerSessionTimeout(g.id))
	switch {
	case m.state != memberUnrevoked:
		t.revokeDeadline = time.Time{}
	case t.revokeDeadline.IsZero() || t.revokeEpoch != m.epoch:
		t.revokeDeadline = now.Add(time.Duration(m.rebalanceTimeout) * time.Millisecond)
		t.revokeEpoch = m.epoch
	}
	c.armConsumerTimer(s, g, m.id, t)
}

func (c *Coordinator) armConsumerTimer(s *shard, g *group, id string, t *consumerTimer) {
	next := t.session
	if !t.revokeDeadline.IsZero() && t.revokeDeadline.Before(next) {
		next = t.revokeDeadline
	}
	d := max(next.Sub(c.now()), time.Millisecond)
	if t.timer != nil {
		t.timer.Stop()
	}
	t.timer = s.p.AfterFunc(d, func() {
		if s.groups[g.id] != g || g.consumerTimers[id] != t || g.consumer == nil {
			return
		}
		c.consumerTimerFired(s, g, id, t)
	})
}

// consumerTimerFired removes a member whose session expired or that did
// not revoke its partitions within its rebalance timeout.
func (c *Coordinator) consumerTimerFired(s *shard, g *group, id string, t *consumerTimer) {
	m := g.consumer.members[id]
	if m == nil {
		c.stopConsumerSession(g, id)
		return
	}
	now := c.now()
	reason := ""
	switch {
	case !now.Before(t.session):
		reason = "session expired"
	case !t.revokeDeadline.IsZero() && !now.Before(t.revokeDeadline) && m.state == memberUnrevoked && m.epoch == t.revokeEpoch:
		reason = "did not revoke its partitions within the rebalance timeout"
	default:
		c.armConsumerTimer(s, g, id, t)
		return
	}
	tx := newConsumerTx(g)
	c.removeConsumerMember(tx, id)
	if err := c.commit(s, tx); err != nil {
		c.logger.Warn("cannot remove expired member; retrying", "group", g.id, "member", id, "err", err)
		t.session = now.Add(time.Second)
		c.armConsumerTimer(s, g, id, t)
		return
	}
	c.logger.Info("member removed", "group", g.id, "member", id, "reason", reason)
	c.stopConsumerSession(g, id)
}

func (c *Coordinator) stopConsumerSession(g *group, id string) {
	if t := g.consumerTimers[id]; t != nil {
		if t.timer != nil {
			t.timer.Stop()
		}
		delete(g.consumerTimers, id)
	}
}

// scheduleLoadedConsumerSessions starts the sessions of a loaded group's
// members, as Kafka does when a coordinator takes a partition over.
func (c *Coordinator) scheduleLoadedConsumerSessions(s *shard, g *group) {
	for _, id := range slices.Sorted(maps.Keys(g.consumer.members)) {
		c.scheduleConsumerSession(s, g, g.consumer.members[id])
	}
}
