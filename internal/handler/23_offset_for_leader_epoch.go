package handler

// OffsetForLeaderEpoch: v2–4.
//
// Behaviour: for each partition answers the largest leader epoch at or below
// the requested one and the end offset of that epoch (the start offset of
// the next epoch, or the log end offset for the latest), from the leader
// epoch cache; -1/-1 when the log holds no such epoch. current_leader_epoch
// is checked as in Fetch (KIP-320), so consumers can detect truncation.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/kafka"
)

func init() {
	register(23, 2, 4, requires(clusterActionOnCluster, describeOnTopic), (*Handler).offsetForLeaderEpoch)
}

func (h *Handler) offsetForLeaderEpoch(_ context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.OffsetForLeaderEpochRequest)
	resp := r.ResponseKind().(*kmsg.OffsetForLeaderEpochResponse)
	clusterAction := h.Authorizer != nil && h.allowedOnCluster(req, acl.ClusterAction)
	for _, t := range r.Topics {
		rt := kmsg.NewOffsetForLeaderEpochResponseTopic()
		rt.Topic = t.Topic
		allowed := clusterAction || h.allowed(req, acl.Describe, acl.Topic, t.Topic)
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetForLeaderEpochResponseTopicPartition()
			rp.Partition, rp.LeaderEpoch, rp.EndOffset = p.Partition, -1, -1
			part, err := h.Replicas.Partition(kafka.TopicPartition{Topic: t.Topic, Partition: p.Partition})
			switch {
			case !allowed:
				rp.ErrorCode = kerr.TopicAuthorizationFailed.Code
			case err != nil:
				rp.ErrorCode = errorCode(err)
			default:
				if rp.ErrorCode = checkLeaderEpoch(p.CurrentLeaderEpoch, part.LeaderEpoch()); rp.ErrorCode == 0 {
					epoch, end := part.EndOffsetForEpoch(kafka.Epoch(p.LeaderEpoch))
					rp.LeaderEpoch, rp.EndOffset = int32(epoch), int64(end)
				}
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, nil
}
