package node_test

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
)

// TestElectLeadersAnswers proves two shapes of Kafka's ElectLeaders
// answer: an election of every partition lists every topic, those whose
// partitions needed no election with none, and an unknown election type
// fails at the top and on every partition named.
func TestElectLeadersAnswers(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	createTopic(t, n.Addr, "settled", 2, nil)
	cl := newClient(t, n.Addr)
	all := kmsg.NewPtrElectLeadersRequest()
	all.TimeoutMillis = 10000
	resp, err := all.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	var listed bool
	for _, rt := range resp.Topics {
		listed = listed || rt.Topic == "settled" && len(rt.Partitions) == 0
	}
	if resp.ErrorCode != 0 || !listed {
		t.Fatalf("election of every partition: %+v, want topic settled listed without partitions", resp)
	}
	bad := kmsg.NewPtrElectLeadersRequest()
	bad.ElectionType, bad.TimeoutMillis = 7, 10000
	bad.Topics = []kmsg.ElectLeadersRequestTopic{{Topic: "settled", Partitions: []int32{0, 1}}}
	if resp, err = bad.RequestWith(testContext(t), cl); err != nil {
		t.Fatal(err)
	}
	if resp.ErrorCode != kerr.InvalidRequest.Code || len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 2 ||
		resp.Topics[0].Partitions[1].ErrorCode != kerr.InvalidRequest.Code {
		t.Fatalf("unknown election type: %+v, want INVALID_REQUEST at the top and on both partitions", resp)
	}
}

// TestReassignKeepingReplicationFactor proves that with
// allow_replication_factor_change false (v1) the answer echoes the flag
// and a target naming a broker the cluster lacks is
// INVALID_REPLICA_ASSIGNMENT, as Kafka checks the target before its size.
func TestReassignKeepingReplicationFactor(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	createTopic(t, n.Addr, "kept", 1, nil)
	cl := newClient(t, n.Addr)
	md, err := kadm.NewClient(cl).Metadata(testContext(t), "kept")
	if err != nil {
		t.Fatal(err)
	}
	own := md.Topics["kept"].Partitions[0].Replicas[0]
	req := kmsg.NewPtrAlterPartitionAssignmentsRequest()
	req.AllowReplicationFactorChange = false
	req.Topics = []kmsg.AlterPartitionAssignmentsRequestTopic{{Topic: "kept",
		Partitions: []kmsg.AlterPartitionAssignmentsRequestTopicPartition{{Partition: 0, Replicas: []int32{own, own + 100}}}}}
	resp, err := req.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	if resp.AllowReplicationFactorChange || resp.Topics[0].Partitions[0].ErrorCode != kerr.InvalidReplicaAssignment.Code {
		t.Fatalf("answer %+v: want allow_replication_factor_change false and INVALID_REPLICA_ASSIGNMENT", resp)
	}
}

// TestDescribeScramUsersOnce proves that DescribeUserScramCredentials
// answers a user named twice once (DUPLICATE_RESOURCE) and every user for
// an empty list, as for a null one.
func TestDescribeScramUsersOnce(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	cl := newClient(t, n.Addr)
	ctx := testContext(t)
	res, err := kadm.NewClient(cl).AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: "alice", Mechanism: kadm.ScramSha256, Iterations: 4096, Password: "secret"}})
	if err != nil || res.Error() != nil {
		t.Fatalf("alter: %v, %v", err, res.Error())
	}
	describe := func(users ...string) *kmsg.DescribeUserSCRAMCredentialsResponse {
		req := kmsg.NewPtrDescribeUserSCRAMCredentialsRequest()
		req.Users = []kmsg.DescribeUserSCRAMCredentialsRequestUser{}
		for _, u := range users {
			req.Users = append(req.Users, kmsg.DescribeUserSCRAMCredentialsRequestUser{Name: u})
		}
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if r := describe(); len(r.Results) == 1 && r.Results[0].User == "alice" && r.Results[0].ErrorCode == 0 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("empty list: %+v, want alice's credential", r.Results)
		}
	}
	if r := describe("bob", "bob", "alice"); len(r.Results) != 2 || r.Results[0].User != "bob" ||
		r.Results[0].ErrorCode != kerr.DuplicateResource.Code || r.Results[1].ErrorCode != 0 {
		t.Fatalf("bob twice and alice: %+v, want one DUPLICATE_RESOURCE for bob and alice's credential", r.Results)
	}
}
