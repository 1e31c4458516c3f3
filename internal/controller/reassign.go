package controller

// Partition reassignment (KIP-455) with KRaft's semantics. A reassignment
// to target replicas writes the partition with Replicas = target followed
// by the current replicas the target drops, AddingReplicas = target minus
// current and RemovingReplicas = current minus target. The adding replicas
// copy from the leader like any follower and join the ISR through the
// leader's AlterPartition; the change that puts the last of them in the
// ISR completes the reassignment: Replicas becomes the target, the
// removing replicas leave the ISR, and if the leader was one of them the
// first in-sync live target replica leads. Brokers that no longer hold a
// replica stop it and delete its log (replica.Manager). Cancelling puts
// the replicas being added back out.

import (
	"errors"
	"fmt"
	"slices"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

// ErrNoReassignmentInProgress: a cancellation of a partition that is not
// being reassigned.
var ErrNoReassignmentInProgress = errors.New("no reassignment in progress")

// Reassignment moves one partition to Replicas; nil Replicas cancels the
// partition's reassignment in progress.
type Reassignment struct {
	Topic     string
	Partition int32
	Replicas  []kafka.NodeID
	// KeepReplicationFactor refuses Replicas of another number than the
	// partition's (KIP-860's allow_replication_factor_change false).
	KeepReplicationFactor bool
}

// AlterPartitionReassignmentsRequest starts or cancels reassignments, each
// on its own.
type AlterPartitionReassignmentsRequest struct{ Reassignments []Reassignment }

// AlterPartitionReassignmentsResponse has a result per reassignment, in
// request order.
type AlterPartitionReassignmentsResponse struct{ Results []PartitionResult }

func (AlterPartitionReassignmentsRequest) isRequest()   {}
func (AlterPartitionReassignmentsResponse) isResponse() {}

// AlterPartitionReassignments returns the records of req and its results.
func AlterPartitionReassignments(img *metadata.Image, req AlterPartitionReassignmentsRequest) ([]metadata.Record, AlterPartitionReassignmentsResponse) {
	recs, outs := each(img, false, req.Reassignments, reassign)
	resp := AlterPartitionReassignmentsResponse{Results: make([]PartitionResult, len(outs))}
	for i, o := range outs {
		r := req.Reassignments[i]
		resp.Results[i] = PartitionResult{Topic: r.Topic, Partition: r.Partition, Err: o.err}
	}
	return recs, resp
}

// reassign returns the record of one reassignment or cancellation.
func reassign(img *metadata.Image, r Reassignment) ([]metadata.Record, error) {
	t, ok := img.Topic(r.Topic)
	if !ok || r.Partition < 0 || int(r.Partition) >= len(t.Partitions) {
		return nil, fmt.Errorf("%w: Unable to find partition %s-%d.", ErrUnknownTopic, r.Topic, r.Partition)
	}
	cur := t.Partitions[r.Partition]
	alive := func(id int32) bool { return isAlive(img, id) }
	var next metadata.Partition
	if r.Replicas == nil {
		if !cur.Reassigning() {
			return nil, fmt.Errorf("%w: No ongoing reassignment for %s-%d.", ErrNoReassignmentInProgress, r.Topic, r.Partition)
		}
		next = revertReassignment(cur, alive)
	} else {
		target := int32s(r.Replicas)
		if err := checkTarget(img, target); err != nil {
			return nil, err
		}
		if err := checkReplicationFactor(cur, target); r.KeepReplicationFactor && err != nil {
			return nil, err
		}
		next = startReassignment(cur, target, alive)
	}
	if !partitionChanged(cur, next) {
		return nil, nil
	}
	return []metadata.Record{withEpochs(cur, next).Record(t.ID)}, nil
}

// checkTarget applies KRaft's checks of a manual assignment.
func checkTarget(img *metadata.Image, target []int32) error {
	if len(target) == 0 {
		return fmt.Errorf("%w: The manual partition assignment includes an empty replica list.", ErrInvalidReplicaAssignment)
	}
	for i, id := range target {
		if slices.Contains(target[:i], id) {
			return fmt.Errorf("%w: The manual partition assignment includes the broker %d more than once.", ErrInvalidReplicaAssignment, id)
		}
		if !registered(img, id) {
			return fmt.Errorf("%w: The manual partition assignment includes broker %d, but no such broker is registered.", ErrInvalidReplicaAssignment, id)
		}
	}
	return nil
}

// checkReplicationFactor refuses a target of another size than the
// replicas p has apart from those a reassignment is adding; Kafka checks
// it after the target itself.
func checkReplicationFactor(p metadata.Partition, target []int32) error {
	if rf := len(p.Replicas) - len(p.AddingReplicas); rf != len(target) {
		return fmt.Errorf("%w: The replication factor is changed from %d to %d", ErrInvalidReplicationFactor, rf, len(target))
	}
	return nil
}

// startReassignment moves p towards target, completing at once when no
// replica needs adding.
func startReassignment(p metadata.Partition, target []int32, alive func(int32) bool) metadata.Partition {
	next := p
	next.AddingReplicas = without(target, p.Replicas)
	next.RemovingReplicas = without(p.Replicas, target)
	next.Replicas = append(slices.Clone(target), next.RemovingReplicas...)
	if len(next.AddingReplicas) == 0 && len(next.RemovingReplicas) == 0 {
		next.AddingReplicas, next.RemovingReplicas = nil, nil
	}
	return CompleteReassignment(next, alive)
}

// CompleteReassignment finishes p's reassignment once every replica being
// added is in the ISR and a target replica is: the removing replicas
// leave, and a removed leader hands over to the first live in-sync target
// replica. Otherwise it returns p as it is.
func CompleteReassignment(p metadata.Partition, alive func(int32) bool) metadata.Partition {
	if !p.Reassigning() || len(without(p.AddingReplicas, p.ISR)) > 0 {
		return p
	}
	isr := without(p.ISR, p.RemovingReplicas)
	if len(isr) == 0 {
		return p
	}
	next := p
	next.Replicas = without(p.Replicas, p.RemovingReplicas)
	next.ISR, next.AddingReplicas, next.RemovingReplicas = isr, nil, nil
	if !slices.Contains(next.Replicas, p.Leader) {
		next.Leader, next.ISR = pickLeader(next, alive, false)
	}
	return next
}

// revertReassignment cancels p's reassignment: the replicas being added
// leave the replicas and the ISR, and if one of them led, the first live
// in-sync remaining replica leads (any live one when none is in sync).
func revertReassignment(p metadata.Partition, alive func(int32) bool) metadata.Partition {
	next := p
	next.Replicas = without(p.Replicas, p.AddingReplicas)
	next.ISR = without(p.ISR, p.AddingReplicas)
	next.AddingReplicas, next.RemovingReplicas = nil, nil
	if !slices.Contains(next.Replicas, p.Leader) {
		next.Leader, next.ISR = pickLeader(next, alive, len(next.ISR) == 0)
	}
	return next
}

// without returns the members of a not in b, in a's order.
func without(a, b []int32) []int32 {
	var out []int32
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// partitionChanged reports whether next differs from prev in anything a
// partition record carries.
func partitionChanged(prev, next metadata.Partition) bool {
	return next.Leader != prev.Leader || !slices.Equal(next.ISR, prev.ISR) || !slices.Equal(next.Replicas, prev.Replicas) ||
		!slices.Equal(next.AddingReplicas, prev.AddingReplicas) || !slices.Equal(next.RemovingReplicas, prev.RemovingReplicas)
}

// withEpochs returns next, a change of prev, with the partition epoch
// bumped and the leader epoch bumped when the leader changed.
func withEpochs(prev, next metadata.Partition) metadata.Partition {
	if next.Leader != prev.Leader {
		next.LeaderEpoch = prev.LeaderEpoch + 1
	}
	next.PartitionEpoch = prev.PartitionEpoch + 1
	return next
}
