package record

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// MaxUncompressedBytes caps what one batch may decompress to, so that a small
// compressed batch cannot make the broker allocate without bound.
var MaxUncompressedBytes = 128 << 20

// xerialMagic opens snappy data framed by Java's snappy-java
// (SnappyOutputStream): magic, version int32, compatible version int32, then
// blocks of int32 length + raw snappy block.
var xerialMagic = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

const xerialHeaderSize = 16

// zstdEncoders holds one encoder per speed of the zstd library, made on
// first use; an encoder serves as many EncodeAll calls at once as there
// are processors.
var zstdEncoders = func() map[zstd.EncoderLevel]func() *zstd.Encoder {
	m := map[zstd.EncoderLevel]func() *zstd.Encoder{}
	for l := zstd.SpeedFastest; l <= zstd.SpeedBestCompression; l++ {
		m[l] = sync.OnceValue(func() *zstd.Encoder {
			e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(l), zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)))
			if err != nil {
				panic(fmt.Sprintf("zstd encoder: %v", err))
			}
			return e
		})
	}
	return m
}()

// decompress returns the uncompressed records of a batch body.
func decompress(c Codec, src []byte) ([]byte, error) {
	var out []byte
	var err error
	switch c {
	case CodecNone:
		return src, nil
	}
	decompressionSlots <- struct{}{}
	defer func() { <-decompressionSlots }()
	switch c {
	case CodecGzip:
		out, err = decompressGzip(src)
	case CodecSnappy:
		out, err = decompressSnappy(src)
	case CodecLZ4:
		out, err = decompressLZ4(src)
	case CodecZstd:
		out, err = decompressZstd(src)
	default:
		err = fmt.Errorf("unknown codec %d", c)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, c, err)
	}
	return out, nil
}

// decompressZstd streams a frame through a pooled decoder into a buffer
// that stops at MaxUncompressedBytes: DecodeAll, even with a memory limit,
// allocated several times the limit for a frame that inflates past it.
func decompressZstd(src []byte) ([]byte, error) {
	d := zstdStreams.Get().(*zstdStream)
	defer zstdStreams.Put(d)
	defer d.src.Reset(nil)
	if d.err != nil {
		return nil, d.err
	}
	d.src.Reset(src)
	if err := d.dec.Reset(&d.src); err != nil {
		return nil, err
	}
	return readAllLimited(d.dec)
}

// gzipDecoder keeps a gzip reader between batches: a new one allocates
// its window and Huffman tables, which costs more than decoding a small
// batch. Reset rewinds the window, so no batch reaches back into another.
type gzipDecoder struct {
	src bytes.Reader
	r   gzip.Reader // zero until the first Reset
}

var gzipDecoders = sync.Pool{New: func() any { return new(gzipDecoder) }}

func decompressGzip(src []byte) ([]byte, error) {
	d := gzipDecoders.Get().(*gzipDecoder)
	defer gzipDecoders.Put(d)
	defer d.src.Reset(nil) // hold no batch in the pool
	d.src.Reset(src)
	if err := d.r.Reset(&d.src); err != nil {
		return nil, err
	}
	return readAllLimited(&d.r)
}

// decompressLZ4 makes a reader per batch: the library pools its block
// buffers already, and a reused reader keeps the dictionary of linked
// blocks, where one batch's back-references could read the last one's.
func decompressLZ4(src []byte) ([]byte, error) {
	return readAllLimited(lz4.NewReader(bytes.NewReader(src)))
}

// scratches holds the buffers readAllLimited decodes into.
var scratches = sync.Pool{New: func() any { return new([]byte) }} // of *[]byte

const (
	// minScratch is Kafka's lz4 block size: the lz4 reader decodes a block
	// straight into a buffer with that much room, rather than through its own.
	minScratch = 64 << 10
	// maxKeptScratch bounds a scratch buffer kept for the next batch, so
	// that one large batch does not pin its size in the pool.
	maxKeptScratch = 4 << 20
)

// readAllLimited reads r to the end, failing past MaxUncompressedBytes. It
// reads into a scratch buffer kept from batch to batch and returns a copy
// of exactly the size read: one allocation, where a result grown from
// empty allocated and copied at each doubling. A scratch that grew too
// large to keep is returned as it is, without the copy.
func readAllLimited(r io.Reader) ([]byte, error) {
	s := scratches.Get().(*[]byte)
	defer scratches.Put(s)
	buf, err := readInto((*s)[:0], r)
	keep := cap(buf) <= maxKeptScratch
	*s = nil
	if keep {
		*s = buf[:0]
	}
	switch {
	case err != nil:
		return nil, err
	case !keep: // hand out a scratch too large to keep rather than copy it
		return buf, nil
	}
	return bytes.Clone(buf), nil
}

// readInto appends what r holds to buf, never past MaxUncompressedBytes:
// there it probes r for one more byte. It grows buf geometrically, to no
// more than MaxUncompressedBytes.
func readInto(buf []byte, r io.Reader) ([]byte, error) {
	for {
		if len(buf) >= MaxUncompressedBytes {
			return buf, probeEnd(r)
		}
		if len(buf) == cap(buf) {
			c := min(max(2*cap(buf), minScratch), MaxUncompressedBytes)
			buf = append(make([]byte, 0, c), buf...)
		}
		n, err := r.Read(buf[len(buf):min(cap(buf), MaxUncompressedBytes)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// probeEnd fails if r, read up to MaxUncompressedBytes, holds more.
func probeEnd(r io.Reader) error {
	var b [1]byte
	switch _, err := io.ReadFull(r, b[:]); err {
	case io.EOF:
		return nil
	case nil:
		return fmt.Errorf("more than %d bytes uncompressed", MaxUncompressedBytes)
	default:
		return err
	}
}

func decompressSnappy(src []byte) ([]byte, error) {
	if !bytes.HasPrefix(src, xerialMagic) {
		return decodeSnappyBlock(nil, src)
	}
	if len(src) < xerialHeaderSize {
		return nil, fmt.Errorf("xerial header truncated")
	}
	out := make([]byte, 0, xerialDecodedLen(src[xerialHeaderSize:]))
	for p := src[xerialHeaderSize:]; len(p) > 0; {
		block, rest, err := nextXerialBlock(p)
		if err != nil {
			return nil, err
		}
		if out, err = decodeSnappyBlock(out, block); err != nil {
			return nil, err
		}
		p = rest
	}
	return out, nil
}

// nextXerialBlock cuts the first length-prefixed block from p.
func nextXerialBlock(p []byte) (block, rest []byte, err error) {
	if len(p) < 4 {
		return nil, nil, fmt.Errorf("xerial block length truncated")
	}
	n := binary.BigEndian.Uint32(p)
	if uint64(n) > uint64(len(p)-4) {
		return nil, nil, fmt.Errorf("xerial block of %d bytes truncated", n)
	}
	return p[4 : 4+n], p[4+n:], nil
}

// xerialDecodedLen adds up the lengths the xerial blocks in p declare, as
// far as decodeSnappyBlock would accept them: the capacity to decode them
// into with one allocation, within the same bounds as the decoding.
func xerialDecodedLen(p []byte) int {
	total := 0
	for len(p) > 0 {
		block, rest, err := nextXerialBlock(p)
		if err != nil {
			break
		}
		n, err := snappyDecodedLen(total, block)
		if err != nil {
			break
		}
		total, p = total+n, rest
	}
	return total
}

// snappyDecodedLen is the length block declares, refused if it would take
// the output past MaxUncompressedBytes from have bytes, or if the block
// cannot justify it.
func snappyDecodedLen(have int, block []byte) (int, error) {
	n, err := snappy.DecodedLen(block)
	if err != nil {
		return 0, err
	}
	if n > MaxUncompressedBytes-have {
		return 0, fmt.Errorf("more than %d bytes uncompressed", MaxUncompressedBytes)
	}
	// A valid block expands at most ~ 64x (copies of length 64 per 2-byte tag);
	// refuse a declared length that the input cannot justify.
	if n > 64*len(block)+64 {
		return 0, fmt.Errorf("declared length %d too large for %d-byte block", n, len(block))
	}
	return n, nil
}

// decodeSnappyBlock appends the decoding of one raw snappy block to dst,
// decoding in place when dst has the room.
func decodeSnappyBlock(dst, block []byte) ([]byte, error) {
	n, err := snappyDecodedLen(len(dst), block)
	if err != nil {
		return nil, err
	}
	dst = slices.Grow(dst, n)
	// Given room for the whole block, Decode decodes into it.
	out, err := snappy.Decode(dst[len(dst):len(dst)+n], block)
	if err != nil {
		return nil, err
	}
	return dst[:len(dst)+len(out)], nil
}

// compress appends the records of a batch body, src, compressed with codec
// c at level (on Kafka's scale for the codec, KIP-390; 0 is the codec's
// default) to dst.
func compress(c Codec, level int, dst, src []byte) ([]byte, error) {
	switch c {
	case CodecNone:
		return append(dst, src...), nil
	case CodecGzip:
		return compressGzip(dst, src, gzipLevel(level))
	case CodecSnappy:
		n := snappy.MaxEncodedLen(len(src))
		if n < 0 {
			return nil, fmt.Errorf("%d bytes too large for snappy", len(src))
		}
		dst = slices.Grow(dst, n)
		return dst[:len(dst)+len(snappy.Encode(dst[len(dst):len(dst)+n], src))], nil
	case CodecLZ4:
		return compressStream(dst, src, func(w io.Writer) (io.WriteCloser, error) { return newLZ4Writer(w, lz4Level(level)), nil })
	case CodecZstd:
		return zstdEncoders[zstdLevel(level)]().EncodeAll(src, dst), nil
	}
	return nil, fmt.Errorf("%w: unknown codec %d", ErrInvalid, c)
}

// gzipWriters keeps gzip writers between batches, a pool per level
// (index level+1, -1 to 9): a new writer allocates about a megabyte of
// tables, more than compressing a small batch costs.
var gzipWriters [11]sync.Pool // of *gzip.Writer

func compressGzip(dst, src []byte, level int) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	pool := &gzipWriters[level+1]
	w, _ := pool.Get().(*gzip.Writer)
	if w == nil {
		var err error
		if w, err = gzip.NewWriterLevel(buf, level); err != nil {
			return nil, err
		}
	} else {
		w.Reset(buf)
	}
	defer pool.Put(w)
	defer w.Reset(io.Discard) // hold no batch in the pool
	if _, err := w.Write(src); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// gzipLevel is Kafka's gzip level 1-9, or the default for 0 and -1.
func gzipLevel(level int) int {
	if level < gzip.BestSpeed || level > gzip.BestCompression {
		return gzip.DefaultCompression
	}
	return level
}

// lz4Level maps Kafka's lz4 level (1-17, default 9) as Kafka's
// Lz4BlockOutputStream does: the default is the fast compressor, any other
// level the high-compression one at that level, which the library has up
// to 9.
func lz4Level(level int) lz4.CompressionLevel {
	if level == 0 || level == 9 {
		return lz4.Fast
	}
	return lz4.Level1 << (min(max(level, 1), 9) - 1)
}

// zstdLevel maps a zstd level (Kafka's -131072 to 22, default 3) to the
// nearest of the library's four speeds.
func zstdLevel(level int) zstd.EncoderLevel {
	if level == 0 {
		return zstd.SpeedDefault
	}
	return zstd.EncoderLevelFromZstd(level)
}

// newLZ4Writer writes LZ4 frames of 64 KiB blocks, as Kafka's producer
// does, rather than the library's 4 MiB: a reader allocates a buffer of
// the block size the frame declares.
func newLZ4Writer(w io.Writer, level lz4.CompressionLevel) io.WriteCloser {
	zw := lz4.NewWriter(w)
	if err := zw.Apply(lz4.BlockSizeOption(lz4.Block64Kb), lz4.CompressionLevelOption(level)); err != nil {
		panic(fmt.Sprintf("lz4 writer: %v", err))
	}
	return zw
}

func compressStream(dst, src []byte, newWriter func(io.Writer) (io.WriteCloser, error)) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	w, err := newWriter(buf)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(src); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
