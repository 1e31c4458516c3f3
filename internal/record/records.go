package record

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Header is a record header.
type Header struct {
	Key   string
	Value []byte
}

// Record is one decoded record. Key and Value are nil when their length is -1.
type Record struct {
	Offset    int64 // absolute: BaseOffset + offsetDelta
	Timestamp int64 // absolute: BaseTimestamp + timestampDelta
	Key       []byte
	Value     []byte
	Headers   []Header
}

// Records decompresses and decodes every record of a validated batch. It is
// for compaction, tools and tests, not the hot paths. Key, Value and header
// values alias the decompressed buffer (or the batch when uncompressed).
func (b Batch) Records() ([]Record, error) {
	var out []Record
	err := b.EachRecord(func(r Record) error {
		if out == nil {
			out = make([]Record, 0, b.NumRecords())
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []Record{}
	}
	return out, nil
}

// EachRecord decompresses a validated batch and decodes its records one
// at a time, calling fn with each until it returns an error, which
// EachRecord returns. Nothing is collected: for an uncompressed batch
// only headers allocate, so the produce path may look inside (schema
// validation). Key, Value and header values alias the decompressed
// buffer (or the batch when uncompressed).
func (b Batch) EachRecord(fn func(Record) error) error {
	if err := b.validateFraming(); err != nil {
		return err
	}
	if err := b.validateFields(); err != nil {
		return err
	}
	data, err := decompress(b.Codec(), b[HeaderSize:])
	if err != nil {
		return err
	}
	n := int(b.NumRecords())
	if n > len(data)/minRecordSize {
		return fmt.Errorf("%w: %d records cannot fit in %d bytes", ErrInvalid, n, len(data))
	}
	d := decoder{buf: data}
	for i := range n {
		r, err := d.record(b.BaseOffset(), b.BaseTimestamp())
		if err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
		if b.LogAppendTime() { // every record carries the broker's append time
			r.Timestamp = b.MaxTimestamp()
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if len(d.buf) != 0 {
		return fmt.Errorf("%w: %d bytes after the last record", ErrInvalid, len(d.buf))
	}
	return nil
}

// decoder consumes varint-framed record fields from buf. The first error
// sticks; later reads return zero values.
type decoder struct {
	buf []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
	}
	d.buf = nil
}

func (d *decoder) varlong() int64 {
	if len(d.buf) > 0 && d.buf[0] < 0x80 { // one byte: most lengths, deltas and counts
		c := d.buf[0]
		d.buf = d.buf[1:]
		return int64(c>>1) ^ -int64(c&1)
	}
	v, n := binary.Varint(d.buf)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) varint() int32 {
	v := d.varlong()
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.fail("varint %d out of int32 range", v)
		return 0
	}
	return int32(v)
}

func (d *decoder) int8() int8 {
	if len(d.buf) < 1 {
		d.fail("truncated")
		return 0
	}
	v := int8(d.buf[0])
	d.buf = d.buf[1:]
	return v
}

// bytes reads a varint length and that many bytes; -1 yields nil.
func (d *decoder) bytes() []byte {
	n := d.varint()
	if n == -1 || d.err != nil {
		return nil
	}
	if n < 0 || int(n) > len(d.buf) {
		d.fail("length %d with %d bytes left", n, len(d.buf))
		return nil
	}
	v := d.buf[:n:n]
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) record(baseOffset, baseTimestamp int64) (Record, error) {
	body, err := d.next()
	if err != nil {
		return Record{}, err
	}
	r := body.recordBody(baseOffset, baseTimestamp)
	return r, body.end()
}

// next cuts the next record, by its length, into a decoder of its body.
func (d *decoder) next() (decoder, error) {
	length := d.varint()
	if d.err == nil && (length < 0 || int(length) > len(d.buf)) {
		d.fail("record length %d with %d bytes left", length, len(d.buf))
	}
	if d.err != nil {
		return decoder{}, d.err
	}
	body := decoder{buf: d.buf[:length]}
	d.buf = d.buf[length:]
	return body, nil
}

// end is the error of a record body's decoding, or of bytes left in it.
func (d *decoder) end() error {
	if d.err == nil && len(d.buf) != 0 {
		d.fail("%d bytes left in record", len(d.buf))
	}
	return d.err
}

// fields decodes a record body up to its headers: the count of those
// that follow.
func (d *decoder) fields(baseOffset, baseTimestamp int64) (ts, offset int64, key, value []byte, headers int) {
	d.int8() // attributes: unused in v2
	ts = baseTimestamp + d.varlong()
	offset = baseOffset + int64(d.varint())
	key, value = d.bytes(), d.bytes()
	count := d.varint()
	if count < 0 || int(count) > len(d.buf)/2 {
		d.fail("%d headers in %d bytes", count, len(d.buf))
		return ts, offset, key, value, 0
	}
	return ts, offset, key, value, int(count)
}

// headerKey reads a header's key, which may not be null.
func (d *decoder) headerKey() []byte {
	key := d.bytes()
	if key == nil && d.err == nil {
		d.fail("null header key")
	}
	return key
}

// recordHead decodes a record body as recordBody does, without keeping
// its value or headers (nothing allocates).
func (d *decoder) recordHead(baseOffset, baseTimestamp int64) RecordHead {
	ts, offset, key, value, headers := d.fields(baseOffset, baseTimestamp)
	h := RecordHead{Offset: offset, Timestamp: ts, Key: key, ValueLen: -1}
	if value != nil {
		h.ValueLen = int32(len(value))
	}
	for range headers {
		d.headerKey()
		d.bytes()
	}
	return h
}

func (d *decoder) recordBody(baseOffset, baseTimestamp int64) Record {
	var r Record
	var headers int
	r.Timestamp, r.Offset, r.Key, r.Value, headers = d.fields(baseOffset, baseTimestamp)
	if headers > 0 {
		r.Headers = make([]Header, headers)
	}
	for i := range r.Headers {
		r.Headers[i] = Header{Key: string(d.headerKey()), Value: d.bytes()}
	}
	return r
}
