package handler

// AddOffsetsToTxn: v0–4.
//
// Behaviour: adds the group's partition of __consumer_offsets (the one
// its coordinator leads) to the producer's transaction, so that the
// transaction's end writes its marker there and the offsets of
// TxnOffsetCommit commit or abort with the transaction. Errors as
// AddPartitionsToTxn (PRODUCER_FENCED is INVALID_PRODUCER_EPOCH before
// v2). Authorization, as Kafka: WRITE on the transactional id
// (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), then READ on the group
// (GROUP_AUTHORIZATION_FAILED).
// Differences from Kafka: none known.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/group"
	"gregor/internal/kafka"
)

func init() {
	register(25, 0, 4, requires(writeOnTransactionalID, readOnGroup), (*Handler).addOffsetsToTxn)
}

func (h *Handler) addOffsetsToTxn(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.AddOffsetsToTxnRequest)
	resp := r.ResponseKind().(*kmsg.AddOffsetsToTxnResponse)
	switch {
	case !h.allowed(req, acl.Write, acl.TransactionalID, r.TransactionalID):
		resp.ErrorCode = kerr.TransactionalIDAuthorizationFailed.Code
		return resp, nil
	case !h.allowed(req, acl.Read, acl.Group, r.Group):
		resp.ErrorCode = kerr.GroupAuthorizationFailed.Code
		return resp, nil
	}
	err := checkGroupStrings(r.Group)
	if err == nil {
		tp := kafka.TopicPartition{Topic: group.Topic, Partition: group.PartitionFor(r.Group, h.Groups.Partitions())}
		_, err = h.Txn.AddPartitions(ctx, r.TransactionalID, kafka.ProducerID(r.ProducerID), r.ProducerEpoch, []kafka.TopicPartition{tp}, false, 0)
	}
	resp.ErrorCode = txnErrorCode(err, r.Version < 2)
	return resp, nil
}
