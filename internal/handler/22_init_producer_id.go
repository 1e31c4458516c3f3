package handler

// InitProducerId: v0–5.
//
// Behaviour: an idempotent producer (null transactional id) gets a fresh
// producer id with epoch 0, as Kafka does for every such request. Ids come
// from blocks of 1000 reserved through the controller (an
// AllocateProducerIDs request, written as a ProducerIDs metadata record), so they are never reused after a restart.
// A transactional id goes to its transaction coordinator (txn), which bumps
// the id's epoch, fencing older producers, after aborting a transaction
// left open (CONCURRENT_TRANSACTIONS meanwhile: the producer retries);
// transaction_timeout_ms above transaction.max.timeout.ms answers
// INVALID_TRANSACTION_TIMEOUT. v3+ producer id and epoch (KIP-360) let a
// producer keep its id: a stale pair answers PRODUCER_FENCED
// (INVALID_PRODUCER_EPOCH before v4), as Kafka.
// Differences from Kafka: a fresh producer id is reserved for every
// transactional request, used only when the id is new or its epochs run out.

import (
	"context"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/controller"
	"gregor/internal/kafka"
	"gregor/internal/txn"
)

func init() {
	register(22, 0, 5, requires(writeOnTransactionalID, idempotentWriteOnCluster, writeOnTopic), (*Handler).initProducerID)
}

const producerIDBlockSize = 1000

// producerIDBlock hands out ids from the block last reserved.
type producerIDBlock struct {
	mu        sync.Mutex // guards next and end
	next, end int64
}

func (h *Handler) initProducerID(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.InitProducerIDRequest)
	resp := r.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	if resp.ErrorCode = h.producerDenied(req, r.TransactionalID, true); resp.ErrorCode != 0 {
		return resp, nil
	}
	if r.TransactionalID != nil {
		return h.initTransactionalProducer(ctx, r, resp), nil
	}
	id, err := h.nextProducerID(ctx)
	if err != nil {
		resp.ErrorCode = errorCode(err)
		return resp, nil
	}
	resp.ProducerID, resp.ProducerEpoch = id, 0
	return resp, nil
}

func (h *Handler) nextProducerID(ctx context.Context) (int64, error) {
	b := &h.producerIDs
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.next < b.end {
		b.next++
		return b.next - 1, nil
	}
	req := controller.AllocateProducerIDsRequest{Size: producerIDBlockSize}
	resp, err := submit[controller.AllocateProducerIDsResponse](ctx, h.Controller, req)
	if err != nil {
		return -1, err
	}
	first := int64(resp.First)
	b.next, b.end = first+1, first+producerIDBlockSize
	return first, nil
}

func (h *Handler) initTransactionalProducer(ctx context.Context, r *kmsg.InitProducerIDRequest, resp *kmsg.InitProducerIDResponse) *kmsg.InitProducerIDResponse {
	fresh, err := h.nextProducerID(ctx)
	if err == nil {
		var res txn.InitResult
		res, err = h.Txn.InitProducerID(ctx, txn.InitRequest{
			TransactionalID: *r.TransactionalID, Timeout: time.Duration(r.TransactionTimeoutMillis) * time.Millisecond,
			ProducerID: kafka.ProducerID(r.ProducerID), ProducerEpoch: r.ProducerEpoch, NewProducerID: kafka.ProducerID(fresh),
		})
		resp.ProducerID, resp.ProducerEpoch = int64(res.ProducerID), res.ProducerEpoch
	}
	resp.ErrorCode = txnErrorCode(err, r.Version < 4)
	return resp
}
