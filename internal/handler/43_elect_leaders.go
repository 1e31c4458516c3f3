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
// answer only those that needed an election. An unknown election type
// answers INVALID_REQUEST at the top level (v1+).

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
	if typ != controller.ElectPreferred && typ != controller.ElectUnclean {
		resp.ErrorCode = kerr.InvalidRequest.Code
		return resp, nil
	}
	creq := controller.ElectLeadersRequest{Type: typ}
	if r.Topics != nil {
		creq.Partitions = []controller.TopicPartitions{}
		for _, t := range r.Topics {
			creq.Partitions = append(creq.Partitions, controller.TopicPartitions{Topic: t.Topic, Partitions: t.Partitions})
		}
	}
	if !h.allowedOnCluster(req, acl.Alter) {
		// As Kafka: the error at the top (v1+) and on every partition named.
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
		resp.Topics = electionTopics(failedResults(creq.Partitions, kerr.ClusterAuthorizationFailed))
		return resp, nil
	}
	cresp, err := submit[controller.ElectLeadersResponse](ctx, h.Controller, creq)
	if err != nil && creq.Partitions == nil {
		resp.ErrorCode = errorCode(err)
	} else if err != nil {
		cresp.Results = failedResults(creq.Partitions, err)
	}
	resp.Topics = electionTopics(cresp.Results)
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

// electionTopics groups results by topic, in order of first appearance.
func electionTopics(results []controller.PartitionResult) []kmsg.ElectLeadersResponseTopic {
	var out []kmsg.ElectLeadersResponseTopic
	at := map[string]int{}
	for _, r := range results {
		i, ok := at[r.Topic]
		if !ok {
			i, at[r.Topic] = len(out), len(out)
			t := kmsg.NewElectLeadersResponseTopic()
			t.Topic = r.Topic
			out = append(out, t)
		}
		p := kmsg.NewElectLeadersResponseTopicPartition()
		p.Partition, p.ErrorCode, p.ErrorMessage = r.Partition, errorCode(r.Err), errorMessage(r.Err)
		out[i].Partitions = append(out[i].Partitions, p)
	}
	return out
}
