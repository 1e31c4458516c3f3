package handler

// DeleteTopics: v1–6.
//
// Behaviour: topics are named (v1–5) or named or identified by id (v6).
// Each deletion is one controller operation; its partitions' logs are
// renamed to "-delete" and removed. delete.topic.enable=false answers
// TOPIC_DELETION_DISABLED; unknown names UNKNOWN_TOPIC_OR_PARTITION,
// unknown ids UNKNOWN_TOPIC_ID.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

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
	for _, t := range targets {
		resp.Topics = append(resp.Topics, h.deleteTopic(ctx, t))
	}
	return resp, nil
}

func (h *Handler) deleteTopic(ctx context.Context, t kmsg.DeleteTopicsRequestTopic) kmsg.DeleteTopicsResponseTopic {
	rt := kmsg.NewDeleteTopicsResponseTopic()
	rt.Topic, rt.TopicID = t.Topic, t.TopicID
	img := h.Controller.Image()
	var topic *metadata.Topic
	var ok bool
	if t.Topic != nil {
		topic, ok = img.Topic(*t.Topic)
	} else {
		topic, ok = img.TopicByID(kafka.TopicID(t.TopicID))
	}
	switch {
	case !ok && t.Topic == nil:
		rt.ErrorCode = kerr.UnknownTopicID.Code
		return rt
	case !ok:
		rt.ErrorCode = kerr.UnknownTopicOrPartition.Code
		return rt
	case !h.Config.DeleteTopicEnable:
		rt.ErrorCode = kerr.TopicDeletionDisabled.Code
		return rt
	}
	rt.Topic, rt.TopicID = kmsg.StringPtr(topic.Name), topic.ID
	err := h.Controller.Submit(ctx, func(img *metadata.Image) ([]metadata.Record, error) {
		return controller.DeleteTopic(img, topic.ID)
	})
	rt.ErrorCode = errorCode(err)
	rt.ErrorMessage = errorMessage(err)
	return rt
}
