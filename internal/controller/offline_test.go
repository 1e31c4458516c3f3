package controller

import (
	"errors"
	"slices"
	"testing"

	"gregor/internal/kafka"
)

// TestOfflineReplicas proves what a broker's failed log dir does to the
// partitions it reports: a leadership moves to the next live ISR member,
// a follower leaves the ISR, a sole ISR member keeps leading (answering
// KAFKA_STORAGE_ERROR rather than leaving the partition leaderless), and
// a broker with no log dir left gets no new replicas; the replicas stay
// listed offline until their broker registers again.
func TestOfflineReplicas(t *testing.T) {
	img := imageWith(t, nil,
		part(1, []int32{1, 2, 3}, 1, 2, 3), // led by 1: moves to 2
		part(2, []int32{2, 1}, 2, 1),       // follower 1 leaves the ISR
		part(1, []int32{1}, 1, 2),          // only 1 is in sync: it stays
		part(2, []int32{2, 3}, 2, 3),       // not reported
	)
	b, _ := img.Broker(1)
	req := OfflineReplicasRequest{ID: 1, Epoch: b.Epoch, Partitions: []kafka.TopicPartition{{Topic: "t", Partition: 0}, {Topic: "t", Partition: 1}, {Topic: "t", Partition: 2}, {Topic: "gone", Partition: 0}}}
	recs, _, err := offlineReplicas(img, req)
	if err != nil {
		t.Fatal(err)
	}
	next := apply(t, img, recs)
	tt, _ := next.Topic("t")
	want := []struct {
		leader int32
		isr    []int32
	}{{2, []int32{2, 3}}, {2, []int32{2}}, {1, []int32{1}}, {2, []int32{2, 3}}}
	for i, w := range want {
		p := tt.Partitions[i]
		if p.Leader != w.leader || !slices.Equal(p.ISR, w.isr) {
			t.Errorf("partition %d: leader %d isr %v, want %d %v", i, p.Leader, p.ISR, w.leader, w.isr)
		}
	}
	if b, _ := next.Broker(1); b.StorageOffline {
		t.Fatal("broker marked without log dirs after a partial failure")
	}
	for i, want := range [][]int32{{1}, {1}, {1}, nil} {
		if got := tt.Partitions[i].OfflineReplicas; !slices.Equal(got, want) {
			t.Errorf("partition %d offline replicas %v, want %v", i, got, want)
		}
	}
	if again, _, _ := offlineReplicas(next, req); len(again) != 0 {
		t.Errorf("a repeated report wrote %d records", len(again))
	}
	b.IncarnationID = kafka.NewTopicID() // a new process
	reg, _ := registerBroker(next, threeBrokers, b, b.Epoch+10)
	registered := apply(t, next, reg)
	rt, _ := registered.Topic("t")
	for i, p := range rt.Partitions {
		if len(p.OfflineReplicas) != 0 {
			t.Errorf("partition %d offline replicas %v after the broker registered again", i, p.OfflineReplicas)
		}
	}

	req.AllLogDirsOffline = true
	recs, _, err = offlineReplicas(next, req)
	if err != nil {
		t.Fatal(err)
	}
	next = apply(t, next, recs)
	if b, _ := next.Broker(1); !b.StorageOffline {
		t.Fatal("broker not marked without log dirs")
	}
	_, err = CreateTopic(next, threeBrokers, TopicSpec{Name: "u", NumPartitions: 1, ReplicationFactor: 3}, kafka.NewTopicID())
	if !errors.Is(err, ErrInvalidReplicationFactor) {
		t.Fatalf("rf 3 with a broker without log dirs: %v", err)
	}
	recs, err = CreateTopic(next, threeBrokers, TopicSpec{Name: "u", NumPartitions: 4, ReplicationFactor: 2}, kafka.NewTopicID())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Partition != nil && slices.Contains(r.Partition.Replicas, 1) {
			t.Fatalf("replica placed on a broker without log dirs: %v", r.Partition.Replicas)
		}
	}

	if _, _, err := offlineReplicas(img, OfflineReplicasRequest{ID: 1, Epoch: b.Epoch + 1}); !errors.Is(err, ErrBrokerNotRegistered) {
		t.Fatalf("stale epoch: %v", err)
	}
}
