package controller

import (
	"errors"
	"slices"
	"testing"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

// reassignOne runs one reassignment of t-0 on img and returns the result
// and the partition after it.
func reassignOne(t *testing.T, img *metadata.Image, replicas []kafka.NodeID) (error, metadata.Partition, *metadata.Image) {
	t.Helper()
	recs, resp := AlterPartitionReassignments(img, AlterPartitionReassignmentsRequest{Reassignments: []Reassignment{{Topic: "t", Partition: 0, Replicas: replicas}}})
	next := apply(t, img, recs)
	topic, _ := next.Topic("t")
	return resp.Results[0].Err, topic.Partitions[0], next
}

// TestReassignmentLifecycle proves KRaft's reassignment steps on
// {1,2} -> {2,3}: the replicas become target plus removing with adding
// and removing recorded; the leader's ISR change that takes in broker 3
// completes it, dropping broker 1 and moving the leadership it held.
func TestReassignmentLifecycle(t *testing.T) {
	img := imageWith(t, nil, part(1, []int32{1, 2}, 1, 2))
	err, p, img := reassignOne(t, img, []kafka.NodeID{2, 3})
	if err != nil || !slices.Equal(p.Replicas, []int32{2, 3, 1}) || !slices.Equal(p.AddingReplicas, []int32{3}) ||
		!slices.Equal(p.RemovingReplicas, []int32{1}) || p.Leader != 1 || p.PartitionEpoch != 8 {
		t.Fatalf("started: %v %+v", err, p)
	}
	topic, _ := img.Topic("t")
	recs, _, err := AlterPartition(img, AlterPartitionRequest{TopicID: topic.ID, LeaderID: 1, LeaderEpoch: 4, PartitionEpoch: 8, ISR: []kafka.NodeID{1, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	topic, _ = apply(t, img, recs).Topic("t")
	p = topic.Partitions[0]
	if !slices.Equal(p.Replicas, []int32{2, 3}) || !slices.Equal(p.ISR, []int32{2, 3}) || p.Reassigning() || p.Leader != 2 || p.LeaderEpoch != 5 {
		t.Fatalf("completed: %+v", p)
	}
}

// TestReassignmentCases proves the other answers: a cancellation puts the
// adding replicas out, cancelling nothing is NO_REASSIGNMENT_IN_PROGRESS,
// dropping replicas only completes at once, the current replicas change
// nothing, and unknown brokers, duplicates and partitions are refused.
func TestReassignmentCases(t *testing.T) {
	img := imageWith(t, nil, part(1, []int32{1, 2}, 1, 2))
	_, _, moving := reassignOne(t, img, []kafka.NodeID{2, 3})
	if err, p, _ := reassignOne(t, moving, nil); err != nil || !slices.Equal(p.Replicas, []int32{2, 1}) || p.Reassigning() || p.Leader != 1 {
		t.Errorf("cancel: %v %+v", err, p)
	}
	if err, _, _ := reassignOne(t, img, nil); !errors.Is(err, ErrNoReassignmentInProgress) {
		t.Errorf("cancel without a reassignment: %v", err)
	}
	if err, p, _ := reassignOne(t, img, []kafka.NodeID{2}); err != nil || !slices.Equal(p.Replicas, []int32{2}) || p.Leader != 2 || p.Reassigning() {
		t.Errorf("shrink: %v %+v", err, p)
	}
	if err, p, _ := reassignOne(t, img, []kafka.NodeID{1, 2}); err != nil || p.PartitionEpoch != 7 {
		t.Errorf("same replicas: %v %+v", err, p)
	}
	for _, bad := range [][]kafka.NodeID{{1, 9}, {2, 2}, {}} {
		if err, _, _ := reassignOne(t, img, bad); !errors.Is(err, ErrInvalidReplicaAssignment) {
			t.Errorf("%v: %v, want INVALID_REPLICA_ASSIGNMENT", bad, err)
		}
	}
	_, resp := AlterPartitionReassignments(img, AlterPartitionReassignmentsRequest{Reassignments: []Reassignment{{Topic: "t", Partition: 3, Replicas: []kafka.NodeID{1}}}})
	if !errors.Is(resp.Results[0].Err, ErrUnknownTopic) {
		t.Errorf("unknown partition: %v", resp.Results[0].Err)
	}
}

// TestReassignmentKeepingReplicationFactor proves KIP-860's check as
// Kafka orders it: a target of another size is INVALID_REPLICATION_FACTOR,
// but an invalid target is INVALID_REPLICA_ASSIGNMENT first, and one of
// the same size passes.
func TestReassignmentKeepingReplicationFactor(t *testing.T) {
	img := imageWith(t, nil, part(1, []int32{1, 2}, 1, 2))
	for _, c := range []struct {
		replicas []kafka.NodeID
		want     error
	}{
		{[]kafka.NodeID{1, 2, 3}, ErrInvalidReplicationFactor},
		{[]kafka.NodeID{1, 9, 3}, ErrInvalidReplicaAssignment},
		{[]kafka.NodeID{}, ErrInvalidReplicaAssignment},
		{[]kafka.NodeID{2, 3}, nil},
	} {
		ra := Reassignment{Topic: "t", Partition: 0, Replicas: c.replicas, KeepReplicationFactor: true}
		_, resp := AlterPartitionReassignments(img, AlterPartitionReassignmentsRequest{Reassignments: []Reassignment{ra}})
		if err := resp.Results[0].Err; !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("%v: %v, want %v", c.replicas, err, c.want)
		}
	}
}
