package handler

// AddPartitionsToTxn: v0–5.
//
// Behaviour: adds partitions to the producer's transaction at its
// transaction coordinator (txn), starting the transaction if none is
// ongoing; a partition that does not exist answers
// UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED, as
// Kafka. A request for an id the coordinator does not know with this
// producer answers INVALID_PRODUCER_ID_MAPPING, an old epoch
// PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2), a transaction being
// completed CONCURRENT_TRANSACTIONS. v4+ (from brokers, KIP-890) carries a
// batch of transactions, each optionally verify-only: nothing is added and
// a partition outside the transaction answers INVALID_TXN_STATE.
// Differences from Kafka: none known.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/kafka"
)

func init() {
	register(24, 0, 5, requires(writeOnTransactionalID, writeOnTopic, clusterActionOnCluster), (*Handler).addPartitionsToTxn)
}

func (h *Handler) addPartitionsToTxn(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.AddPartitionsToTxnRequest)
	resp := r.ResponseKind().(*kmsg.AddPartitionsToTxnResponse)
	if r.Version < 4 {
		t := kmsg.AddPartitionsToTxnRequestTransaction{TransactionalID: r.TransactionalID, ProducerID: r.ProducerID, ProducerEpoch: r.ProducerEpoch}
		for _, rt := range r.Topics {
			t.Topics = append(t.Topics, kmsg.AddPartitionsToTxnRequestTransactionTopic{Topic: rt.Topic, Partitions: rt.Partitions})
		}
		for _, rt := range h.addPartitions(ctx, r.Version, t).Topics {
			out := kmsg.AddPartitionsToTxnResponseTopic{Topic: rt.Topic}
			for _, p := range rt.Partitions {
				out.Partitions = append(out.Partitions, kmsg.AddPartitionsToTxnResponseTopicPartition{Partition: p.Partition, ErrorCode: p.ErrorCode})
			}
			resp.Topics = append(resp.Topics, out)
		}
		return resp, nil
	}
	for _, t := range r.Transactions {
		resp.Transactions = append(resp.Transactions, h.addPartitions(ctx, r.Version, t))
	}
	return resp, nil
}

// addPartitions serves one transaction of the request.
func (h *Handler) addPartitions(ctx context.Context, version int16, t kmsg.AddPartitionsToTxnRequestTransaction) kmsg.AddPartitionsToTxnResponseTransaction {
	out := kmsg.AddPartitionsToTxnResponseTransaction{TransactionalID: t.TransactionalID}
	img := h.Metadata.Image()
	var tps []kafka.TopicPartition
	unknown := false
	for _, rt := range t.Topics {
		mt, ok := img.Topic(rt.Topic)
		for _, p := range rt.Partitions {
			if !ok || p < 0 || int(p) >= len(mt.Partitions) {
				unknown = true
				continue
			}
			tps = append(tps, kafka.TopicPartition{Topic: rt.Topic, Partition: p})
		}
	}
	var per map[kafka.TopicPartition]error
	var err error
	if !unknown {
		per, err = h.Txn.AddPartitions(ctx, t.TransactionalID, kafka.ProducerID(t.ProducerID), t.ProducerEpoch, tps, t.VerifyOnly)
	}
	for _, rt := range t.Topics {
		mt, ok := img.Topic(rt.Topic)
		ot := kmsg.AddPartitionsToTxnResponseTransactionTopic{Topic: rt.Topic}
		for _, p := range rt.Partitions {
			code := txnErrorCode(err, version < 2)
			switch {
			case !ok || p < 0 || int(p) >= len(mt.Partitions):
				code = kerr.UnknownTopicOrPartition.Code
			case unknown:
				code = kerr.OperationNotAttempted.Code
			case err == nil:
				code = errorCode(per[kafka.TopicPartition{Topic: rt.Topic, Partition: p}])
			}
			ot.Partitions = append(ot.Partitions, kmsg.AddPartitionsToTxnResponseTransactionTopicPartition{Partition: p, ErrorCode: code})
		}
		out.Topics = append(out.Topics, ot)
	}
	return out
}
