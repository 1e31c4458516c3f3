package handler

// ListPartitionReassignments: v0.
//
// Behaviour: lists the partitions being reassigned, with their replicas
// and the replicas being added and removed, from this node's metadata
// image: every such partition for null topics, else those named.
// Unknown topics and partitions, and partitions not being reassigned, are
// left out, as KRaft's controller leaves them out.

import (
	"context"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/metadata"
)

func init() {
	register(46, 0, 0, requires(describeOnCluster), (*Handler).listPartitionReassignments)
}

func (h *Handler) listPartitionReassignments(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.ListPartitionReassignmentsRequest)
	resp := r.ResponseKind().(*kmsg.ListPartitionReassignmentsResponse)
	if !h.allowedOnCluster(req, acl.Describe) {
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
		return resp, nil
	}
	img := h.Metadata.Image()
	wanted := func(string, int32) bool { return true }
	names := img.TopicNames()
	if r.Topics != nil {
		names = nil
		asked := map[string][]int32{}
		for _, t := range r.Topics {
			names = append(names, t.Topic)
			asked[t.Topic] = append(asked[t.Topic], t.Partitions...)
		}
		wanted = func(topic string, p int32) bool { return slices.Contains(asked[topic], p) }
	}
	for _, name := range names {
		if t, ok := img.Topic(name); ok {
			if rt, ok := reassigningTopic(t, wanted); ok {
				resp.Topics = append(resp.Topics, rt)
			}
		}
	}
	return resp, nil
}

func reassigningTopic(t *metadata.Topic, wanted func(string, int32) bool) (kmsg.ListPartitionReassignmentsResponseTopic, bool) {
	rt := kmsg.NewListPartitionReassignmentsResponseTopic()
	rt.Topic = t.Name
	for _, p := range t.Partitions {
		if !p.Reassigning() || !wanted(t.Name, p.Partition) {
			continue
		}
		rp := kmsg.NewListPartitionReassignmentsResponseTopicPartition()
		rp.Partition, rp.Replicas = p.Partition, p.Replicas
		rp.AddingReplicas, rp.RemovingReplicas = idsOrEmpty(p.AddingReplicas), idsOrEmpty(p.RemovingReplicas)
		rt.Partitions = append(rt.Partitions, rp)
	}
	return rt, len(rt.Partitions) > 0
}

func idsOrEmpty(ids []int32) []int32 {
	if ids == nil {
		return []int32{}
	}
	return ids
}
