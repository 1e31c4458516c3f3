package kafkadiff

import (
	"maps"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Elections and reassignments on a one-broker cluster: no leader can
// move and no replica can be added, so the scenarios compare what a
// single broker decides, the elections not needed and the reassignments
// refused or with nothing to do. Moving leaders and replicas is covered by
// Gregor's cluster tests.

func init() {
	byKey[43] = electLeadersKey
	byKey[45] = alterPartitionAssignmentsKey
	byKey[46] = listPartitionReassignmentsKey
}

// electLeadersKey asks for a preferred and an unclean election (and one of
// no known type) of partitions that have their leader, of an unknown
// partition and topic, and of every partition (null topics), where only
// this scenario's topics are compared.
func electLeadersKey(s *session, v int16) any {
	topic := s.name("t")
	s.createTopic(topic, 2)
	types := []int8{0, 1}
	if v == 0 {
		types = types[:1] // v0 elects the preferred leader only
	}
	named := map[string][]int32{topic: {0, 1, 5}, s.name("missing"): {0}}
	var out []any
	for _, typ := range types {
		out = append(out, s.elect(v, typ, named), s.ownElections(s.elect(v, typ, nil)))
	}
	if v >= 1 { // no such election type
		out = append(out, s.elect(v, 7, map[string][]int32{topic: {0}}), s.ownElections(s.elect(v, 7, nil)))
	}
	return out
}

// elect sends ElectLeaders of the given type for the named partitions, in
// the order of their topics' names; nil names every partition.
func (s *session) elect(v int16, typ int8, named map[string][]int32) *kmsg.ElectLeadersResponse {
	req := kmsg.NewPtrElectLeadersRequest()
	req.ElectionType, req.TimeoutMillis = typ, 10000
	if named != nil {
		req.Topics = []kmsg.ElectLeadersRequestTopic{}
	}
	for _, name := range slices.Sorted(maps.Keys(named)) {
		t := kmsg.NewElectLeadersRequestTopic()
		t.Topic, t.Partitions = name, named[name]
		req.Topics = append(req.Topics, t)
	}
	return s.do(req, v).(*kmsg.ElectLeadersResponse)
}

// ownElections keeps the results of this session's topics: an election of
// every partition answers for other runs' topics too.
func (s *session) ownElections(resp *kmsg.ElectLeadersResponse) *kmsg.ElectLeadersResponse {
	resp.Topics = slices.DeleteFunc(resp.Topics, func(t kmsg.ElectLeadersResponseTopic) bool {
		return !strings.HasPrefix(t.Topic, s.prefix)
	})
	return resp
}

// alterPartitionAssignmentsKey reassigns a one-replica partition to the
// replica it has, to a broker the cluster lacks, to none and to its
// replica twice, cancels a reassignment none is in progress for, and
// reassigns an unknown partition and topic; each in a request of its own,
// then lists the reassignments (none).
func alterPartitionAssignmentsKey(s *session, v int16) any {
	topic := s.name("t")
	s.createTopic(topic, 1)
	m := s.metadata(topic)
	own := m.Topics[0].Partitions[0].Replicas[0]
	absent := own + 1
	for _, b := range m.Brokers {
		absent = max(absent, b.NodeID+1)
	}
	var out []any
	for _, c := range []struct {
		topic     string
		partition int32
		replicas  []int32
	}{
		{topic, 0, []int32{own}},
		{topic, 0, []int32{absent}},
		{topic, 0, []int32{}},
		{topic, 0, []int32{own, own}},
		{topic, 0, nil},
		{topic, 0, []int32{own, absent}},
		{topic, 5, []int32{own}},
		{s.name("missing"), 0, []int32{own}},
	} {
		out = append(out, s.reassign(v, true, c.topic, c.partition, c.replicas))
	}
	if v >= 1 { // KIP-860: the replication factor may not change
		out = append(out, s.reassign(v, false, topic, 0, []int32{own, absent}),
			s.reassign(v, false, topic, 0, []int32{own}))
	}
	return append(out, s.listReassignments(s.max(46), map[string][]int32{topic: {0}}))
}

func (s *session) reassign(v int16, allowReplicationFactorChange bool, topic string, partition int32, replicas []int32) kmsg.Response {
	req := kmsg.NewPtrAlterPartitionAssignmentsRequest()
	req.TimeoutMillis, req.AllowReplicationFactorChange = 10000, allowReplicationFactorChange
	t := kmsg.NewAlterPartitionAssignmentsRequestTopic()
	t.Topic = topic
	p := kmsg.NewAlterPartitionAssignmentsRequestTopicPartition()
	p.Partition, p.Replicas = partition, replicas
	t.Partitions = append(t.Partitions, p)
	req.Topics = append(req.Topics, t)
	return s.do(req, v)
}

// listPartitionReassignmentsKey lists the reassignments (none) of a
// topic, of a partition it lacks, of an unknown topic, and of every topic,
// where only this scenario's topics are compared.
func listPartitionReassignmentsKey(s *session, v int16) any {
	topic := s.name("t")
	s.createTopic(topic, 1)
	return []any{
		s.listReassignments(v, map[string][]int32{topic: {0, 5}, s.name("missing"): {0}}),
		s.listReassignments(v, nil),
	}
}

// listReassignments lists the reassignments of the named partitions, nil
// of every partition, keeping those of this session's topics.
func (s *session) listReassignments(v int16, named map[string][]int32) *kmsg.ListPartitionReassignmentsResponse {
	req := kmsg.NewPtrListPartitionReassignmentsRequest()
	req.TimeoutMillis = 10000
	for _, name := range slices.Sorted(maps.Keys(named)) {
		t := kmsg.NewListPartitionReassignmentsRequestTopic()
		t.Topic, t.Partitions = name, named[name]
		req.Topics = append(req.Topics, t)
	}
	resp := s.do(req, v).(*kmsg.ListPartitionReassignmentsResponse)
	resp.Topics = slices.DeleteFunc(resp.Topics, func(t kmsg.ListPartitionReassignmentsResponseTopic) bool {
		return !strings.HasPrefix(t.Topic, s.prefix)
	})
	return resp
}
