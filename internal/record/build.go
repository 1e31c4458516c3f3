package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// BatchSpec describes a batch for Build. Records get consecutive offsets
// from BaseOffset (Record.Offset is ignored unless OffsetDeltas); their
// timestamps are absolute. ProducerID, ProducerEpoch and BaseSequence are
// written as given: a non-idempotent producer's batch needs -1 in all three.
type BatchSpec struct {
	BaseOffset           int64
	PartitionLeaderEpoch int32
	ProducerID           int64
	ProducerEpoch        int16
	BaseSequence         int32
	Transactional        bool
	Control              bool
	Codec                Codec
	// Level is the compression level of Codec on Kafka's scale for it
	// (compression.gzip.level, compression.lz4.level,
	// compression.zstd.level); 0: the codec's default.
	Level   int
	Records []Record

	// The fields below rebuild a batch that compaction thinned out, as
	// Kafka's cleaner does. OffsetDeltas keeps each record's offset
	// (Record.Offset - BaseOffset, increasing) instead of numbering them
	// 0..n-1. LastOffsetDelta, when larger than the last record's delta,
	// keeps the original batch's last offset, and with it the producer's
	// last sequence.
	OffsetDeltas    bool
	LastOffsetDelta int32
	// DeleteHorizon stores DeleteHorizonMs as the base timestamp with
	// attribute bit 6 (KIP-534): the time after which the cleaner may drop
	// the batch's tombstones. Record timestamps stay absolute.
	DeleteHorizon   bool
	DeleteHorizonMs int64
	// LogAppendTime sets the timestamp-type bit; the records then all carry
	// the append time, which becomes the max timestamp.
	LogAppendTime bool
}

// Build encodes a valid batch with a correct CRC, compressing with the codec.
func Build(spec BatchSpec) (Batch, error) {
	if len(spec.Records) == 0 {
		return nil, errors.New("build batch: no records")
	}
	if !spec.Codec.valid() {
		return nil, fmt.Errorf("build batch: %w: unknown codec %d", ErrInvalid, spec.Codec)
	}
	if err := spec.checkOffsetDeltas(); err != nil {
		return nil, err
	}
	var b Batch
	if spec.Codec == CodecNone { // the records go straight after the header
		b = spec.appendRecords(make(Batch, HeaderSize, HeaderSize+spec.sizeEstimate()))
	} else {
		body := spec.appendRecords(make([]byte, 0, spec.sizeEstimate()))
		var err error
		if b, err = compress(spec.Codec, spec.Level, make(Batch, HeaderSize, HeaderSize+len(body)/2), body); err != nil {
			return nil, fmt.Errorf("build batch: %w", err)
		}
	}
	spec.putHeader(b, len(b)-HeaderSize)
	b.updateCRC()
	return b, nil
}

// sizeEstimate is about the encoded size of the records: their bytes and
// the varints that frame them, so that they are written into one
// allocation.
func (spec BatchSpec) sizeEstimate() int {
	n := 0
	for _, r := range spec.Records {
		n += 24 + len(r.Key) + len(r.Value)
		for _, h := range r.Headers {
			n += 10 + len(h.Key) + len(h.Value)
		}
	}
	return n
}

// checkOffsetDeltas refuses explicit offsets that a batch cannot carry.
func (spec BatchSpec) checkOffsetDeltas() error {
	if !spec.OffsetDeltas {
		return nil
	}
	prev := int64(-1)
	for _, r := range spec.Records {
		d := r.Offset - spec.BaseOffset
		if d <= prev || d > math.MaxInt32 {
			return fmt.Errorf("build batch: %w: record offset %d after delta %d from base %d", ErrInvalid, r.Offset, prev, spec.BaseOffset)
		}
		prev = d
	}
	return nil
}

// offsetDelta is the offset delta of record i.
func (spec BatchSpec) offsetDelta(i int) int64 {
	if spec.OffsetDeltas {
		return spec.Records[i].Offset - spec.BaseOffset
	}
	return int64(i)
}

func (spec BatchSpec) lastOffsetDelta() int32 {
	return max(int32(spec.offsetDelta(len(spec.Records)-1)), spec.LastOffsetDelta)
}

// baseTimestamp is what record timestamp deltas are relative to.
func (spec BatchSpec) baseTimestamp() int64 {
	if spec.DeleteHorizon {
		return spec.DeleteHorizonMs
	}
	lo, _ := timestampRange(spec.Records)
	return lo
}

func (spec BatchSpec) putHeader(b Batch, bodyLen int) {
	be := binary.BigEndian
	_, maxTs := timestampRange(spec.Records)
	be.PutUint64(b[offBaseOffset:], uint64(spec.BaseOffset))
	be.PutUint32(b[offBatchLength:], uint32(HeaderSize-lengthFieldEnd+bodyLen))
	be.PutUint32(b[offLeaderEpoch:], uint32(spec.PartitionLeaderEpoch))
	b[offMagic] = byte(currentMagic)
	be.PutUint16(b[offAttributes:], uint16(spec.attributes()))
	be.PutUint32(b[offLastOffsetDelta:], uint32(spec.lastOffsetDelta()))
	be.PutUint64(b[offBaseTimestamp:], uint64(spec.baseTimestamp()))
	be.PutUint64(b[offMaxTimestamp:], uint64(maxTs))
	be.PutUint64(b[offProducerID:], uint64(spec.ProducerID))
	be.PutUint16(b[offProducerEpoch:], uint16(spec.ProducerEpoch))
	be.PutUint32(b[offBaseSequence:], uint32(spec.BaseSequence))
	be.PutUint32(b[offRecordsCount:], uint32(len(spec.Records)))
}

func (spec BatchSpec) attributes() int16 {
	a := int16(spec.Codec)
	if spec.Transactional {
		a |= attrTransactional
	}
	if spec.Control {
		a |= attrControl
	}
	if spec.DeleteHorizon {
		a |= attrDeleteHorizon
	}
	if spec.LogAppendTime {
		a |= attrLogAppendTime
	}
	return a
}

func timestampRange(rs []Record) (lo, hi int64) {
	lo, hi = math.MaxInt64, math.MinInt64
	for _, r := range rs {
		lo, hi = min(lo, r.Timestamp), max(hi, r.Timestamp)
	}
	return lo, hi
}

// appendRecords encodes the records with their offset deltas and timestamp
// deltas relative to the base timestamp.
func (spec BatchSpec) appendRecords(dst []byte) []byte {
	base := spec.baseTimestamp()
	var body []byte
	for i, r := range spec.Records {
		body = body[:0]
		body = append(body, 0) // attributes
		body = binary.AppendVarint(body, r.Timestamp-base)
		body = binary.AppendVarint(body, spec.offsetDelta(i))
		body = appendBytes(body, r.Key)
		body = appendBytes(body, r.Value)
		body = binary.AppendVarint(body, int64(len(r.Headers)))
		for _, h := range r.Headers {
			body = appendBytes(body, []byte(h.Key))
			body = appendBytes(body, h.Value)
		}
		dst = binary.AppendVarint(dst, int64(len(body)))
		dst = append(dst, body...)
	}
	return dst
}

func appendBytes(dst, v []byte) []byte {
	if v == nil {
		return binary.AppendVarint(dst, -1)
	}
	return append(binary.AppendVarint(dst, int64(len(v))), v...)
}
