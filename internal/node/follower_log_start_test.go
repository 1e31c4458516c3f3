package node_test

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/node/nodetest"
)

// TestFollowersFollowLogStart proves that followers take their leader's
// log start offset, as Kafka's do: after DeleteRecords on the leader a
// follower drops the records below it too, and a replica added to a
// partition whose log no longer starts at 0 begins its log there (its
// first segment based at the leader's log start, not at 0 with offsets
// its index cannot hold past 2^31 above it).
func TestFollowersFollowLogStart(t *testing.T) {
	c := nodetest.StartCluster(t, 3, nil)
	c.WaitLeader(10 * time.Second)
	const topic = "starts"
	createAssigned(t, c.Nodes[0].Addr, topic, 1, 2)
	cl := newClient(t, c.Nodes[0].Addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	ctx := testContext(t)
	for i := range 100 {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte{byte(i)}}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	adm := kadm.NewClient(cl)
	offsets := kadm.Offsets{}
	offsets.Add(kadm.Offset{Topic: topic, Partition: 0, At: 60})
	if resp, err := adm.DeleteRecords(ctx, offsets); err != nil || resp.Error() != nil {
		t.Fatalf("delete records: %v %v", err, resp.Error())
	}
	waitLogs := func(nodes []int, start, end int64) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for _, i := range nodes {
			for {
				l, ok := c.Nodes[i].Log(topic, 0)
				if ok && l.LogStartOffset() == start && l.LogEndOffset() == end && (l.Size() == 0) == (start == end) {
					break
				}
				if time.Now().After(deadline) {
					if ok {
						t.Fatalf("node %d holds [%d, %d), want [%d, %d)", i+1, l.LogStartOffset(), l.LogEndOffset(), start, end)
					}
					t.Fatalf("node %d has no log of %s", i+1, topic)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	waitLogs([]int{0, 1}, 60, 100)

	// Everything below the end goes; node 3 then joins.
	offsets = kadm.Offsets{}
	offsets.Add(kadm.Offset{Topic: topic, Partition: 0, At: 100})
	if resp, err := adm.DeleteRecords(ctx, offsets); err != nil || resp.Error() != nil {
		t.Fatalf("delete records: %v %v", err, resp.Error())
	}
	var req kadm.AlterPartitionAssignmentsReq
	req.Assign(topic, 0, []int32{1, 2, 3})
	if resp, err := adm.AlterPartitionAssignments(ctx, req); err != nil || resp.Error() != nil {
		t.Fatalf("reassign: %v %v", err, resp.Error())
	}
	waitLogs([]int{0, 1, 2}, 100, 100)
	for i := 100; i < 110; i++ {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte{byte(i)}}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	waitLogs([]int{0, 1, 2}, 100, 110)
	if l, _ := c.Nodes[2].Log(topic, 0); l.NumSegments() != 1 {
		t.Fatalf("the new replica has %d segments, want 1 based at its log start", l.NumSegments())
	}
}
