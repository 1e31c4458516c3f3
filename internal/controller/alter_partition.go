package controller

// AlterPartition: a partition leader's proposal of a new ISR (Kafka's
// AlterPartition, KIP-497), checked against the image as Kafka's
// ReplicationControlManager checks it, and written as a new PartitionRecord
// with the partition epoch bumped. The leader applies the ISR only when the
// image that holds it is published. An ISR that takes in the last replica
// a reassignment adds completes the reassignment (reassign.go).

import (
	"errors"
	"fmt"
	"slices"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

// Errors of AlterPartition, Kafka's codes of the same names.
var (
	// ErrFencedLeaderEpoch: the proposer is not the leader at the partition's
	// current leader epoch.
	ErrFencedLeaderEpoch = errors.New("fenced leader epoch")
	// ErrInvalidUpdateVersion: the proposal was made against another
	// partition epoch than the image's (another change came first).
	ErrInvalidUpdateVersion = errors.New("invalid update version: stale partition epoch")
	// ErrIneligibleReplica: a member of the proposed ISR is not a replica, or
	// its broker is not registered or is fenced.
	ErrIneligibleReplica = errors.New("ineligible replica")
)

// AlterPartitionRequest proposes ISR as the in-sync replicas of one
// partition. LeaderID, LeaderEpoch and PartitionEpoch are the proposer's
// view: the request fails unless they are the image's.
type AlterPartitionRequest struct {
	TopicID        kafka.TopicID
	Partition      int32
	LeaderID       kafka.NodeID
	LeaderEpoch    kafka.Epoch
	PartitionEpoch int32
	ISR            []kafka.NodeID
}

// AlterPartitionResponse is the partition as the change left it.
type AlterPartitionResponse struct{ Partition metadata.Partition }

func (AlterPartitionRequest) isRequest()   {}
func (AlterPartitionResponse) isResponse() {}

// AlterPartition returns the record that sets req's ISR and the partition
// it makes.
func AlterPartition(img *metadata.Image, req AlterPartitionRequest) ([]metadata.Record, AlterPartitionResponse, error) {
	cur, err := partitionOf(img, req.TopicID, req.Partition)
	if err != nil {
		return nil, AlterPartitionResponse{}, err
	}
	if err := checkAlterPartition(img, cur, req); err != nil {
		return nil, AlterPartitionResponse{}, err
	}
	next := cur
	next.ISR = int32s(req.ISR)
	next = CompleteReassignment(next, func(id int32) bool { return isAlive(img, id) })
	next = withEpochs(cur, next)
	return []metadata.Record{next.Record(req.TopicID)}, AlterPartitionResponse{Partition: next}, nil
}

// partitionOf returns partition p of topic id.
func partitionOf(img *metadata.Image, id kafka.TopicID, p int32) (metadata.Partition, error) {
	t, ok := img.TopicByID(id)
	if !ok {
		return metadata.Partition{}, fmt.Errorf("%w: topic id %s", ErrUnknownTopic, id)
	}
	if p < 0 || int(p) >= len(t.Partitions) {
		return metadata.Partition{}, fmt.Errorf("%w: %s has no partition %d", ErrUnknownTopic, t.Name, p)
	}
	return t.Partitions[p], nil
}

// checkAlterPartition applies Kafka's checks in its order: the proposer
// leads at the current epoch, saw the current partition epoch, and every
// proposed member is an eligible replica; the leader stays in the ISR.
func checkAlterPartition(img *metadata.Image, cur metadata.Partition, req AlterPartitionRequest) error {
	switch {
	case int32(req.LeaderID) != cur.Leader || int32(req.LeaderEpoch) != cur.LeaderEpoch:
		return fmt.Errorf("%w: node %d at epoch %d, the leader is node %d at epoch %d",
			ErrFencedLeaderEpoch, req.LeaderID, req.LeaderEpoch, cur.Leader, cur.LeaderEpoch)
	case req.PartitionEpoch != cur.PartitionEpoch:
		return fmt.Errorf("%w: proposed at partition epoch %d, current %d", ErrInvalidUpdateVersion, req.PartitionEpoch, cur.PartitionEpoch)
	case !slices.Contains(req.ISR, req.LeaderID):
		return fmt.Errorf("%w: the ISR %v must include the leader %d", ErrInvalidRequest, req.ISR, req.LeaderID)
	}
	for _, id := range req.ISR {
		if err := eligible(img, cur, id); err != nil {
			return err
		}
	}
	return nil
}

// eligible reports why id may not be in the ISR of cur, or nil.
func eligible(img *metadata.Image, cur metadata.Partition, id kafka.NodeID) error {
	b, ok := img.Broker(id)
	switch {
	case !slices.Contains(cur.Replicas, int32(id)):
		return fmt.Errorf("%w: node %d is not a replica (%v)", ErrIneligibleReplica, id, cur.Replicas)
	case !ok:
		return fmt.Errorf("%w: broker %d is not registered", ErrIneligibleReplica, id)
	case b.Fenced:
		return fmt.Errorf("%w: broker %d is fenced", ErrIneligibleReplica, id)
	case b.StorageOffline:
		return fmt.Errorf("%w: broker %d has no online log dir", ErrIneligibleReplica, id)
	}
	return nil
}
