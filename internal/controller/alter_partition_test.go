package controller

import (
	"errors"
	"slices"
	"testing"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

// TestAlterPartition proves the checks of an ISR proposal, in Kafka's
// terms: a proposer that does not lead at the current epoch is fenced, one
// that saw an older partition epoch is stale, a member that is not an
// eligible replica is refused, and a valid change sets the ISR and bumps
// the partition epoch (and nothing else).
func TestAlterPartition(t *testing.T) {
	img := withBrokers(t, 1, 2, 3, 4)
	img = apply(t, img, RegisterBroker(metadata.Broker{ID: 3, Fenced: true}, 10))
	create := CreateTopicsRequest{Topics: []TopicSpec{{Name: "t", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {1, 2, 3}}}}}
	recs, resp, err := operate(img, threeBrokers, testInputs, create)
	if err != nil || resp.(CreateTopicsResponse).Topics[0].Err != nil {
		t.Fatalf("create: %v %+v", err, resp)
	}
	img = apply(t, img, recs)
	topic, _ := img.Topic("t")
	valid := AlterPartitionRequest{TopicID: topic.ID, Partition: 0, LeaderID: 1, LeaderEpoch: 0, PartitionEpoch: 0, ISR: []kafka.NodeID{1, 2}}
	with := func(f func(*AlterPartitionRequest)) AlterPartitionRequest { r := valid; f(&r); return r }
	for _, tc := range []struct {
		name string
		req  AlterPartitionRequest
		want error
	}{
		{"shrink to leader and 2", valid, nil},
		{"not the leader", with(func(r *AlterPartitionRequest) { r.LeaderID = 2 }), ErrFencedLeaderEpoch},
		{"older leader epoch", with(func(r *AlterPartitionRequest) { r.LeaderEpoch = -1 }), ErrFencedLeaderEpoch},
		{"newer leader epoch", with(func(r *AlterPartitionRequest) { r.LeaderEpoch = 1 }), ErrFencedLeaderEpoch},
		{"stale partition epoch", with(func(r *AlterPartitionRequest) { r.PartitionEpoch = 5 }), ErrInvalidUpdateVersion},
		{"fenced broker", with(func(r *AlterPartitionRequest) { r.ISR = []kafka.NodeID{1, 3} }), ErrIneligibleReplica},
		{"not a replica", with(func(r *AlterPartitionRequest) { r.ISR = []kafka.NodeID{1, 4} }), ErrIneligibleReplica},
		{"unregistered broker", with(func(r *AlterPartitionRequest) { r.ISR = []kafka.NodeID{1, 9} }), ErrIneligibleReplica},
		{"leader left out", with(func(r *AlterPartitionRequest) { r.ISR = []kafka.NodeID{2} }), ErrInvalidRequest},
		{"unknown topic", with(func(r *AlterPartitionRequest) { r.TopicID = kafka.NewTopicID() }), ErrUnknownTopic},
		{"unknown partition", with(func(r *AlterPartitionRequest) { r.Partition = 1 }), ErrUnknownTopic},
	} {
		recs, resp, err := operate(img, threeBrokers, testInputs, tc.req)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
			continue
		}
		if tc.want != nil {
			if len(recs) != 0 {
				t.Errorf("%s: failed but wrote %d records", tc.name, len(recs))
			}
			continue
		}
		next := apply(t, img, recs)
		nt, _ := next.TopicByID(topic.ID)
		got := nt.Partitions[0]
		want := metadata.Partition{Partition: 0, Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2}, Leader: 1, LeaderEpoch: 0, PartitionEpoch: 1}
		if !equalPartition(got, want) || !equalPartition(resp.(AlterPartitionResponse).Partition, want) {
			t.Errorf("%s: image has %+v, response %+v, want %+v", tc.name, got, resp, want)
		}
	}
}

func equalPartition(a, b metadata.Partition) bool {
	return a.Partition == b.Partition && slices.Equal(a.Replicas, b.Replicas) && slices.Equal(a.ISR, b.ISR) &&
		a.Leader == b.Leader && a.LeaderEpoch == b.LeaderEpoch && a.PartitionEpoch == b.PartitionEpoch
}
