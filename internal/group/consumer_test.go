package group

import (
	"errors"
	"testing"
	"time"

	"gregor/internal/coord"
)

type fakeTopics map[string]TopicInfo

func (f fakeTopics) Topic(name string) (TopicInfo, bool) { t, ok := f[name]; return t, ok }
func (f fakeTopics) Names() []string {
	var out []string
	for n := range f {
		out = append(out, n)
	}
	return out
}

func join(group, member string, instance *string, topics ...string) HeartbeatRequest {
	return HeartbeatRequest{Version: 1, GroupID: group, MemberID: member, MemberEpoch: 0, InstanceID: instance,
		RebalanceTimeout: 5000, SubscribedTopics: topics, Owned: Assignment{}, ClientID: "c"}
}

// TestStaticMemberRejoinKeepsAssignment: a static member that leaves with
// epoch -2 keeps its partitions; the instance rejoining under a new member
// id gets them back without a new group epoch, and a second member with
// the same instance id meanwhile is UNRELEASED_INSTANCE_ID.
func TestStaticMemberRejoinKeepsAssignment(t *testing.T) {
	log := &memLog{}
	c := start(t, testConfig(), log, coord.NewManualClock(time.Time{}))
	topics := fakeTopics{"t": {ID: topicID(1), Name: "t", Partitions: 4}}
	inst := "i-1"
	r := c.ConsumerHeartbeat(join("g", "a", &inst, "t"), topics)
	if r.Err != nil || r.Assignment.Len() != 4 {
		t.Fatalf("join: %+v", r)
	}
	epoch := r.MemberEpoch
	if r := c.ConsumerHeartbeat(join("g", "b", &inst, "t"), topics); !errors.Is(r.Err, ErrUnreleasedInstanceID) {
		t.Fatalf("second holder of the instance id: %v", r.Err)
	}
	leave := HeartbeatRequest{Version: 1, GroupID: "g", MemberID: "a", MemberEpoch: -2, InstanceID: &inst, RebalanceTimeout: -1}
	if r := c.ConsumerHeartbeat(leave, topics); r.Err != nil || r.MemberEpoch != -2 {
		t.Fatalf("static leave: %+v", r)
	}
	r = c.ConsumerHeartbeat(join("g", "b", &inst, "t"), topics)
	if r.Err != nil || r.Assignment.Len() != 4 || r.MemberEpoch != epoch {
		t.Fatalf("rejoin: %+v (epoch want %d)", r, epoch)
	}
	d, err := c.DescribeConsumer("g")
	if err != nil || len(d.Members) != 1 || d.Members[0].MemberID != "b" || d.Epoch != epoch {
		t.Fatalf("describe: %+v %v", d, err)
	}

	// The same state comes back from the log.
	c2 := start(t, testConfig(), log, coord.NewManualClock(time.Time{}))
	d2, err := c2.DescribeConsumer("g")
	if err != nil || len(d2.Members) != 1 || d2.Members[0].MemberEpoch != epoch || d2.Members[0].Assignment.Len() != 4 {
		t.Fatalf("reloaded: %+v %v", d2, err)
	}
}

// TestRevocationBeforeAssignment: when a second member joins, the first
// must revoke before the second gets those partitions.
func TestRevocationBeforeAssignment(t *testing.T) {
	c := start(t, testConfig(), &memLog{}, coord.NewManualClock(time.Time{}))
	tid := topicID(1)
	topics := fakeTopics{"t": {ID: tid, Name: "t", Partitions: 4}}
	a := c.ConsumerHeartbeat(join("g", "a", nil, "t"), topics)
	b := c.ConsumerHeartbeat(join("g", "b", nil, "t"), topics)
	if b.Err != nil || b.Assignment.Len() != 0 {
		t.Fatalf("b got partitions a still owns: %+v", b)
	}
	hb := func(id string, epoch int32, owned Assignment) HeartbeatResult {
		return c.ConsumerHeartbeat(HeartbeatRequest{Version: 1, GroupID: "g", MemberID: id, MemberEpoch: epoch, RebalanceTimeout: -1, Owned: owned}, topics)
	}
	a2 := hb("a", a.MemberEpoch, a.Assignment)
	if a2.Err != nil || a2.Assignment.Len() != 2 || a2.MemberEpoch != a.MemberEpoch {
		t.Fatalf("a asked to revoke: %+v", a2)
	}
	if b2 := hb("b", b.MemberEpoch, Assignment{}); b2.Assignment != nil && b2.Assignment.Len() != 0 {
		t.Fatalf("b got partitions before a revoked: %+v", b2)
	}
	a3 := hb("a", a2.MemberEpoch, a2.Assignment)
	if a3.Err != nil || a3.MemberEpoch != b.MemberEpoch {
		t.Fatalf("a after revoking: %+v", a3)
	}
	b3 := hb("b", b.MemberEpoch, Assignment{})
	if b3.Err != nil || b3.Assignment.Len() != 2 || overlaps(b3.Assignment, a3.Assignment.union(a2.Assignment)) {
		t.Fatalf("b after a revoked: %+v", b3)
	}
}
