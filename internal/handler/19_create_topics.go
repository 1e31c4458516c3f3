package handler

// CreateTopics: v2–7.
//
// Behaviour: the topics are created by one controller request, each on its
// own (one failing does not stop the others); -1 (or 0 with no assignment)
// partitions or replication factor take the broker defaults; replicas are
// placed round-robin on the registered brokers, and explicit replica
// assignments are checked against them; topic configs are validated by
// name and value. validate_only runs every check and writes nothing. A name
// repeated within one request answers INVALID_REQUEST for every copy, as
// Kafka; more than 10,000 partitions in one request answers
// POLICY_VIOLATION for every topic. v5+ answers the resulting partition
// count, replication factor and configs (an empty list, not null, with an
// error, as Kafka); v7 the topic id.
// controller_mutation_rate (KIP-599, quotas.go): from v6 a topic asked for
// while the client's bucket is in debt answers THROTTLING_QUOTA_EXCEEDED;
// before v6 the request is only throttled. The partitions are counted
// before the controller validates the topic.
// Differences from Kafka: creation is synchronous, so the timeout only
// bounds waiting for the controller.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/controller"
	"gregor/internal/metadata"
)

func init() { register(19, 2, 7, requires(createOnCluster, createOnTopic), (*Handler).createTopics) }

func (h *Handler) createTopics(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.CreateTopicsRequest)
	resp := r.ResponseKind().(*kmsg.CreateTopicsResponse)
	counts := map[string]int{}
	for _, t := range r.Topics {
		counts[t.Topic]++
	}
	tooMany := h.requestedPartitions(r) > controller.MaxPartitionsPerRequest
	var specs []controller.TopicSpec
	var at []int // the index in resp.Topics of each spec's answer
	clusterCreate := h.allowedOnCluster(req, acl.Create)
	for i, t := range r.Topics {
		rt := kmsg.NewCreateTopicsResponseTopic()
		rt.Topic = t.Topic
		rt.NumPartitions, rt.ReplicationFactor = -1, -1
		rt.Configs = []kmsg.CreateTopicsResponseTopicConfig{} // as Kafka: empty, not null, on an error
		switch {
		case tooMany:
			rt.ErrorCode = kerr.PolicyViolation.Code
			rt.ErrorMessage = kmsg.StringPtr("Excessively large number of partitions per request.")
		case counts[t.Topic] > 1:
			rt.ErrorCode = kerr.InvalidRequest.Code
			rt.ErrorMessage = kmsg.StringPtr("Create topics request from client contains a duplicate topic.")
		case !clusterCreate && !h.allowed(req, acl.Create, acl.Topic, t.Topic):
			rt.ErrorCode = kerr.TopicAuthorizationFailed.Code
			rt.ErrorMessage = kmsg.StringPtr("Authorization failed.")
		case !r.ValidateOnly && !h.admitMutation(req, resp, int(h.topicPartitions(t)), r.Version >= 6):
			rt.ErrorCode, rt.ErrorMessage = refuseMutation()
		default:
			specs, at = append(specs, topicSpec(t)), append(at, i)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	for j, created := range h.createTopicSpecs(ctx, specs, r.ValidateOnly) {
		rt := &resp.Topics[at[j]]
		if created.Err != nil {
			rt.ErrorCode, rt.ErrorMessage = errorCode(created.Err), errorMessage(created.Err)
			continue
		}
		h.describeCreated(rt, created.Topic, specs[j].Configs)
	}
	return resp, nil
}

// requestedPartitions is the number of partitions the request would create.
func (h *Handler) requestedPartitions(r *kmsg.CreateTopicsRequest) int64 {
	var total int64
	for _, t := range r.Topics {
		total += h.topicPartitions(t)
	}
	return total
}

// topicPartitions is the number of partitions t would have.
func (h *Handler) topicPartitions(t kmsg.CreateTopicsRequestTopic) int64 {
	switch {
	case len(t.ReplicaAssignment) > 0:
		return int64(len(t.ReplicaAssignment))
	case t.NumPartitions == -1:
		return int64(h.Config.NumPartitions)
	case t.NumPartitions > 0:
		return int64(t.NumPartitions)
	}
	return 0
}

func topicSpec(t kmsg.CreateTopicsRequestTopic) controller.TopicSpec {
	spec := controller.TopicSpec{Name: t.Topic, NumPartitions: t.NumPartitions, ReplicationFactor: t.ReplicationFactor}
	if len(t.ReplicaAssignment) > 0 {
		spec.Assignments = map[int32][]int32{}
		for _, a := range t.ReplicaAssignment {
			spec.Assignments[a.Partition] = a.Replicas
		}
		if t.NumPartitions == -1 {
			spec.NumPartitions = 0
		}
		if t.ReplicationFactor == -1 {
			spec.ReplicationFactor = 0
		}
	}
	if len(t.Configs) > 0 {
		spec.Configs = map[string]string{}
		for _, c := range t.Configs {
			if c.Value != nil {
				spec.Configs[c.Name] = *c.Value
			}
		}
	}
	return spec
}

// createTopicSpecs creates specs (or only validates them) and answers each
// topic as it is (or would be) in the image.
func (h *Handler) createTopicSpecs(ctx context.Context, specs []controller.TopicSpec, validateOnly bool) []controller.CreatedTopic {
	if len(specs) == 0 {
		return nil
	}
	req := controller.CreateTopicsRequest{Topics: specs, ValidateOnly: validateOnly}
	resp, err := submit[controller.CreateTopicsResponse](ctx, h.Controller, req)
	if err != nil {
		resp.Topics = make([]controller.CreatedTopic, len(specs))
		for i := range resp.Topics {
			resp.Topics[i].Err = err
		}
	}
	return resp.Topics
}

// createTopic creates spec (or only validates it) and returns the topic as
// it is (or would be) in the image.
func (h *Handler) createTopic(ctx context.Context, spec controller.TopicSpec, validateOnly bool) (*metadata.Topic, error) {
	created := h.createTopicSpecs(ctx, []controller.TopicSpec{spec}, validateOnly)[0]
	return created.Topic, created.Err
}

// describeCreated fills rt from t, a topic created (or that would be) with
// the config overrides.
func (h *Handler) describeCreated(rt *kmsg.CreateTopicsResponseTopic, t *metadata.Topic, overrides map[string]string) {
	rt.TopicID = t.ID
	rt.NumPartitions = int32(len(t.Partitions))
	if len(t.Partitions) > 0 {
		rt.ReplicationFactor = int16(len(t.Partitions[0].Replicas))
	}
	for _, e := range h.topicConfigEntries(overrides) {
		c := kmsg.NewCreateTopicsResponseTopicConfig()
		c.Name, c.Value, c.ReadOnly, c.IsSensitive = e.Name, entryValue(e), e.ReadOnly, e.Sensitive
		c.Source = int8(configSource(e.Source))
		rt.Configs = append(rt.Configs, c)
	}
}
