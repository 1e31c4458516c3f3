package txn

import (
	"context"
	"sync"
	"time"

	"gregor/internal/kafka"
)

// Description is what DescribeTransactions and ListTransactions tell of
// a transactional id.
type Description struct {
	TransactionalID string
	State           State
	ProducerID      kafka.ProducerID
	ProducerEpoch   int16
	Timeout         time.Duration
	Start           time.Time // of the transaction in progress or last ended; zero before the first
	Partitions      []kafka.TopicPartition
}

func describe(id string, m *txnMeta) Description {
	return Description{TransactionalID: id, State: m.state, ProducerID: m.producerID, ProducerEpoch: m.epoch,
		Timeout: m.timeout, Start: m.start, Partitions: append([]kafka.TopicPartition(nil), m.partitions...)}
}

// Describe answers DescribeTransactions for one id.
func (c *Coordinator) Describe(ctx context.Context, id string) (Description, error) {
	type answer struct {
		d  Description
		ok bool
	}
	a, err := call(ctx, c, id, func(s *shard) answer {
		m := s.txns[id]
		if m == nil {
			return answer{}
		}
		return answer{describe(id, m), true}
	})
	if err == nil && !a.ok {
		err = ErrTransactionalIDNotFound
	}
	return a.d, err
}

// List answers ListTransactions: every id of the loaded partitions that
// keep returns true for. It reports ErrLoadInProgress when a partition was
// still loading (its ids are missing).
func (c *Coordinator) List(keep func(Description) bool) ([]Description, error) {
	var mu sync.Mutex
	var out []Description
	err := c.rt.Each(func(s *shard) {
		for id, m := range s.txns {
			if d := describe(id, m); keep(d) {
				mu.Lock()
				out = append(out, d)
				mu.Unlock()
			}
		}
	})
	return out, err
}
