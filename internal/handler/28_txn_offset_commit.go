package handler

// TxnOffsetCommit: v0–5.
//
// Behaviour: the offsets of a transactional producer, sent to the group's
// coordinator after AddOffsetsToTxn: they are written to __consumer_offsets
// as a transactional batch of the producer and stay invisible to
// OffsetFetch until the transaction's commit marker reaches the partition
// (an abort drops them). v3+ carries the member id, generation and group
// instance id, checked as OffsetCommit checks them (UNKNOWN_MEMBER_ID,
// ILLEGAL_GENERATION, FENCED_INSTANCE_ID); without them (before v3, or
// generation -1 and no member id) the group is not checked. Partitions of
// unknown topics answer UNKNOWN_TOPIC_OR_PARTITION.
// Offsets still pending when their partition of __consumer_offsets moves
// to another coordinator (or the node restarts) are pending again there,
// rebuilt from the log (group/txn_offsets.go).
// Differences from Kafka: none known.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/group"
	"gregor/internal/kafka"
)

func init() {
	register(28, 0, 5, requires(writeOnTransactionalID, readOnGroup, readOnTopic), (*Handler).txnOffsetCommit)
}

func (h *Handler) txnOffsetCommit(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.TxnOffsetCommitRequest)
	resp := r.ResponseKind().(*kmsg.TxnOffsetCommitResponse)
	img, now := h.Metadata.Image(), h.now()
	cr := group.TxnCommitRequest{
		CommitRequest: group.CommitRequest{APIVersion: r.Version, GroupID: r.Group, MemberID: r.MemberID,
			InstanceID: deref(r.InstanceID), Generation: r.Generation, Offsets: map[kafka.TopicPartition]group.Offset{}},
		ProducerID: kafka.ProducerID(r.ProducerID), ProducerEpoch: r.ProducerEpoch,
	}
	if r.Version < 3 {
		cr.MemberID, cr.Generation = "", -1
	}
	unknown := map[kafka.TopicPartition]bool{}
	for _, t := range r.Topics {
		mt, ok := img.Topic(t.Topic)
		for _, p := range t.Partitions {
			tp := kafka.TopicPartition{Topic: t.Topic, Partition: p.Partition}
			if !ok || p.Partition < 0 || int(p.Partition) >= len(mt.Partitions) {
				unknown[tp] = true
				continue
			}
			epoch := p.LeaderEpoch
			if r.Version < 2 {
				epoch = -1
			}
			cr.Offsets[tp] = group.Offset{Offset: p.Offset, LeaderEpoch: epoch, Metadata: deref(p.Metadata), CommitTime: now}
		}
	}
	var perPartition map[kafka.TopicPartition]error
	err := checkGroupStrings(r.Group)
	if err == nil && len(cr.Offsets) > 0 {
		perPartition, err = h.Groups.TxnCommit(cr)
	}
	for _, t := range r.Topics {
		rt := kmsg.TxnOffsetCommitResponseTopic{Topic: t.Topic}
		for _, p := range t.Partitions {
			tp := kafka.TopicPartition{Topic: t.Topic, Partition: p.Partition}
			code := txnErrorCode(err, r.Version < 2)
			switch {
			case unknown[tp]:
				code = kerr.UnknownTopicOrPartition.Code
			case err == nil:
				code = errorCode(perPartition[tp])
			}
			rt.Partitions = append(rt.Partitions, kmsg.TxnOffsetCommitResponseTopicPartition{Partition: p.Partition, ErrorCode: code})
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, nil
}
