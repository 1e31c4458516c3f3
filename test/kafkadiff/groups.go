package kafkadiff

import (
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// classicGroup runs one member through a classic group's life: join (again
// with the member id, from v4), sync as leader, heartbeat, describe, leave.
// at overrides the version of some keys; the others go at their highest
// common version.
func classicGroup(s *session, at map[int16]int16) any {
	ver := func(key int16) int16 {
		if v, ok := at[key]; ok {
			return v
		}
		return s.max(key)
	}
	group := s.name("g")
	join := joinGroup(s, ver(11), group, "")
	out := []any{join}
	if join.ErrorCode == 79 { // MEMBER_ID_REQUIRED
		join = joinGroup(s, ver(11), group, join.MemberID)
		out = append(out, join)
	}
	member, generation := join.MemberID, join.Generation
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.Group, sync.Generation, sync.MemberID = group, generation, member
	sync.ProtocolType, sync.Protocol = kmsg.StringPtr("consumer"), kmsg.StringPtr("range")
	a := kmsg.NewSyncGroupRequestGroupAssignment()
	a.MemberID, a.MemberAssignment = member, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	sync.GroupAssignment = append(sync.GroupAssignment, a)
	out = append(out, s.do(sync, ver(14)))
	hb := kmsg.NewPtrHeartbeatRequest()
	hb.Group, hb.Generation, hb.MemberID = group, generation, member
	out = append(out, s.do(hb, ver(12)))
	describe := kmsg.NewPtrDescribeGroupsRequest()
	describe.Groups = []string{group}
	out = append(out, s.do(describe, ver(15)))
	leave := kmsg.NewPtrLeaveGroupRequest()
	leave.Group, leave.MemberID = group, member
	lm := kmsg.NewLeaveGroupRequestMember()
	lm.MemberID = member
	leave.Members = append(leave.Members, lm)
	return append(out, s.do(leave, ver(13)))
}

func joinGroup(s *session, v int16, group, member string) *kmsg.JoinGroupResponse {
	req := kmsg.NewPtrJoinGroupRequest()
	req.Group, req.MemberID, req.ProtocolType = group, member, "consumer"
	req.SessionTimeoutMillis, req.RebalanceTimeoutMillis = 10000, 10000
	p := kmsg.NewJoinGroupRequestProtocol()
	p.Name, p.Metadata = "range", []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	req.Protocols = append(req.Protocols, p)
	return s.do(req, v).(*kmsg.JoinGroupResponse)
}

// consumerGroup runs one KIP-848 member: join (epoch 0) subscribed to a
// two-partition topic, heartbeat until it owns both (the assignment comes
// asynchronously, so when is not compared, nor the epochs it took), describe,
// leave.
func consumerGroup(s *session, at map[int16]int16) any {
	ver := func(key int16) int16 {
		if v, ok := at[key]; ok {
			return v
		}
		return s.max(key)
	}
	topic := s.name("t")
	s.createTopic(topic, 2)
	group := s.name("g")
	req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	req.Group, req.MemberEpoch, req.RebalanceTimeoutMillis = group, 0, 10000
	req.SubscribedTopicNames, req.Topics = []string{topic}, []kmsg.ConsumerGroupHeartbeatRequestTopic{}
	req.MemberID = "kafkadiff-member-000001"
	first := s.do(req, ver(68)).(*kmsg.ConsumerGroupHeartbeatResponse)
	out := []any{map[string]any{"ErrorCode": first.ErrorCode, "HeartbeatIntervalMillis": first.HeartbeatIntervalMillis,
		"Joined": first.MemberEpoch > 0}}
	req.MemberEpoch, req.SubscribedTopicNames, req.Topics = first.MemberEpoch, nil, nil
	owned := assignedCount(first)
	for deadline := time.Now().Add(10 * time.Second); owned < 2 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp := s.do(req, ver(68)).(*kmsg.ConsumerGroupHeartbeatResponse)
		if resp.ErrorCode != 0 {
			out = append(out, resp)
			break
		}
		req.MemberEpoch = resp.MemberEpoch
		if resp.Assignment != nil {
			owned = assignedCount(resp)
		}
	}
	out = append(out, map[string]any{"AssignedPartitions": owned})
	describe := kmsg.NewPtrConsumerGroupDescribeRequest()
	describe.Groups = []string{group}
	d := s.do(describe, ver(69)).(*kmsg.ConsumerGroupDescribeResponse)
	for i := range d.Groups {
		g := &d.Groups[i]
		g.Epoch, g.AssignmentEpoch = g.Epoch-g.AssignmentEpoch, 0 // settled: both equal
		for j := range g.Members {
			g.Members[j].MemberEpoch -= req.MemberEpoch // the member's own epoch: 0 when current
		}
	}
	req.MemberEpoch = -1
	return append(out, d, s.do(req, ver(68)))
}

func assignedCount(r *kmsg.ConsumerGroupHeartbeatResponse) int {
	n := 0
	if r.Assignment != nil {
		for _, t := range r.Assignment.Topics {
			n += len(t.Partitions)
		}
	}
	return n
}
