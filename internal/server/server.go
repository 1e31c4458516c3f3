package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/auth"
	"gregor/internal/wire"
)

// Handler serves the requests of every connection. It is called from one
// goroutine per connection, so concurrently for different connections and
// one request at a time for each; the completion of a deferred response
// (wire.Request.Defer) may run while the connection's next produce
// requests are served.
type Handler interface {
	// Serve answers req. A nil response means none is sent (Produce with
	// acks=0); an error means the connection must be closed. The response
	// may point into buffers that stay in use until req.Sent is called,
	// which the server does once it has written the response (or dropped
	// it).
	Serve(ctx context.Context, req *wire.Request) (kmsg.Response, error)
}

// Server serves one listener. Its fields are set before Serve and not
// changed afterwards.
type Server struct {
	Handler          Handler
	Registry         *wire.Registry // the APIs Handler serves; any other request closes its connection
	ListenerName     string         // e.g. PLAINTEXT, as in listeners=NAME://host:port
	SecurityProtocol string         // the listener's, from listener.security.protocol.map
	MaxRequestBytes  int32          // socket.request.max.bytes
	Logger           *slog.Logger
	// SocketBuffers are the SO_SNDBUF and SO_RCVBUF set on each accepted
	// connection; zero values leave the OS defaults.
	SocketBuffers SocketBuffers
	// Connections, if set, limits the connections and the requests served
	// at once; it is shared by every listener of the node.
	Connections *Connections
	// TLS, if set, is the listener's TLS (SSL and SASL_SSL): every
	// connection starts with a handshake, and a client certificate names
	// the session's principal.
	TLS *auth.ListenerTLS
	// AuthFailureDelay is connection.failed.authentication.delay.ms: how
	// long a connection whose SASL authentication failed stays open after
	// the answer, so that guessing passwords is slow.
	AuthFailureDelay time.Duration
	// Observer, if set, is told of every request answered (see observe.go).
	Observer Observer
	// ConnectionThrottle, if set, applies connection_creation_rate quotas
	// (KIP-612) to each accepted connection by its address: for a positive
	// time, the connection is held unread for that long, then closed, as
	// Kafka delays closing a connection over its address's rate.
	ConnectionThrottle func(ip string) time.Duration
	// FrameProgressTimeout bounds the wait for each chunk of a request's
	// body once its size prefix arrived; zero means frameProgressTimeout.
	FrameProgressTimeout time.Duration

	wg   sync.WaitGroup
	open atomic.Int64 // connections being served; see OpenConnections
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
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	// Close the connections before waiting for them: a listener that fails
	// must not leave Serve waiting on clients that never hang up.
	defer s.wg.Wait()
	defer cancel()
	a := newAcceptor(ln, s.Logger)
	for {
		conn, err := a.accept(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if s.throttled(ctx, conn) {
			continue
		}
		connCtx, end := context.WithCancelCause(ctx)
		cn, ok := s.admit(ctx, conn, func() { end(errEvicted) })
		if !ok {
			end(nil)
			continue
		}
		s.wg.Add(1)
		s.open.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.open.Add(-1)
			defer s.release(cn)
			defer end(nil)
			s.serveConn(connCtx, conn, cn)
			if errors.Is(context.Cause(connCtx), errEvicted) {
				s.Connections.evicted(s.Logger, s.ListenerName, conn.RemoteAddr())
			}
		}()
	}
}

// errEvicted ends a connection closed to keep the total at max.connections.
var errEvicted = errors.New("closed over max.connections")

// admit counts a new connection against the limits, first waiting for
// room under max.connections, or closes it when it is over its address's
// limit: Kafka closes such a connection without a word. evict ends the
// connection if it is picked to make room later (Connections.admit).
// Without Connections, it admits conn and returns a nil connection.
func (s *Server) admit(ctx context.Context, conn net.Conn, evict func()) (*connection, bool) {
	if s.Connections == nil {
		return nil, true
	}
	cn, err := s.Connections.admit(ctx, s.Logger, s.ListenerName, ipOf(conn.RemoteAddr()), evict)
	if errors.Is(err, errTooManyConnections) {
		s.Connections.refused(s.Logger, s.ListenerName, conn.RemoteAddr())
	}
	if err != nil {
		conn.Close()
		return nil, false
	}
	return cn, true
}

// throttled reports whether conn is over its address's connection rate;
// if so, a goroutine owned by the server closes it once the throttle
// time has passed (or the listener stops). It is not counted against the
// connection limits meanwhile, as in Kafka.
func (s *Server) throttled(ctx context.Context, conn net.Conn) bool {
	if s.ConnectionThrottle == nil {
		return false
	}
	d := s.ConnectionThrottle(ipOf(conn.RemoteAddr()))
	if d <= 0 {
		return false
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		sleepContext(ctx, d)
		conn.Close()
	}()
	return true
}

// release uncounts a connection that admit counted.
func (s *Server) release(cn *connection) {
	if cn != nil {
		s.Connections.release(cn)
	}
}

// serveConn runs one connection: read a frame, decode it, serve it, write
// the response, in order. Requests the client pipelines wait in the socket
// and the read buffer; responses are flushed once no complete request is
// waiting, so a burst is answered with few writes. The frame buffer and the
// response buffer are reused from request to request. The exception is a
// Produce whose answer waits (an fsync, followers; wire.Request.Defer):
// its answer goes to the connection's pipeline, written in order once the
// wait ends, while the connection reads and appends its next produce
// requests; any other request waits until the pipeline is drained.
//
// A connection evicted under max.connections (Limits.MaxConnections) ends
// through ctx: the socket closes, the request being served sees its
// context canceled, and answers not yet written are dropped, as Kafka
// drops the responses of a channel it closed.
func (s *Server) serveConn(ctx context.Context, conn net.Conn, cn *connection) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	raw := conn // conn becomes the TLS connection below; closing raw ends both
	go func() {
		<-ctx.Done()
		raw.Close()
	}()
	logger := s.Logger.With("remote", conn.RemoteAddr().String())
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
		if err := s.SocketBuffers.configure(tc); err != nil {
			logger.Warn("setting the socket's buffer sizes failed", "listener", s.ListenerName, "err", err)
		}
	}
	session := wire.NewSession(s.ListenerName, s.SecurityProtocol, conn.RemoteAddr())
	if s.TLS != nil {
		hc, ok := conn.(handshaken)
		if !ok {
			tlsConn, err := s.handshake(conn)
			if err != nil {
				logger.Info("TLS handshake failed; closing the connection", "listener", s.ListenerName, "err", err)
				return
			}
			conn, hc = tlsConn, tlsConn
		}
		if s.SecurityProtocol == "SSL" { // on SASL_SSL, SASL names the principal
			principal, err := s.TLS.Principal(hc.ConnectionState())
			if err != nil {
				logger.Info("closing the connection: no principal for the client certificate", "listener", s.ListenerName, "err", err)
				return
			}
			session.Principal = principal
		}
	}
	err := s.loop(ctx, conn, session, cn)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		logger.Debug("closing idle connection (connections.max.idle.ms)")
		return
	}
	if err != nil && !errors.Is(err, io.EOF) && ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
		logger.Info("closing connection", "err", err)
	}
}

func (s *Server) loop(ctx context.Context, conn net.Conn, session *wire.Session, cn *connection) error {
	r := bufio.NewReaderSize(conn, 64<<10)
	w := bufio.NewWriterSize(conn, 64<<10)
	var frameBuf, respBuf []byte
	var pieces [][]byte // the response being sent, in order (see encodeResponse)
	p := newPipeline(ctx, s, conn, w, cn)
	defer p.close()
	for {
		s.setIdleDeadline(conn)
		frame, held, err := s.readFrame(ctx, conn, r, frameBuf)
		if err != nil {
			return err
		}
		cn.touch()
		if frameBuf = frame; cap(frame) > maxRetainedFrame {
			frameBuf = nil
		}
		raw := session.Auth.Raw
		var req *wire.Request
		if raw {
			req = rawSASLRequest(frame, session)
		} else {
			req, err = s.decode(frame, session)
		}
		if err == nil {
			if err = session.Admit(req.Header.Key, time.Now()); err != nil {
				err = fmt.Errorf("%s: %w", kmsg.NameForKey(req.Header.Key), err)
			}
		}
		pipelined := !raw && req != nil && req.Header.Key == produceKey
		if err == nil && !pipelined {
			err = p.drain() // any other API sees every earlier request answered
		}
		if err != nil {
			s.Connections.releaseBytes(held)
			return err
		}
		start := time.Now()
		resp, err := s.serveLimited(ctx, req)
		if pipelined && err == nil && resp != nil && req.Throttle == 0 && (req.Deferred() || p.busy()) {
			// Answered in order by the pipeline's writer, which keeps the
			// frame and the budget until then.
			if err := p.push(pending{req: req, resp: resp, start: start, held: held, frame: frame}); err != nil {
				return err
			}
			frameBuf = p.takeFrame()
			continue
		}
		if derr := p.drain(); derr != nil {
			s.Connections.releaseBytes(held)
			req.Sent()
			return derr
		}
		req.Complete(ctx)
		s.Connections.releaseBytes(held) // the request's bytes are no longer needed
		s.observe(req, resp, err, start)
		switch {
		case err != nil || resp == nil:
		case raw && session.Auth.Failed:
			resp = nil // a bare token exchange fails by closing the connection
		case raw:
			respBuf = appendRawSASLToken(respBuf[:0], resp)
			pieces = append(pieces[:0], respBuf)
		default:
			respBuf, pieces = encodeResponse(respBuf[:0], pieces[:0], req, resp)
		}
		if err != nil || resp == nil || len(pieces) == 1 && len(req.FetchRegions) == 0 {
			req.Sent() // the response holds none of the handler's buffers
		}
		if err != nil {
			return err
		}
		delayed := resp != nil && req.Throttle > 0 && !clientThrottles(resp)
		if delayed {
			// A client before KIP-219 does not throttle itself: Kafka holds
			// its response for the throttle time instead.
			if err := w.Flush(); err != nil {
				req.Sent()
				return err
			}
			sleepContext(ctx, req.Throttle)
		}
		if resp != nil {
			err := writePieces(conn, w, pieces, req.FetchRegions)
			req.Sent()
			if err != nil {
				return err
			}
			cn.touch()
			if cap(respBuf) > maxRetainedResponse {
				respBuf = nil
			}
			clear(pieces) // drop the references into the handler's buffers
		}
		if req.Throttle > 0 && !delayed {
			if err := mute(ctx, w, req.Throttle); err != nil {
				return err
			}
		}
		if session.Auth.Failed {
			return s.closeAfterFailedAuthentication(ctx, w)
		}
		if !completeFrameBuffered(r) {
			if err := w.Flush(); err != nil {
				return err
			}
		}
	}
}

// clientThrottles reports whether the client throttles itself on the
// throttle_time_ms of resp (KIP-219: Produce v6+, Fetch v8+, ...), as
// kmsg knows from Kafka's message definitions.
func clientThrottles(resp kmsg.Response) bool {
	t, ok := resp.(kmsg.ThrottleResponse)
	if !ok {
		return false
	}
	_, self := t.Throttle()
	return self
}

// mute sends what is buffered, then reads nothing from the connection for
// d: a throttled client's next requests wait in its socket, as Kafka mutes
// the channel of a client that broke its quota.
func mute(ctx context.Context, w *bufio.Writer, d time.Duration) error {
	if err := w.Flush(); err != nil {
		return err
	}
	sleepContext(ctx, d)
	return ctx.Err()
}

// handshaken is a connection whose TLS handshake was made before the
// server got it: the CONTROLLER listener's, which decrypts a connection's
// first bytes to tell the quorum's from Kafka clients'.
type handshaken interface {
	net.Conn
	ConnectionState() tls.ConnectionState
}

// handshakeTimeout bounds a TLS handshake, so that a client that connects
// and says nothing holds its connection no longer.
const handshakeTimeout = 10 * time.Second

// handshake runs the server side of a TLS handshake on conn.
func (s *Server) handshake(conn net.Conn) (*tls.Conn, error) {
	tlsConn := tls.Server(&batchingConn{Conn: conn}, s.TLS.Config())
	tlsConn.SetDeadline(time.Now().Add(handshakeTimeout))
	if err := tlsConn.Handshake(); err != nil {
		return nil, err
	}
	tlsConn.SetDeadline(time.Time{})
	return tlsConn, nil
}

// errAuthenticationFailed ends a connection whose authentication failed.
var errAuthenticationFailed = errors.New("SASL authentication failed")

// closeAfterFailedAuthentication sends the failure's answer, then waits
// AuthFailureDelay before the connection is closed, as Kafka does.
func (s *Server) closeAfterFailedAuthentication(ctx context.Context, w *bufio.Writer) error {
	if err := w.Flush(); err != nil {
		return err
	}
	sleepContext(ctx, s.AuthFailureDelay)
	return errAuthenticationFailed
}

// setIdleDeadline gives the client connections.max.idle.ms to send its
// next request; a connection silent for longer is closed.
func (s *Server) setIdleDeadline(conn net.Conn) {
	if s.Connections == nil {
		return
	}
	if idle := s.Connections.idleTimeout(); idle > 0 {
		conn.SetReadDeadline(time.Now().Add(idle))
	}
}

// serveLimited serves req within queued.max.requests: it waits for a slot,
// except for a follower's fetch (see Limits.QueuedMaxRequests).
func (s *Server) serveLimited(ctx context.Context, req *wire.Request) (kmsg.Response, error) {
	if isFollowerFetch(req.Body) {
		return s.serve(ctx, req)
	}
	if err := s.Connections.acquire(ctx); err != nil {
		return nil, err
	}
	defer s.Connections.releaseSlot()
	return s.serve(ctx, req)
}

// isFollowerFetch reports whether body is a fetch from a replica.
func isFollowerFetch(body kmsg.Request) bool {
	f, ok := body.(*kmsg.FetchRequest)
	return ok && (f.ReplicaID >= 0 || f.ReplicaState.ID >= 0)
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

// decode parses a frame into a request on session. An ApiVersions request
// at a version the registry does not serve is handed on without a body, for
// the handler to answer at v0 as Kafka does (KIP-511); any other request the
// registry does not serve, or a body that does not decode, closes the
// connection.
func (s *Server) decode(frame []byte, session *wire.Session) (*wire.Request, error) {
	hdr, body, err := wire.ParseRequestHeader(frame)
	if err != nil {
		return nil, err
	}
	req := &wire.Request{Header: hdr, Session: session, Size: len(frame)}
	if !s.Registry.Supports(hdr.Key, hdr.Version) {
		if hdr.Key == apiVersionsKey {
			return req, nil
		}
		return nil, fmt.Errorf("unsupported api key %d version %d (client %q)", hdr.Key, hdr.Version, hdr.ClientID)
	}
	kreq := kmsg.RequestForKey(hdr.Key)
	kreq.SetVersion(hdr.Version)
	if err := kreq.ReadFrom(body); err != nil {
		return nil, fmt.Errorf("malformed %s v%d request: %w", kmsg.NameForKey(hdr.Key), hdr.Version, err)
	}
	req.Body = kreq
	return req, nil
}

// rawSASLRequest wraps a bare SASL token, which a client sends after
// SaslHandshake v0, as the SaslAuthenticate v0 request that would carry it.
func rawSASLRequest(frame []byte, session *wire.Session) *wire.Request {
	body := kmsg.NewPtrSASLAuthenticateRequest()
	body.Version, body.SASLAuthBytes = 0, frame
	return &wire.Request{Header: wire.RequestHeader{Key: saslAuthenticateKey}, Body: body, Session: session, Size: len(frame)}
}

// appendRawSASLToken appends the server's answer to a bare SASL token: the
// token, size-prefixed.
func appendRawSASLToken(buf []byte, resp kmsg.Response) []byte {
	token := resp.(*kmsg.SASLAuthenticateResponse).SASLAuthBytes
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(token)))
	return append(buf, token...)
}

// saslAuthenticateKey is SaslAuthenticate, which carries bare tokens too.
const saslAuthenticateKey = 36

// apiVersionsKey is ApiVersions, which a client may send at any version.
const apiVersionsKey = 18

// serve answers one request. A panic in a handler is a bug; it costs the
// connection, not the process.
func (s *Server) serve(ctx context.Context, req *wire.Request) (resp kmsg.Response, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.Logger.Error("handler panic", "api", kmsg.NameForKey(req.Header.Key), "version", req.Header.Version, "panic", r, "stack", string(debug.Stack()))
			resp, err = nil, fmt.Errorf("internal error serving %s", kmsg.NameForKey(req.Header.Key))
		}
	}()
	return s.Handler.Serve(ctx, req)
}

// encodeResponse encodes the frame of req's response: its own bytes into
// dst, and the frame in order as pieces slicing dst, except for a Fetch
// response, whose record batches are pieces of their own, not copied, or
// file regions placed between the pieces (wire.AppendFetchResponse).
func encodeResponse(dst []byte, pieces [][]byte, req *wire.Request, resp kmsg.Response) ([]byte, [][]byte) {
	if fetch, ok := resp.(*kmsg.FetchResponse); ok {
		return wire.AppendFetchResponse(dst, pieces, req.Header.CorrelationID, fetch, req.FetchRegions)
	}
	dst = wire.AppendResponse(dst, req.Header.CorrelationID, resp)
	return dst, append(pieces, dst)
}

// writePieces writes a response frame given as pieces, with regions of
// files placed between them (see wire.FetchRegion). A frame in one piece
// joins w's buffer, to be flushed with the responses around it. On a TCP
// connection, a frame in several (a Fetch response and its record batches)
// goes out with one writev after what w holds; on a TLS connection, see
// writeTLS. Regions: see writeRegions.
func writePieces(conn net.Conn, w *bufio.Writer, pieces [][]byte, regions []wire.FetchRegion) error {
	if c, ok := conn.(*tls.Conn); ok && (len(pieces) > 1 || len(regions) > 0) {
		return writeTLS(c, w, pieces, regions)
	}
	if len(regions) > 0 {
		return writeRegions(conn, w, pieces, regions)
	}
	if c, ok := conn.(*net.TCPConn); ok && len(pieces) > 1 {
		if err := w.Flush(); err != nil {
			return err
		}
		bufs := net.Buffers(pieces)
		_, err := bufs.WriteTo(c)
		return err
	}
	for _, p := range pieces {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return nil
}
