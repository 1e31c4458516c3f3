package record

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// RecordHead is what a streaming scan keeps of one record: its position,
// time and key, and the size of the value it skipped. Key aliases a buffer
// that the next record reuses.
type RecordHead struct {
	Offset    int64 // absolute
	Timestamp int64 // absolute; the batch's max timestamp under LogAppendTime
	Key       []byte
	ValueLen  int32 // -1 for a null value (a tombstone)
}

// streamReaders are ScanHeads' read buffers, reused from scan to scan: a
// scan of a small batch (each state record a coordinator writes to its
// compacted topic has its key checked) would otherwise allocate 16 KiB.
var streamReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 16<<10) }}

// ScanHeads decodes the records of b one at a time, decompressing as a
// stream, and calls fn for each until fn returns false or an error. Values
// and headers are skipped, never held: memory is that of the decompressor
// and the largest key, whatever the batch inflates to, and the
// decompression stops as soon as fn is done or the batch has inflated past
// MaxUncompressedBytes. fn sees a record as soon as its key is read: its
// value is inflated (and discarded) only if the scan goes on, and its
// framing is checked then. It holds one of the process's decompression slots
// for its duration, so fn must not decompress.
func (b Batch) ScanHeads(fn func(RecordHead) (bool, error)) error {
	return b.scanHeads(func(_ int, h RecordHead) (bool, error) { return fn(h) }, false)
}

// CheckRecords decodes every record of b as Kafka's broker does before it
// appends a produced batch: each record's fields must end where its length
// says, and the records must end where the batch does, no fewer and no more
// than it counts; a record that breaks either wraps ErrBadRecord, a
// compressed batch that does not decompress (or inflates past
// MaxUncompressedBytes: ErrInflated) ErrInvalid alone. fn sees
// each record's head with its index in the batch (its key valid only
// during the call) and may stop the check with an error. An uncompressed
// batch is decoded in place; a compressed one as a stream, as ScanHeads.
func (b Batch) CheckRecords(fn func(i int, h RecordHead) error) error {
	if err := b.validateFraming(); err != nil {
		return err
	}
	if err := b.validateFields(); err != nil {
		return err
	}
	if b.Codec() != CodecNone {
		return b.scanHeads(func(i int, h RecordHead) (bool, error) { return true, fn(i, h) }, true)
	}
	d := decoder{buf: b[HeaderSize:]}
	for i := range int(b.NumRecords()) {
		body, err := d.next()
		if err != nil {
			return fmt.Errorf("%w: record %d: %w", ErrBadRecord, i, err)
		}
		h := body.recordHead(b.BaseOffset(), b.BaseTimestamp())
		if err := body.end(); err != nil {
			return fmt.Errorf("%w: record %d: %w", ErrBadRecord, i, err)
		}
		if b.LogAppendTime() {
			h.Timestamp = b.MaxTimestamp()
		}
		if err := fn(i, h); err != nil {
			return err
		}
	}
	if len(d.buf) != 0 {
		return fmt.Errorf("%w: %d bytes after the last of %d records", ErrBadRecord, len(d.buf), b.NumRecords())
	}
	return nil
}

// scanHeads is ScanHeads; with whole, it also fails when the uncompressed
// records go on past the count in the header.
func (b Batch) scanHeads(fn func(int, RecordHead) (bool, error), whole bool) error {
	if err := b.validateFraming(); err != nil {
		return err
	}
	if err := b.validateFields(); err != nil {
		return err
	}
	body, release, err := openBody(b.Codec(), b[HeaderSize:])
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInvalid, b.Codec(), err)
	}
	defer release()
	br := streamReaders.Get().(*bufio.Reader)
	br.Reset(body)
	defer func() {
		br.Reset(nil)
		streamReaders.Put(br)
	}()
	s := recordStream{br: br}
	// A decompressor's failure is the batch's; any other is a record's.
	fail := func(i int32, err error) error {
		kind := ErrBadRecord
		if errors.Is(err, errCodec) || errors.Is(err, ErrInflated) {
			kind = ErrInvalid
		}
		return fmt.Errorf("%w: %s: record %d: %w", kind, b.Codec(), i, err)
	}
	for i := range b.NumRecords() {
		h, err := s.head(b.BaseOffset(), b.BaseTimestamp())
		if err != nil {
			return fail(i, err)
		}
		if b.LogAppendTime() {
			h.Timestamp = b.MaxTimestamp()
		}
		if more, err := fn(int(i), h); !more || err != nil {
			return err
		}
		if err := s.tail(); err != nil {
			return fail(i, err)
		}
	}
	if whole {
		if _, err := s.br.ReadByte(); !errors.Is(err, io.EOF) {
			if err == nil {
				err = errors.New("bytes after the last record")
			}
			return fail(b.NumRecords(), err)
		}
	}
	return nil
}

// errCodec tags an error of a decompressor, which a scan reports as
// ErrInvalid rather than ErrBadRecord.
var errCodec = errors.New("decompression failed")

// decompressionSlots bounds how many batches the process decompresses at
// once, so that many requests each inflating a batch cannot multiply the
// memory one of them may take.
var decompressionSlots = make(chan struct{}, max(4, runtime.GOMAXPROCS(0)))

// openBody returns a stream of the uncompressed records of a batch body
// that fails once it has yielded MaxUncompressedBytes and holds more, and
// a release to call when done with it. It takes a decompression slot,
// which release gives back.
func openBody(c Codec, src []byte) (io.Reader, func(), error) {
	if c == CodecNone {
		return bytes.NewReader(src), func() {}, nil
	}
	decompressionSlots <- struct{}{}
	r, done, err := openDecompressor(c, src)
	release := func() {
		done()
		<-decompressionSlots
	}
	if err != nil {
		release()
		return nil, nil, err
	}
	return &limitedReader{r: r, left: int64(MaxUncompressedBytes)}, release, nil
}

func openDecompressor(c Codec, src []byte) (io.Reader, func(), error) {
	switch c {
	case CodecGzip:
		d := gzipDecoders.Get().(*gzipDecoder)
		d.src.Reset(src)
		done := func() { d.src.Reset(nil); gzipDecoders.Put(d) }
		if err := d.r.Reset(&d.src); err != nil {
			return nil, done, err
		}
		return &d.r, done, nil
	case CodecSnappy:
		d := snappyStreams.Get().(*snappyStream)
		err := d.reset(src)
		done := func() {
			d.blocks, d.out = nil, nil
			if cap(d.buf) <= maxPooledSnappyBuffer {
				snappyStreams.Put(d)
			}
		}
		return d, done, err
	case CodecLZ4:
		d := lz4Streams.Get().(*lz4Stream)
		d.src.Reset(src)
		d.r.Reset(&d.src)
		return d.r, func() { d.src.Reset(nil); lz4Streams.Put(d) }, nil
	case CodecZstd:
		d := zstdStreams.Get().(*zstdStream)
		d.src.Reset(src)
		done := func() { d.src.Reset(nil); zstdStreams.Put(d) }
		if d.err != nil {
			return nil, done, d.err
		}
		if err := d.dec.Reset(&d.src); err != nil {
			return nil, done, err
		}
		return d.dec, done, nil
	}
	return nil, func() {}, fmt.Errorf("unknown codec %d", c)
}

// zstdStream is a synchronous zstd stream decoder kept between batches.
// Its window is bounded by zstd's own default limit for decoders (128 MiB)
// and by MaxUncompressedBytes.
type zstdStream struct {
	src bytes.Reader
	dec *zstd.Decoder
	err error
}

var zstdStreams = sync.Pool{New: func() any {
	d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(1<<27), zstd.WithDecoderMaxMemory(uint64(MaxUncompressedBytes)))
	return &zstdStream{dec: d, err: err}
}}

// limitedReader fails once it has yielded left bytes and r holds more.
type limitedReader struct {
	r    io.Reader
	left int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		if err := probeEnd(l.r); err != nil {
			return 0, fmt.Errorf("%w: more than %d bytes uncompressed", ErrInflated, MaxUncompressedBytes)
		}
		return 0, io.EOF
	}
	n, err := l.r.Read(p[:min(int64(len(p)), l.left)])
	l.left -= int64(n)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: %w", errCodec, err)
	}
	return n, err
}

// snappyStream decodes xerial-framed snappy one block at a time; a raw
// snappy block (what librdkafka and franz-go write) is decoded at once,
// within the bounds snappyDecodedLen sets.
type snappyStream struct {
	blocks []byte // xerial blocks not yet decoded
	buf    []byte // the decoded block being read
	out    []byte // what of buf is left to read
}

// lz4Stream is an lz4 frame reader kept between batches, with its buffers.
type lz4Stream struct {
	src bytes.Reader
	r   *lz4.Reader
}

var lz4Streams = sync.Pool{New: func() any { return &lz4Stream{r: lz4.NewReader(nil)} }}

// snappyStreams keep their decode buffer between batches: a producer's
// snappy batch (franz-go's default codec) is inflated on every produce.
var snappyStreams = sync.Pool{New: func() any { return new(snappyStream) }}

// maxPooledSnappyBuffer bounds the buffer a pooled stream keeps.
const maxPooledSnappyBuffer = 1 << 20

// reset makes s read src.
func (s *snappyStream) reset(src []byte) error {
	s.blocks, s.out = nil, nil
	if !bytes.HasPrefix(src, xerialMagic) {
		var err error
		s.buf, err = decodeSnappyBlock(s.buf[:0], src)
		s.out = s.buf
		return err
	}
	if len(src) < xerialHeaderSize {
		return fmt.Errorf("xerial header truncated")
	}
	s.blocks = src[xerialHeaderSize:]
	return nil
}

func (s *snappyStream) Read(p []byte) (int, error) {
	for len(s.out) == 0 {
		if len(s.blocks) == 0 {
			return 0, io.EOF
		}
		block, rest, err := nextXerialBlock(s.blocks)
		if err != nil {
			return 0, err
		}
		if s.buf, err = decodeSnappyBlock(s.buf[:0], block); err != nil {
			return 0, err
		}
		s.out, s.blocks = s.buf, rest
	}
	n := copy(p, s.out)
	s.out = s.out[n:]
	return n, nil
}

// recordStream decodes record fields from an uncompressed stream.
type recordStream struct {
	br  *bufio.Reader
	key []byte // reused between records
	n   int64  // bytes consumed from br

	// Of the record being read: where it starts in the stream, its length,
	// and the bytes of its value not yet skipped.
	start, pendingValue int64
	length              int32
}

func (s *recordStream) ReadByte() (byte, error) {
	c, err := s.br.ReadByte()
	if err == nil {
		s.n++
	}
	return c, err
}

func (s *recordStream) varlong() (int64, error) {
	v, err := binary.ReadVarint(s)
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return v, err
}

func (s *recordStream) varint() (int32, error) {
	v, err := s.varlong()
	if err == nil && int64(int32(v)) != v {
		err = fmt.Errorf("varint %d out of int32 range", v)
	}
	return int32(v), err
}

// skip discards n bytes.
func (s *recordStream) skip(n int64) error {
	if n < 0 {
		return fmt.Errorf("negative length %d", n)
	}
	d, err := s.br.Discard(int(n))
	s.n += int64(d)
	return unexpected(err)
}

// readKey reads n bytes into the reused key buffer, growing it only as the
// bytes arrive, so that a declared length never allocates on its own.
func (s *recordStream) readKey(n int32) ([]byte, error) {
	if n < 0 {
		return nil, fmt.Errorf("negative length %d", n)
	}
	if s.key == nil {
		s.key = make([]byte, 0, 64) // an empty key is not a null one
	}
	s.key = s.key[:0]
	for len(s.key) < int(n) {
		chunk := min(int(n)-len(s.key), 64<<10)
		start := len(s.key)
		s.key = append(s.key, make([]byte, chunk)...)
		m, err := io.ReadFull(s.br, s.key[start:])
		s.n += int64(m)
		if err != nil {
			return nil, unexpected(err)
		}
	}
	return s.key, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// head decodes a record up to its key; tail skips the rest of it.
func (s *recordStream) head(baseOffset, baseTimestamp int64) (RecordHead, error) {
	var h RecordHead
	length, err := s.varint()
	if err != nil {
		return h, err
	}
	if length < minRecordSize-1 {
		return h, fmt.Errorf("record length %d", length)
	}
	s.start, s.length = s.n, length
	if _, err := s.ReadByte(); err != nil { // attributes: unused in v2
		return h, unexpected(err)
	}
	tsDelta, err := s.varlong()
	if err != nil {
		return h, err
	}
	offDelta, err := s.varint()
	if err != nil {
		return h, err
	}
	h.Offset, h.Timestamp = baseOffset+int64(offDelta), baseTimestamp+tsDelta
	if h.Key, err = s.nullableKey(); err != nil {
		return h, err
	}
	// The value's length is read here, before fn; its bytes are not.
	if h.ValueLen, err = s.varint(); err != nil {
		return h, err
	}
	if h.ValueLen < -1 {
		return h, fmt.Errorf("value length %d", h.ValueLen)
	}
	s.pendingValue = max(int64(h.ValueLen), 0)
	return h, nil
}

// tail skips the value and headers of the record head read, and checks
// that they end where the record's length says.
func (s *recordStream) tail() error {
	if n := s.pendingValue; n > 0 {
		if err := s.skip(n); err != nil {
			return err
		}
	}
	if err := s.skipHeaders(); err != nil {
		return err
	}
	if got := s.n - s.start; got != int64(s.length) {
		return fmt.Errorf("record length %d but its fields take %d bytes", s.length, got)
	}
	return nil
}

func (s *recordStream) nullableKey() ([]byte, error) {
	n, err := s.varint()
	if err != nil || n == -1 {
		return nil, err
	}
	return s.readKey(n)
}

// skipNullable skips a varint-length byte array and returns its length.
func (s *recordStream) skipNullable() (int32, error) {
	n, err := s.varint()
	if err != nil || n == -1 {
		return n, err
	}
	return n, s.skip(int64(n))
}

func (s *recordStream) skipHeaders() error {
	count, err := s.varint()
	if err != nil {
		return err
	}
	if count < 0 {
		return fmt.Errorf("%d headers", count)
	}
	for range count {
		n, err := s.skipNullable()
		if err != nil {
			return err
		}
		if n == -1 {
			return fmt.Errorf("null header key")
		}
		if _, err := s.skipNullable(); err != nil {
			return err
		}
	}
	return nil
}
