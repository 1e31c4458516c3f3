package group

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/record"
)

// storeGroup appends the group's metadata: its generation, protocol, leader
// and members with their subscriptions and assignments (assignments, or
// the members' own when nil). Replaying it moves the group to Stable, or
// Empty without members, as of now.
func (c *Coordinator) storeGroup(s *shard, g *group, assignments map[string][]byte) error {
	after := Empty
	if len(g.members) > 0 {
		after = Stable
	}
	stateTime := g.stateTime
	if g.state != after {
		stateTime = c.now()
	}
	v := kmsg.GroupMetadataValue{
		Version: groupValueVersion, ProtocolType: g.protocolType, Generation: g.generation,
		CurrentStateTimestamp: stateTime.UnixMilli(),
	}
	if g.protocol != "" {
		v.Protocol = kmsg.StringPtr(g.protocol)
	}
	if g.leader != "" {
		v.Leader = kmsg.StringPtr(g.leader)
	}
	for _, id := range g.joinOrder {
		m := g.members[id]
		mm := kmsg.GroupMetadataValueMember{
			MemberID: m.id, ClientID: m.clientID, ClientHost: m.clientHost,
			RebalanceTimeoutMillis: int32(m.rebalanceTimeout.Milliseconds()),
			SessionTimeoutMillis:   int32(m.sessionTimeout.Milliseconds()),
			Subscription:           m.metadataFor(g.protocol), Assignment: m.assignment,
		}
		if assignments != nil {
			mm.Assignment = assignments[id]
		}
		if mm.Subscription == nil {
			mm.Subscription = []byte{}
		}
		if mm.Assignment == nil {
			mm.Assignment = []byte{}
		}
		if m.instanceID != "" {
			mm.InstanceID = kmsg.StringPtr(m.instanceID)
		}
		v.Members = append(v.Members, mm)
	}
	return s.p.Append([]record.Record{{Timestamp: c.now().UnixMilli(), Key: groupKey(g.id), Value: v.AppendTo(nil)}})
}

// tombstones returns the records that delete a group and all its offsets.
func (c *Coordinator) tombstones(g *group) []record.Record {
	ts := c.now().UnixMilli()
	var recs []record.Record
	for tp := range g.offsets {
		recs = append(recs, record.Record{Timestamp: ts, Key: offsetKey(g.id, tp.Topic, tp.Partition)})
	}
	for _, r := range g.consumerTombstones() {
		recs = append(recs, record.Record{Timestamp: ts, Key: r.key()})
	}
	return append(recs, record.Record{Timestamp: ts, Key: groupKey(g.id)})
}

// dropConsumerState deletes the consumer-protocol state of an empty group,
// which becomes a classic group; its offsets stay.
func (c *Coordinator) dropConsumerState(s *shard, g *group) error {
	ts := c.now().UnixMilli()
	var recs []record.Record
	for _, r := range g.consumerTombstones() {
		recs = append(recs, record.Record{Timestamp: ts, Key: r.key()})
	}
	if err := s.p.Append(recs); err != nil {
		return err
	}
	for id := range g.consumerTimers {
		c.stopConsumerSession(g, id)
	}
	return nil
}
