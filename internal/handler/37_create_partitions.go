package handler

// CreatePartitions: v0–3.
//
// Behaviour: grows a topic to the requested count, placing new replicas
// round-robin or as assigned; a count that does not grow the topic answers
// INVALID_PARTITIONS, an unknown topic UNKNOWN_TOPIC_OR_PARTITION, a
// repeated topic INVALID_REQUEST. validate_only writes nothing.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/controller"
	"gregor/internal/metadata"
)

func init() { register(37, 0, 3, requires(alterOnTopic), (*Handler).createPartitions) }

func (h *Handler) createPartitions(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.CreatePartitionsRequest)
	resp := r.ResponseKind().(*kmsg.CreatePartitionsResponse)
	counts := map[string]int{}
	for _, t := range r.Topics {
		counts[t.Topic]++
	}
	for _, t := range r.Topics {
		rt := kmsg.NewCreatePartitionsResponseTopic()
		rt.Topic = t.Topic
		if counts[t.Topic] > 1 {
			rt.ErrorCode = kerr.InvalidRequest.Code
			rt.ErrorMessage = kmsg.StringPtr("Duplicate topic in request.")
		} else {
			err := h.createPartitionsFor(ctx, t, r.ValidateOnly)
			rt.ErrorCode, rt.ErrorMessage = errorCode(err), errorMessage(err)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, nil
}

func (h *Handler) createPartitionsFor(ctx context.Context, t kmsg.CreatePartitionsRequestTopic, validateOnly bool) error {
	var assignments [][]int32
	for _, a := range t.Assignment {
		assignments = append(assignments, a.Replicas)
	}
	c := h.cluster()
	op := func(img *metadata.Image) ([]metadata.Record, error) {
		return controller.CreatePartitions(img, c, t.Topic, t.Count, assignments)
	}
	if validateOnly {
		_, err := op(h.Controller.Image())
		return err
	}
	return h.Controller.Submit(ctx, op)
}
