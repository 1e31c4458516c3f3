package handler

// DescribeProducers: v0.
//
// Behaviour: lists the producers the partition leader knows (its producer
// state): id, epoch, last sequence and timestamp, the coordinator epoch of
// the last marker and the first offset of the ongoing transaction (-1 when
// none), for kafka-transactions.sh describe-producers and find-hanging. A
// partition not led here answers NOT_LEADER_OR_FOLLOWER, an unknown one
// UNKNOWN_TOPIC_OR_PARTITION. Authorization: READ on the topic, else its
// partitions answer TOPIC_AUTHORIZATION_FAILED, as Kafka.
// Differences from Kafka: none known.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/kafka"
	"gregor/internal/partition"
)

func init() { register(61, 0, 0, requires(readOnTopic), (*Handler).describeProducers) }

func (h *Handler) describeProducers(_ context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DescribeProducersRequest)
	resp := r.ResponseKind().(*kmsg.DescribeProducersResponse)
	for _, t := range r.Topics {
		rt := kmsg.DescribeProducersResponseTopic{Topic: t.Topic}
		authorized := h.allowed(req, acl.Read, acl.Topic, t.Topic)
		for _, p := range t.Partitions {
			if !authorized {
				rt.Partitions = append(rt.Partitions, kmsg.DescribeProducersResponseTopicPartition{Partition: p, ErrorCode: kerr.TopicAuthorizationFailed.Code})
				continue
			}
			rt.Partitions = append(rt.Partitions, h.describePartitionProducers(kafka.TopicPartition{Topic: t.Topic, Partition: p}))
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, nil
}

func (h *Handler) describePartitionProducers(tp kafka.TopicPartition) kmsg.DescribeProducersResponseTopicPartition {
	rp := kmsg.DescribeProducersResponseTopicPartition{Partition: tp.Partition}
	part, err := h.Replicas.Partition(tp)
	if err == nil && !part.IsLeader() {
		err = partition.ErrNotLeader
	}
	if err != nil {
		rp.ErrorCode, rp.ErrorMessage = errorCode(err), errorMessage(err)
		return rp
	}
	for _, pi := range part.Producers() {
		rp.ActiveProducers = append(rp.ActiveProducers, kmsg.DescribeProducersResponseTopicPartitionActiveProducer{
			ProducerID: int64(pi.ProducerID), ProducerEpoch: int32(pi.ProducerEpoch), LastSequence: pi.LastSequence,
			LastTimestamp: pi.LastTimestamp, CoordinatorEpoch: pi.CoordinatorEpoch, CurrentTxnStartOffset: pi.CurrentTxnStartOffset,
		})
	}
	return rp
}
