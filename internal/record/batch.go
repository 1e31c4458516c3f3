package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

// HeaderSize is the size of a v2 batch header; records start here.
const HeaderSize = 61

// Field positions in the batch header.
const (
	offBaseOffset      = 0
	offBatchLength     = 8
	offLeaderEpoch     = 12
	offMagic           = 16
	offCRC             = 17
	offAttributes      = 21
	offLastOffsetDelta = 23
	offBaseTimestamp   = 27
	offMaxTimestamp    = 35
	offProducerID      = 43
	offProducerEpoch   = 51
	offBaseSequence    = 53
	offRecordsCount    = 57

	// lengthFieldEnd is where batchLength starts counting.
	lengthFieldEnd = 12
)

// Attribute bits.
const (
	codecMask              = 0x07
	attrLogAppendTime      = 0x08
	attrTransactional      = 0x10
	attrControl            = 0x20
	attrDeleteHorizon      = 0x40
	currentMagic      int8 = 2
)

var (
	// ErrCorrupt reports a CRC mismatch (Kafka: CORRUPT_MESSAGE).
	ErrCorrupt = errors.New("record batch CRC mismatch")
	// ErrInvalid reports a malformed batch structure (Kafka: INVALID_RECORD or CORRUPT_MESSAGE).
	ErrInvalid = errors.New("invalid record batch")
	// ErrBadRecord reports a record that is not what its batch says: its
	// fields do not end where its length does, or the records end before
	// or after the batch's count (Kafka: INVALID_RECORD). It wraps
	// ErrInvalid.
	ErrBadRecord = fmt.Errorf("%w: malformed record", ErrInvalid)
	// ErrInflated reports a compressed batch that inflates past
	// MaxUncompressedBytes; it comes wrapped with ErrInvalid.
	ErrInflated = errors.New("inflates past the limit")
	// ErrUnsupportedMagic reports a batch in a format other than v2.
	ErrUnsupportedMagic = errors.New("unsupported record batch magic")
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Batch is exactly one record batch, header and records, as received. Its
// methods other than Validate assume at least HeaderSize bytes (call Validate
// or Split first). A Batch is not safe for concurrent mutation.
type Batch []byte

func (b Batch) i16(off int) int16 { return int16(binary.BigEndian.Uint16(b[off:])) }
func (b Batch) i32(off int) int32 { return int32(binary.BigEndian.Uint32(b[off:])) }
func (b Batch) i64(off int) int64 { return int64(binary.BigEndian.Uint64(b[off:])) }

// BaseOffset is the offset of the first record.
func (b Batch) BaseOffset() int64 { return b.i64(offBaseOffset) }

// SetBaseOffset patches the base offset (outside the CRC).
func (b Batch) SetBaseOffset(o int64) { binary.BigEndian.PutUint64(b[offBaseOffset:], uint64(o)) }

// BatchLength is the length field: the number of bytes after it.
func (b Batch) BatchLength() int32 { return b.i32(offBatchLength) }

// LastOffsetDelta is the offset of the last record relative to BaseOffset.
func (b Batch) LastOffsetDelta() int32 { return b.i32(offLastOffsetDelta) }

// LastOffset is the offset of the last record (kept even if compaction removed it).
func (b Batch) LastOffset() int64 { return b.BaseOffset() + int64(b.LastOffsetDelta()) }

// NextOffset is LastOffset+1.
func (b Batch) NextOffset() int64 { return b.LastOffset() + 1 }

// PartitionLeaderEpoch is the leader epoch stamped by the broker on append.
func (b Batch) PartitionLeaderEpoch() int32 { return b.i32(offLeaderEpoch) }

// SetPartitionLeaderEpoch patches the leader epoch (outside the CRC).
func (b Batch) SetPartitionLeaderEpoch(e int32) {
	binary.BigEndian.PutUint32(b[offLeaderEpoch:], uint32(e))
}

// Magic is the format version; only 2 is supported.
func (b Batch) Magic() int8 { return int8(b[offMagic]) }

// CRC is the stored CRC32C of bytes [21, end).
func (b Batch) CRC() uint32 { return binary.BigEndian.Uint32(b[offCRC:]) }

// ComputeCRC computes the CRC32C the batch should carry.
func (b Batch) ComputeCRC() uint32 { return crc32.Checksum(b[offAttributes:], castagnoli) }

// Attributes is the raw attributes field.
func (b Batch) Attributes() int16 { return b.i16(offAttributes) }

// Codec is the compression codec of the records.
func (b Batch) Codec() Codec { return Codec(b.Attributes() & codecMask) }

// IsTransactional reports the transactional bit.
func (b Batch) IsTransactional() bool { return b.Attributes()&attrTransactional != 0 }

// IsControl reports whether the batch holds control records (transaction markers).
func (b Batch) IsControl() bool { return b.Attributes()&attrControl != 0 }

// LogAppendTime reports whether timestamps are the broker's append time.
func (b Batch) LogAppendTime() bool { return b.Attributes()&attrLogAppendTime != 0 }

// HasDeleteHorizon reports whether baseTimestamp is a compaction delete horizon.
func (b Batch) HasDeleteHorizon() bool { return b.Attributes()&attrDeleteHorizon != 0 }

// DeleteHorizonMs is the time after which the log cleaner may remove the
// batch's tombstones (KIP-534), when the batch has one.
func (b Batch) DeleteHorizonMs() (int64, bool) {
	if !b.HasDeleteHorizon() {
		return 0, false
	}
	return b.BaseTimestamp(), true
}

// BaseTimestamp is the timestamp that record timestamp deltas are relative to.
func (b Batch) BaseTimestamp() int64 { return b.i64(offBaseTimestamp) }

// MaxTimestamp is the largest record timestamp (or the append time).
func (b Batch) MaxTimestamp() int64 { return b.i64(offMaxTimestamp) }

// ProducerID is the idempotent producer id, -1 if none.
func (b Batch) ProducerID() int64 { return b.i64(offProducerID) }

// ProducerEpoch is the producer epoch, -1 if none.
func (b Batch) ProducerEpoch() int16 { return b.i16(offProducerEpoch) }

// BaseSequence is the sequence number of the first record, -1 if none.
func (b Batch) BaseSequence() int32 { return b.i32(offBaseSequence) }

// LastSequence is the sequence of the last record, wrapping past MaxInt32 to
// 0 as Kafka does; -1 if the batch has no sequence.
func (b Batch) LastSequence() int32 {
	base := b.BaseSequence()
	if base == -1 {
		return -1
	}
	return IncrementSequence(base, b.LastOffsetDelta())
}

// IncrementSequence adds inc to seq, wrapping past MaxInt32 to 0 (Kafka's
// DefaultRecordBatch.incrementSequence).
func IncrementSequence(seq, inc int32) int32 {
	if seq > math.MaxInt32-inc {
		return inc - (math.MaxInt32 - seq) - 1
	}
	return seq + inc
}

// NumRecords is the recordsCount field.
func (b Batch) NumRecords() int32 { return b.i32(offRecordsCount) }

// SetLogAppendTime stamps the batch with the broker's append time as Kafka
// does: it sets the timestamp-type bit and maxTimestamp (baseTimestamp and the
// record deltas stay), then recomputes the CRC.
func (b Batch) SetLogAppendTime(ts int64) {
	attrs := uint16(b.Attributes()) | attrLogAppendTime
	binary.BigEndian.PutUint16(b[offAttributes:], attrs)
	binary.BigEndian.PutUint64(b[offMaxTimestamp:], uint64(ts))
	b.updateCRC()
}

// SetMaxTimestamp sets the batch's maxTimestamp and recomputes the CRC.
func (b Batch) SetMaxTimestamp(ts int64) {
	binary.BigEndian.PutUint64(b[offMaxTimestamp:], uint64(ts))
	b.updateCRC()
}

// EmptyCopy returns the header of b without records, as Kafka's cleaner
// writes a batch whose records it removed but whose offsets or producer
// state it must keep: the same base and last offset, leader epoch, producer
// id, epoch and base sequence, timestamp type, transactional and control
// bits and max timestamp; no codec, base timestamp -1, zero records.
func (b Batch) EmptyCopy() Batch {
	e := make(Batch, HeaderSize)
	copy(e, b[:HeaderSize])
	be := binary.BigEndian
	be.PutUint32(e[offBatchLength:], HeaderSize-lengthFieldEnd)
	attrs := uint16(b.Attributes()) & (attrLogAppendTime | attrTransactional | attrControl)
	be.PutUint16(e[offAttributes:], attrs)
	be.PutUint64(e[offBaseTimestamp:], math.MaxUint64) // -1: no timestamp
	be.PutUint32(e[offRecordsCount:], 0)
	e.updateCRC()
	return e
}

func (b Batch) updateCRC() { binary.BigEndian.PutUint32(b[offCRC:], b.ComputeCRC()) }
