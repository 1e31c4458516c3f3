package handler

// OffsetDelete: v0.
//
// Behaviour: deletes committed offsets of partitions the group does not
// consume: partitions of topics a member subscribes to get
// GROUP_SUBSCRIBED_TO_TOPIC; a group with members whose subscriptions
// cannot be read (not the consumer protocol) NON_EMPTY_GROUP; a missing
// group GROUP_ID_NOT_FOUND.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/kafka"
)

func init() { register(47, 0, 0, requires(deleteOnGroup, readOnTopic), (*Handler).offsetDelete) }

func (h *Handler) offsetDelete(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.OffsetDeleteRequest)
	resp := r.ResponseKind().(*kmsg.OffsetDeleteResponse)
	img := h.Metadata.Image()
	if !h.allowed(req, acl.Delete, acl.Group, r.Group) {
		resp.ErrorCode = kerr.GroupAuthorizationFailed.Code
		return resp, nil
	}
	readable := map[string]bool{}
	var tps []kafka.TopicPartition
	for _, t := range r.Topics {
		if readable[t.Topic] = h.allowed(req, acl.Read, acl.Topic, t.Topic); !readable[t.Topic] {
			continue
		}
		for _, p := range t.Partitions {
			tps = append(tps, kafka.TopicPartition{Topic: t.Topic, Partition: p.Partition})
		}
	}
	var perPartition map[kafka.TopicPartition]error
	err := checkGroupStrings(r.Group)
	if err == nil {
		perPartition, err = h.Groups.DeleteOffsets(r.Group, tps)
	}
	if err != nil {
		resp.ErrorCode = errorCode(err)
		return resp, nil
	}
	for _, t := range r.Topics {
		rt := kmsg.NewOffsetDeleteResponseTopic()
		rt.Topic = t.Topic
		mt, ok := img.Topic(t.Topic)
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetDeleteResponseTopicPartition()
			rp.Partition = p.Partition
			if !readable[t.Topic] {
				rp.ErrorCode = kerr.TopicAuthorizationFailed.Code
			} else if !ok || p.Partition < 0 || int(p.Partition) >= len(mt.Partitions) {
				rp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			} else {
				rp.ErrorCode = errorCode(perPartition[kafka.TopicPartition{Topic: t.Topic, Partition: p.Partition}])
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, nil
}
