package handler

// CreatePartitions: v0–3.
//
// Behaviour: grows each topic to the requested count, all in one controller
// request but each on its own, placing new replicas round-robin on the
// registered brokers or as assigned; a count that does not grow the topic answers
// INVALID_PARTITIONS, an unknown topic UNKNOWN_TOPIC_OR_PARTITION, a
// repeated topic INVALID_REQUEST. validate_only writes nothing.
// controller_mutation_rate (KIP-599, quotas.go): from v3 a topic asked to
// grow while the client's bucket is in debt answers
// THROTTLING_QUOTA_EXCEEDED; before v3 the request is only throttled.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/controller"
	"gregor/internal/kafka"
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
	var specs []controller.PartitionsSpec
	var at []int // the index in resp.Topics of each spec's answer
	img := h.Metadata.Image()
	for i, t := range r.Topics {
		rt := kmsg.NewCreatePartitionsResponseTopic()
		rt.Topic = t.Topic
		if counts[t.Topic] > 1 {
			rt.ErrorCode = kerr.InvalidRequest.Code
			rt.ErrorMessage = kmsg.StringPtr("Duplicate topic in request.")
		} else if !h.allowed(req, acl.Alter, acl.Topic, t.Topic) {
			rt.ErrorCode = kerr.TopicAuthorizationFailed.Code
		} else if !r.ValidateOnly && !h.admitMutation(req, resp, newPartitions(img, t), r.Version >= 3) {
			rt.ErrorCode, rt.ErrorMessage = refuseMutation()
		} else {
			specs, at = append(specs, partitionsSpec(t)), append(at, i)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	for j, err := range h.growTopics(ctx, specs, r.ValidateOnly) {
		rt := &resp.Topics[at[j]]
		rt.ErrorCode, rt.ErrorMessage = errorCode(err), errorMessage(err)
	}
	return resp, nil
}

func partitionsSpec(t kmsg.CreatePartitionsRequestTopic) controller.PartitionsSpec {
	spec := controller.PartitionsSpec{Topic: t.Topic, Count: t.Count}
	for _, a := range t.Assignment {
		spec.Assignments = append(spec.Assignments, nodeIDs(a.Replicas))
	}
	return spec
}

// growTopics grows the topics (or only validates that they could grow) in
// one controller request and returns the error of each.
func (h *Handler) growTopics(ctx context.Context, specs []controller.PartitionsSpec, validateOnly bool) []error {
	if len(specs) == 0 {
		return nil
	}
	req := controller.CreatePartitionsRequest{Topics: specs, ValidateOnly: validateOnly}
	resp, err := submit[controller.CreatePartitionsResponse](ctx, h.Controller, req)
	if err != nil {
		return everyItem(err, len(specs))
	}
	return resp.Errs
}

func nodeIDs(ids []int32) []kafka.NodeID {
	out := make([]kafka.NodeID, len(ids))
	for i, id := range ids {
		out[i] = kafka.NodeID(id)
	}
	return out
}

// newPartitions is the number of partitions t would add.
func newPartitions(img *metadata.Image, t kmsg.CreatePartitionsRequestTopic) int {
	if topic, ok := img.Topic(t.Topic); ok {
		return max(int(t.Count)-len(topic.Partitions), 0)
	}
	return 0
}
