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
// Authorization, as Kafka: WRITE on the transactional id, then READ on the
// group (every partition TRANSACTIONAL_ID_AUTHORIZATION_FAILED or
// GROUP_AUTHORIZATION_FAILED), then READ on each topic (its partitions
// TOPIC_AUTHORIZATION_FAILED; the others are committed).
// v5 (KIP-890 part 2, a client of transaction.version 2 that skips
// AddOffsetsToTxn): the group's partition of __consumer_offsets is first
// added to the transaction at the transaction coordinator
// (AddPartitionsToTxn v5 when it is on another node), as Kafka's group
// coordinator does. It is served from transaction.version 1, as Kafka 4.2
// does; at 0 it answers UNSUPPORTED_VERSION on every partition it would
// commit, as Produce v12 and EndTxn v5 do (see 26_end_txn.go).

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/group"
	"gregor/internal/kafka"
	"gregor/internal/partition"
	"gregor/internal/txn"
)

func init() {
	register(28, 0, 5, requires(writeOnTransactionalID, readOnGroup, readOnTopic), (*Handler).txnOffsetCommit)
}

func (h *Handler) txnOffsetCommit(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.TxnOffsetCommitRequest)
	switch {
	case !h.allowed(req, acl.Write, acl.TransactionalID, r.TransactionalID):
		return txnOffsetCommitResponse(r, func(kafka.TopicPartition) int16 { return kerr.TransactionalIDAuthorizationFailed.Code }), nil
	case !h.allowed(req, acl.Read, acl.Group, r.Group):
		return txnOffsetCommitResponse(r, func(kafka.TopicPartition) int16 { return kerr.GroupAuthorizationFailed.Code }), nil
	}
	cr, refused := h.txnCommitRequest(req, r)
	var perPartition map[kafka.TopicPartition]error
	err := checkGroupStrings(r.Group)
	if err == nil && r.Version >= 5 && !h.servesTransactionVersion2() {
		err = errTransactionVersion0
	}
	if err == nil && len(cr.Offsets) > 0 && r.Version >= 5 {
		err = h.addOffsetsPartition(ctx, r)
	}
	if err == nil && len(cr.Offsets) > 0 {
		perPartition, err = h.Groups.TxnCommit(cr)
	}
	return txnOffsetCommitResponse(r, func(tp kafka.TopicPartition) int16 {
		if code, ok := refused[tp]; ok {
			return code
		}
		if err != nil {
			return txnErrorCode(err, r.Version < 2)
		}
		return errorCode(perPartition[tp])
	}), nil
}

// addOffsetsPartition adds the group's partition of __consumer_offsets to
// the producer's transaction, for a client of transaction version 2 that
// does not call AddOffsetsToTxn (KIP-890 part 2), as Kafka's group
// coordinator does. The leader's verification errors become what the
// producer acts on here: a coordinator busy or unreachable
// COORDINATOR_NOT_AVAILABLE (retried), an old epoch PRODUCER_FENCED.
func (h *Handler) addOffsetsPartition(ctx context.Context, r *kmsg.TxnOffsetCommitRequest) error {
	tp := kafka.TopicPartition{Topic: group.Topic, Partition: group.PartitionFor(r.Group, h.Groups.Partitions())}
	err := h.verifyTransaction(ctx, r.TransactionalID, kafka.ProducerID(r.ProducerID), r.ProducerEpoch, tp, true)
	switch {
	case errors.Is(err, partition.ErrNotEnoughReplicas):
		return fmt.Errorf("%w: %v", group.ErrCoordinatorNotAvailable, err)
	case errors.Is(err, partition.ErrInvalidProducerEpoch):
		return fmt.Errorf("%w: %v", txn.ErrProducerFenced, err)
	}
	return err
}

// txnCommitRequest returns the offsets of r to commit and the partitions
// refused: of a topic the principal may not READ, or unknown.
func (h *Handler) txnCommitRequest(req *Request, r *kmsg.TxnOffsetCommitRequest) (group.TxnCommitRequest, map[kafka.TopicPartition]int16) {
	img, now := h.Metadata.Image(), h.now()
	cr := group.TxnCommitRequest{
		CommitRequest: group.CommitRequest{APIVersion: r.Version, GroupID: r.Group, MemberID: r.MemberID,
			InstanceID: deref(r.InstanceID), Generation: r.Generation, Offsets: map[kafka.TopicPartition]group.Offset{}},
		ProducerID: kafka.ProducerID(r.ProducerID), ProducerEpoch: r.ProducerEpoch,
	}
	if r.Version < 3 {
		cr.MemberID, cr.Generation = "", -1
	}
	refused := map[kafka.TopicPartition]int16{}
	for _, t := range r.Topics {
		authorized := h.allowed(req, acl.Read, acl.Topic, t.Topic)
		mt, ok := img.Topic(t.Topic)
		for _, p := range t.Partitions {
			tp := kafka.TopicPartition{Topic: t.Topic, Partition: p.Partition}
			switch {
			case !authorized:
				refused[tp] = kerr.TopicAuthorizationFailed.Code
			case !ok || p.Partition < 0 || int(p.Partition) >= len(mt.Partitions):
				refused[tp] = kerr.UnknownTopicOrPartition.Code
			default:
				epoch := p.LeaderEpoch
				if r.Version < 2 {
					epoch = -1
				}
				cr.Offsets[tp] = group.Offset{Offset: p.Offset, LeaderEpoch: epoch, Metadata: deref(p.Metadata), CommitTime: now}
			}
		}
	}
	return cr, refused
}

// txnOffsetCommitResponse answers every partition of r with the code of
// codeOf.
func txnOffsetCommitResponse(r *kmsg.TxnOffsetCommitRequest, codeOf func(kafka.TopicPartition) int16) *kmsg.TxnOffsetCommitResponse {
	resp := r.ResponseKind().(*kmsg.TxnOffsetCommitResponse)
	for _, t := range r.Topics {
		rt := kmsg.TxnOffsetCommitResponseTopic{Topic: t.Topic}
		for _, p := range t.Partitions {
			code := codeOf(kafka.TopicPartition{Topic: t.Topic, Partition: p.Partition})
			rt.Partitions = append(rt.Partitions, kmsg.TxnOffsetCommitResponseTopicPartition{Partition: p.Partition, ErrorCode: code})
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}
