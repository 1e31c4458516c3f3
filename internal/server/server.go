// Package server accepts Kafka connections and runs them: one goroutine per
// connection reads, decodes and serves its requests one at a time, in
// arrival order, and writes the responses. Serving in order is what Kafka
// does too (a connection's next request is not processed until the previous
// one is answered): it keeps an idempotent producer's pipelined batches in
// sequence, and with no hand-off between goroutines a request costs no
// scheduling on its way from the socket to the log.
package server

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/handler"
	"gregor/internal/wire"
)

// Server serves one listener.
type Server struct {
	Handler         *handler.Handler
	Listener        string // the listener's name, e.g. PLAINTEXT
	MaxRequestBytes int32  // socket.request.max.bytes
	Logger          *slog.Logger

	registry *wire.Registry
	wg       sync.WaitGroup
}

// maxRetainedResponse bounds the response buffer a connection keeps between
// responses. Reusing it matters on machines where first touches of fresh
// memory are slow; a larger one is dropped after use.
const maxRetainedResponse = 16 << 20

// maxRetainedFrame bounds the request buffer a connection keeps.
const maxRetainedFrame = 4 << 20

// Serve accepts connections on ln until ctx is done, then closes ln and
// every connection and waits for their goroutines. A failed accept (out of
// file descriptors, say) is retried with backoff (see acceptor); only a
// listener closed by someone else ends Serve early, with its error.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.registry = handler.Registry()
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	defer s.wg.Wait()
	a := newAcceptor(ln, s.Logger)
	for {
		conn, err := a.accept(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serveConn(ctx, conn)
		}()
	}
}

type pending struct {
	req *handler.Request
	// unsupported is set for an ApiVersions request at a version we do not
	// serve, answered without decoding its body.
	unsupported bool
}

// serveConn runs one connection: read a frame, decode it, serve it, write
// the response, in order. Requests the client pipelines wait in the socket
// and the read buffer; responses are flushed once no complete request is
// waiting, so a burst is answered with few writes. The frame buffer and the
// response buffer are reused from request to request.
func (s *Server) serveConn(ctx context.Context, conn net.Conn) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		<-ctx.Done()
		conn.Close()
	}()
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	logger := s.Logger.With("remote", conn.RemoteAddr().String())
	err := s.loop(ctx, conn)
	if err != nil && !errors.Is(err, io.EOF) && ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
		logger.Info("closing connection", "err", err)
	}
}

func (s *Server) loop(ctx context.Context, conn net.Conn) error {
	r := bufio.NewReaderSize(conn, 64<<10)
	w := bufio.NewWriterSize(conn, 64<<10)
	var frameBuf, respBuf []byte
	host := clientHost(conn.RemoteAddr())
	for {
		frame, err := wire.ReadFrame(r, s.MaxRequestBytes, frameBuf)
		if err != nil {
			return err
		}
		if frameBuf = frame; cap(frame) > maxRetainedFrame {
			frameBuf = nil
		}
		p, err := s.decode(frame, host)
		if err != nil {
			return err
		}
		resp, err := s.serve(ctx, p)
		if err == nil && resp != nil {
			respBuf = wire.AppendResponse(respBuf[:0], p.req.Header.CorrelationID, resp)
		}
		p.req.Sent()
		if err != nil {
			return err
		}
		if resp != nil {
			if _, err := w.Write(respBuf); err != nil {
				return err
			}
			if cap(respBuf) > maxRetainedResponse {
				respBuf = nil
			}
		}
		if !completeFrameBuffered(r) {
			if err := w.Flush(); err != nil {
				return err
			}
		}
	}
}

// clientHost renders a client's address as Kafka shows it in group
// descriptions: a slash and the IP address.
func clientHost(a net.Addr) string {
	if tcp, ok := a.(*net.TCPAddr); ok {
		return "/" + tcp.IP.String()
	}
	return "/" + a.String()
}

// completeFrameBuffered reports whether a whole request is already in r's
// buffer, in which case the pending responses can wait for its answer.
func completeFrameBuffered(r *bufio.Reader) bool {
	n := r.Buffered()
	if n < 4 {
		return false
	}
	size, err := r.Peek(4)
	if err != nil {
		return false
	}
	return int(binary.BigEndian.Uint32(size))+4 <= n
}

func (s *Server) decode(frame []byte, host string) (pending, error) {
	hdr, body, err := wire.ParseRequestHeader(frame)
	if err != nil {
		return pending{}, err
	}
	req := &handler.Request{Header: hdr, Listener: s.Listener, ClientHost: host}
	if !s.registry.Supports(hdr.Key, hdr.Version) {
		if hdr.Key == 18 {
			return pending{req: req, unsupported: true}, nil
		}
		return pending{}, fmt.Errorf("unsupported api key %d version %d (client %q)", hdr.Key, hdr.Version, hdr.ClientID)
	}
	kreq := kmsg.RequestForKey(hdr.Key)
	kreq.SetVersion(hdr.Version)
	if err := kreq.ReadFrom(body); err != nil {
		return pending{}, fmt.Errorf("malformed %s v%d request: %w", kmsg.NameForKey(hdr.Key), hdr.Version, err)
	}
	req.Body = kreq
	return pending{req: req}, nil
}

// serve answers one request. A panic in a handler is a bug; it costs the
// connection, not the process.
func (s *Server) serve(ctx context.Context, p pending) (resp kmsg.Response, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.Logger.Error("handler panic", "api", kmsg.NameForKey(p.req.Header.Key), "version", p.req.Header.Version, "panic", r, "stack", string(debug.Stack()))
			resp, err = nil, fmt.Errorf("internal error serving %s", kmsg.NameForKey(p.req.Header.Key))
		}
	}()
	if p.unsupported {
		return handler.UnsupportedApiVersions(), nil
	}
	return s.Handler.Serve(ctx, p.req)
}
