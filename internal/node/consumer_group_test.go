package node_test

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"gregor/internal/node/nodetest"
)

// consumerProps gives consumer-protocol members short sessions.
var consumerProps = map[string]string{
	"group.consumer.session.timeout.ms":        "1500",
	"group.consumer.heartbeat.interval.ms":     "200",
	"group.consumer.min.session.timeout.ms":    "1000",
	"group.consumer.min.heartbeat.interval.ms": "100",
	"group.min.session.timeout.ms":             "200",
}

// describeConsumer returns a consumer group's state and each member's
// partition count, by ConsumerGroupDescribe.
func describeConsumer(t *testing.T, cl *kgo.Client, g string) (*kmsg.ConsumerGroupDescribeResponseGroup, map[string]int) {
	t.Helper()
	req := kmsg.NewPtrConsumerGroupDescribeRequest()
	req.Groups = []string{g}
	resp, err := req.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	dg := &resp.Groups[0]
	out := map[string]int{}
	for _, m := range dg.Members {
		n := 0
		for _, tp := range m.Assignment.TopicPartitions {
			n += len(tp.Partitions)
		}
		out[m.MemberID] = n
	}
	return dg, out
}

// waitConsumerAssignment waits until the consumer group is Stable with
// members members owning per partitions each.
func waitConsumerAssignment(t *testing.T, cl *kgo.Client, g string, members, per int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var dg *kmsg.ConsumerGroupDescribeResponseGroup
	var got map[string]int
	for time.Now().Before(deadline) {
		dg, got = describeConsumer(t, cl, g)
		ok := dg.ErrorCode == 0 && dg.State == "Stable" && len(got) == members
		for _, n := range got {
			ok = ok && n == per
		}
		if ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("group %s: state %s (error %d), assignment %v; want %d members with %d partitions each", g, dg.State, dg.ErrorCode, got, members, per)
}

// TestConsumerGroupBalancesAndFailsOver: with the consumer protocol, three
// franz-go members on six partitions get two each from the broker's
// assignor; one that stops heartbeating loses its partitions to the other
// two after the session timeout.
func TestConsumerGroupBalancesAndFailsOver(t *testing.T) {
	tn := nodetest.Start(t, "", consumerProps)
	createTopic(t, tn.Addr, "orders", 6, nil)
	cl := newClient(t, tn.Addr)
	var ms []*groupMember
	for i := 0; i < 3; i++ {
		ms = append(ms, startMember(t, tn.Addr, "billing", "orders", kgo.ServerSideBalancer()))
	}
	waitConsumerAssignment(t, cl, "billing", 3, 2)

	adm := kadm.NewClient(cl)
	listed, err := adm.ListGroups(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if lg, ok := listed["billing"]; !ok || lg.ProtocolType != "consumer" {
		t.Errorf("ListGroups: %+v", listed)
	}
	req := kmsg.NewPtrListGroupsRequest()
	req.TypesFilter = []string{"consumer"}
	resp, err := req.RequestWith(testContext(t), cl)
	if err != nil || len(resp.Groups) != 1 || resp.Groups[0].GroupType != "consumer" || resp.Groups[0].GroupState != "Stable" {
		t.Errorf("ListGroups type consumer: %+v %v", resp, err)
	}
	req.TypesFilter = []string{"classic"}
	if resp, err = req.RequestWith(testContext(t), cl); err != nil || len(resp.Groups) != 0 {
		t.Errorf("ListGroups type classic: %+v %v", resp, err)
	}

	ms[2].kill()
	waitConsumerAssignment(t, cl, "billing", 2, 3)
}

// TestConsumerGroupDefaultIsClassic: without opting in, franz-go keeps the
// classic protocol even though the broker advertises ConsumerGroupHeartbeat.
func TestConsumerGroupDefaultIsClassic(t *testing.T) {
	tn := nodetest.Start(t, "", consumerProps)
	createTopic(t, tn.Addr, "plain", 2, nil)
	startMember(t, tn.Addr, "old-school", "plain")
	adm := kadm.NewClient(newClient(t, tn.Addr))
	waitAssignment(t, adm, "old-school", 1, 2)
}

// TestConsumerGroupNoDuplicatesAcrossRebalance: members that commit what
// they processed before revoking partitions make the group process every
// record exactly once while members join.
func TestConsumerGroupNoDuplicatesAcrossRebalance(t *testing.T) {
	tn := nodetest.Start(t, "", consumerProps)
	exactlyOnceWhileJoining(t, tn.Addr, kgo.ServerSideBalancer())
}

// TestConsumerGroupSurvivesRestart: a consumer group's committed offsets
// and its members with their epochs and assignments are back after a
// restart, rebuilt from __consumer_offsets.
func TestConsumerGroupSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	props := map[string]string{"group.consumer.session.timeout.ms": "60000", "group.consumer.heartbeat.interval.ms": "200",
		"group.consumer.min.heartbeat.interval.ms": "100"}
	tn := nodetest.Start(t, dir, props)
	createTopic(t, tn.Addr, "r", 4, nil)
	cl := newClient(t, tn.Addr)
	id := "11111111-2222-3333-4444-555555555555"
	hb := heartbeat(t, cl, "keep", id, 0, []string{"r"}, []kmsg.ConsumerGroupHeartbeatRequestTopic{})
	wantCode(t, "join", hb.ErrorCode, nil)
	if hb.Assignment == nil || len(hb.Assignment.Topics) != 1 || len(hb.Assignment.Topics[0].Partitions) != 4 {
		t.Fatalf("join assignment: %+v", hb.Assignment)
	}
	epoch := hb.MemberEpoch
	topicID := hb.Assignment.Topics[0].TopicID
	// OffsetCommit v9: the generation carries the member epoch, topics by name.
	versions := kversion.Stable()
	versions.SetMaxKeyVersion(8, 9)
	committer := newClient(t, tn.Addr, kgo.MaxVersions(versions))
	code := commitRaw(t, committer, "keep", id, epoch, "r", 7)
	wantCode(t, "commit with the member epoch", code, nil)
	wantCode(t, "commit with a stale epoch", commitRaw(t, committer, "keep", id, epoch+1, "r", 8), kerr.StaleMemberEpoch)

	tn.Shutdown()
	tn = nodetest.Start(t, dir, props)
	cl = newClient(t, tn.Addr)
	dg, got := describeConsumer(t, cl, "keep")
	if dg.ErrorCode != 0 || dg.Epoch != epoch || got[id] != 4 || dg.Members[0].MemberEpoch != epoch {
		t.Fatalf("after restart: %+v %v", dg, got)
	}
	owned := kmsg.NewConsumerGroupHeartbeatRequestTopic()
	owned.TopicID, owned.Partitions = topicID, []int32{0, 1, 2, 3}
	hb = heartbeat(t, cl, "keep", id, epoch, nil, []kmsg.ConsumerGroupHeartbeatRequestTopic{owned})
	wantCode(t, "heartbeat after restart", hb.ErrorCode, nil)
	if hb.MemberEpoch != epoch {
		t.Errorf("epoch after restart %d, want %d", hb.MemberEpoch, epoch)
	}
	offsets, err := kadm.NewClient(cl).FetchOffsets(testContext(t), "keep")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := offsets.Lookup("r", 0); o.At != 7 {
		t.Errorf("offset after restart: %+v", o)
	}
}

func heartbeat(t *testing.T, cl *kgo.Client, g, member string, epoch int32, topics []string, owned []kmsg.ConsumerGroupHeartbeatRequestTopic) *kmsg.ConsumerGroupHeartbeatResponse {
	t.Helper()
	req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	req.Group, req.MemberID, req.MemberEpoch = g, member, epoch
	req.SubscribedTopicNames, req.Topics = topics, owned
	if epoch == 0 {
		req.RebalanceTimeoutMillis = 5000
	}
	resp, err := req.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestConsumerGroupErrors: malformed heartbeats, stale epochs, unknown
// members and mixing protocols get Kafka's error codes.
func TestConsumerGroupErrors(t *testing.T) {
	tn := nodetest.Start(t, "", map[string]string{"group.consumer.max.size": "1"})
	createTopic(t, tn.Addr, "t", 2, nil)
	cl := newClient(t, tn.Addr)
	empty := []kmsg.ConsumerGroupHeartbeatRequestTopic{}

	raw := func(mod func(*kmsg.ConsumerGroupHeartbeatRequest)) *kmsg.ConsumerGroupHeartbeatResponse {
		req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
		req.Group, req.MemberID, req.MemberEpoch, req.RebalanceTimeoutMillis = "g", "m1", 0, 5000
		req.SubscribedTopicNames, req.Topics = []string{"t"}, empty
		mod(req)
		resp, err := req.RequestWith(testContext(t), cl)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	wantCode(t, "no member id", raw(func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.MemberID = "" }).ErrorCode, kerr.InvalidRequest)
	wantCode(t, "join without rebalance timeout", raw(func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.RebalanceTimeoutMillis = -1 }).ErrorCode, kerr.InvalidRequest)
	wantCode(t, "join without subscription", raw(func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.SubscribedTopicNames = nil }).ErrorCode, kerr.InvalidRequest)
	wantCode(t, "epoch -3", raw(func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.MemberEpoch = -3 }).ErrorCode, kerr.InvalidRequest)
	wantCode(t, "unknown assignor", raw(func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.ServerAssignor = kmsg.StringPtr("sticky") }).ErrorCode, kerr.UnsupportedAssignor)
	wantCode(t, "bad regex", raw(func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.SubscribedTopicRegex = kmsg.StringPtr("(") }).ErrorCode, kerr.InvalidRegularExpression)
	wantCode(t, "heartbeat to a missing group", raw(func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.Group, r.MemberEpoch = "nope", 1 }).ErrorCode, kerr.GroupIDNotFound)

	hb := raw(func(*kmsg.ConsumerGroupHeartbeatRequest) {})
	wantCode(t, "join", hb.ErrorCode, nil)
	wantCode(t, "second member over group.consumer.max.size", raw(func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.MemberID = "m2" }).ErrorCode, kerr.GroupMaxSizeReached)
	wantCode(t, "epoch ahead", heartbeat(t, cl, "g", "m1", hb.MemberEpoch+5, nil, nil).ErrorCode, kerr.FencedMemberEpoch)
	wantCode(t, "unknown member", heartbeat(t, cl, "g", "m9", 1, nil, nil).ErrorCode, kerr.UnknownMemberID)

	// Classic members cannot join a consumer group with members, and a
	// consumer member cannot join a classic group with members.
	classic := kmsg.NewPtrJoinGroupRequest()
	classic.Group, classic.SessionTimeoutMillis, classic.RebalanceTimeoutMillis, classic.ProtocolType = "g", 10000, 3000, "consumer"
	p := kmsg.NewJoinGroupRequestProtocol()
	p.Name, p.Metadata = "range", (&kmsg.ConsumerMemberMetadata{Topics: []string{"t"}}).AppendTo(nil)
	classic.Protocols = append(classic.Protocols, p)
	jr, err := classic.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, "classic join into a consumer group", jr.ErrorCode, kerr.InconsistentGroupProtocol)
	joinRaw(t, cl, "cg", nil)
	wantCode(t, "consumer join into a classic group", raw(func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.Group = "cg" }).ErrorCode, kerr.GroupIDNotFound)

	// DescribeGroups v6 of a consumer group: not a classic group.
	dreq := kmsg.NewPtrDescribeGroupsRequest()
	dreq.Version, dreq.Groups = 6, []string{"g"}
	dresp, err := dreq.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, "DescribeGroups of a consumer group", dresp.Groups[0].ErrorCode, kerr.GroupIDNotFound)
	// ConsumerGroupDescribe of a classic group: not a consumer group.
	dg, _ := describeConsumer(t, cl, "cg")
	wantCode(t, "ConsumerGroupDescribe of a classic group", dg.ErrorCode, kerr.GroupIDNotFound)

	// Leaving: the member is gone, the group empty.
	wantCode(t, "leave", heartbeat(t, cl, "g", "m1", -1, nil, nil).ErrorCode, nil)
	wantCode(t, "heartbeat after leaving", heartbeat(t, cl, "g", "m1", hb.MemberEpoch, nil, nil).ErrorCode, kerr.UnknownMemberID)
	dg, _ = describeConsumer(t, cl, "g")
	if dg.State != "Empty" {
		t.Errorf("state after the last member left: %s", dg.State)
	}
}
