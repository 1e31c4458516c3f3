package txnclient

import (
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"

	"gregor/internal/partition"
)

// TestCodeError proves the coordinator's answers to a verification become
// what Kafka's AddPartitionsToTxnManager tells the producer: retriable
// coordinator trouble NOT_ENOUGH_REPLICAS, a fenced producer
// INVALID_PRODUCER_EPOCH, an unverified partition (or a refused broker)
// INVALID_TXN_STATE, anything else itself.
func TestCodeError(t *testing.T) {
	for _, c := range []struct {
		code int16
		want error
	}{
		{kerr.InvalidTxnState.Code, partition.ErrInvalidTxnState},
		{kerr.ClusterAuthorizationFailed.Code, partition.ErrInvalidTxnState},
		{kerr.TransactionAbortable.Code, partition.ErrInvalidTxnState},
		{kerr.ProducerFenced.Code, partition.ErrInvalidProducerEpoch},
		{kerr.InvalidProducerEpoch.Code, partition.ErrInvalidProducerEpoch},
		{kerr.ConcurrentTransactions.Code, partition.ErrNotEnoughReplicas},
		{kerr.NotCoordinator.Code, partition.ErrNotEnoughReplicas},
		{kerr.CoordinatorLoadInProgress.Code, partition.ErrNotEnoughReplicas},
		{kerr.CoordinatorNotAvailable.Code, partition.ErrNotEnoughReplicas},
		{kerr.InvalidProducerIDMapping.Code, kerr.InvalidProducerIDMapping},
	} {
		if err := codeError(c.code); !errors.Is(err, c.want) {
			t.Errorf("code %d: %v, want %v", c.code, err, c.want)
		}
	}
	if err := codeError(0); err != nil {
		t.Errorf("code 0: %v", err)
	}
}
