package group

import (
	"maps"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/kafka"
	"gregor/internal/record"
)

// Description is a group as DescribeGroups shows it.
type Description struct {
	GroupID      string
	State        State
	ProtocolType string
	Protocol     string // only when Stable
	Members      []MemberDescription
}

// MemberDescription is a member as DescribeGroups shows it.
type MemberDescription struct {
	MemberID   string
	InstanceID string
	ClientID   string
	ClientHost string
	Metadata   []byte // only when Stable
	Assignment []byte // only when Stable
}

// Describe returns a group's description; a group that does not exist is
// reported as Dead, with ErrGroupIDNotFound.
func (c *Coordinator) Describe(groupID string) (Description, error) {
	d, err := call2(c, groupID, func(s *shard) (Description, error) {
		g := s.groups[groupID]
		if g == nil || g.state == Dead {
			return Description{GroupID: groupID, State: Dead}, ErrGroupIDNotFound
		}
		if g.consumer != nil {
			return Description{GroupID: groupID, State: Dead}, errorf(ErrGroupIDNotFound, "Group %s is not a classic group.", groupID)
		}
		d := Description{GroupID: g.id, State: g.state, ProtocolType: g.protocolType}
		stable := g.state == Stable
		if stable {
			d.Protocol = g.protocol
		}
		for _, id := range g.joinOrder {
			m := g.members[id]
			md := MemberDescription{MemberID: m.id, InstanceID: m.instanceID, ClientID: m.clientID, ClientHost: m.clientHost}
			if stable {
				md.Metadata = m.metadataFor(g.protocol)
				md.Assignment = m.assignment
			}
			d.Members = append(d.Members, md)
		}
		return d, nil
	})
	d.GroupID = groupID
	return d, err
}

// Listing is a group as ListGroups shows it.
type Listing struct {
	GroupID      string
	ProtocolType string
	Type         string // "classic" or "consumer"
	State        string // the classic state, or a consumer group's (Empty, Assigning, Reconciling, Stable)
}

// List returns the groups of every loaded partition. It fails with
// ErrLoadInProgress while a partition is still loading.
func (c *Coordinator) List() ([]Listing, error) {
	var out []Listing
	loadErr := c.rt.Each(func(s *shard) {
		for _, g := range s.groups {
			switch {
			case g.state == Dead:
			case g.consumer != nil:
				out = append(out, Listing{GroupID: g.id, ProtocolType: g.protocolType, Type: "consumer", State: g.consumer.state()})
			default:
				out = append(out, Listing{GroupID: g.id, ProtocolType: g.protocolType, Type: "classic", State: g.state.String()})
			}
		}
	})
	slices.SortFunc(out, func(a, b Listing) int {
		if a.GroupID < b.GroupID {
			return -1
		}
		if a.GroupID > b.GroupID {
			return 1
		}
		return 0
	})
	return out, loadErr
}

// DeleteGroup deletes an empty group and its offsets.
func (c *Coordinator) DeleteGroup(groupID string) error {
	return callErr(c, groupID, func(s *shard) error {
		g := s.groups[groupID]
		switch {
		case g == nil || g.state == Dead:
			return ErrGroupIDNotFound
		case g.state != Empty:
			return ErrNonEmptyGroup
		}
		return s.p.Append(c.tombstones(g))
	})
}

// armRetentionCheck expires the shard's offsets every
// offsets.retention.check.interval.ms, on its loop.
func (c *Coordinator) armRetentionCheck(s *shard) {
	if c.cfg.OffsetsRetentionCheck <= 0 {
		return
	}
	s.p.AfterFunc(c.cfg.OffsetsRetentionCheck, func() {
		c.expireShard(s)
		c.armRetentionCheck(s)
	})
}

// ExpireOffsets deletes offsets older than offsets.retention.minutes (KIP-211):
// for an empty group, counted from when it became empty (or the commit,
// for groups that never had members); for a consumer group with members,
// only offsets of topics it no longer subscribes to, counted from their
// commit. An empty group left without offsets is deleted.
func (c *Coordinator) ExpireOffsets() {
	_ = c.rt.Each(c.expireShard)
}

func (c *Coordinator) expireShard(s *shard) {
	now := c.now()
	for _, g := range s.groups {
		c.expireGroup(s, g, now)
	}
}

func (c *Coordinator) expireGroup(s *shard, g *group, now time.Time) {
	var expired []kafka.TopicPartition
	switch g.state {
	case Empty:
		for tp, o := range g.offsets {
			base := o.CommitTime
			if g.protocolType != "" && g.stateTime.After(base) {
				base = g.stateTime
			}
			if now.Sub(base) >= c.cfg.OffsetsRetention {
				expired = append(expired, tp)
			}
		}
	case Stable:
		subscribed, known := g.subscribed()
		if !known {
			return
		}
		for tp, o := range g.offsets {
			if !subscribed[tp.Topic] && now.Sub(o.CommitTime) >= c.cfg.OffsetsRetention {
				expired = append(expired, tp)
			}
		}
	default:
		return
	}
	if len(expired) == 0 {
		return
	}
	ts := now.UnixMilli()
	var recs []record.Record
	for _, tp := range expired {
		recs = append(recs, record.Record{Timestamp: ts, Key: offsetKey(g.id, tp.Topic, tp.Partition)})
	}
	deleteGroup := g.state == Empty && len(expired) == len(g.offsets)
	if deleteGroup {
		for _, r := range g.consumerTombstones() {
			recs = append(recs, record.Record{Timestamp: ts, Key: r.key()})
		}
		recs = append(recs, record.Record{Timestamp: ts, Key: groupKey(g.id)})
	}
	if err := s.p.Append(recs); err != nil {
		c.logger.Warn("cannot expire offsets", "group", g.id, "err", err)
		return
	}
	c.logger.Info("expired offsets", "group", g.id, "partitions", len(expired), "group_deleted", deleteGroup)
}

// subscriptionTopics parses the topics of a consumer protocol subscription.
func subscriptionTopics(meta []byte) []string {
	var m kmsg.ConsumerMemberMetadata
	if err := m.ReadFrom(meta); err != nil {
		return nil
	}
	return m.Topics
}

// ConsumerDescription is a consumer-protocol group as ConsumerGroupDescribe
// shows it.
type ConsumerDescription struct {
	GroupID         string
	State           string
	Epoch           int32
	AssignmentEpoch int32
	Assignor        string
	Members         []ConsumerMemberDescription
}

// ConsumerMemberDescription is one member of a consumer-protocol group.
type ConsumerMemberDescription struct {
	MemberID         string
	InstanceID       string
	RackID           string
	MemberEpoch      int32
	ClientID         string
	ClientHost       string
	SubscribedTopics []string
	SubscribedRegex  string
	Assignment       Assignment
	Target           Assignment
}

// DescribeConsumer describes a consumer-protocol group. A group that does
// not exist, or is a classic group, is ErrGroupIDNotFound.
func (c *Coordinator) DescribeConsumer(groupID string) (ConsumerDescription, error) {
	d, err := call2(c, groupID, func(s *shard) (ConsumerDescription, error) {
		g := s.groups[groupID]
		switch {
		case g == nil || g.state == Dead:
			return ConsumerDescription{GroupID: groupID, State: "Dead"}, errorf(ErrGroupIDNotFound, "Group %s not found.", groupID)
		case g.consumer == nil:
			return ConsumerDescription{GroupID: groupID, State: "Dead"}, errorf(ErrGroupIDNotFound, "Group %s is not a consumer group.", groupID)
		}
		cg := g.consumer
		d := ConsumerDescription{
			GroupID: groupID, State: cg.state(), Epoch: cg.epoch, AssignmentEpoch: cg.assignmentEpoch,
			Assignor: c.groupAssignor(cg),
		}
		for _, id := range slices.Sorted(maps.Keys(cg.members)) {
			m := cg.members[id]
			d.Members = append(d.Members, ConsumerMemberDescription{
				MemberID: id, InstanceID: m.instanceID, RackID: m.rackID, MemberEpoch: m.epoch,
				ClientID: m.clientID, ClientHost: m.clientHost, SubscribedTopics: m.topics, SubscribedRegex: m.regex,
				Assignment: m.assigned, Target: cg.target[id],
			})
		}
		return d, nil
	})
	d.GroupID = groupID
	return d, err
}
