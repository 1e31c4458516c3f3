package txnclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/kafka"
	"gregor/internal/partition"
	"gregor/internal/txn"
)

// addPartitionsToTxnVersion is the first version with verify-only
// transactions (KIP-890); addPartitionsToTxnVersionV2 the one a partition
// leader adds partitions with for a client of transaction version 2.
const (
	addPartitionsToTxnVersion   = 4
	addPartitionsToTxnVersionV2 = 5
)

// verifyTimeout bounds one verification round trip.
const verifyTimeout = 10 * time.Second

// errCoordinatorUnknown: the partition of __transaction_state that holds
// the id has no leader, or does not exist yet.
var errCoordinatorUnknown = errors.New("the transaction coordinator is not known")

// VerifyTransaction asks the coordinator of the transactional id, on
// another node, whether the producer's ongoing transaction includes each of
// tps (AddPartitionsToTxn v4, verify-only), or with add adds them to it (v5, for
// a client of transaction version 2, KIP-890 part 2), as Kafka's
// AddPartitionsToTxnManager does before a transaction's first write to a
// partition. The answers
// become what the producer can act on: INVALID_TXN_STATE (also for
// CLUSTER_AUTHORIZATION_FAILED and TRANSACTION_ABORTABLE) is
// partition.ErrInvalidTxnState, PRODUCER_FENCED and INVALID_PRODUCER_EPOCH
// partition.ErrInvalidProducerEpoch, a coordinator unknown, moving or
// busy (and a lost connection) partition.ErrNotEnoughReplicas, which
// producers retry; any other code is returned as its kerr error.
func (c *Client) VerifyTransaction(ctx context.Context, id string, producerID kafka.ProducerID, epoch int16, tps []kafka.TopicPartition, add bool) map[kafka.TopicPartition]error {
	coordinator, err := c.coordinatorOf(id)
	if err != nil {
		return everyPartition(tps, fmt.Errorf("%w: %v", partition.ErrNotEnoughReplicas, err))
	}
	rctx, cancel := context.WithTimeout(ctx, verifyTimeout)
	defer cancel()
	resp, err := c.request(rctx, coordinator, verifyRequest(id, producerID, epoch, tps, add))
	if err != nil {
		return everyPartition(tps, fmt.Errorf("%w: cannot verify the transaction: %v", partition.ErrNotEnoughReplicas, err))
	}
	out := make(map[kafka.TopicPartition]error, len(tps))
	for _, tp := range tps {
		out[tp] = verifyError(resp.(*kmsg.AddPartitionsToTxnResponse), tp)
	}
	return out
}

// everyPartition maps each of tps to err.
func everyPartition(tps []kafka.TopicPartition, err error) map[kafka.TopicPartition]error {
	out := make(map[kafka.TopicPartition]error, len(tps))
	for _, tp := range tps {
		out[tp] = err
	}
	return out
}

// coordinatorOf returns the node leading the partition of
// __transaction_state that holds id.
func (c *Client) coordinatorOf(id string) (kafka.NodeID, error) {
	t, ok := c.image().Topic(txn.Topic)
	if !ok || len(t.Partitions) == 0 {
		return -1, errCoordinatorUnknown
	}
	leader := t.Partitions[txn.PartitionFor(id, int32(len(t.Partitions)))].Leader
	if leader < 0 {
		return -1, errCoordinatorUnknown
	}
	return kafka.NodeID(leader), nil
}

func verifyRequest(id string, producerID kafka.ProducerID, epoch int16, tps []kafka.TopicPartition, add bool) *kmsg.AddPartitionsToTxnRequest {
	r := kmsg.NewPtrAddPartitionsToTxnRequest()
	r.Version = addPartitionsToTxnVersion
	if add {
		r.Version = addPartitionsToTxnVersionV2
	}
	t := kmsg.NewAddPartitionsToTxnRequestTransaction()
	t.TransactionalID, t.ProducerID, t.ProducerEpoch, t.VerifyOnly = id, int64(producerID), epoch, !add
	for _, tp := range tps {
		if n := len(t.Topics); n > 0 && t.Topics[n-1].Topic == tp.Topic {
			t.Topics[n-1].Partitions = append(t.Topics[n-1].Partitions, tp.Partition)
			continue
		}
		t.Topics = append(t.Topics, kmsg.AddPartitionsToTxnRequestTransactionTopic{Topic: tp.Topic, Partitions: []int32{tp.Partition}})
	}
	r.Transactions = append(r.Transactions, t)
	return r
}

// verifyError returns the error the answer gives tp; nil when verified.
func verifyError(resp *kmsg.AddPartitionsToTxnResponse, tp kafka.TopicPartition) error {
	if resp.ErrorCode != 0 {
		return codeError(resp.ErrorCode)
	}
	for _, t := range resp.Transactions {
		for _, rt := range t.Topics {
			for _, p := range rt.Partitions {
				if rt.Topic == tp.Topic && p.Partition == tp.Partition {
					return codeError(p.ErrorCode)
				}
			}
		}
	}
	return fmt.Errorf("%w: the coordinator did not answer for the partition", partition.ErrNotEnoughReplicas)
}

// codeError maps a coordinator's answer to what the producer is told.
func codeError(code int16) error {
	switch code {
	case 0:
		return nil
	case kerr.InvalidTxnState.Code, kerr.ClusterAuthorizationFailed.Code, kerr.TransactionAbortable.Code:
		return fmt.Errorf("%w: %v", partition.ErrInvalidTxnState, kerr.ErrorForCode(code))
	case kerr.ProducerFenced.Code, kerr.InvalidProducerEpoch.Code:
		return fmt.Errorf("%w: %v", partition.ErrInvalidProducerEpoch, kerr.ErrorForCode(code))
	case kerr.ConcurrentTransactions.Code, kerr.NetworkException.Code, kerr.CoordinatorLoadInProgress.Code,
		kerr.CoordinatorNotAvailable.Code, kerr.NotCoordinator.Code:
		return fmt.Errorf("%w: unable to verify the partition has been added to the transaction: %v", partition.ErrNotEnoughReplicas, kerr.ErrorForCode(code))
	}
	return kerr.ErrorForCode(code)
}
