package handler

// Produce: v3–13.
//
// Behaviour: each partition's records are split into batches and validated
// by header (size, magic 2, CRC32C, record count; no decompression), checked
// against the producer's epoch and sequence, and appended with offsets
// patched in place. acks=0 answers nothing, acks=1 and acks=-1 answer after
// the append (a single node is its own ISR, so the high watermark moves with
// the append; min.insync.replicas above the ISR size answers
// NOT_ENOUGH_REPLICAS for acks=-1). A retried idempotent batch answers its
// original offset. v13 names topics by id (UNKNOWN_TOPIC_ID when unknown).
// acks outside {-1,0,1} answers INVALID_REQUIRED_ACKS. An acks=0 request
// that fails for any partition closes the connection, as Kafka does.
// Internal topics (__consumer_offsets) take produce only from a client
// with id "__admin_client", as Kafka; others get INVALID_TOPIC_EXCEPTION.
// Differences from Kafka: transactional batches are refused
// (INVALID_TXN_STATE) until the transaction coordinator exists.

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/kafka"
	"gregor/internal/partition"
	"gregor/internal/record"
)

func init() {
	register(0, 3, 13, requires(writeOnTopic, idempotentWriteOnCluster, writeOnTransactionalID), (*Handler).produce)
}

func (h *Handler) produce(_ context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.ProduceRequest)
	resp := r.ResponseKind().(*kmsg.ProduceResponse)
	img := h.Controller.Image()
	for _, t := range r.Topics {
		rt := kmsg.NewProduceResponseTopic()
		rt.Topic, rt.TopicID = t.Topic, t.TopicID
		name, idKnown := t.Topic, true
		if r.Version >= 13 {
			topic, ok := img.TopicByID(kafka.TopicID(t.TopicID))
			idKnown = ok
			if ok {
				name = topic.Name
			}
		}
		for _, p := range t.Partitions {
			rp := h.producePartition(r, req.Header.ClientID, name, idKnown, p)
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	if r.Acks == 0 {
		return nil, acksZeroError(resp)
	}
	return resp, nil
}

// acksZeroError returns an error, which closes the connection, when an
// acks=0 request failed for some partition: with no response to read, a
// closed connection is how Kafka tells the producer to refresh its metadata.
func acksZeroError(resp *kmsg.ProduceResponse) error {
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 {
				return fmt.Errorf("acks=0 produce to %s/%d failed with error code %d; closing the connection as Kafka does", t.Topic, p.Partition, p.ErrorCode)
			}
		}
	}
	return nil
}

// internalTopicsClient is the client id Kafka lets write to internal topics.
const internalTopicsClient = "__admin_client"

func (h *Handler) producePartition(r *kmsg.ProduceRequest, clientID, topic string, idKnown bool, p kmsg.ProduceRequestTopicPartition) kmsg.ProduceResponseTopicPartition {
	rp := kmsg.NewProduceResponseTopicPartition()
	rp.Partition = p.Partition
	rp.BaseOffset, rp.LogAppendTime, rp.LogStartOffset = -1, -1, -1
	if r.Acks != 0 && r.Acks != 1 && r.Acks != -1 {
		rp.ErrorCode = kerr.InvalidRequiredAcks.Code
		return rp
	}
	if !idKnown {
		rp.ErrorCode = kerr.UnknownTopicID.Code
		return rp
	}
	if isInternalTopic(topic) && clientID != internalTopicsClient {
		rp.ErrorCode = kerr.InvalidTopicException.Code
		rp.ErrorMessage = kmsg.StringPtr("Cannot append to internal topic " + topic)
		return rp
	}
	part, err := h.Replicas.Partition(kafka.TopicPartition{Topic: topic, Partition: p.Partition})
	if err != nil {
		rp.ErrorCode = errorCode(err)
		return rp
	}
	batches, err := splitProduce(p.Records)
	if err != nil {
		rp.ErrorCode, rp.ErrorMessage = errorCode(err), errorMessage(err)
		return rp
	}
	res, err := part.AppendAsLeader(batches, r.Acks, h.now())
	if err != nil {
		rp.ErrorCode, rp.ErrorMessage = errorCode(err), errorMessage(err)
		h.Logger.Debug("produce failed", "topic", topic, "partition", p.Partition, "err", err)
		return rp
	}
	rp.BaseOffset, rp.LogAppendTime, rp.LogStartOffset = res.BaseOffset, res.LogAppendTime, res.LogStartOffset
	return rp
}

func splitProduce(records []byte) ([]record.Batch, error) {
	if len(records) == 0 {
		return nil, fmt.Errorf("%w: produce request carries no records", partition.ErrInvalidRecord)
	}
	return record.Split(records)
}
