package server

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"

	"gregor/internal/kafka"
	"gregor/internal/wire"
)

// Under TLS a Fetch response cannot go to the socket with writev (or
// sendfile): every byte is sealed by crypto/tls, which copies each record's
// plaintext into its own buffer and encrypts it there (AES-GCM with the
// CPU's AES instructions), then writes the record to the connection. Three
// things are left to the server: feeding crypto/tls whole records straight
// from the record batches, reading batches from a segment file into a
// small buffer just before they are sealed (while still in the CPU's
// cache, and as the client decrypts what went before), and not writing
// each 16 KiB record with a call of its own.

// tlsRecord is the most plaintext a TLS record carries (2^14 bytes, RFC
// 8446 section 5.1). The listeners' configurations disable dynamic record
// sizing, so every record crypto/tls writes is this large until the end of
// a write.
const tlsRecord = 16 << 10

// writeTLS writes a frame given as pieces, with file regions between them
// (see wire.FetchRegion), to a TLS connection. w's size is a multiple of
// tlsRecord, so when it fills up it writes whole records. Small pieces
// (the response's own fields) join w's buffer. A piece of two records or
// more (record batches) first completes the record w's buffer is filling,
// then goes to crypto/tls directly in whole records, with no copy of its
// own; what remains of it, less than a record, joins w's buffer. A region
// is read a chunk at a time and each chunk sealed as such a piece
// (sealRegion). The records sealed meanwhile leave in batches
// (batchingConn) rather than one write call each.
func writeTLS(conn *tls.Conn, w *bufio.Writer, pieces [][]byte, regions []wire.FetchRegion) (err error) {
	if b, ok := conn.NetConn().(*batchingConn); ok {
		b.hold()
		defer func() {
			if released := b.release(); err == nil {
				err = released
			}
		}()
	}
	return interleave(pieces, regions,
		func(pieces [][]byte) error { return sealPieces(conn, w, pieces) },
		func(r kafka.FileRegion) error { return sealRegion(conn, w, r) })
}

// regionChunk is how much of a region sealRegion reads at a time: 16
// records, few reads per region (a read costs per call as well as per
// byte) and still in the CPU's cache when sealed.
const regionChunk = 16 * tlsRecord

var regionChunks = sync.Pool{New: func() any {
	b := make([]byte, regionChunk)
	return &b
}}

// sealRegion writes r to conn through w (see writeTLS): it completes the
// record w's buffer is filling from the file, then reads the rest a chunk
// of whole records at a time and seals each straight from the chunk.
func sealRegion(conn *tls.Conn, w *bufio.Writer, r kafka.FileRegion) error {
	fill := min(int64((tlsRecord-w.Buffered()%tlsRecord)%tlsRecord), r.Length)
	if err := copyRegion(w, kafka.FileRegion{File: r.File, Position: r.Position, Length: fill}); err != nil {
		return err
	}
	chunk := regionChunks.Get().(*[]byte)
	defer regionChunks.Put(chunk)
	for pos, end := r.Position+fill, r.Position+r.Length; pos < end; {
		b := (*chunk)[:min(int64(len(*chunk)), end-pos)]
		if n, err := r.File.ReadAt(b, pos); n < len(b) {
			if err == nil || errors.Is(err, io.EOF) {
				err = errRegionTruncated
			}
			return err
		}
		if err := sealPieces(conn, w, [][]byte{b}); err != nil {
			return err
		}
		pos += int64(len(b))
	}
	return nil
}

// sealPieces writes pieces to conn through w (see writeTLS).
func sealPieces(conn *tls.Conn, w *bufio.Writer, pieces [][]byte) error {
	for _, p := range pieces {
		if len(p) < 2*tlsRecord {
			if _, err := w.Write(p); err != nil {
				return err
			}
			continue
		}
		if fill := (tlsRecord - w.Buffered()%tlsRecord) % tlsRecord; fill > 0 {
			w.Write(p[:fill]) // fits: w's size is a multiple of tlsRecord
			p = p[fill:]
		}
		if err := w.Flush(); err != nil {
			return err
		}
		whole := len(p) - len(p)%tlsRecord
		if _, err := conn.Write(p[:whole]); err != nil {
			return err
		}
		if _, err := w.Write(p[whole:]); err != nil {
			return err
		}
	}
	return nil
}

// batchSize is how much sealed data batchingConn gathers before a write:
// 16 records.
const batchSize = 16 * (tlsRecord + 256)

// batchBuffers holds the buffers of batchingConns that are holding, so
// that an idle connection keeps none.
var batchBuffers = sync.Pool{New: func() any {
	b := make([]byte, 0, batchSize)
	return &b
}}

// batchingConn is the TCP connection under a TLS connection. Normally it
// writes what crypto/tls gives it at once; between hold and release it
// gathers the records into writes of up to batchSize. That copies the
// sealed bytes once more, for 16 times fewer write calls: in
// BenchmarkWriteFetchTLS, on a loaded 2-core machine, the process's
// system time per byte fell by about a seventh and its total CPU time by
// less than the noise (docs/BENCHMARKS.md).
//
// crypto/tls calls Write under its own lock; hold and release come from
// the connection's goroutine, and a close from another, so mu guards the
// fields.
type batchingConn struct {
	net.Conn

	mu      sync.Mutex
	holding bool
	buf     *[]byte // from batchBuffers while holding
	err     error   // of a gathered write: every later Write fails with it
}

func (c *batchingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	if !c.holding {
		return c.Conn.Write(p)
	}
	if c.buf == nil {
		c.buf = batchBuffers.Get().(*[]byte)
	}
	if len(*c.buf)+len(p) > cap(*c.buf) {
		if c.flushLocked(); c.err != nil {
			return 0, c.err
		}
		if len(p) >= cap(*c.buf) {
			return c.Conn.Write(p)
		}
	}
	*c.buf = append(*c.buf, p...)
	return len(p), nil
}

// hold starts gathering writes.
func (c *batchingConn) hold() {
	c.mu.Lock()
	c.holding = true
	c.mu.Unlock()
}

// release writes what was gathered and writes through again.
func (c *batchingConn) release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.holding = false
	if c.buf != nil {
		c.flushLocked()
		batchBuffers.Put(c.buf)
		c.buf = nil
	}
	return c.err
}

func (c *batchingConn) flushLocked() {
	if len(*c.buf) > 0 && c.err == nil {
		_, c.err = c.Conn.Write(*c.buf)
	}
	*c.buf = (*c.buf)[:0]
}
