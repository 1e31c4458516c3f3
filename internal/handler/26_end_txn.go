package handler

// EndTxn: v0–5.
//
// Behaviour: commits or aborts the producer's transaction at its
// coordinator: the prepare state is committed in __transaction_state, then
// the markers are written to every partition of the transaction in the
// background (txn). A retry of an end already
// completed answers success; ending a transaction that is not ongoing
// answers INVALID_TXN_STATE, one being completed CONCURRENT_TRANSACTIONS,
// an old epoch PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2). v5 is
// transaction version 2 (KIP-890 part 2), as Kafka reads it: the end bumps
// the producer epoch, the markers carry the bumped epoch, and the answer
// holds the producer id and epoch to continue with (a new producer id at
// epoch 0 when the epochs overflow); an abort of a transaction that added
// no partition is allowed. Before v5 the epoch stays (txn/end_v2.go).
// v5 is served from transaction.version 1 (clients use it only at 2), as
// Kafka 4.2 does; at 0, whose __transaction_state records cannot hold the
// client's transaction version, it answers UNSUPPORTED_VERSION, as Kafka
// does (Kafka then leaves the transactional id answering
// CONCURRENT_TRANSACTIONS until its coordinator reloads; Gregor leaves the
// transaction as it was).
// Authorization: WRITE on the transactional id
// (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), as Kafka.
// Differences from Kafka: none in what the producer sees. As Kafka, the
// answer follows the commit of the prepare state; when every partition of
// the transaction (none of __consumer_offsets) is led on the
// coordinator's node by a leader with no other replica in sync, the markers and the complete state are written
// in the same operation, before the answer. Otherwise they are written
// after it, and a request of the producer's next transaction that meets
// them still being written (its first Produce v12, AddPartitionsToTxn,
// TxnOffsetCommit v5, EndTxn) waits at the coordinator until they are
// (at most 2 s), where Kafka answers CONCURRENT_TRANSACTIONS and the
// producer (or, at transaction version 2, the partition leader) retries.

import (
	"context"
	"math"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/kafka"
	"gregor/internal/txn"
)

func init() { register(26, 0, 5, requires(writeOnTransactionalID), (*Handler).endTxn) }

func (h *Handler) endTxn(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.EndTxnRequest)
	resp := r.ResponseKind().(*kmsg.EndTxnResponse)
	if !h.allowed(req, acl.Write, acl.TransactionalID, r.TransactionalID) {
		resp.ErrorCode, resp.ProducerID, resp.ProducerEpoch = kerr.TransactionalIDAuthorizationFailed.Code, -1, -1
		return resp, nil
	}
	end := txn.EndRequest{TransactionalID: r.TransactionalID, ProducerID: kafka.ProducerID(r.ProducerID),
		ProducerEpoch: r.ProducerEpoch, Commit: r.Commit, NewProducerID: -1}
	var err error
	if r.Version >= 5 && !h.servesTransactionVersion2() {
		err = errTransactionVersion0
	} else if r.Version >= 5 {
		end.Version = txn.V2
		if r.ProducerEpoch >= math.MaxInt16-1 { // the bumped epoch is the last: the producer moves to a new id
			var id int64
			id, err = h.nextProducerID(ctx)
			end.NewProducerID = kafka.ProducerID(id)
		}
	}
	res := txn.EndResult{ProducerID: -1, ProducerEpoch: -1}
	if err == nil {
		res, err = h.Txn.EndTxn(ctx, end)
	}
	resp.ErrorCode = txnErrorCode(err, r.Version < 2)
	resp.ProducerID, resp.ProducerEpoch = int64(res.ProducerID), res.ProducerEpoch
	return resp, nil
}
