package txn

import (
	"context"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/record"
)

// sendMarkers starts writing the markers of id's transaction, in a
// prepare state, once that state is committed. When it is committed
// already and the MarkerWriter can write every marker at once
// (ImmediateMarkerWriter: partitions led here), they are written now and,
// once all are committed, the transaction completes in this same
// operation. Otherwise a goroutine writes them and retries the partitions
// that fail until every marker is written or the shard unloads; then the
// transaction completes on the loop. Called on the loop.
func (s *shard) sendMarkers(id string, m *txnMeta) {
	if m.sending {
		return
	}
	m.sending, m.completed = true, make(chan struct{})
	ms := Markers{ProducerID: m.producerID, ProducerEpoch: m.epoch, Commit: m.state == PrepareCommit,
		CoordinatorEpoch: s.epoch, Partitions: append([]kafka.TopicPartition(nil), m.partitions...)}
	c, partition, ctx := s.c, s.p.ID(), s.ctx
	finish := func(first func(context.Context) []kafka.TopicPartition) {
		defer c.wg.Done()
		if first != nil {
			ms.Partitions = first(ctx)
		}
		if c.writeAllMarkers(ctx, ms) {
			_ = c.rt.Submit(partition, func(s *shard) { s.complete(id, ms) })
		}
	}
	if w, ok := c.markers.(ImmediateMarkerWriter); ok && s.p.Committed() {
		if wait, ok := w.WriteMarkersNow(ms); ok {
			if wait == nil {
				s.complete(id, ms)
				return
			}
			c.wg.Add(1)
			go finish(wait)
			return
		}
	}
	c.wg.Add(1)
	s.p.OnCommit(func(err error) {
		if err != nil {
			c.wg.Done()
			return
		}
		go finish(nil)
	})
}

// writeAllMarkers writes ms until no partition is left to retry; false if
// the shard unloaded first.
func (c *Coordinator) writeAllMarkers(ctx context.Context, ms Markers) bool {
	for len(ms.Partitions) > 0 {
		ms.Partitions = c.markers.WriteMarkers(ctx, ms)
		if len(ms.Partitions) == 0 {
			break
		}
		t := time.NewTimer(c.cfg.MarkerRetryBackoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false
		}
	}
	return ctx.Err() == nil
}

// complete records that every marker of the transaction ms ended is
// written, unless the id moved on meanwhile.
func (s *shard) complete(id string, ms Markers) {
	m := s.txns[id]
	want := PrepareAbort
	if ms.Commit {
		want = PrepareCommit
	}
	if m == nil || m.producerID != ms.ProducerID || m.epoch != ms.ProducerEpoch || m.state != want {
		return
	}
	next := m.stored
	// The start stays, as Kafka keeps txnStartTimestamp in the completed
	// state (DescribeTransactions, ListTransactions' duration filter).
	next.state, next.partitions = CompleteAbort, nil
	if ms.Commit {
		next.state = CompleteCommit
	}
	if next.nextProducerID >= 0 { // the epochs overflowed at this end (version 2)
		next.prevProducerID, next.producerID, next.epoch, next.nextProducerID = next.producerID, next.nextProducerID, 0, -1
	}
	if err := s.write(id, next); err != nil {
		s.c.logger.Warn("cannot complete a transaction", "transactional.id", id, "err", err)
		return
	}
	m = s.txns[id]
	m.sending = false
	if done := m.completed; done != nil {
		m.completed = nil
		s.p.OnCommit(func(error) { close(done) })
	}
}

// armAbortTimedOut checks, every AbortTimedOutInterval, for transactions
// ongoing longer than their timeout and aborts them, fencing their
// producer (its next request answers PRODUCER_FENCED or
// INVALID_PRODUCER_EPOCH), as Kafka's coordinator does.
func (s *shard) armAbortTimedOut() {
	s.p.AfterFunc(s.c.cfg.AbortTimedOutInterval, func() {
		now := s.p.Now()
		for id, m := range s.txns {
			if m.state == Ongoing && now.Sub(m.start) > m.timeout {
				s.c.logger.Info("aborting a transaction past its timeout", "transactional.id", id,
					"producer.id", m.producerID, "epoch", m.epoch, "timeout", m.timeout)
				if err := s.abort(id, m, true); err != nil {
					s.c.logger.Warn("cannot abort a timed-out transaction", "transactional.id", id, "err", err)
				}
			}
		}
		s.armAbortTimedOut()
	})
}

// armRemoveExpired removes, every RemoveExpiredInterval, the ids idle for
// longer than transactional.id.expiration.ms, with a tombstone.
func (s *shard) armRemoveExpired() {
	s.p.AfterFunc(s.c.cfg.RemoveExpiredInterval, func() {
		now := s.p.Now()
		for id, m := range s.txns {
			if m.state.idle() && now.Sub(m.lastUpdate) > s.c.cfg.IDExpiration {
				if err := s.p.Append([]record.Record{{Timestamp: now.UnixMilli(), Key: encodeKey(id)}}); err != nil {
					s.c.logger.Warn("cannot expire a transactional id", "transactional.id", id, "err", err)
				}
			}
		}
		s.armRemoveExpired()
	})
}
