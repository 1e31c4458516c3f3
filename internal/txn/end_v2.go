package txn

import (
	"fmt"
	"math"
)

// Transaction version 2 (KIP-890 part 2), as Kafka 4's coordinator: every
// end of a transaction bumps the producer epoch. The prepare state is
// written at epoch+1, the markers carry it (so the partitions fence any
// late write of the old epoch), and EndTxn answers it; the producer's next
// transaction runs at it. When epoch+1 is the last epoch (MaxInt16), the
// prepare state also names the next producer id, which the complete state
// moves to at epoch 0 (and remembers the old one as the previous id).
//
// Retries: an end at the epoch just before the current one, while the id
// is ending or has ended that transaction, is the producer's retry (it did
// not see the answer): the same outcome answers success once complete and
// CONCURRENT_TRANSACTIONS while the markers are written; the other outcome
// INVALID_TXN_STATE. After an overflow, the previous id at the last epoch
// but one is recognised likewise.
//
// An abort of a transaction that added no partition (Empty, or the
// previous transaction complete) is allowed and bumps the epoch, since a
// client of version 2 does not know whether its writes reached a
// partition; a commit of it is INVALID_TXN_STATE.

// ErrNoProducerID: the epochs overflowed and no new producer id was drawn.
var ErrNoProducerID = fmt.Errorf("%w: no producer id for the overflowing epoch", ErrConcurrentTransactions)

func (s *shard) endTxnV2(req EndRequest) (EndResult, error) {
	none := EndResult{ProducerID: -1, ProducerEpoch: -1}
	m := s.txns[req.TransactionalID]
	if m == nil {
		return none, ErrInvalidProducerIDMapping
	}
	retry := isRetryV2(m, req)
	switch {
	case m.producerID != req.ProducerID && !retry:
		return none, fmt.Errorf("%w: producer %d, the id has %d", ErrInvalidProducerIDMapping, req.ProducerID, m.producerID)
	case req.ProducerEpoch != m.epoch && !retry:
		return none, fmt.Errorf("%w: epoch %d, current %d", ErrProducerFenced, req.ProducerEpoch, m.epoch)
	}
	current := EndResult{ProducerID: m.producerID, ProducerEpoch: m.epoch}
	if m.state.preparing() && m.nextProducerID >= 0 {
		current = EndResult{ProducerID: m.nextProducerID, ProducerEpoch: 0}
	}
	sameOutcome := req.Commit == (m.state == PrepareCommit || m.state == CompleteCommit)
	switch {
	case m.state == Ongoing && !retry:
		return s.prepareV2(req, m)
	case m.state.preparing() && (!retry || sameOutcome):
		return none, ErrConcurrentTransactions
	case retry && (m.state == CompleteCommit || m.state == CompleteAbort) && sameOutcome:
		return current, nil
	case !retry && !req.Commit && m.state.idle():
		return s.prepareV2(req, m) // an abort of a transaction with no partition
	}
	return none, fmt.Errorf("%w: %s", ErrInvalidTxnState, m.state)
}

// isRetryV2 reports whether req is a retry of the end that moved the id to
// its current epoch.
func isRetryV2(m *txnMeta, req EndRequest) bool {
	if m.state == Empty || m.state == Ongoing {
		return false
	}
	if m.producerID == req.ProducerID && m.epoch > 0 && req.ProducerEpoch == m.epoch-1 {
		return true
	}
	return m.prevProducerID == req.ProducerID && req.ProducerEpoch == math.MaxInt16-1 && m.epoch == 0
}

// prepareV2 writes the prepare state at the bumped epoch and sends the
// markers.
func (s *shard) prepareV2(req EndRequest, m *txnMeta) (EndResult, error) {
	none := EndResult{ProducerID: -1, ProducerEpoch: -1}
	next := m.stored
	next.state, next.clientVersion, next.nextProducerID = PrepareAbort, V2, -1
	if req.Commit {
		next.state = PrepareCommit
	}
	if len(next.partitions) == 0 && m.state != Ongoing {
		next.start = s.p.Now() // Kafka: the start of an empty transaction is its end
	}
	if next.epoch >= math.MaxInt16-1 {
		if req.NewProducerID < 0 {
			return none, ErrNoProducerID
		}
		next.nextProducerID = req.NewProducerID
	}
	next.epoch++
	if err := s.write(req.TransactionalID, next); err != nil {
		return none, err
	}
	s.sendMarkers(req.TransactionalID, s.txns[req.TransactionalID])
	if next.nextProducerID >= 0 {
		return EndResult{ProducerID: next.nextProducerID, ProducerEpoch: 0}, nil
	}
	return EndResult{ProducerID: next.producerID, ProducerEpoch: next.epoch}, nil
}
