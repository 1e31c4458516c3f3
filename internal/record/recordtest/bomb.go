// Package recordtest builds record batches that tests of several layers
// need and that record.Build cannot make: decompression bombs, whose
// records would not fit in memory.
package recordtest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"gregor/internal/record"
)

// Bomb returns a batch of one record at offset 0 with timestamp ts, key
// key (nil: no key) and a value of valueSize zero bytes, compressed with
// codec as a stream, so that building it never holds the value. Snappy is
// framed as Java's snappy-java does (xerial), in 1 MiB blocks.
func Bomb(codec record.Codec, key []byte, valueSize int64, ts int64) (record.Batch, error) {
	var body bytes.Buffer
	w, err := compressor(codec, &body)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(recordPrefix(key, valueSize)); err != nil {
		return nil, err
	}
	if err := writeZeros(w, valueSize); err != nil {
		return nil, err
	}
	if _, err := w.Write([]byte{0}); err != nil { // no headers
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return assemble(codec, body.Bytes(), ts), nil
}

// recordPrefix is the record's encoding up to its value's bytes.
func recordPrefix(key []byte, valueSize int64) []byte {
	var fields []byte
	fields = append(fields, 0)              // attributes
	fields = binary.AppendVarint(fields, 0) // timestamp delta
	fields = binary.AppendVarint(fields, 0) // offset delta
	if key == nil {
		fields = binary.AppendVarint(fields, -1)
	} else {
		fields = binary.AppendVarint(fields, int64(len(key)))
		fields = append(fields, key...)
	}
	fields = binary.AppendVarint(fields, valueSize)
	length := int64(len(fields)) + valueSize + 1 // + header count
	return append(binary.AppendVarint(nil, length), fields...)
}

func writeZeros(w io.Writer, n int64) error {
	zeros := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, int64(len(zeros)))
		if _, err := w.Write(zeros[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

func compressor(codec record.Codec, w io.Writer) (io.WriteCloser, error) {
	switch codec {
	case record.CodecGzip:
		return gzip.NewWriterLevel(w, gzip.BestSpeed)
	case record.CodecSnappy:
		return newXerialWriter(w), nil
	case record.CodecLZ4:
		return lz4.NewWriter(w), nil
	case record.CodecZstd:
		return zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
	}
	return nil, fmt.Errorf("no bomb for codec %s", codec)
}

// xerialWriter frames snappy blocks as snappy-java's SnappyOutputStream.
type xerialWriter struct {
	w   io.Writer
	buf []byte
	err error
}

func newXerialWriter(w io.Writer) *xerialWriter {
	x := &xerialWriter{w: w}
	_, x.err = w.Write([]byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1})
	return x
}

func (x *xerialWriter) Write(p []byte) (int, error) {
	x.buf = append(x.buf, p...)
	for len(x.buf) >= 1<<20 && x.err == nil {
		x.flush(x.buf[:1<<20])
		x.buf = append(x.buf[:0], x.buf[1<<20:]...)
	}
	return len(p), x.err
}

func (x *xerialWriter) flush(block []byte) {
	enc := snappy.Encode(nil, block)
	if x.err == nil {
		_, x.err = x.w.Write(binary.BigEndian.AppendUint32(nil, uint32(len(enc))))
	}
	if x.err == nil {
		_, x.err = x.w.Write(enc)
	}
}

func (x *xerialWriter) Close() error {
	if len(x.buf) > 0 {
		x.flush(x.buf)
	}
	return x.err
}

// Header field positions of record batch v2.
const (
	headerSize  = 61
	offLength   = 8
	offCRC      = 17
	offAttrs    = 21
	offBaseTs   = 27
	offMaxTs    = 35
	offProducer = 43
	offCount    = 57
)

// assemble puts a v2 header in front of a compressed body of one record.
func assemble(codec record.Codec, body []byte, ts int64) record.Batch {
	b := make([]byte, headerSize, headerSize+len(body))
	be := binary.BigEndian
	be.PutUint32(b[offLength:], uint32(headerSize-12+len(body)))
	b[16] = 2 // magic
	be.PutUint16(b[offAttrs:], uint16(codec))
	be.PutUint64(b[offBaseTs:], uint64(ts))
	be.PutUint64(b[offMaxTs:], uint64(ts))
	be.PutUint64(b[offProducer:], ^uint64(0))    // producer id -1
	be.PutUint16(b[offProducer+8:], 0xffff)      // producer epoch -1
	be.PutUint32(b[offProducer+10:], ^uint32(0)) // base sequence -1
	be.PutUint32(b[offCount:], 1)
	b = append(b, body...)
	be.PutUint32(b[offCRC:], crc32.Checksum(b[offAttrs:], crc32.MakeTable(crc32.Castagnoli)))
	return record.Batch(b)
}
