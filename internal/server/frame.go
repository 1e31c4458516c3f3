package server

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"gregor/internal/wire"
)

// frameProgressTimeout is how long a client may take to send the next
// chunk of a request it has begun: a sender that stalls in the middle of
// a frame is disconnected, so that it cannot hold request memory (and its
// share of queued.max.request.bytes) indefinitely. Kafka has no such
// bound; connections.max.idle.ms applies between requests.
const frameProgressTimeout = 30 * time.Second

// smallFrame is the largest request read outside queued.max.request.bytes:
// the requests of well-behaved clients (a produce of a few batches, a
// fetch, a heartbeat) are not held up behind large ones that wait for
// budget, or stall while holding it; their memory is bounded by the
// number of connections.
const smallFrame = 64 << 10

// frameChunk is how much of a frame's body one read waits for under the
// progress deadline; the buffer grows as the bytes arrive rather than all
// at once from the size prefix.
const frameChunk = 1 << 20

// readFrame reads one request frame from r (conn's buffered reader): the
// size prefix under the connection's idle deadline, then, once its bytes
// of queued.max.request.bytes are granted for a frame over smallFrame (not
// reading the socket until they are), the body, each chunk under frameProgressTimeout. It returns
// the frame (in buf when it fits) and the budget to release once the
// request is served.
func (s *Server) readFrame(ctx context.Context, conn net.Conn, r *bufio.Reader, buf []byte) ([]byte, int64, error) {
	var size [4]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		return nil, 0, err
	}
	n := int32(binary.BigEndian.Uint32(size[:]))
	if n < 0 || n > s.MaxRequestBytes {
		return nil, 0, fmt.Errorf("%w: %d bytes (max %d)", wire.ErrFrameTooLarge, n, s.MaxRequestBytes)
	}
	var held int64
	if n > smallFrame {
		var err error
		if held, err = s.Connections.acquireBytes(ctx, int64(n)); err != nil {
			return nil, 0, err
		}
	}
	buf = buf[:0]
	for len(buf) < int(n) {
		chunk := min(int(n)-len(buf), frameChunk)
		if cap(buf) < len(buf)+chunk {
			grown := make([]byte, len(buf), min(int(n), max(2*cap(buf), len(buf)+chunk)))
			copy(grown, buf)
			buf = grown
		}
		progress := s.FrameProgressTimeout
		if progress <= 0 {
			progress = frameProgressTimeout
		}
		conn.SetReadDeadline(time.Now().Add(progress))
		got, err := io.ReadFull(r, buf[len(buf):len(buf)+chunk])
		buf = buf[:len(buf)+got]
		if err != nil {
			s.Connections.releaseBytes(held)
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, 0, err
		}
	}
	conn.SetReadDeadline(time.Time{}) // the next request's wait is the idle deadline's
	return buf, held, nil
}
