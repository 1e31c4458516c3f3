package record

import (
	"encoding/binary"
	"fmt"
)

// minRecordSize is the smallest encoded record: length, attributes,
// timestampDelta, offsetDelta, keyLength, valueLength, headerCount, one byte each.
const minRecordSize = 7

// Validate checks the header of one batch without decompressing: framing,
// magic, CRC32C, codec, and counts that are consistent with the offsets it
// spans. Compacted batches may have gaps, so recordsCount may be smaller than
// lastOffsetDelta+1; ValidateProduce adds the stricter producer rules.
func (b Batch) Validate() error {
	if err := b.validateFraming(); err != nil {
		return err
	}
	if got, want := b.ComputeCRC(), b.CRC(); got != want {
		return fmt.Errorf("%w: computed %#08x, stored %#08x", ErrCorrupt, got, want)
	}
	return b.validateFields()
}

// ValidateProduce is Validate plus the rules for a batch fresh from a
// producer: at least one record and lastOffsetDelta == recordsCount-1.
func (b Batch) ValidateProduce() error {
	if err := b.Validate(); err != nil {
		return err
	}
	n := b.NumRecords()
	if n == 0 || b.LastOffsetDelta() != n-1 {
		return fmt.Errorf("%w: %d records but lastOffsetDelta %d", ErrInvalid, n, b.LastOffsetDelta())
	}
	return nil
}

func (b Batch) validateFraming() error {
	if len(b) < HeaderSize {
		return fmt.Errorf("%w: %d bytes, shorter than a header", ErrInvalid, len(b))
	}
	if l := int64(b.BatchLength()) + lengthFieldEnd; l != int64(len(b)) {
		return fmt.Errorf("%w: batchLength says %d bytes, have %d", ErrInvalid, l, len(b))
	}
	if m := b.Magic(); m != currentMagic {
		return fmt.Errorf("%w: %d", ErrUnsupportedMagic, m)
	}
	return nil
}

func (b Batch) validateFields() error {
	if c := b.Codec(); !c.valid() {
		return fmt.Errorf("%w: unknown codec %d", ErrInvalid, c)
	}
	n, delta := b.NumRecords(), b.LastOffsetDelta()
	if n < 0 || delta < 0 || int64(n) > int64(delta)+1 {
		return fmt.Errorf("%w: %d records, lastOffsetDelta %d", ErrInvalid, n, delta)
	}
	if b.Codec() == CodecNone && int64(n)*minRecordSize > int64(len(b)-HeaderSize) {
		return fmt.Errorf("%w: %d records cannot fit in %d bytes", ErrInvalid, n, len(b)-HeaderSize)
	}
	return nil
}

// FrameLength reports the total size of the batch that starts buf, read from
// its length field, or an error if buf is too short to tell or the length is
// impossible. It does not check that buf holds the whole batch.
func FrameLength(buf []byte) (int, error) {
	if len(buf) < lengthFieldEnd {
		return 0, fmt.Errorf("%w: %d bytes left, truncated batch header", ErrInvalid, len(buf))
	}
	l := int64(int32(binary.BigEndian.Uint32(buf[offBatchLength:]))) + lengthFieldEnd
	if l < HeaderSize {
		return 0, fmt.Errorf("%w: batchLength %d below header size", ErrInvalid, l-lengthFieldEnd)
	}
	return int(l), nil
}

// Split cuts concatenated batches (a Produce request's records, a segment
// read) into batches that alias buf. It checks only framing; call Validate on
// each batch. On a truncated or malformed frame it returns the batches before
// it and an error wrapping ErrInvalid.
func Split(buf []byte) ([]Batch, error) {
	var out []Batch
	for len(buf) > 0 {
		n, err := FrameLength(buf)
		if err != nil {
			return out, err
		}
		if n > len(buf) {
			return out, fmt.Errorf("%w: batch of %d bytes truncated to %d", ErrInvalid, n, len(buf))
		}
		out = append(out, Batch(buf[:n:n]))
		buf = buf[n:]
	}
	return out, nil
}
