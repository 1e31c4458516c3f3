package handler

// DeleteRecords: v0–2.
//
// Behaviour: advances each partition's log start offset to the requested
// offset (-1: the high watermark), deleting whole segments below it, and
// answers the new low watermark. An offset above the high watermark answers
// OFFSET_OUT_OF_RANGE; an offset below the current log start offset leaves
// it unchanged.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/kafka"
)

func init() { register(21, 0, 2, requires(deleteOnTopic), (*Handler).deleteRecords) }

func (h *Handler) deleteRecords(_ context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DeleteRecordsRequest)
	resp := r.ResponseKind().(*kmsg.DeleteRecordsResponse)
	for _, t := range r.Topics {
		rt := kmsg.NewDeleteRecordsResponseTopic()
		rt.Topic = t.Topic
		allowed := h.allowed(req, acl.Delete, acl.Topic, t.Topic)
		for _, p := range t.Partitions {
			rp := kmsg.NewDeleteRecordsResponseTopicPartition()
			rp.Partition, rp.LowWatermark = p.Partition, -1
			if !allowed {
				rp.ErrorCode = kerr.TopicAuthorizationFailed.Code
				rt.Partitions = append(rt.Partitions, rp)
				continue
			}
			part, err := h.Replicas.Partition(kafka.TopicPartition{Topic: t.Topic, Partition: p.Partition})
			if err == nil {
				rp.LowWatermark, err = part.DeleteRecordsBefore(p.Offset)
			}
			rp.ErrorCode = errorCode(err)
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, nil
}
