package node

// The CONTROLLER listener carries two protocols, as in Kafka, where the
// controllers' Raft RPCs and the Kafka requests of --bootstrap-controller
// clients share it: the quorum's own frames (internal/controller's
// transport) and Kafka requests, which a server of the controller's APIs
// answers. splitControllerListener tells them apart by a connection's first
// bytes (controller.IsQuorumConnection) and hands each connection, its
// first bytes replayed, to one of two listeners.
//
// On a SASL_PLAINTEXT or SASL_SSL controller listener a quorum connection
// first authenticates (auth.ServeQuorum); on PLAINTEXT its principal is
// User:ANONYMOUS, on SSL the one its client certificate names (or
// ANONYMOUS). Either way the principal must be allowed ClusterAction on
// the cluster, as Kafka's controller asks of the Raft, BrokerRegistration
// and BrokerHeartbeat requests (so with an authorizer and a PLAINTEXT
// controller listener, super.users names User:ANONYMOUS, as in Kafka); a
// Kafka client authenticates with SaslHandshake and SaslAuthenticate, as
// on a broker listener.

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"gregor/internal/acl"
	"gregor/internal/auth"
	"gregor/internal/controller"
	"gregor/internal/handler"
)

// sniffTimeout bounds how long a new connection may stay silent before
// its protocol is known; a silent one is closed.
const sniffTimeout = 10 * time.Second

// controllerMux splits one bound listener into the quorum's and Kafka's.
// Closing one side refuses its connections from then on; the bound
// listener closes when run's context ends (or close is called).
type controllerMux struct {
	ln net.Listener
	// tls, on an SSL controller listener, is the handshake every
	// connection makes before its first bytes are read; nil on PLAINTEXT.
	tls    *auth.ListenerTLS
	quorum *chanListener
	kafka  *chanListener
	// sasl, on a SASL controller listener, authenticates quorum
	// connections, and authorize admits their principals; set before run.
	sasl      *auth.SASL
	authorize func(p acl.Principal, host string) error
	logger    *slog.Logger

	closeOnce sync.Once
	done      chan struct{} // closed by close

	refusalMu   sync.Mutex // guards the two fields below
	lastRefusal time.Time  // of the last refusal logged
	suppressed  int        // refusals since, not logged
}

// refusalLogInterval is the least time between two log lines of refused
// quorum connections: a refused peer dials again within milliseconds.
const refusalLogInterval = 10 * time.Second

// splitControllerListener returns the quorum's and Kafka's sides of ln;
// run must then be called for either to accept anything.
func splitControllerListener(ln net.Listener, t *auth.ListenerTLS) *controllerMux {
	m := &controllerMux{ln: ln, tls: t, done: make(chan struct{})}
	m.quorum = newChanListener(m)
	m.kafka = newChanListener(m)
	return m
}

// run accepts connections until ctx ends or the mux is closed, routing
// each by its first bytes.
func (m *controllerMux) run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, m.close)
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for backoff := time.Millisecond; ; {
		conn, err := m.ln.Accept()
		select {
		case <-m.done:
			if conn != nil {
				conn.Close()
			}
			return nil
		default:
		}
		if err != nil {
			time.Sleep(backoff)
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = time.Millisecond
		wg.Add(1)
		go func() { defer wg.Done(); m.route(conn) }()
	}
}

// route reads the first bytes of conn and hands it to the side they name.
func (m *controllerMux) route(conn net.Conn) {
	prefix := make([]byte, controller.QuorumPrefixLen)
	conn.SetDeadline(time.Now().Add(sniffTimeout))
	var tlsConn *tls.Conn
	if m.tls != nil {
		tlsConn = tls.Server(conn, m.tls.Config())
		if err := tlsConn.Handshake(); err != nil {
			conn.Close()
			return
		}
		conn = tlsConn
	}
	_, err := io.ReadFull(conn, prefix)
	conn.SetDeadline(time.Time{})
	if err != nil {
		conn.Close()
		return
	}
	side := m.kafka
	var expiry *time.Timer
	switch {
	case m.sasl != nil && auth.IsQuorumLogin(prefix):
		if !m.login(conn, prefix) {
			conn.Close()
			return
		}
		side, expiry = m.quorum, m.expire(conn)
	case controller.IsQuorumConnection(prefix) && m.sasl != nil:
		m.logger.Info("closing a controller connection that did not authenticate on the SASL controller listener", "remote", conn.RemoteAddr())
		conn.Close()
		return
	case controller.IsQuorumConnection(prefix):
		if !m.admit(conn, tlsConn) {
			conn.Close()
			return
		}
		side = m.quorum
	}
	var replay net.Conn = &replayConn{Conn: conn, prefix: prefix, expiry: expiry}
	if tlsConn != nil {
		replay = &tlsReplayConn{replayConn: replay.(*replayConn), tls: tlsConn}
	}
	select {
	case side.conns <- replay:
	case <-side.closed:
		replay.Close()
	case <-m.done:
		replay.Close()
	}
}

// login authenticates and authorizes a quorum connection whose first
// bytes, prefix, open the SASL exchange, then reads the first bytes of
// its hello into prefix. A refusal is logged, once, here.
func (m *controllerMux) login(conn net.Conn, prefix []byte) bool {
	host, _, _ := net.SplitHostPort(conn.RemoteAddr().String())
	p, err := m.sasl.ServeQuorum(conn, prefix, func(p acl.Principal) error { return m.authorize(p, host) })
	if err != nil {
		m.logger.Info("failed authentication on the controller listener", "remote", conn.RemoteAddr(), "principal", p, "err", err)
		return false
	}
	conn.SetDeadline(time.Now().Add(sniffTimeout))
	defer conn.SetDeadline(time.Time{})
	_, err = io.ReadFull(conn, prefix)
	return err == nil && controller.IsQuorumConnection(prefix)
}

// admit authorizes a quorum connection of a PLAINTEXT or SSL controller
// listener: its principal is ANONYMOUS, or the one its client certificate
// names. A refusal is logged here.
func (m *controllerMux) admit(conn net.Conn, tlsConn *tls.Conn) bool {
	p := acl.Anonymous
	if tlsConn != nil {
		var err error
		if p, err = m.tls.Principal(tlsConn.ConnectionState()); err != nil {
			m.logger.Info("closing a controller connection whose certificate maps to no principal", "remote", conn.RemoteAddr(), "err", err)
			return false
		}
	}
	host, _, _ := net.SplitHostPort(conn.RemoteAddr().String())
	if err := m.authorize(p, host); err != nil {
		m.refused(conn.RemoteAddr(), p, err)
		return false
	}
	return true
}

// refused logs a refused quorum connection, at most once per
// refusalLogInterval; a line counts the refusals not logged since the last.
func (m *controllerMux) refused(remote net.Addr, p acl.Principal, err error) {
	m.refusalMu.Lock()
	defer m.refusalMu.Unlock()
	if now := time.Now(); now.Sub(m.lastRefusal) >= refusalLogInterval {
		m.logger.Warn("closing an unauthorized controller connection", "remote", remote, "principal", p, "err", err,
			"refused since the last line", m.suppressed)
		m.lastRefusal, m.suppressed = now, 0
		return
	}
	m.suppressed++
}

// expire closes conn, an authenticated quorum connection, when its SASL
// session ends (connections.max.reauth.ms), as Kafka's server closes a
// connection that did not re-authenticate in time: the quorum's side
// dials again and logs in anew. nil without a session lifetime.
func (m *controllerMux) expire(conn net.Conn) *time.Timer {
	if m.sasl.SessionLifetime <= 0 {
		return nil
	}
	return time.AfterFunc(m.sasl.SessionLifetime, func() {
		m.logger.Debug("closing a quorum connection whose SASL session expired (connections.max.reauth.ms)", "remote", conn.RemoteAddr())
		conn.Close()
	})
}

func (m *controllerMux) close() {
	m.closeOnce.Do(func() {
		close(m.done)
		m.ln.Close()
	})
}

// chanListener is one side of a controllerMux.
type chanListener struct {
	mux       *controllerMux
	conns     chan net.Conn
	closeOnce sync.Once
	closed    chan struct{} // closed by Close
}

func newChanListener(m *controllerMux) *chanListener {
	return &chanListener{mux: m, conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	case <-l.mux.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.mux.ln.Addr() }

// tlsReplayConn is a replayConn over TLS: the Kafka server takes the
// principal of an SSL listener from its handshake, already made.
type tlsReplayConn struct {
	*replayConn
	tls *tls.Conn
}

// ConnectionState is the state of the handshake the mux made.
func (c *tlsReplayConn) ConnectionState() tls.ConnectionState { return c.tls.ConnectionState() }

// replayConn is a connection whose first bytes, already read, are read
// again first.
type replayConn struct {
	net.Conn
	prefix []byte
	expiry *time.Timer // closes the connection when its SASL session ends; nil for never
}

// Close closes the connection and stops its expiry.
func (c *replayConn) Close() error {
	if c.expiry != nil {
		c.expiry.Stop()
	}
	return c.Conn.Close()
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// serveControllerListener runs the CONTROLLER listener's mux under g and
// a server of the controller's Kafka APIs (handler.ControllerRegistry) on
// its Kafka side, with the listener's TLS and SASL. The quorum's
// transport takes the other side (controller.Run).
func (n *Node) serveControllerListener(ctx context.Context, g *errgroup.Group, h *handler.Handler) {
	if n.ctrlMux == nil {
		return
	}
	l, _ := n.cfg.ControllerListener()
	n.ctrlMux.sasl, n.ctrlMux.authorize, n.ctrlMux.logger = n.sasl[l.Name], n.authorizeQuorum, n.logger
	s := n.server(h, handler.ControllerRegistry(), l)
	s.TLS = n.ctrlMux.tls
	g.Go(func() error {
		// The mux closes only when ctx ends, but it may close the
		// listener before Serve sees ctx done (a sibling of ctx's
		// cancellation): that closing is the end, not an error.
		if err := s.Serve(ctx, n.ctrlMux.kafka); err != nil && !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("controller listener %s: %w", l.Name, err)
		}
		return nil
	})
	g.Go(func() error { return n.ctrlMux.run(ctx) })
}

// authorizeQuorum admits the principal of an authenticated quorum
// connection from host when the authorizer allows it ClusterAction on the
// cluster (super.users are), as Kafka's controller authorizes the quorum's
// and the brokers' requests; everyone without an authorizer.
func (n *Node) authorizeQuorum(p acl.Principal, host string) error {
	if n.authz == nil || n.authz.Authorize(p, host, acl.ClusterAction, acl.Resource{Type: acl.Cluster, Name: acl.ClusterName}) {
		return nil
	}
	return fmt.Errorf("principal %s is not authorized for ClusterAction on the cluster", p)
}
