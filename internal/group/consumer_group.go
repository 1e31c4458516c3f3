package group

import (
	"maps"
	"slices"

	"gregor/internal/kafka"
	"gregor/internal/record"
)

// Assignment is a set of partitions by topic id; each slice is sorted. An
// Assignment is never changed in place once built: changes build a new one,
// so that copies of a group can share them.
type Assignment map[kafka.TopicID][]int32

// Equal reports whether a and b hold the same partitions.
func (a Assignment) Equal(b Assignment) bool {
	if a.Len() != b.Len() {
		return false
	}
	for id, ps := range a {
		if !slices.Equal(ps, b[id]) {
			return false
		}
	}
	return true
}

// Len is the number of partitions.
func (a Assignment) Len() int {
	n := 0
	for _, ps := range a {
		n += len(ps)
	}
	return n
}

func (a Assignment) has(id kafka.TopicID, p int32) bool {
	_, ok := slices.BinarySearch(a[id], p)
	return ok
}

func (a Assignment) topicIDs() []kafka.TopicID {
	return slices.SortedFunc(maps.Keys(a), compareTopicIDs)
}

// filter returns the partitions of a for which keep is true.
func (a Assignment) filter(keep func(id kafka.TopicID, p int32) bool) Assignment {
	out := Assignment{}
	for id, ps := range a {
		var kept []int32
		for _, p := range ps {
			if keep(id, p) {
				kept = append(kept, p)
			}
		}
		if len(kept) > 0 {
			out[id] = kept
		}
	}
	return out
}

// union returns the partitions of a and b.
func (a Assignment) union(b Assignment) Assignment {
	out := Assignment{}
	for _, x := range []Assignment{a, b} {
		for id, ps := range x {
			out[id] = append(out[id], ps...)
		}
	}
	for id, ps := range out {
		slices.Sort(ps)
		out[id] = slices.Compact(ps)
	}
	return out
}

// partitionKey is a partition named by its topic id.
type partitionKey struct {
	topic     kafka.TopicID
	partition int32
}

// memberState is a member's reconciliation state, with Kafka's values.
type memberState int8

const (
	memberStable     memberState = 0 // owns its target assignment
	memberUnrevoked  memberState = 1 // must revoke partitions before it can move to the next epoch
	memberUnreleased memberState = 2 // at the target epoch, waiting for partitions others still own
)

// Member epochs with a meaning in ConsumerGroupHeartbeat.
const (
	joinEpoch        = 0
	leaveEpoch       = -1
	staticLeaveEpoch = -2
)

type consumerMember struct {
	id string
	memberMetadata
	currentAssignment
}

// consumerGroup is the replicated state of a consumer-protocol group: the
// fields change only through apply, from the records of consumer_records.go.
type consumerGroup struct {
	epoch           int32                    // group epoch, bumped when members or subscriptions change
	topics          map[string]topicMetadata // the subscribed topics as last seen
	assignmentEpoch int32                    // the group epoch the target assignment was computed at
	target          map[string]Assignment    // target assignment by member id
	members         map[string]*consumerMember
}

func newConsumerGroup() *consumerGroup {
	return &consumerGroup{topics: map[string]topicMetadata{}, target: map[string]Assignment{}, members: map[string]*consumerMember{}}
}

// clone copies the group deeply enough for apply to change the copy only.
func (cg *consumerGroup) clone() *consumerGroup {
	out := *cg
	out.topics = maps.Clone(cg.topics)
	out.target = maps.Clone(cg.target)
	out.members = make(map[string]*consumerMember, len(cg.members))
	for id, m := range cg.members {
		c := *m
		out.members[id] = &c
	}
	return &out
}

// apply changes the group by one record; loading and live changes both
// go through it.
func (cg *consumerGroup) apply(r consumerRecord) {
	switch r.kind {
	case consumerMetadataKey:
		cg.epoch = r.epoch
	case consumerPartitionMetadataKey:
		cg.topics = r.topics
		if cg.topics == nil {
			cg.topics = map[string]topicMetadata{}
		}
	case consumerTargetMetadataKey:
		cg.assignmentEpoch = r.epoch
	case consumerTargetMemberKey:
		if r.tombstone {
			delete(cg.target, r.member)
		} else {
			cg.target[r.member] = r.target
		}
	case consumerMemberMetadataKey:
		if r.tombstone {
			delete(cg.members, r.member)
			return
		}
		cg.member(r.member).memberMetadata = r.meta
	case consumerCurrentAssignmentKey:
		if r.tombstone {
			if m := cg.members[r.member]; m != nil {
				m.currentAssignment = currentAssignment{}
			}
			return
		}
		cg.member(r.member).currentAssignment = r.current
	}
}

func (cg *consumerGroup) member(id string) *consumerMember {
	m := cg.members[id]
	if m == nil {
		m = &consumerMember{id: id}
		cg.members[id] = m
	}
	return m
}

// staticMember returns the member with a group instance id.
func (cg *consumerGroup) staticMember(instanceID string) *consumerMember {
	for _, m := range cg.members {
		if m.instanceID == instanceID {
			return m
		}
	}
	return nil
}

// owners returns, for every partition some member owns (assigned or still
// revoking), the member that owns it.
func (cg *consumerGroup) owners() map[partitionKey]string {
	out := map[partitionKey]string{}
	for id, m := range cg.members {
		for _, a := range []Assignment{m.assigned, m.revoking} {
			for tid, ps := range a {
				for _, p := range ps {
					out[partitionKey{tid, p}] = id
				}
			}
		}
	}
	return out
}

// ConsumerState is a consumer group's state, named as Kafka names it.
func (cg *consumerGroup) state() string {
	switch {
	case len(cg.members) == 0:
		return "Empty"
	case cg.epoch > cg.assignmentEpoch:
		return "Assigning"
	}
	for _, m := range cg.members {
		if m.epoch != cg.assignmentEpoch || m.state != memberStable {
			return "Reconciling"
		}
	}
	return "Stable"
}

// subscribedTopics returns the topics the group subscribes to, by name or
// through a regex, as last resolved.
func (cg *consumerGroup) subscribedTopics() map[string]bool {
	out := map[string]bool{}
	for name := range cg.topics {
		out[name] = true
	}
	for _, m := range cg.members {
		for _, t := range m.topics {
			out[t] = true
		}
	}
	return out
}

// consumerTx collects the records of one change to a consumer group. The
// first record copies the group; every record is applied to the copy, so
// later steps see earlier ones. commit appends the records, and the
// shard's replay of them changes the group itself the same way.
type consumerTx struct {
	g       *group
	cg      *consumerGroup
	copied  bool
	records []consumerRecord
}

func newConsumerTx(g *group) *consumerTx {
	cg := g.consumer
	if cg == nil {
		cg = newConsumerGroup()
	}
	return &consumerTx{g: g, cg: cg}
}

func (tx *consumerTx) add(r consumerRecord) {
	if !tx.copied {
		tx.cg = tx.cg.clone()
		tx.copied = true
	}
	r.group = tx.g.id
	tx.cg.apply(r)
	tx.records = append(tx.records, r)
}

// commit appends the records; replaying them changes the group.
func (c *Coordinator) commit(s *shard, tx *consumerTx) error {
	if len(tx.records) > 0 {
		ts := c.now().UnixMilli()
		recs := make([]record.Record, len(tx.records))
		for i, r := range tx.records {
			recs[i] = record.Record{Timestamp: ts, Key: r.key(), Value: r.value()}
		}
		return s.p.Append(recs)
	}
	return nil
}

// consumerTombstones returns the records that delete a consumer group's
// state (its offsets aside).
func (g *group) consumerTombstones() []consumerRecord {
	cg := g.consumer
	if cg == nil {
		return nil
	}
	var out []consumerRecord
	for id := range cg.members {
		out = append(out,
			consumerRecord{kind: consumerCurrentAssignmentKey, group: g.id, member: id, tombstone: true},
			consumerRecord{kind: consumerTargetMemberKey, group: g.id, member: id, tombstone: true},
			consumerRecord{kind: consumerMemberMetadataKey, group: g.id, member: id, tombstone: true})
	}
	return append(out,
		consumerRecord{kind: consumerTargetMetadataKey, group: g.id, tombstone: true},
		consumerRecord{kind: consumerPartitionMetadataKey, group: g.id, tombstone: true},
		consumerRecord{kind: consumerMetadataKey, group: g.id, tombstone: true})
}
