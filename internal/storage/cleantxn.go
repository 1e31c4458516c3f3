package storage

import (
	"cmp"
	"slices"

	"gregor/internal/kafka"
	"gregor/internal/record"
)

// Transactions in a cleaning, as Kafka's cleaner treats them. The cleaner
// reads only below the last stable offset, so every transaction it meets is
// decided and each aborted one is in the aborted-transaction index of the
// segment holding its marker. Walking the batches in offset order, a
// txnTracker knows which producers are inside an aborted transaction (from
// the index: its first offset reached, its marker not yet) and which inside
// a committed one (a transactional batch read, no marker yet):
//
//   - the records of an aborted transaction go, whatever their keys, and
//     its batches with them (a producer's last batch keeps its header);
//   - a marker stays while a batch of its transaction was read in this
//     cleaning, and an abort marker that stays keeps its index entry;
//   - a marker whose transaction has no batch left is stamped with a delete
//     horizon of now + delete.retention.ms (KIP-534, as tombstones), and a
//     cleaning after that horizon removes it; its index entry goes at once,
//     since no record remains for a read_committed reader to skip.
//
// So a transaction's data goes in one cleaning, its marker no earlier than
// delete.retention.ms after a later one: a consumer that read the data
// before the cleaning still finds the marker that decides it.

// txnTracker follows transactions through one walk of the log (Kafka's
// CleanedTransactionMetadata). Used by one goroutine.
type txnTracker struct {
	pending   []kafka.AbortedTransaction // by first offset, not yet reached
	aborted   map[int64]*abortedTxn      // producer -> the aborted transaction it is in
	committed map[int64]bool             // producers in a transaction that is not aborted
	// kept collects the index entries of the abort markers that stay, for
	// the cleaned segment being written (see takeKept).
	kept []kafka.AbortedTransaction
}

type abortedTxn struct {
	entry    kafka.AbortedTransaction
	seenData bool // a batch of it was read in this walk
}

// newTxnTracker tracks the aborted transactions of srcs' indexes.
func newTxnTracker(srcs []cleanSource) *txnTracker {
	t := &txnTracker{aborted: map[int64]*abortedTxn{}, committed: map[int64]bool{}}
	for _, s := range srcs {
		t.pending = append(t.pending, s.txns...)
	}
	slices.SortStableFunc(t.pending, func(a, b kafka.AbortedTransaction) int {
		return cmp.Compare(a.FirstOffset, b.FirstOffset)
	})
	return t
}

// reach starts the aborted transactions that began at or before the last
// offset of b. One whose marker is before b is over already (the walk began
// after it) and is dropped.
func (t *txnTracker) reach(b record.Batch) {
	n := 0
	for ; n < len(t.pending) && int64(t.pending[n].FirstOffset) <= b.LastOffset(); n++ {
		e := t.pending[n]
		if int64(e.LastOffset) < b.BaseOffset() {
			continue
		}
		if _, ok := t.aborted[int64(e.ProducerID)]; !ok {
			t.aborted[int64(e.ProducerID)] = &abortedTxn{entry: e}
		}
	}
	t.pending = t.pending[n:]
}

// onData records a data batch and reports whether it belongs to an
// aborted transaction (its records are to go).
func (t *txnTracker) onData(b record.Batch) bool {
	t.reach(b)
	if !b.IsTransactional() {
		return false
	}
	if a, ok := t.aborted[b.ProducerID()]; ok {
		a.seenData = true
		return true
	}
	t.committed[b.ProducerID()] = true
	return false
}

// onControl records a control batch and reports whether no batch of its
// transaction was read, so that the marker may go once its delete horizon
// has passed. An abort marker that stays keeps its index entry (kept).
// Control records other than markers stay; an emptied marker may go.
func (t *txnTracker) onControl(b record.Batch) (bool, error) {
	t.reach(b)
	typ, ok, err := record.ControlType(b)
	if err != nil {
		return false, err
	}
	pid := b.ProducerID()
	switch {
	case !ok:
		return true, nil
	case typ == record.ControlAbort:
		a, ok := t.aborted[pid]
		delete(t.aborted, pid)
		if ok && a.seenData {
			t.kept = append(t.kept, a.entry)
			return false, nil
		}
		// Data of this producer that no index entry called aborted was
		// kept as committed: its marker stays too (Kafka would let it go).
		seen := t.committed[pid]
		delete(t.committed, pid)
		return !seen, nil
	case typ == record.ControlCommit:
		seen := t.committed[pid]
		delete(t.committed, pid)
		return !seen, nil
	}
	return false, nil
}

// takeKept returns the index entries kept since the last call.
func (t *txnTracker) takeKept() []kafka.AbortedTransaction {
	kept := t.kept
	t.kept = nil
	return kept
}
