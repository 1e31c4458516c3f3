package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// BatchSpec describes a batch for Build. Records get consecutive offsets
// from BaseOffset (Record.Offset is ignored); their timestamps are absolute.
// ProducerID, ProducerEpoch and BaseSequence are written as given: a
// non-idempotent producer's batch needs -1 in all three.
type BatchSpec struct {
	BaseOffset           int64
	PartitionLeaderEpoch int32
	ProducerID           int64
	ProducerEpoch        int16
	BaseSequence         int32
	Transactional        bool
	Control              bool
	Codec                Codec
	Records              []Record
}

// Build encodes a valid batch with a correct CRC, compressing with the codec.
func Build(spec BatchSpec) (Batch, error) {
	if len(spec.Records) == 0 {
		return nil, errors.New("build batch: no records")
	}
	if !spec.Codec.valid() {
		return nil, fmt.Errorf("build batch: %w: unknown codec %d", ErrInvalid, spec.Codec)
	}
	body := appendRecords(nil, spec.Records)
	body, err := compress(spec.Codec, body)
	if err != nil {
		return nil, fmt.Errorf("build batch: %w", err)
	}
	b := make(Batch, HeaderSize, HeaderSize+len(body))
	spec.putHeader(b, len(body))
	b = append(b, body...)
	b.updateCRC()
	return b, nil
}

func (spec BatchSpec) putHeader(b Batch, bodyLen int) {
	be := binary.BigEndian
	minTs, maxTs := timestampRange(spec.Records)
	be.PutUint64(b[offBaseOffset:], uint64(spec.BaseOffset))
	be.PutUint32(b[offBatchLength:], uint32(HeaderSize-lengthFieldEnd+bodyLen))
	be.PutUint32(b[offLeaderEpoch:], uint32(spec.PartitionLeaderEpoch))
	b[offMagic] = byte(currentMagic)
	be.PutUint16(b[offAttributes:], uint16(spec.attributes()))
	be.PutUint32(b[offLastOffsetDelta:], uint32(len(spec.Records)-1))
	be.PutUint64(b[offBaseTimestamp:], uint64(minTs))
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
	return a
}

func timestampRange(rs []Record) (lo, hi int64) {
	lo, hi = math.MaxInt64, math.MinInt64
	for _, r := range rs {
		lo, hi = min(lo, r.Timestamp), max(hi, r.Timestamp)
	}
	return lo, hi
}

// appendRecords encodes records with offset deltas 0..n-1 and timestamp
// deltas relative to the smallest timestamp.
func appendRecords(dst []byte, rs []Record) []byte {
	base, _ := timestampRange(rs)
	var body []byte
	for i, r := range rs {
		body = body[:0]
		body = append(body, 0) // attributes
		body = binary.AppendVarint(body, r.Timestamp-base)
		body = binary.AppendVarint(body, int64(i))
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
