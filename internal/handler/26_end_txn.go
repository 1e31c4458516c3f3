package handler

// EndTxn: v0–5.
//
// Behaviour: commits or aborts the producer's transaction at its
// coordinator: the prepare state is committed in __transaction_state, then
// the markers are written to every partition of the transaction in the
// background (txn). A retry of an end already
// completed answers success; ending a transaction that is not ongoing
// answers INVALID_TXN_STATE, one being completed CONCURRENT_TRANSACTIONS,
// an old epoch PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2). v5
// answers the producer id and epoch, unchanged: the transaction.version
// feature is 0, so the epoch is not bumped at each end (KIP-890 part 2).
// Authorization: WRITE on the transactional id
// (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), as Kafka.
// Differences from Kafka: the answer waits for the markers and the
// complete state (at most 2 s after the prepare state, then success
// anyway: the outcome is decided), where Kafka answers after the prepare
// state; the producer's next transaction then does not meet
// CONCURRENT_TRANSACTIONS.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/kafka"
)

func init() { register(26, 0, 5, requires(writeOnTransactionalID), (*Handler).endTxn) }

func (h *Handler) endTxn(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.EndTxnRequest)
	resp := r.ResponseKind().(*kmsg.EndTxnResponse)
	if !h.allowed(req, acl.Write, acl.TransactionalID, r.TransactionalID) {
		resp.ErrorCode, resp.ProducerID, resp.ProducerEpoch = kerr.TransactionalIDAuthorizationFailed.Code, -1, -1
		return resp, nil
	}
	err := h.Txn.EndTxn(ctx, r.TransactionalID, kafka.ProducerID(r.ProducerID), r.ProducerEpoch, r.Commit)
	resp.ErrorCode = txnErrorCode(err, r.Version < 2)
	resp.ProducerID, resp.ProducerEpoch = r.ProducerID, r.ProducerEpoch
	return resp, nil
}
