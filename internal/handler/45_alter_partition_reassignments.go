package handler

// AlterPartitionReassignments: v0–1.
//
// Behaviour: the active controller starts each reassignment (or, for null
// replicas, cancels the one in progress) with KRaft's semantics: the
// target replicas are added, catch up and join the ISR, then the replicas
// the target drops are removed and a removed leader hands over. Answers
// per partition: UNKNOWN_TOPIC_OR_PARTITION, INVALID_REPLICA_ASSIGNMENT
// (empty, duplicate or unregistered brokers), NO_REASSIGNMENT_IN_PROGRESS
// (a cancellation of nothing); v1 with allow_replication_factor_change
// false answers INVALID_REPLICATION_FACTOR for a valid target of another
// size than the partition's replicas before any reassignment, and echoes
// the flag. The answer comes when the reassignment has started, not when
// it completes.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/controller"
	"gregor/internal/kafka"
)

func init() {
	register(45, 0, 1, requires(alterOnCluster), (*Handler).alterPartitionReassignments)
}

func (h *Handler) alterPartitionReassignments(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.AlterPartitionAssignmentsRequest)
	resp := r.ResponseKind().(*kmsg.AlterPartitionAssignmentsResponse)
	keepRF := r.Version >= 1 && !r.AllowReplicationFactorChange
	resp.AllowReplicationFactorChange = r.AllowReplicationFactorChange
	var creq controller.AlterPartitionReassignmentsRequest
	results := map[kafka.TopicPartition]error{}
	allowed := h.allowedOnCluster(req, acl.Alter)
	if !allowed {
		// As Kafka: the error at the top and on every partition named.
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
	}
	for _, t := range r.Topics {
		for _, p := range t.Partitions {
			tp := kafka.TopicPartition{Topic: t.Topic, Partition: p.Partition}
			if !allowed {
				results[tp] = kerr.ClusterAuthorizationFailed
				continue
			}
			creq.Reassignments = append(creq.Reassignments, reassignmentOf(tp, p.Replicas, keepRF))
		}
	}
	cresp, err := h.reassign(ctx, creq)
	for _, res := range cresp.Results {
		results[kafka.TopicPartition{Topic: res.Topic, Partition: res.Partition}] = res.Err
	}
	for _, t := range r.Topics {
		rt := kmsg.NewAlterPartitionAssignmentsResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewAlterPartitionAssignmentsResponseTopicPartition()
			rp.Partition = p.Partition
			perr, ok := results[kafka.TopicPartition{Topic: t.Topic, Partition: p.Partition}]
			if !ok {
				perr = err
			}
			rp.ErrorCode, rp.ErrorMessage = errorCode(perr), errorMessage(perr)
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, nil
}

func reassignmentOf(tp kafka.TopicPartition, replicas []int32, keepReplicationFactor bool) controller.Reassignment {
	ra := controller.Reassignment{Topic: tp.Topic, Partition: tp.Partition, KeepReplicationFactor: keepReplicationFactor}
	if replicas != nil {
		ra.Replicas = nodeIDs(replicas)
	}
	return ra
}

func (h *Handler) reassign(ctx context.Context, req controller.AlterPartitionReassignmentsRequest) (controller.AlterPartitionReassignmentsResponse, error) {
	if len(req.Reassignments) == 0 {
		return controller.AlterPartitionReassignmentsResponse{}, nil
	}
	return submit[controller.AlterPartitionReassignmentsResponse](ctx, h.Controller, req)
}
