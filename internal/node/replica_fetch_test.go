package node_test

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
)

// TestReplicaFetchChecks proves the leader's side of a replica fetch on a
// single node: a fetch from a node outside the replica set (replica_id
// ReplicaState at the version the client sends) is answered NOT_LEADER_OR_FOLLOWER
// with the current leader (KIP-951), and a fetch whose last fetched epoch
// this log does not hold is answered a diverging epoch and no records.
func TestReplicaFetchChecks(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	createTopic(t, n.Addr, "rf", 1, nil)
	cl := newClient(t, n.Addr)
	if err := cl.ProduceSync(testContext(t), &kgo.Record{Topic: "rf", Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	fetch := func(replica int32, lastFetchedEpoch int32) kmsg.FetchResponseTopicPartition {
		t.Helper()
		req := kmsg.NewPtrFetchRequest() // the client sends the newest version both serve
		req.SessionEpoch, req.MaxBytes = -1, 1<<20
		req.ReplicaID, req.ReplicaState.ID = replica, replica
		p := kmsg.NewFetchRequestTopicPartition()
		p.PartitionMaxBytes, p.LastFetchedEpoch, p.FetchOffset = 1<<20, lastFetchedEpoch, 1
		req.Topics = []kmsg.FetchRequestTopic{{Topic: "rf", TopicID: topicID(t, cl, "rf"), Partitions: []kmsg.FetchRequestTopicPartition{p}}}
		resp, err := req.RequestWith(testContext(t), cl)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Topics[0].Partitions[0]
	}
	got := fetch(7, -1)
	if got.ErrorCode != kerr.NotLeaderForPartition.Code || got.CurrentLeader.LeaderID != 1 || got.CurrentLeader.LeaderEpoch != 0 {
		t.Errorf("fetch from node 7: code %d, current leader %+v", got.ErrorCode, got.CurrentLeader)
	}
	got = fetch(-1, 3)
	if got.ErrorCode != 0 || got.DivergingEpoch.Epoch != 0 || got.DivergingEpoch.EndOffset != 1 || len(got.RecordBatches) != 0 {
		t.Errorf("fetch with an unknown last epoch: code %d, diverging %+v, %d bytes", got.ErrorCode, got.DivergingEpoch, len(got.RecordBatches))
	}
}
