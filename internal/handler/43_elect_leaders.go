package handler

// ElectLeaders: v0–2.
//
// Behaviour: the active controller elects leaders as KRaft does. PREFERRED
// (v0 always) moves leadership to the first replica when it is live and in
// the ISR, else PREFERRED_LEADER_NOT_AVAILABLE; UNCLEAN gives a leaderless
// partition a leader, from the ISR if it can, else any live replica, else
// ELIGIBLE_LEADERS_NOT_AVAILABLE. A partition that has the leader asked
// for answers ELECTION_NOT_NEEDED; an unknown one
// UNKNOWN_TOPIC_OR_PARTITION. Null topics elect every partition and
// answer every topic, with only the partitions that needed an election,
// as Kafka's controller does. An unknown election type answers
// INVALID_REQUEST at the top level and on every partition named (v1+).

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/controller"
)

func init() { register(43, 0, 2, requires(alterOnCluster), (*Handler).electLeaders) }

func (h *Handler) electLeaders(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.ElectLeadersRequest)
	resp := r.ResponseKind().(*kmsg.ElectLeadersResponse)
	typ := controller.ElectionType(r.ElectionType)
	if r.Version == 0 {
		typ = controller.ElectPreferred
	}
	creq := controller.ElectLeadersRequest{Type: typ}
	if r.Topics != nil {
		creq.Partitions = []controller.TopicPartitions{}
		for _, t := range r.Topics {
			creq.Partitions = append(creq.Partitions, controller.TopicPartitions{Topic: t.Topic, Partitions: t.Partitions})
		}
	}
	// As Kafka: a refusal at the top (v1+) and on every partition named.
	refuse := func(err *kerr.Error) (kmsg.Response, error) {
		resp.ErrorCode = err.Code
		resp.Topics = electionTopics(nil, failedResults(creq.Partitions, err))
		return resp, nil
	}
	if !h.allowedOnCluster(req, acl.Alter) {
		return refuse(kerr.ClusterAuthorizationFailed)
	}
	if typ != controller.ElectPreferred && typ != controller.ElectUnclean {
		return refuse(kerr.InvalidRequest)
	}
	cresp, err := submit[controller.ElectLeadersResponse](ctx, h.Controller, creq)
	if err != nil && creq.Partitions == nil {
		resp.ErrorCode = errorCode(err)
	} else if err != nil {
		cresp.Results = failedResults(creq.Partitions, err)
	}
	resp.Topics = electionTopics(cresp.Topics, cresp.Results)
	return resp, nil
}

// failedResults answers every partition of tps with err.
func failedResults(tps []controller.TopicPartitions, err error) []controller.PartitionResult {
	var out []controller.PartitionResult
	for _, t := range tps {
		for _, p := range t.Partitions {
			out = append(out, controller.PartitionResult{Topic: t.Topic, Partition: p, Err: err})
		}
	}
	return out
}

// electionTopics groups results by topic, in order of first appearance
// after the topics named first (listed even without a result).
func electionTopics(topics []string, results []controller.PartitionResult) []kmsg.ElectLeadersResponseTopic {
	var out []kmsg.ElectLeadersResponseTopic
	at := map[string]int{}
	index := func(topic string) int {
		i, ok := at[topic]
		if !ok {
			i, at[topic] = len(out), len(out)
			t := kmsg.NewElectLeadersResponseTopic()
			t.Topic = topic
			out = append(out, t)
		}
		return i
	}
	for _, t := range topics {
		index(t)
	}
	for _, r := range results {
		i := index(r.Topic)
		p := kmsg.NewElectLeadersResponseTopicPartition()
		p.Partition, p.ErrorCode, p.ErrorMessage = r.Partition, errorCode(r.Err), errorMessage(r.Err)
		out[i].Partitions = append(out[i].Partitions, p)
	}
	return out
}
