package netproxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// MaxConns bounds the connections one Proxy holds open at once; further
// connections are accepted and reset.
const MaxConns = 256

const (
	chunkSize     = 32 << 10        // the most read from a connection at once
	pipelineDepth = 64              // chunks in flight per direction (bounds a delayed link's memory)
	dialTimeout   = 5 * time.Second // to reach the target
	closeTimeout  = 10 * time.Second
)

type state int

const (
	healthy state = iota
	cut
	blackHole
)

// Proxy forwards the connections it accepts on a loopback port to a target
// address, healthy, delayed, cut or black-holed at the test's command (see
// the package comment). It is safe for concurrent use.
type Proxy struct {
	target string
	ln     net.Listener
	wg     sync.WaitGroup // the accept loop and every link's goroutines

	mu     sync.Mutex // guards the fields below
	state  state
	delay  time.Duration
	links  map[*link]struct{}
	closed bool
}

// Start listens on 127.0.0.1 on an ephemeral port and forwards every
// connection to target (host:port). Close the Proxy when done.
func Start(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy to %s: %w", target, err)
	}
	p := &Proxy{target: target, ln: ln, links: map[*link]struct{}{}}
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr is the address the proxy listens on, host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Port is the port the proxy listens on.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// Target is the address the proxy forwards to.
func (p *Proxy) Target() string { return p.target }

// Cut resets every connection and, until Heal, every new one.
func (p *Proxy) Cut() {
	p.mu.Lock()
	p.state = cut
	links := p.linksLocked(func(*link) bool { return true })
	p.mu.Unlock()
	resetAll(links)
}

// BlackHole drops, until Heal, every byte read on the link's connections,
// old and new, in both directions; new connections do not reach the target.
func (p *Proxy) BlackHole() {
	p.mu.Lock()
	p.state = blackHole
	p.mu.Unlock()
}

// Delay forwards every chunk read from now on d after it was read, in both
// directions; 0 removes the delay. It does not change whether the link is
// cut or black-holed.
func (p *Proxy) Delay(d time.Duration) {
	p.mu.Lock()
	p.delay = d
	p.mu.Unlock()
}

// Heal makes the link healthy again, without delay, and resets the
// connections that lost bytes while black-holed.
func (p *Proxy) Heal() {
	p.mu.Lock()
	p.state, p.delay = healthy, 0
	links := p.linksLocked(func(l *link) bool { return l.dropped.Load() })
	p.mu.Unlock()
	resetAll(links)
}

// Conns returns how many connections the proxy holds open.
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.links)
}

// Close stops listening, resets every connection and waits, a bounded
// time, for all of the proxy's goroutines to end.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	links := p.linksLocked(func(*link) bool { return true })
	p.mu.Unlock()
	p.ln.Close()
	resetAll(links)
	done := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-time.After(closeTimeout):
		return fmt.Errorf("proxy to %s: goroutines still running %v after Close", p.target, closeTimeout)
	}
}

// mode returns whether bytes read now are forwarded, and with what delay.
func (p *Proxy) mode() (forward bool, delay time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state == healthy, p.delay
}

func (p *Proxy) linksLocked(keep func(*link) bool) []*link {
	var out []*link
	for l := range p.links {
		if keep(l) {
			out = append(out, l)
		}
	}
	return out
}

func resetAll(links []*link) {
	for _, l := range links {
		l.finish(true)
	}
}

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil { // out of file descriptors, say: try again shortly
			time.Sleep(10 * time.Millisecond)
			continue
		}
		p.admit(c)
	}
}

// admit starts serving c, or resets it if the link is cut, the proxy
// closed or full.
func (p *Proxy) admit(c net.Conn) {
	p.mu.Lock()
	if p.closed || p.state == cut || len(p.links) >= MaxConns {
		p.mu.Unlock()
		resetConn(c)
		return
	}
	l := &link{client: c}
	withTarget := p.state != blackHole
	l.dropped.Store(!withTarget) // it never reaches the target: Heal must reset it
	p.links[l] = struct{}{}
	p.wg.Add(1)
	p.mu.Unlock()
	go p.serve(l, withTarget)
}

func (p *Proxy) forget(l *link) {
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
}

// serve dials the target (unless the connection came in black-holed) and
// pumps both directions until both end.
func (p *Proxy) serve(l *link, withTarget bool) {
	defer p.wg.Done()
	defer p.forget(l)
	var server net.Conn
	if withTarget {
		var err error
		if server, err = net.DialTimeout("tcp", p.target, dialTimeout); err != nil || !l.setServer(server) {
			if server != nil {
				resetConn(server)
			}
			l.finish(true)
			return
		}
	}
	var pumps sync.WaitGroup
	p.pump(&pumps, l, l.client, server)
	if server != nil {
		p.pump(&pumps, l, server, l.client)
	}
	pumps.Wait()
	l.finish(false)
}

// pump forwards src to dst (nil: nowhere) with a reader and a writer
// goroutine joined by a bounded pipeline, so that a delay adds latency
// without limiting throughput.
func (p *Proxy) pump(wg *sync.WaitGroup, l *link, src, dst net.Conn) {
	chunks := make(chan chunk, pipelineDepth)
	eof := new(atomic.Bool)
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(chunks)
		p.read(l, src, dst != nil, chunks, eof)
	}()
	go func() {
		defer wg.Done()
		p.write(l, dst, chunks, eof)
	}()
}

type chunk struct {
	data []byte
	due  time.Time
}

// read reads src until it ends, queueing what the link's state lets
// through and dropping the rest; eof records a clean end of stream.
func (p *Proxy) read(l *link, src net.Conn, hasDst bool, chunks chan<- chunk, eof *atomic.Bool) {
	buf := make([]byte, chunkSize)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			forward, delay := p.mode()
			if !forward || !hasDst {
				l.dropped.Store(true)
			} else {
				select {
				case chunks <- chunk{append([]byte(nil), buf[:n]...), time.Now().Add(delay)}:
				case <-l.done():
					return
				}
			}
		}
		if err != nil {
			eof.Store(errors.Is(err, io.EOF))
			return
		}
	}
}

// write writes each chunk to dst when it is due, unless the link went
// down meanwhile; after the last it passes a clean end of stream on as a
// half-close, anything else as a reset.
func (p *Proxy) write(l *link, dst net.Conn, chunks <-chan chunk, eof *atomic.Bool) {
	for c := range chunks {
		if !sleepUntil(c.due, l.done()) {
			return
		}
		if forward, _ := p.mode(); !forward {
			l.dropped.Store(true)
			continue
		}
		if _, err := dst.Write(c.data); err != nil {
			l.finish(true)
			return
		}
	}
	switch {
	case !eof.Load():
		l.finish(true)
	case dst != nil:
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
	}
}

func sleepUntil(due time.Time, cancel <-chan struct{}) bool {
	d := time.Until(due)
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-cancel:
		return false
	}
}

// link is one proxied connection: the client's, and the one to the target.
type link struct {
	client  net.Conn
	dropped atomic.Bool // bytes were dropped: the stream has a hole

	mu       sync.Mutex // guards the fields below
	server   net.Conn   // nil until dialled, or if it came in black-holed
	finished bool
	doneCh   chan struct{}
}

func (l *link) done() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.doneCh == nil {
		l.doneCh = make(chan struct{})
	}
	return l.doneCh
}

// setServer records the connection to the target, unless the link has
// already finished.
func (l *link) setServer(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.finished {
		return false
	}
	l.server = c
	return true
}

// finish closes both connections, with a reset if reset, once.
func (l *link) finish(reset bool) {
	l.mu.Lock()
	if l.finished {
		l.mu.Unlock()
		return
	}
	l.finished = true
	if l.doneCh == nil {
		l.doneCh = make(chan struct{})
	}
	close(l.doneCh)
	server := l.server
	l.mu.Unlock()
	for _, c := range []net.Conn{l.client, server} {
		switch {
		case c == nil:
		case reset:
			resetConn(c)
		default:
			c.Close()
		}
	}
}

// resetConn closes c with an RST rather than a FIN.
func resetConn(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}
