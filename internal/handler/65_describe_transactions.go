package handler

// DescribeTransactions: v0.
//
// Behaviour: describes each transactional id at its coordinator on this
// node: state (Kafka's names), producer id and epoch, timeout, the start
// of the ongoing transaction (-1 when none) and its partitions. An id this
// node does not coordinate answers NOT_COORDINATOR, an unknown one
// TRANSACTIONAL_ID_NOT_FOUND. Authorization, as Kafka: DESCRIBE on the
// transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), and only the
// partitions of topics the principal may DESCRIBE are listed.
// Differences from Kafka: none known.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
)

func init() {
	register(65, 0, 0, requires(describeOnTransactionalID, describeOnTopic), (*Handler).describeTransactions)
}

func (h *Handler) describeTransactions(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DescribeTransactionsRequest)
	resp := r.ResponseKind().(*kmsg.DescribeTransactionsResponse)
	for _, id := range r.TransactionalIDs {
		st := kmsg.NewDescribeTransactionsResponseTransactionState()
		st.TransactionalID, st.ProducerID, st.ProducerEpoch, st.StartTimestamp = id, -1, -1, -1
		if !h.allowed(req, acl.Describe, acl.TransactionalID, id) {
			st.ErrorCode = kerr.TransactionalIDAuthorizationFailed.Code
			resp.TransactionStates = append(resp.TransactionStates, st)
			continue
		}
		d, err := h.Txn.Describe(ctx, id)
		if err != nil {
			st.ErrorCode = errorCode(err)
			resp.TransactionStates = append(resp.TransactionStates, st)
			continue
		}
		st.State, st.TimeoutMillis = d.State.String(), int32(d.Timeout.Milliseconds())
		st.ProducerID, st.ProducerEpoch = int64(d.ProducerID), d.ProducerEpoch
		if !d.Start.IsZero() {
			st.StartTimestamp = d.Start.UnixMilli()
		}
		for _, tp := range d.Partitions {
			if !h.allowed(req, acl.Describe, acl.Topic, tp.Topic) {
				continue
			}
			if n := len(st.Topics); n > 0 && st.Topics[n-1].Topic == tp.Topic {
				st.Topics[n-1].Partitions = append(st.Topics[n-1].Partitions, tp.Partition)
				continue
			}
			st.Topics = append(st.Topics, kmsg.DescribeTransactionsResponseTransactionStateTopic{Topic: tp.Topic, Partitions: []int32{tp.Partition}})
		}
		resp.TransactionStates = append(resp.TransactionStates, st)
	}
	return resp, nil
}
