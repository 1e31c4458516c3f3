// Package server accepts Kafka connections and runs them: per connection a
// reader goroutine that frames and decodes requests, and a worker goroutine
// that serves them one at a time, in arrival order, and writes the
// responses. Serving in order is what Kafka does too (a connection's next
// request is not processed until the previous one is answered): it keeps an
// idempotent producer's pipelined batches in sequence, while the reader
// keeps the socket drained.
package server

import (
	"bufio"
	"context"
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

// pipelineDepth is how many decoded requests may wait behind the one being served.
const pipelineDepth = 64

// maxRetainedResponse bounds the response buffer a connection keeps between
// responses. Reusing it matters on machines where first touches of fresh
// memory are slow; a larger one is dropped after use.
const maxRetainedResponse = 16 << 20

// maxPooledFrame bounds the request buffers kept for reuse.
const maxPooledFrame = 4 << 20

var frames = sync.Pool{New: func() any { return new([]byte) }}

// Serve accepts connections on ln until ctx is done, then closes ln and
// every connection and waits for their goroutines.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.registry = handler.Registry()
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	defer s.wg.Wait()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
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
	req   *handler.Request
	frame *[]byte // pooled; the decoded request aliases it until served
	// unsupported is set for an ApiVersions request at a version we do not
	// serve, answered without decoding its body.
	unsupported bool
}

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
	queue := make(chan pending, pipelineDepth)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer cancel()
		s.work(ctx, conn, queue, logger)
	}()
	err := s.read(ctx, conn, queue)
	close(queue)
	if err != nil && !errors.Is(err, io.EOF) && ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
		logger.Info("closing connection", "err", err)
	}
	<-done
}

// read decodes frames into queue until the connection fails or a frame is
// malformed.
func (s *Server) read(ctx context.Context, conn net.Conn, queue chan<- pending) error {
	r := bufio.NewReaderSize(conn, 64<<10)
	for {
		buf := frames.Get().(*[]byte)
		frame, err := wire.ReadFrame(r, s.MaxRequestBytes, *buf)
		if err != nil {
			return err
		}
		*buf = frame
		p, err := s.decode(frame)
		if err != nil {
			return err
		}
		p.frame = buf
		select {
		case queue <- p:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (s *Server) decode(frame []byte) (pending, error) {
	hdr, body, err := wire.ParseRequestHeader(frame)
	if err != nil {
		return pending{}, err
	}
	req := &handler.Request{Header: hdr, Listener: s.Listener}
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

// work serves queued requests in order and writes their responses,
// flushing when no further request is waiting.
func (s *Server) work(ctx context.Context, conn net.Conn, queue <-chan pending, logger *slog.Logger) {
	w := bufio.NewWriterSize(conn, 64<<10)
	var buf []byte
	for p := range queue {
		resp, err := s.serve(ctx, p)
		if err != nil {
			p.req.Sent()
			logger.Info("closing connection", "err", err)
			return
		}
		if resp != nil {
			buf = wire.AppendResponse(buf[:0], p.req.Header.CorrelationID, resp)
		}
		p.req.Sent()
		p.release()
		if resp != nil {
			if _, err := w.Write(buf); err != nil {
				return
			}
			if cap(buf) > maxRetainedResponse {
				buf = nil
			}
		}
		if len(queue) == 0 {
			if err := w.Flush(); err != nil {
				return
			}
		}
	}
}

// serve answers one request. A panic in a handler is a bug; it costs the
// connection, not the process.
// release returns the request's frame to the pool.
func (p pending) release() {
	if p.frame != nil && cap(*p.frame) <= maxPooledFrame {
		frames.Put(p.frame)
	}
}

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
