package partition

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"

	"gregor/internal/record"
)

// Errors of the idempotent producer checks; the handler maps them to
// INVALID_PRODUCER_EPOCH and OUT_OF_ORDER_SEQUENCE_NUMBER.
var (
	ErrInvalidProducerEpoch = errors.New("producer epoch is older than the current one")
	ErrOutOfOrderSequence   = errors.New("out of order sequence number")
)

// maxBatchesPerProducer is how many recent batches are remembered for
// duplicate detection: Kafka allows five in-flight requests per producer.
const maxBatchesPerProducer = 5

// noEpoch is Kafka's RecordBatch.NO_PRODUCER_EPOCH.
const noEpoch int16 = -1

// batchMeta is what is remembered of one appended batch.
type batchMeta struct {
	firstSeq, lastSeq       int32
	firstOffset, lastOffset int64
	maxTimestamp            int64
}

// producerEntry is one producer's state. batches is oldest first.
type producerEntry struct {
	epoch   int16
	batches []batchMeta
	// currentTxnFirstOffset is the offset of the first batch of the
	// producer's ongoing transaction in this partition, -1 when none.
	currentTxnFirstOffset int64
	// coordinatorEpoch is that of the last marker written for it (-1: none).
	coordinatorEpoch int32
	// lastTimestamp is the max timestamp of its last batch, a marker's
	// included (-1: none), as Kafka's ProducerStateEntry: what
	// DescribeProducers shows and producer expiry measures from. A marker
	// that bumps the epoch (KIP-890 part 2) clears the batches but not this.
	lastTimestamp int64
}

func (e *producerEntry) lastSeq() int32 {
	if len(e.batches) == 0 {
		return -1
	}
	return e.batches[len(e.batches)-1].lastSeq
}

func (e *producerEntry) duplicateOf(b record.Batch) (batchMeta, bool) {
	if b.ProducerEpoch() != e.epoch {
		return batchMeta{}, false
	}
	first, last := b.BaseSequence(), b.LastSequence()
	for _, m := range e.batches {
		if m.firstSeq == first && m.lastSeq == last {
			return m, true
		}
	}
	return batchMeta{}, false
}

// producerState maps producer id to its entry. Not safe for concurrent use:
// the Partition's mutex guards it.
type producerState struct {
	entries map[int64]*producerEntry
	// ongoing maps the producers with an ongoing transaction to its first
	// offset (their entries' currentTxnFirstOffset): what holds back the
	// last stable offset.
	ongoing map[int64]int64
}

func newProducerState() *producerState {
	return &producerState{entries: map[int64]*producerEntry{}, ongoing: map[int64]int64{}}
}

func newEntry() *producerEntry {
	return &producerEntry{epoch: noEpoch, currentTxnFirstOffset: -1, coordinatorEpoch: -1, lastTimestamp: -1}
}

// check validates b against the producer's state. It returns the metadata of
// an identical earlier batch when b is a retry.
func (s *producerState) check(b record.Batch) (dup batchMeta, isDup bool, err error) {
	pid := b.ProducerID()
	if pid < 0 {
		return dup, false, nil
	}
	e := s.entries[pid]
	if e == nil {
		return dup, false, nil
	}
	if dup, ok := e.duplicateOf(b); ok {
		return dup, true, nil
	}
	epoch, first := b.ProducerEpoch(), b.BaseSequence()
	switch {
	case epoch < e.epoch:
		return dup, false, fmt.Errorf("%w: producer %d epoch %d, current %d", ErrInvalidProducerEpoch, pid, epoch, e.epoch)
	case first < 0:
		// No sequence: a coordinator's own transactional write (the
		// offsets of a TxnOffsetCommit), as Kafka's coordinator origin.
	case epoch > e.epoch:
		if first != 0 && e.epoch != noEpoch {
			return dup, false, fmt.Errorf("%w: producer %d new epoch %d must start at sequence 0, got %d", ErrOutOfOrderSequence, pid, epoch, first)
		}
	default:
		last := e.lastSeq()
		if last != -1 && first != record.IncrementSequence(last, 1) {
			return dup, false, fmt.Errorf("%w: producer %d epoch %d expected sequence %d, got %d", ErrOutOfOrderSequence, pid, epoch, record.IncrementSequence(last, 1), first)
		}
	}
	return dup, false, nil
}

// update records an appended batch. A transaction marker ends the
// producer's ongoing transaction: the transaction is returned (ok).
func (s *producerState) update(b record.Batch) (txn completedTxn, ok bool) {
	pid := b.ProducerID()
	if pid < 0 {
		return txn, false
	}
	e := s.entries[pid]
	if e == nil {
		e = newEntry()
		s.entries[pid] = e
	}
	if b.ProducerEpoch() != e.epoch {
		e.epoch = b.ProducerEpoch()
		e.batches = e.batches[:0]
	}
	e.lastTimestamp = b.MaxTimestamp()
	if b.IsControl() {
		return s.completeTxn(pid, e, b)
	}
	if b.IsTransactional() && e.currentTxnFirstOffset < 0 {
		e.currentTxnFirstOffset = b.BaseOffset()
		s.ongoing[pid] = b.BaseOffset()
	}
	if b.BaseSequence() < 0 {
		return txn, false
	}
	if len(e.batches) == maxBatchesPerProducer {
		e.batches = append(e.batches[:0], e.batches[1:]...)
	}
	e.batches = append(e.batches, batchMeta{
		firstSeq: b.BaseSequence(), lastSeq: b.LastSequence(),
		firstOffset: b.BaseOffset(), lastOffset: b.LastOffset(), maxTimestamp: b.MaxTimestamp(),
	})
	return txn, false
}

// Snapshot layout (Kafka's producer snapshot v1, big endian):
//
//	version int16 (1) | crc uint32 (CRC32C of everything after it) |
//	count int32 | count × entry
//	entry: producerId int64 | producerEpoch int16 | lastSequence int32 |
//	       lastOffset int64 | offsetDelta int32 | timestamp int64 |
//	       coordinatorEpoch int32 | currentTxnFirstOffset int64
//
// Only each producer's last batch is kept, as in Kafka.
const (
	snapshotVersion   = 1
	snapshotEntrySize = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (s *producerState) encode() []byte {
	buf := make([]byte, 10, 10+len(s.entries)*snapshotEntrySize)
	binary.BigEndian.PutUint16(buf, snapshotVersion)
	binary.BigEndian.PutUint32(buf[6:], uint32(len(s.entries)))
	for pid, e := range s.entries {
		var m batchMeta
		if len(e.batches) > 0 {
			m = e.batches[len(e.batches)-1]
		} else {
			m = batchMeta{firstSeq: -1, lastSeq: -1, firstOffset: -1, lastOffset: -1, maxTimestamp: -1}
		}
		buf = binary.BigEndian.AppendUint64(buf, uint64(pid))
		buf = binary.BigEndian.AppendUint16(buf, uint16(e.epoch))
		buf = binary.BigEndian.AppendUint32(buf, uint32(m.lastSeq))
		buf = binary.BigEndian.AppendUint64(buf, uint64(m.lastOffset))
		buf = binary.BigEndian.AppendUint32(buf, uint32(m.lastOffset-m.firstOffset))
		buf = binary.BigEndian.AppendUint64(buf, uint64(e.lastTimestamp))
		buf = binary.BigEndian.AppendUint32(buf, uint32(e.coordinatorEpoch))
		buf = binary.BigEndian.AppendUint64(buf, uint64(e.currentTxnFirstOffset))
	}
	binary.BigEndian.PutUint32(buf[2:], crc32.Checksum(buf[6:], castagnoli))
	return buf
}

var errBadSnapshot = errors.New("producer snapshot is corrupt")

func decodeProducerState(buf []byte) (*producerState, error) {
	if len(buf) < 10 || binary.BigEndian.Uint16(buf) != snapshotVersion {
		return nil, errBadSnapshot
	}
	if crc32.Checksum(buf[6:], castagnoli) != binary.BigEndian.Uint32(buf[2:]) {
		return nil, errBadSnapshot
	}
	n := int(binary.BigEndian.Uint32(buf[6:]))
	body := buf[10:]
	if n < 0 || n*snapshotEntrySize != len(body) {
		return nil, errBadSnapshot
	}
	s := newProducerState()
	for i := 0; i < n; i++ {
		b := body[i*snapshotEntrySize:]
		pid := int64(binary.BigEndian.Uint64(b))
		e := &producerEntry{epoch: int16(binary.BigEndian.Uint16(b[8:])),
			coordinatorEpoch:      int32(binary.BigEndian.Uint32(b[34:])),
			currentTxnFirstOffset: int64(binary.BigEndian.Uint64(b[38:])),
			lastTimestamp:         int64(binary.BigEndian.Uint64(b[26:]))}
		lastSeq := int32(binary.BigEndian.Uint32(b[10:]))
		lastOffset := int64(binary.BigEndian.Uint64(b[14:]))
		delta := int32(binary.BigEndian.Uint32(b[22:]))
		ts := int64(binary.BigEndian.Uint64(b[26:]))
		if lastSeq >= 0 {
			e.batches = []batchMeta{{
				firstSeq: decrementSequence(lastSeq, delta), lastSeq: lastSeq,
				firstOffset: lastOffset - int64(delta), lastOffset: lastOffset, maxTimestamp: ts,
			}}
		}
		s.entries[pid] = e
		if e.currentTxnFirstOffset >= 0 {
			s.ongoing[pid] = e.currentTxnFirstOffset
		}
	}
	return s, nil
}

// decrementSequence is the inverse of record.IncrementSequence.
func decrementSequence(seq, dec int32) int32 {
	if seq >= dec {
		return seq - dec
	}
	return math.MaxInt32 - (dec - seq) + 1
}

// expire forgets the producers without an ongoing transaction whose last
// batch's timestamp is at least afterMs before nowMs (one with no batch
// has Kafka's NO_TIMESTAMP, -1), as Kafka's removeExpiredProducers does;
// it returns how many.
func (s *producerState) expire(nowMs, afterMs int64) int {
	n := 0
	for pid, e := range s.entries {
		if e.currentTxnFirstOffset < 0 && nowMs-e.lastTimestamp >= afterMs {
			delete(s.entries, pid)
			n++
		}
	}
	return n
}
