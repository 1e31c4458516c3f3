package handler

// InitProducerId: v0–5.
//
// Behaviour: an idempotent producer (null transactional id) gets a fresh
// producer id with epoch 0, as Kafka does for every such request. Ids come
// from blocks of 1000 reserved through the controller (an
// AllocateProducerIDs request, written as a ProducerIDs metadata record), so they are never reused after a restart.
// Differences from Kafka: a transactional id answers INVALID_REQUEST until
// the transaction coordinator exists.

import (
	"context"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/controller"
)

func init() {
	register(22, 0, 5, requires(writeOnTransactionalID, idempotentWriteOnCluster), (*Handler).initProducerID)
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
		resp.ErrorCode = kerr.InvalidRequest.Code
		return resp, nil
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
