package handler

// DeleteTopics: v1–6.
//
// Behaviour: topics are named (v1–5) or named or identified by id (v6).
// The deletions are one controller request, each on its own; a deleted
// topic's partitions' logs are renamed to "-delete" and removed. delete.topic.enable=false answers
// TOPIC_DELETION_DISABLED; unknown names UNKNOWN_TOPIC_OR_PARTITION,
// unknown ids UNKNOWN_TOPIC_ID.
// controller_mutation_rate (KIP-599, quotas.go): from v5 a topic whose
// partitions the client's bucket cannot pay for (it is in debt) answers
// THROTTLING_QUOTA_EXCEEDED; before v5 the request is only throttled.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/controller"
	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

func init() { register(20, 1, 6, requires(deleteOnTopic), (*Handler).deleteTopics) }

func (h *Handler) deleteTopics(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DeleteTopicsRequest)
	resp := r.ResponseKind().(*kmsg.DeleteTopicsResponse)
	targets := r.Topics
	if r.Version < 6 {
		targets = nil
		for _, name := range r.TopicNames {
			t := kmsg.NewDeleteTopicsRequestTopic()
			t.Topic = kmsg.StringPtr(name)
			targets = append(targets, t)
		}
	}
	img := h.Metadata.Image()
	var ids []kafka.TopicID
	var at []int // the index in resp.Topics of each id's answer
	for i, t := range targets {
		rt, ok := h.deletable(req, img, t)
		if ok && !h.admitMutation(req, resp, partitionsOf(img, rt.TopicID), r.Version >= 5) {
			ok = false
			rt.ErrorCode, rt.ErrorMessage = refuseMutation()
		}
		if ok {
			ids, at = append(ids, rt.TopicID), append(at, i)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	for j, err := range h.deleteTopicIDs(ctx, ids) {
		rt := &resp.Topics[at[j]]
		rt.ErrorCode, rt.ErrorMessage = errorCode(err), errorMessage(err)
	}
	return resp, nil
}

// deletable resolves t in img and answers it, with the topic's name and
// id when it may be deleted (ok).
func (h *Handler) deletable(req *Request, img *metadata.Image, t kmsg.DeleteTopicsRequestTopic) (rt kmsg.DeleteTopicsResponseTopic, ok bool) {
	rt = kmsg.NewDeleteTopicsResponseTopic()
	rt.Topic, rt.TopicID = t.Topic, t.TopicID
	var topic *metadata.Topic
	if t.Topic != nil {
		topic, ok = img.Topic(*t.Topic)
	} else {
		topic, ok = img.TopicByID(kafka.TopicID(t.TopicID))
	}
	switch {
	case t.Topic != nil && !h.allowed(req, acl.Delete, acl.Topic, *t.Topic), t.Topic == nil && ok && !h.allowed(req, acl.Delete, acl.Topic, topic.Name):
		rt.ErrorCode = kerr.TopicAuthorizationFailed.Code
		return rt, false
	case !ok && t.Topic == nil:
		rt.ErrorCode = kerr.UnknownTopicID.Code
		return rt, false
	case !ok:
		rt.ErrorCode = kerr.UnknownTopicOrPartition.Code
		return rt, false
	case !h.Config.DeleteTopicEnable:
		rt.ErrorCode = kerr.TopicDeletionDisabled.Code
		return rt, false
	}
	rt.Topic, rt.TopicID = kmsg.StringPtr(topic.Name), topic.ID
	return rt, true
}

// deleteTopicIDs deletes the topics in one controller request and returns
// the error of each.
func (h *Handler) deleteTopicIDs(ctx context.Context, ids []kafka.TopicID) []error {
	if len(ids) == 0 {
		return nil
	}
	resp, err := submit[controller.DeleteTopicsResponse](ctx, h.Controller, controller.DeleteTopicsRequest{IDs: ids})
	if err != nil {
		return everyItem(err, len(ids))
	}
	return resp.Errs
}

// partitionsOf is the number of partitions of the topic with id.
func partitionsOf(img *metadata.Image, id [16]byte) int {
	if t, ok := img.TopicByID(kafka.TopicID(id)); ok {
		return len(t.Partitions)
	}
	return 0
}
