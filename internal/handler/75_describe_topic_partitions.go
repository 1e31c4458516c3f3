package handler

// DescribeTopicPartitions: v0 (KIP-966), what Kafka 4's kafka-topics.sh
// --describe asks.
//
// Behaviour: the requested topics (every topic when none is named), sorted
// by name and deduplicated, from the cursor on (its topic must be among
// those named, its partition not negative, else INVALID_REQUEST for each
// topic named); at most min(response_partition_limit,
// max.request.partition.size.limit) partitions, at least one, and the
// next cursor where the answer stops: at the next partition of the topic
// it stopped in, or at partition 0 of the next topic. Each partition as
// Metadata answers it (leader, leader epoch, replicas, ISR, offline
// replicas); eligible leader replicas and the last known ones are always
// empty, since Gregor does not keep them (KIP-966's ELR). An unknown topic
// named answers UNKNOWN_TOPIC_OR_PARTITION (INVALID_TOPIC_EXCEPTION for an
// invalid name), a listing of every topic leaves none out.
// Authorization: topics the principal may not DESCRIBE are left out of a
// listing of every topic, and answer TOPIC_AUTHORIZATION_FAILED, with a
// zero topic id, when named (whether they exist or not); each topic
// answered, unknown ones too, carries the operations the principal may do
// on it (KIP-430).

import (
	"context"
	"slices"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/controller"
	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

func init() {
	register(75, 0, 0, requires(describeOnTopic), (*Handler).describeTopicPartitions)
}

func (h *Handler) describeTopicPartitions(_ context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DescribeTopicPartitionsRequest)
	resp := r.ResponseKind().(*kmsg.DescribeTopicPartitionsResponse)
	img := h.Metadata.Image()
	all := len(r.Topics) == 0
	from, start := "", int32(0)
	if r.Cursor != nil {
		from, start = r.Cursor.Topic, r.Cursor.Partition
	}
	var names []string
	if all {
		names = img.TopicNames()
	} else {
		for _, t := range r.Topics {
			names = append(names, t.Topic)
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	names = slices.DeleteFunc(names, func(n string) bool { return n < from })
	if r.Cursor != nil && ((!all && !slices.Contains(names, from)) || start < 0) {
		for _, t := range r.Topics {
			rt := kmsg.NewDescribeTopicPartitionsResponseTopic()
			rt.Topic, rt.ErrorCode = kmsg.StringPtr(t.Topic), kerr.InvalidRequest.Code
			resp.Topics = append(resp.Topics, rt)
		}
		return resp, nil
	}
	var refused []kmsg.DescribeTopicPartitionsResponseTopic
	left := int(max(min(r.ResponsePartitionLimit, h.partitionLimit()), 1))
	for _, name := range names {
		if !h.allowed(req, acl.Describe, acl.Topic, name) {
			if !all {
				rt := kmsg.NewDescribeTopicPartitionsResponseTopic()
				rt.Topic, rt.ErrorCode = kmsg.StringPtr(name), kerr.TopicAuthorizationFailed.Code
				refused = append(refused, rt)
			}
			continue
		}
		if left == 0 {
			// The next answer starts at this topic.
			resp.NextCursor = &kmsg.DescribeTopicPartitionsResponseNextCursor{Topic: name, Partition: 0}
			break
		}
		t, ok := img.Topic(name)
		if !ok {
			rt := kmsg.NewDescribeTopicPartitionsResponseTopic()
			rt.Topic, rt.ErrorCode, rt.IsInternal = kmsg.StringPtr(name), kerr.UnknownTopicOrPartition.Code, isInternalTopic(name)
			if controller.ValidateTopicName(name) != nil {
				rt.ErrorCode = kerr.InvalidTopicException.Code
			}
			rt.AuthorizedOperations = h.authorizedOperations(req, acl.Resource{Type: acl.Topic, Name: name})
			resp.Topics = append(resp.Topics, rt)
			continue
		}
		first := int32(0)
		if name == from {
			first = start
		}
		rt, next := describedPartitions(img, t, first, left)
		rt.AuthorizedOperations = h.authorizedOperations(req, acl.Resource{Type: acl.Topic, Name: name})
		resp.Topics = append(resp.Topics, rt)
		if next >= 0 {
			resp.NextCursor = &kmsg.DescribeTopicPartitionsResponseNextCursor{Topic: name, Partition: next}
			break
		}
		left -= len(rt.Partitions)
	}
	resp.Topics = append(resp.Topics, refused...)
	return resp, nil
}

// describedPartitions describes at most limit partitions of t from index
// first, and returns the index of the next one (-1 if none is left).
func describedPartitions(img *metadata.Image, t *metadata.Topic, first int32, limit int) (kmsg.DescribeTopicPartitionsResponseTopic, int32) {
	rt := kmsg.NewDescribeTopicPartitionsResponseTopic()
	rt.Topic, rt.TopicID, rt.IsInternal = kmsg.StringPtr(t.Name), t.ID, isInternalTopic(t.Name)
	rt.Partitions = []kmsg.DescribeTopicPartitionsResponseTopicPartition{}
	end := min(int64(len(t.Partitions)), int64(first)+int64(limit))
	next := int32(-1)
	if end < int64(len(t.Partitions)) {
		next = int32(end)
	}
	for _, p := range t.Partitions {
		if p.Partition < first || int64(p.Partition) >= end {
			continue
		}
		rp := kmsg.NewDescribeTopicPartitionsResponseTopicPartition()
		rp.Partition, rp.LeaderID, rp.LeaderEpoch = p.Partition, p.Leader, p.LeaderEpoch
		if _, ok := img.Broker(kafka.NodeID(p.Leader)); !ok {
			rp.LeaderID = -1
		}
		rp.Replicas, rp.ISR, rp.OfflineReplicas = p.Replicas, p.ISR, offlineReplicas(img, p)
		rp.EligibleLeaderReplicas, rp.LastKnownELR = []int32{}, []int32{}
		rt.Partitions = append(rt.Partitions, rp)
	}
	return rt, next
}

// partitionLimit is max.request.partition.size.limit.
func (h *Handler) partitionLimit() int32 {
	if h.Config == nil {
		return 2000
	}
	n, err := strconv.ParseInt(h.Config.Value("max.request.partition.size.limit"), 10, 32)
	if err != nil || n <= 0 {
		return 2000
	}
	return int32(n)
}
