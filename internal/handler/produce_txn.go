package handler

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/kafka"
	"gregor/internal/metadata"
	"gregor/internal/partition"
	"gregor/internal/record"
)

// addedPartition is a partition of a transactional Produce v12+ that the
// request added to the producer's transaction before its append: the
// verification guard taken before the coordinator was asked, and the
// coordinator's answer.
type addedPartition struct {
	guard partition.VerificationGuard
	err   error
}

// addProducedPartitions adds to the producer's transaction, in one
// coordinator request, every partition of a transactional Produce v12+
// (KIP-890 part 2) that this node leads and where the transaction has not
// written yet, as Kafka's AddPartitionsToTxnManager batches them. The
// partitions it leaves out (fewer than two, refused ones, another producer
// in the same request) are added one by one by appendProduced.
func (h *Handler) addProducedPartitions(ctx context.Context, req *Request, r *kmsg.ProduceRequest, img *metadata.Image) map[kafka.TopicPartition]addedPartition {
	if r.TransactionID == nil || r.Version < 12 || !h.servesTransactionVersion2() {
		return nil
	}
	var first record.Batch
	var tps []kafka.TopicPartition
	guards := map[kafka.TopicPartition]partition.VerificationGuard{}
	for _, t := range r.Topics {
		name, ok := producedTopicName(img, r.Version, t)
		if !ok || isInternalTopic(name) || !h.allowed(req, acl.Write, acl.Topic, name) {
			continue
		}
		for _, p := range t.Partitions {
			if len(p.Records) < record.HeaderSize {
				continue
			}
			b := record.Batch(p.Records)
			if !b.IsTransactional() || b.ProducerID() < 0 || first != nil && (b.ProducerID() != first.ProducerID() || b.ProducerEpoch() != first.ProducerEpoch()) {
				continue
			}
			tp := kafka.TopicPartition{Topic: name, Partition: p.Partition}
			part, err := h.Replicas.Partition(tp)
			if err != nil {
				continue
			}
			if guard, needed := part.VerifyTransaction(kafka.ProducerID(b.ProducerID()), b.ProducerEpoch()); needed {
				first, tps, guards[tp] = b, append(tps, tp), guard
			}
		}
	}
	if len(tps) < 2 {
		return nil
	}
	errs := h.verifyTransactions(ctx, *r.TransactionID, kafka.ProducerID(first.ProducerID()), first.ProducerEpoch(), tps, true)
	out := make(map[kafka.TopicPartition]addedPartition, len(tps))
	for _, tp := range tps {
		out[tp] = addedPartition{guard: guards[tp], err: errs[tp]}
	}
	return out
}

// producedTopicName is the name of a topic of a Produce request: by id
// from v13.
func producedTopicName(img *metadata.Image, version int16, t kmsg.ProduceRequestTopic) (string, bool) {
	if version < 13 {
		return t.Topic, true
	}
	topic, ok := img.TopicByID(kafka.TopicID(t.TopicID))
	if !ok {
		return "", false
	}
	return topic.Name, true
}
