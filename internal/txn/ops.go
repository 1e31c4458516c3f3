package txn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"gregor/internal/kafka"
)

// InitRequest is an InitProducerId with a transactional id.
type InitRequest struct {
	TransactionalID string
	Timeout         time.Duration
	// ProducerID and ProducerEpoch are what the producer holds (KIP-360),
	// -1 for a new producer.
	ProducerID    kafka.ProducerID
	ProducerEpoch int16
	// NewProducerID is a fresh id from the controller's blocks, used when
	// the transactional id is new or its epochs are exhausted.
	NewProducerID kafka.ProducerID
}

// InitResult is InitProducerId's answer.
type InitResult struct {
	ProducerID    kafka.ProducerID
	ProducerEpoch int16
}

type initAnswer struct {
	res InitResult
	err error
}

// InitProducerID gives the producer of a transactional id its producer id
// and a new epoch, fencing every older producer of the id. A transaction
// in progress is aborted first (CONCURRENT_TRANSACTIONS: the producer
// retries), one being completed answers the same until it is.
func (c *Coordinator) InitProducerID(ctx context.Context, req InitRequest) (InitResult, error) {
	if req.Timeout <= 0 || req.Timeout > c.cfg.MaxTimeout {
		return InitResult{ProducerID: -1, ProducerEpoch: -1}, ErrInvalidTransactionTimeout
	}
	a, err := call(ctx, c, req.TransactionalID, func(s *shard) initAnswer { return s.initProducerID(req) })
	if err == nil {
		err = a.err
	}
	if err != nil {
		return InitResult{ProducerID: -1, ProducerEpoch: -1}, err
	}
	return a.res, nil
}

func (s *shard) initProducerID(req InitRequest) initAnswer {
	m := s.txns[req.TransactionalID]
	if m == nil {
		return s.bumpEpoch(req, &txnMeta{stored: stored{producerID: req.NewProducerID, epoch: -1, prevProducerID: -1, nextProducerID: -1}, lastProducerID: -1, lastEpoch: -1})
	}
	if req.ProducerID >= 0 && !(req.ProducerID == m.producerID && req.ProducerEpoch == m.epoch) {
		if req.ProducerID == m.lastProducerID && req.ProducerEpoch == m.lastEpoch && m.state.idle() {
			return initAnswer{res: InitResult{m.producerID, m.epoch}} // a retry of the last answer
		}
		return initAnswer{err: fmt.Errorf("%w: producer %d epoch %d, current %d epoch %d", ErrProducerFenced, req.ProducerID, req.ProducerEpoch, m.producerID, m.epoch)}
	}
	switch {
	case m.state.preparing():
		return initAnswer{err: ErrConcurrentTransactions}
	case m.state == Ongoing:
		if err := s.abort(req.TransactionalID, m, true); err != nil {
			return initAnswer{err: err}
		}
		return initAnswer{err: ErrConcurrentTransactions}
	}
	return s.bumpEpoch(req, m)
}

// bumpEpoch writes the id as Empty at the next epoch, or with a new
// producer id at epoch 0 when the epochs are exhausted.
func (s *shard) bumpEpoch(req InitRequest, m *txnMeta) initAnswer {
	next := m.stored
	next.state, next.timeout, next.partitions, next.start = Empty, req.Timeout, nil, time.Time{}
	next.nextProducerID = -1
	if next.epoch >= math.MaxInt16-1 {
		next.prevProducerID, next.producerID, next.epoch = next.producerID, req.NewProducerID, 0
	} else {
		next.epoch++
	}
	if err := s.write(req.TransactionalID, next); err != nil {
		return initAnswer{err: err}
	}
	m = s.txns[req.TransactionalID]
	m.lastProducerID, m.lastEpoch = next.producerID, next.epoch
	return initAnswer{res: InitResult{next.producerID, next.epoch}}
}

// checkProducer validates a producer's request against the id's state.
func checkProducer(m *txnMeta, pid kafka.ProducerID, epoch int16) error {
	switch {
	case m == nil:
		return ErrInvalidProducerIDMapping
	case m.producerID != pid:
		return fmt.Errorf("%w: producer %d, the id has %d", ErrInvalidProducerIDMapping, pid, m.producerID)
	case epoch != m.epoch:
		return fmt.Errorf("%w: epoch %d, current %d", ErrProducerFenced, epoch, m.epoch)
	case m.state.preparing():
		return ErrConcurrentTransactions
	}
	return nil
}

// AddPartitions adds partitions to the producer's transaction, starting it
// if none is ongoing; v is the client's transaction version (V2: a
// partition leader adding them as the first write arrives, KIP-890 part
// 2). With verifyOnly (KIP-890 part 1, a partition leader asking) nothing
// is added: a partition outside the transaction answers ErrInvalidTxnState
// in the map, which then holds every partition.
func (c *Coordinator) AddPartitions(ctx context.Context, id string, pid kafka.ProducerID, epoch int16, tps []kafka.TopicPartition, verifyOnly bool, v Version) (map[kafka.TopicPartition]error, error) {
	type answer struct {
		perPartition map[kafka.TopicPartition]error
		err          error
	}
	a, err := untilComplete(ctx, c, id, func(s *shard) (answer, error) {
		if verifyOnly {
			per, err := s.verify(id, pid, epoch, tps)
			return answer{per, err}, err
		}
		err := s.addPartitions(id, pid, epoch, tps, v)
		return answer{err: err}, err
	})
	if err == nil {
		err = a.err
	}
	return a.perPartition, err
}

func (s *shard) verify(id string, pid kafka.ProducerID, epoch int16, tps []kafka.TopicPartition) (map[kafka.TopicPartition]error, error) {
	m := s.txns[id]
	if err := checkProducer(m, pid, epoch); err != nil {
		return nil, err
	}
	out := make(map[kafka.TopicPartition]error, len(tps))
	for _, tp := range tps {
		if m.state != Ongoing || !slices.Contains(m.partitions, tp) {
			out[tp] = ErrInvalidTxnState
		} else {
			out[tp] = nil
		}
	}
	return out, nil
}

func (s *shard) addPartitions(id string, pid kafka.ProducerID, epoch int16, tps []kafka.TopicPartition, v Version) error {
	m := s.txns[id]
	if err := checkProducer(m, pid, epoch); err != nil {
		return err
	}
	next := m.stored
	next.partitions = slices.Clone(m.partitions)
	if m.state != Ongoing {
		next.partitions, next.start, next.clientVersion = nil, s.p.Now(), v
	}
	added := false
	for _, tp := range tps {
		if !slices.Contains(next.partitions, tp) {
			next.partitions, added = append(next.partitions, tp), true
		}
	}
	if !added && m.state == Ongoing {
		return nil
	}
	sortPartitions(next.partitions)
	next.state = Ongoing
	return s.write(id, next)
}

// EndRequest is an EndTxn.
type EndRequest struct {
	TransactionalID string
	ProducerID      kafka.ProducerID
	ProducerEpoch   int16
	Commit          bool
	// Version is the client's transaction version: V2 (EndTxn v5+) bumps
	// the epoch at the end (KIP-890 part 2).
	Version Version
	// NewProducerID, with V2, is a fresh id from the controller's blocks
	// for a producer whose bumped epoch would be the last one (-1: none
	// drawn; the handler draws one when the request's epoch is that high).
	NewProducerID kafka.ProducerID
}

// EndResult is EndTxn's answer: the producer id and epoch the producer
// continues with (with V2 the bumped epoch, or a new id at epoch 0 when
// the epochs overflowed; otherwise those of the request).
type EndResult struct {
	ProducerID    kafka.ProducerID
	ProducerEpoch int16
}

// EndTxn commits or aborts the producer's transaction: it answers once the
// prepare state is committed, as Kafka does (the outcome is decided then),
// and the markers go to the partitions in the background; once all are
// written the transaction completes. A request of the producer meeting the
// transaction still being completed waits for that (untilComplete) instead
// of answering CONCURRENT_TRANSACTIONS. A retry of a completed end answers
// success.
func (c *Coordinator) EndTxn(ctx context.Context, req EndRequest) (EndResult, error) {
	res, err := untilComplete(ctx, c, req.TransactionalID, func(s *shard) (EndResult, error) { return s.endTxn(req) })
	if err != nil {
		return EndResult{ProducerID: -1, ProducerEpoch: -1}, err
	}
	return res, nil
}

// completionWait bounds how long a request waits in untilComplete for the
// markers of the id's previous transaction; then it answers
// CONCURRENT_TRANSACTIONS and the producer retries.
const completionWait = 2 * time.Second

// untilComplete runs op on the loop of id's partition and answers what it
// answers, except that while op meets the id's previous transaction being
// completed by this coordinator (ErrConcurrentTransactions with its markers
// being written), it waits for the completion, up to completionWait in
// all, and runs op again. A producer's next transaction thus starts as
// soon as the previous one completes: its first write (the partition
// leader adding the partition, KIP-890 part 2) or its AddPartitionsToTxn
// waits on the coordinator while the markers are written, instead of
// going back to the producer for a retry after a backoff, as it would in
// Kafka (CONCURRENT_TRANSACTIONS).
func untilComplete[R any](ctx context.Context, c *Coordinator, id string, op func(*shard) (R, error)) (R, error) {
	type answer struct {
		res       R
		err       error
		completed <-chan struct{}
		unloaded  <-chan struct{}
	}
	var deadline <-chan time.Time
	for {
		a, err := call(ctx, c, id, func(s *shard) answer {
			res, err := op(s)
			a := answer{res: res, err: err}
			if m := s.txns[id]; errors.Is(err, ErrConcurrentTransactions) && m != nil && m.sending && m.completed != nil {
				a.completed, a.unloaded = m.completed, s.ctx.Done()
			}
			return a
		})
		if err != nil {
			return a.res, err
		}
		if a.completed == nil {
			return a.res, a.err
		}
		if deadline == nil {
			t := time.NewTimer(completionWait)
			defer t.Stop()
			deadline = t.C
		}
		select {
		case <-a.completed:
		case <-a.unloaded:
		case <-deadline:
			return a.res, a.err
		case <-ctx.Done():
			return a.res, a.err
		}
	}
}

func (s *shard) endTxn(req EndRequest) (EndResult, error) {
	if req.Version >= V2 {
		return s.endTxnV2(req)
	}
	id, pid, epoch, commit := req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit
	res := EndResult{ProducerID: pid, ProducerEpoch: epoch}
	m := s.txns[id]
	if m != nil && m.producerID == pid && m.epoch == epoch {
		switch {
		case m.state == CompleteCommit && commit, m.state == CompleteAbort && !commit:
			return res, nil // a retry
		case m.state == PrepareCommit && commit, m.state == PrepareAbort && !commit:
			return res, ErrConcurrentTransactions
		case m.state.idle() || m.state.preparing():
			return res, fmt.Errorf("%w: %s", ErrInvalidTxnState, m.state)
		}
	}
	if err := checkProducer(m, pid, epoch); err != nil {
		return res, err
	}
	if !commit {
		return res, s.abort(id, m, false)
	}
	next := m.stored
	next.state = PrepareCommit
	if err := s.write(id, next); err != nil {
		return res, err
	}
	s.sendMarkers(id, s.txns[id])
	return res, nil
}

// abort writes PrepareAbort for id's ongoing transaction, fencing the
// producer with an epoch bump when fence is set (a timeout, or a new
// producer of the id), and sends the markers.
func (s *shard) abort(id string, m *txnMeta, fence bool) error {
	next := m.stored
	next.state = PrepareAbort
	if fence && next.epoch < math.MaxInt16 {
		next.epoch++
	}
	if err := s.write(id, next); err != nil {
		return err
	}
	s.sendMarkers(id, s.txns[id])
	return nil
}
