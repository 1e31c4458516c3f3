package leaderclient_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/kafka"
	"gregor/internal/node/nodetest"
	"gregor/internal/partition"
	"gregor/internal/replica"
	"gregor/internal/replica/leaderclient"
	"gregor/internal/wire"
)

// TestAgainstARealLeader proves the client's framing and translation
// against a running node: OffsetForLeaderEpoch answers the leader's end of
// an epoch, and a replica fetch from a node outside the replica set comes
// back as partition.ErrNotLeader (NOT_LEADER_OR_FOLLOWER).
func TestAgainstARealLeader(t *testing.T) {
	n := nodetest.Start(t, "", map[string]string{"auto.create.topics.enable": "true"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(n.Addr), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := 0; i < 3; i++ {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "lc", Value: []byte("v")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	img := n.Handler().Metadata.Image()
	b, _ := img.Broker(1)
	topic, _ := img.Topic("lc")
	src, err := leaderclient.Dialer(7, "PLAINTEXT", wire.Dialer{})(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	tp := kafka.TopicPartition{Topic: "lc"}
	ends, err := src.EpochEndOffsets(ctx, 7, []replica.EpochQuery{{TP: tp, CurrentLeaderEpoch: 0, LeaderEpoch: 0}})
	if err != nil || len(ends) != 1 || ends[0].Err != nil || ends[0].Epoch != 0 || ends[0].EndOffset != 3 {
		t.Fatalf("epoch end offsets: %+v %v", ends, err)
	}
	got, err := src.Fetch(ctx, replica.FetchRequest{ReplicaID: 7, BrokerEpoch: -1, MaxBytes: 1 << 20, Partitions: []replica.FetchPartition{
		{TP: tp, TopicID: topic.ID, CurrentLeaderEpoch: 0, FetchOffset: 0, LastFetchedEpoch: -1, MaxBytes: 1 << 20},
	}})
	if err != nil || len(got) != 1 || !errors.Is(got[0].Err, partition.ErrNotLeader) {
		t.Fatalf("fetch from a non-replica: %+v %v", got, err)
	}
}
