package partition

import (
	"errors"
	"fmt"
	"math"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/record"
)

// Errors of the transactional append path.
var (
	// ErrInvalidTxnState: a transactional batch from a producer whose
	// transaction, as far as the coordinator knows, does not include this
	// partition (KIP-890's verification), INVALID_TXN_STATE.
	ErrInvalidTxnState = errors.New("the producer's transaction does not include this partition")
)

// completedTxn is a transaction a marker has ended in this partition.
type completedTxn struct {
	producerID  int64
	firstOffset int64 // of its first batch here; the marker's offset when it wrote nothing
	lastOffset  int64 // the marker's offset
	commit      bool
}

// completeTxn ends the producer's ongoing transaction with marker b.
func (s *producerState) completeTxn(pid int64, e *producerEntry, b record.Batch) (completedTxn, bool) {
	m, err := record.MarkerOf(b)
	if err != nil {
		return completedTxn{}, false // validated at append; a copy from the leader is trusted
	}
	first := e.currentTxnFirstOffset
	if first < 0 {
		first = b.BaseOffset()
	}
	e.currentTxnFirstOffset, e.coordinatorEpoch = -1, m.CoordinatorEpoch
	delete(s.ongoing, pid)
	return completedTxn{producerID: pid, firstOffset: first, lastOffset: b.LastOffset(), commit: m.Commit}, true
}

// firstUndecided is the smallest first offset of an ongoing transaction,
// MaxInt64 when there is none.
func (s *producerState) firstUndecided() int64 {
	first := int64(math.MaxInt64)
	for _, o := range s.ongoing {
		first = min(first, o)
	}
	return first
}

// VerificationGuard ties a transactional append to the verification that
// allowed it (KIP-890): a marker written meanwhile invalidates it, so a
// batch verified against a transaction that then ended is refused rather
// than opening a transaction the coordinator does not know of.
type VerificationGuard uint64

// Trusted is the guard of an append whose transaction the caller knows
// includes the partition: the group coordinator writing the offsets of a
// transaction the transaction coordinator has added it to.
const Trusted VerificationGuard = math.MaxUint64

// VerifyTransaction reports whether a transactional batch of producer pid
// at epoch needs the coordinator's verification before AppendVerified: it
// does unless the producer has a transaction ongoing here at that epoch.
// One at an older epoch is a transaction whose marker has not arrived yet
// (at transaction version 2 every end bumps the epoch, and the producer's
// next transaction may write before the coordinator has written the
// markers of the previous one): the batch must wait for it, through the
// coordinator, and not join it. The guard returned is to be passed to
// AppendVerified once the coordinator said yes.
func (p *Partition) VerifyTransaction(pid kafka.ProducerID, epoch int16) (VerificationGuard, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e := p.producers.entries[int64(pid)]; e != nil && e.currentTxnFirstOffset >= 0 && e.epoch == epoch {
		return 0, false
	}
	g, ok := p.guards[pid]
	if !ok {
		p.nextGuard++
		g = p.nextGuard
		p.guards[pid] = g
	}
	return g, true
}

// checkVerifiedLocked refuses a transactional batch of a producer with no
// ongoing transaction here at the batch's epoch unless guard is its
// current verification.
func (p *Partition) checkVerifiedLocked(b record.Batch, guard VerificationGuard) error {
	if !b.IsTransactional() {
		return nil
	}
	pid := b.ProducerID()
	if e := p.producers.entries[pid]; e != nil && e.currentTxnFirstOffset >= 0 && e.epoch == b.ProducerEpoch() {
		return nil
	}
	if guard == Trusted || (guard != 0 && p.guards[kafka.ProducerID(pid)] == guard) {
		return nil
	}
	return fmt.Errorf("%w: producer %d has no verified transaction on %s", ErrInvalidTxnState, pid, p.TP)
}

// Marker is a transaction marker for WriteTxnMarker.
type Marker struct {
	ProducerID       kafka.ProducerID
	ProducerEpoch    int16
	Commit           bool
	CoordinatorEpoch int32
}

// WriteTxnMarker appends a commit or abort marker ending producer's
// transaction in this partition (WriteTxnMarkers, from the transaction
// coordinator) and returns its offset; an acks=all caller waits for the
// high watermark to pass it. A marker with an epoch older than the
// producer's is refused (ErrInvalidProducerEpoch), as is one from an older
// coordinator epoch than the last marker's (a deposed coordinator).
func (p *Partition) WriteTxnMarker(m Marker, now time.Time) (kafka.Offset, error) {
	b := record.BuildMarker(int64(m.ProducerID), m.ProducerEpoch, record.Marker{Commit: m.Commit, CoordinatorEpoch: m.CoordinatorEpoch}, now.UnixMilli())
	p.mu.Lock()
	offset, err := p.writeMarkerLocked(m, b)
	p.mu.Unlock()
	if err == nil {
		p.notify()
	}
	return offset, err
}

func (p *Partition) writeMarkerLocked(m Marker, b record.Batch) (kafka.Offset, error) {
	if !p.isLeaderLocked() {
		return -1, fmt.Errorf("%w: %s is led by node %d", ErrNotLeader, p.TP, p.role.Leader)
	}
	if e := p.producers.entries[int64(m.ProducerID)]; e != nil {
		if m.ProducerEpoch < e.epoch {
			return -1, fmt.Errorf("%w: marker for producer %d epoch %d, current %d", ErrInvalidProducerEpoch, m.ProducerID, m.ProducerEpoch, e.epoch)
		}
		if m.CoordinatorEpoch < e.coordinatorEpoch {
			return -1, fmt.Errorf("%w: coordinator epoch %d older than %d", ErrTransactionCoordinatorFenced, m.CoordinatorEpoch, e.coordinatorEpoch)
		}
	}
	_, last, err := p.log.Append(b, int32(p.role.LeaderEpoch))
	if err != nil {
		return -1, err
	}
	p.recordBatchLocked(b)
	p.advanceHighWatermarkLocked()
	return kafka.Offset(last), nil
}

// ErrTransactionCoordinatorFenced: a marker from a coordinator epoch older
// than one already seen (TRANSACTION_COORDINATOR_FENCED).
var ErrTransactionCoordinatorFenced = errors.New("transaction coordinator epoch is older than the last marker's")

// recordBatchLocked updates the producer state with an appended batch and,
// for a marker, completes its transaction: an abort goes to the
// aborted-transaction index, and the transaction holds back the last
// stable offset until the high watermark passes its marker.
func (p *Partition) recordBatchLocked(b record.Batch) {
	txn, ok := p.producers.update(b)
	if !ok {
		if b.IsTransactional() {
			p.updateFirstUnstableLocked()
		}
		return
	}
	delete(p.guards, kafka.ProducerID(txn.producerID))
	if !txn.commit {
		e := kafka.AbortedTransaction{
			ProducerID: kafka.ProducerID(txn.producerID), FirstOffset: kafka.Offset(txn.firstOffset),
			LastOffset: kafka.Offset(txn.lastOffset), LastStableOffset: kafka.Offset(min(p.producers.firstUndecided(), txn.lastOffset+1)),
		}
		if err := p.log.AppendAbortedTransaction(e); err != nil {
			p.logger.Error("cannot index an aborted transaction", "offset", txn.lastOffset, "err", err)
		}
	}
	if txn.lastOffset >= p.highWatermark.Load() {
		p.unreplicated = append(p.unreplicated, txn)
	}
	p.updateFirstUnstableLocked()
}

// updateFirstUnstableLocked publishes the first offset that a
// read_committed reader may not pass: the first offset of the oldest
// ongoing transaction, or of a completed one whose marker is not yet below
// the high watermark (Kafka's unreplicated transactions).
func (p *Partition) updateFirstUnstableLocked() {
	hw := p.highWatermark.Load()
	n := 0
	for _, t := range p.unreplicated {
		if t.lastOffset >= hw {
			p.unreplicated[n] = t
			n++
		}
	}
	p.unreplicated = p.unreplicated[:n]
	first := p.producers.firstUndecided()
	for _, t := range p.unreplicated {
		first = min(first, t.firstOffset)
	}
	p.firstUnstable.Store(first)
	p.log.SetStable(kafka.Offset(p.LastStableOffset()))
}

// LastStableOffset is the offset below which every transaction is decided:
// min(first offset of the oldest undecided transaction, high watermark).
// read_committed consumers read below it.
func (p *Partition) LastStableOffset() int64 {
	return min(p.firstUnstable.Load(), p.HighWatermark())
}

// ReadCommitted reads as Read, bounded by the last stable offset, and
// returns the aborted transactions that overlap what it read, for a
// read_committed consumer to skip.
func (p *Partition) ReadCommitted(buf []byte, offset int64, maxBytes int32, minOneBatch bool) ([]byte, []kafka.AbortedTransaction, error) {
	data, err := p.log.ReadInto(buf, offset, maxBytes, p.LastStableOffset(), minOneBatch)
	if err != nil || len(data) == 0 {
		return data, nil, err
	}
	end := lastOffsetIn(data) + 1
	return data, p.log.AbortedTransactions(offset, end), nil
}

// lastOffsetIn is the last offset of the last batch in data.
func lastOffsetIn(data []byte) int64 {
	last := int64(-1)
	for len(data) >= record.HeaderSize {
		n, err := record.FrameLength(data)
		if err != nil || n > len(data) {
			break
		}
		last = record.Batch(data).LastOffset()
		data = data[n:]
	}
	return last
}

// ProducerInfo is what DescribeProducers tells of one producer.
type ProducerInfo struct {
	ProducerID            kafka.ProducerID
	ProducerEpoch         int16
	LastSequence          int32
	LastTimestamp         int64
	CoordinatorEpoch      int32
	CurrentTxnStartOffset int64 // -1: no ongoing transaction
}

// Producers lists the producers this replica knows (DescribeProducers).
func (p *Partition) Producers() []ProducerInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]ProducerInfo, 0, len(p.producers.entries))
	for pid, e := range p.producers.entries {
		info := ProducerInfo{ProducerID: kafka.ProducerID(pid), ProducerEpoch: e.epoch, LastSequence: e.lastSeq(), LastTimestamp: e.lastTimestamp,
			CoordinatorEpoch: e.coordinatorEpoch, CurrentTxnStartOffset: e.currentTxnFirstOffset}
		out = append(out, info)
	}
	return out
}

// activeProducers is what the log cleaner keeps of the producers not
// expired: the batch with each one's last sequence, or a marker of its
// current epoch when that epoch wrote no data.
func (p *Partition) activeProducers() map[kafka.ProducerID]kafka.ActiveProducer {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[kafka.ProducerID]kafka.ActiveProducer, len(p.producers.entries))
	for pid, e := range p.producers.entries {
		a := kafka.ActiveProducer{LastDataOffset: -1, Epoch: e.epoch}
		if n := len(e.batches); n > 0 {
			a.LastDataOffset = kafka.Offset(e.batches[n-1].lastOffset)
		}
		out[kafka.ProducerID(pid)] = a
	}
	return out
}

// ExpireProducers forgets the idempotent and transactional producers that
// have written nothing here for producer.id.expiration.ms (after) and have
// no transaction ongoing, by their last batch's timestamp: a producer that
// comes back later starts over, as a new one. It returns how many.
func (p *Partition) ExpireProducers(now time.Time, after time.Duration) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.producers.expire(now.UnixMilli(), after.Milliseconds())
}
