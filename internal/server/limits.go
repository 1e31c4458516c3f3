package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
)

// Limits are a node's connection limits, shared by all its listeners.
type Limits struct {
	// MaxConnections is max.connections, over every listener (<= 0: no
	// limit): at the limit, a listener stops admitting connections until
	// one closes, as Kafka's acceptor waits for a slot; the connections
	// wait unread meanwhile. Protected's are not held back. Whenever the
	// total is over it (protected connections admitted at the limit, or a
	// lower limit set at runtime), the least recently active connection of
	// another listener is closed, until it is not, as Kafka's processors
	// close their least recently used one (KIP-402).
	MaxConnections int
	// PerListener holds listener.name.<l>.max.connections, by listener
	// name: a listener at its own limit waits likewise.
	PerListener map[string]int
	// Protected is the inter-broker listener when the node has others
	// (Kafka's protected listener): max.connections does not hold it back
	// and never closes its connections, so that clients filling the
	// broker cannot stop replication.
	Protected           string
	MaxConnectionsPerIP int            // max.connections.per.ip
	PerIPOverrides      map[string]int // by IP address as net.IP.String prints it
	IdleTimeout         time.Duration  // connections.max.idle.ms; <= 0: never
	// QueuedMaxRequests bounds the requests being served at once over all
	// connections (queued.max.requests). A connection whose request finds
	// no free slot stops reading until one frees, as Kafka's network
	// threads block on a full request queue. A produce's wait for its
	// fsync or its followers (a deferred response) holds no slot, as
	// Kafka's delayed produce leaves the queue; a follower's fetch is
	// exempt.
	QueuedMaxRequests int
	// QueuedMaxRequestBytes bounds the bytes of the requests being read or
	// served at once over all connections (queued.max.request.bytes; <= 0:
	// no limit). A connection whose next request finds the budget spent
	// stops reading until some is released; as Kafka's non-strict memory
	// pool, a request is admitted while any budget is left, even if it is
	// larger, so that one request of socket.request.max.bytes always fits.
	QueuedMaxRequestBytes int64
}

// errTooManyConnections refuses a connection over a limit.
var errTooManyConnections = errors.New("too many connections")

// Connections counts a node's open connections against its Limits and
// holds the slots of the requests being served. Limits change at runtime
// (SetLimits) except QueuedMaxRequests, fixed at creation as Kafka's is.
// Safe for concurrent use.
type Connections struct {
	serving *semaphore.Weighted // nil: no limit
	bytes   *byteBudget         // nil: no limit
	now     func() time.Time
	epoch   time.Time // connection.lastActive counts from it

	mu          sync.Mutex // guards the fields below
	limits      Limits
	total       int
	closing     int // of total: closed over max.connections, not yet released
	open        map[*connection]struct{}
	perIP       map[string]int // open connections by IP address
	perListener map[string]int // open connections by listener
	freed       chan struct{}  // closed (and replaced) when a slot may have freed
	refusals    logLimiter     // of connections over max.connections.per.ip
	evictions   logLimiter     // of connections closed over max.connections
	lastWait    time.Time      // of the last wait for a slot logged
}

// connection is one connection admitted by Connections. Its methods may
// be called on nil (a server without Connections).
type connection struct {
	c            *Connections
	listener, ip string
	close        func() // ends the connection; called at most once
	// lastActive is when the connection was admitted, last read a request
	// or last wrote a response, in nanoseconds since c.epoch: Kafka's
	// "least recently used" is the channel whose I/O is the oldest.
	lastActive atomic.Int64
	closing    bool // guarded by c.mu: closed over max.connections
}

// touch records activity on the connection now.
func (cn *connection) touch() {
	if cn != nil {
		cn.lastActive.Store(int64(cn.c.now().Sub(cn.c.epoch)))
	}
}

// NewConnections returns the counter of a node's connections under l.
func NewConnections(l Limits) *Connections {
	c := &Connections{perIP: map[string]int{}, perListener: map[string]int{}, open: map[*connection]struct{}{},
		freed: make(chan struct{}), now: time.Now, epoch: time.Now(), limits: l}
	if l.QueuedMaxRequests > 0 {
		c.serving = semaphore.NewWeighted(int64(l.QueuedMaxRequests))
	}
	if l.QueuedMaxRequestBytes > 0 {
		c.bytes = &byteBudget{avail: l.QueuedMaxRequestBytes, wake: make(chan struct{})}
	}
	return c
}

// SetLimits replaces the limits (a dynamic config change). Connections
// already open stay open, as in Kafka, and the new limits apply to the
// next, except that under a lower max.connections the least recently
// active connections of the unprotected listeners are closed down to it.
func (c *Connections) SetLimits(l Limits) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.limits = l
	c.evictLocked()
	c.wakeLocked()
}

// wakeLocked wakes the listeners waiting for a slot.
func (c *Connections) wakeLocked() {
	close(c.freed)
	c.freed = make(chan struct{})
}

// idleTimeout returns connections.max.idle.ms in effect.
func (c *Connections) idleTimeout() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.limits.IdleTimeout
}

// admit counts a new connection on listener from ip, which close ends.
// While max.connections (unless listener is the protected one) or the
// listener's own limit has no room, it waits for a connection to close or
// ctx to end, as Kafka's acceptor does; then a connection over
// max.connections.per.ip is refused with errTooManyConnections. A
// protected connection that takes the total over max.connections closes
// the least recently active one of the other listeners (evictLocked). It
// logs the first wait of each second.
func (c *Connections) admit(ctx context.Context, logger *slog.Logger, listener, ip string, close func()) (*connection, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for !c.slotLocked(listener) {
		if now := c.now(); logger != nil && now.Sub(c.lastWait) >= acceptLogInterval {
			c.lastWait = now
			logger.Warn("at max.connections: new connections wait for one to close", "listener", listener,
				"connections", c.total, "listener.connections", c.perListener[listener])
		}
		freed := c.freed
		c.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
		}
		c.mu.Lock()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	perIP := c.limits.MaxConnectionsPerIP
	if n, ok := c.limits.PerIPOverrides[ip]; ok {
		perIP = n
	}
	if c.perIP[ip] >= perIP {
		return nil, errTooManyConnections
	}
	c.total++
	c.perIP[ip]++
	c.perListener[listener]++
	cn := &connection{c: c, listener: listener, ip: ip, close: close}
	cn.touch()
	c.open[cn] = struct{}{}
	c.evictLocked()
	return cn, nil
}

// evictLocked closes the least recently active connection of a listener
// other than the protected one while the connections not yet closing are
// over max.connections, as each of Kafka's processors does at every poll
// (closeExcessConnections). A connection with a request being served is
// not spared: Kafka does not spare it either. Each is counted until its
// goroutine ends and releases it.
func (c *Connections) evictLocked() {
	for c.limits.MaxConnections > 0 && c.total-c.closing > c.limits.MaxConnections {
		var lru *connection
		for cn := range c.open {
			if !cn.closing && cn.listener != c.limits.Protected &&
				(lru == nil || cn.lastActive.Load() < lru.lastActive.Load()) {
				lru = cn
			}
		}
		if lru == nil {
			return // only protected connections are left open
		}
		lru.closing = true
		c.closing++
		lru.close()
	}
}

// slotLocked reports whether listener may admit one more connection
// (Kafka's connectionSlotAvailable).
func (c *Connections) slotLocked(listener string) bool {
	if max, ok := c.limits.PerListener[listener]; ok && c.perListener[listener] >= max {
		return false
	}
	return listener == c.limits.Protected || c.limits.MaxConnections <= 0 || c.total < c.limits.MaxConnections
}

// release uncounts a connection that admit counted.
func (c *Connections) release(cn *connection) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.open, cn)
	if cn.closing {
		c.closing--
	}
	c.total--
	if c.perIP[cn.ip]--; c.perIP[cn.ip] <= 0 {
		delete(c.perIP, cn.ip)
	}
	if c.perListener[cn.listener]--; c.perListener[cn.listener] <= 0 {
		delete(c.perListener, cn.listener)
	}
	c.wakeLocked()
}

// refused logs a refused connection, at most once a second; each line
// counts the refusals not logged since the last.
func (c *Connections) refused(logger *slog.Logger, listener string, remote net.Addr) {
	c.warnLimited(&c.refusals, logger, "refusing a connection over max.connections.per.ip", listener, remote)
}

// evicted logs a connection closed by evictLocked, as refused does.
func (c *Connections) evicted(logger *slog.Logger, listener string, remote net.Addr) {
	c.warnLimited(&c.evictions, logger, "closed the least recently used connection: over max.connections", listener, remote)
}

// warnLimited logs msg about a connection unless l held it back.
func (c *Connections) warnLimited(l *logLimiter, logger *slog.Logger, msg, listener string, remote net.Addr) {
	c.mu.Lock()
	suppressed, ok := l.allow(c.now())
	c.mu.Unlock()
	if ok {
		logger.Warn(msg, "listener", listener, "remote", remote.String(), "suppressed", suppressed)
	}
}

// acquire takes a slot to serve one request, waiting for one to free.
func (c *Connections) acquire(ctx context.Context) error {
	if c == nil || c.serving == nil {
		return nil
	}
	return c.serving.Acquire(ctx, 1)
}

// releaseSlot frees a slot taken by acquire.
func (c *Connections) releaseSlot() {
	if c != nil && c.serving != nil {
		c.serving.Release(1)
	}
}

// ipOf returns the IP address of a connection's remote end as the limits
// key it: net.IP.String's form, or the whole address if it has no IP.
func ipOf(a net.Addr) string {
	if tcp, ok := a.(*net.TCPAddr); ok {
		return tcp.IP.String()
	}
	return a.String()
}

// byteBudget is queued.max.request.bytes: bytes taken while a request is
// read and served, given back after. Safe for concurrent use.
type byteBudget struct {
	mu    sync.Mutex
	avail int64
	wake  chan struct{} // closed (and replaced) when bytes are given back
}

// acquireBytes takes n bytes of the request budget, waiting while none is
// left; it returns how many to give back with releaseBytes.
func (c *Connections) acquireBytes(ctx context.Context, n int64) (int64, error) {
	if c == nil || c.bytes == nil {
		return 0, nil
	}
	b := c.bytes
	for {
		b.mu.Lock()
		if b.avail > 0 {
			b.avail -= n
			b.mu.Unlock()
			return n, nil
		}
		wake := b.wake
		b.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// releaseBytes gives back n bytes taken by acquireBytes.
func (c *Connections) releaseBytes(n int64) {
	if c == nil || c.bytes == nil || n == 0 {
		return
	}
	b := c.bytes
	b.mu.Lock()
	b.avail += n
	close(b.wake)
	b.wake = make(chan struct{})
	b.mu.Unlock()
}
