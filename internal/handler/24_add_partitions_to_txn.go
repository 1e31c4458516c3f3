package handler

// AddPartitionsToTxn: v0–5.
//
// Behaviour: adds partitions to the producer's transaction at its
// transaction coordinator (txn), starting the transaction if none is
// ongoing. A request for an id the coordinator does not know with this
// producer answers INVALID_PRODUCER_ID_MAPPING, an old epoch
// PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2), a transaction being
// completed CONCURRENT_TRANSACTIONS. v4+ (from brokers, KIP-890) carries a
// batch of transactions, each optionally verify-only: nothing is added and
// a partition outside the transaction answers TRANSACTION_ABORTABLE, as
// Kafka 4.2's coordinator (its leaders answer the producer with that or
// INVALID_TXN_STATE, by the Produce version).
// Authorization, as Kafka: v0–3 (from clients) need WRITE on the
// transactional id (every partition TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
// and WRITE on each topic (TOPIC_AUTHORIZATION_FAILED; an internal topic is
// never authorized); v4+ CLUSTER_ACTION on the cluster (the response's
// CLUSTER_AUTHORIZATION_FAILED). v5 is what a partition leader sends to
// add a partition for a producer of transaction version 2 (KIP-890 part 2:
// its first write there, Produce v12+ or TxnOffsetCommit v5+); the
// transaction then records client version 2; at transaction.version 0,
// whose records cannot hold that, a v5 request that adds (not verify-only)
// answers UNSUPPORTED_VERSION for the whole request and changes nothing, as
// Kafka's coordinator fails it (see 26_end_txn.go). A partition refused or unknown
// (UNKNOWN_TOPIC_OR_PARTITION) fails the whole transaction: the others
// answer OPERATION_NOT_ATTEMPTED.
// Differences from Kafka: a v4 request that adds (not verify-only; brokers
// send v5 to add) records client version 0 here, 2 in Kafka 4.2.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/kafka"
	"gregor/internal/txn"
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
		for _, rt := range h.addPartitions(ctx, req, t).Topics {
			out := kmsg.AddPartitionsToTxnResponseTopic{Topic: rt.Topic}
			for _, p := range rt.Partitions {
				out.Partitions = append(out.Partitions, kmsg.AddPartitionsToTxnResponseTopicPartition{Partition: p.Partition, ErrorCode: p.ErrorCode})
			}
			resp.Topics = append(resp.Topics, out)
		}
		return resp, nil
	}
	if !h.allowedOnCluster(req, acl.ClusterAction) {
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
		return resp, nil
	}
	if r.Version >= 5 && addsAny(r.Transactions) && !h.servesTransactionVersion2() {
		resp.ErrorCode = kerr.UnsupportedVersion.Code
		return resp, nil
	}
	for _, t := range r.Transactions {
		resp.Transactions = append(resp.Transactions, h.addPartitions(ctx, req, t))
	}
	return resp, nil
}

// addsAny reports whether a transaction of ts is not verify-only.
func addsAny(ts []kmsg.AddPartitionsToTxnRequestTransaction) bool {
	for _, t := range ts {
		if !t.VerifyOnly {
			return true
		}
	}
	return false
}

// addPartitions serves one transaction of the request.
func (h *Handler) addPartitions(ctx context.Context, req *Request, t kmsg.AddPartitionsToTxnRequestTransaction) kmsg.AddPartitionsToTxnResponseTransaction {
	fromClient := req.Header.Version < 4
	if fromClient && !h.allowed(req, acl.Write, acl.TransactionalID, t.TransactionalID) {
		return addPartitionsResult(t, func(kafka.TopicPartition) int16 { return kerr.TransactionalIDAuthorizationFailed.Code })
	}
	refused, tps := h.partitionsToAdd(req, t, fromClient)
	if len(refused) > 0 {
		return addPartitionsResult(t, func(tp kafka.TopicPartition) int16 {
			if code, ok := refused[tp]; ok {
				return code
			}
			return kerr.OperationNotAttempted.Code
		})
	}
	// v5 from a partition leader adds for a client of transaction version 2
	// (KIP-890 part 2: Produce v12+, TxnOffsetCommit v5+), as Kafka's
	// coordinator reads it.
	v := txn.Version(0)
	if req.Header.Version >= 5 {
		v = txn.V2
	}
	per, err := h.Txn.AddPartitions(ctx, t.TransactionalID, kafka.ProducerID(t.ProducerID), t.ProducerEpoch, tps, t.VerifyOnly, v)
	return addPartitionsResult(t, func(tp kafka.TopicPartition) int16 {
		if err != nil {
			return txnErrorCode(err, req.Header.Version < 2)
		}
		code := errorCode(per[tp])
		if t.VerifyOnly && code == kerr.InvalidTxnState.Code {
			code = kerr.TransactionAbortable.Code // Kafka 4.2's coordinator
		}
		return code
	})
}

// partitionsToAdd splits the transaction's partitions into those refused
// (with their error: the topic not authorized, checked only for clients,
// or unknown) and those to add.
func (h *Handler) partitionsToAdd(req *Request, t kmsg.AddPartitionsToTxnRequestTransaction, fromClient bool) (map[kafka.TopicPartition]int16, []kafka.TopicPartition) {
	img := h.Metadata.Image()
	refused := map[kafka.TopicPartition]int16{}
	var tps []kafka.TopicPartition
	for _, rt := range t.Topics {
		authorized := !fromClient || !isInternalTopic(rt.Topic) && h.allowed(req, acl.Write, acl.Topic, rt.Topic)
		mt, ok := img.Topic(rt.Topic)
		for _, p := range rt.Partitions {
			tp := kafka.TopicPartition{Topic: rt.Topic, Partition: p}
			switch {
			case !authorized:
				refused[tp] = kerr.TopicAuthorizationFailed.Code
			case !ok || p < 0 || int(p) >= len(mt.Partitions):
				refused[tp] = kerr.UnknownTopicOrPartition.Code
			default:
				tps = append(tps, tp)
			}
		}
	}
	return refused, tps
}

// addPartitionsResult answers every partition of t with the code of codeOf.
func addPartitionsResult(t kmsg.AddPartitionsToTxnRequestTransaction, codeOf func(kafka.TopicPartition) int16) kmsg.AddPartitionsToTxnResponseTransaction {
	out := kmsg.AddPartitionsToTxnResponseTransaction{TransactionalID: t.TransactionalID}
	for _, rt := range t.Topics {
		ot := kmsg.AddPartitionsToTxnResponseTransactionTopic{Topic: rt.Topic}
		for _, p := range rt.Partitions {
			code := codeOf(kafka.TopicPartition{Topic: rt.Topic, Partition: p})
			ot.Partitions = append(ot.Partitions, kmsg.AddPartitionsToTxnResponseTransactionTopicPartition{Partition: p, ErrorCode: code})
		}
		out.Topics = append(out.Topics, ot)
	}
	return out
}
