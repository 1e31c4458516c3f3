package netproxy

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// echoServer is a loopback TCP server that writes back what it reads and
// counts the connections and bytes that reach it.
type echoServer struct {
	ln       net.Listener
	accepted atomic.Int64
	received atomic.Int64
	wg       sync.WaitGroup
}

func startEcho(t *testing.T) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &echoServer{ln: ln}
	e.wg.Add(1)
	go e.serve()
	t.Cleanup(func() {
		ln.Close()
		e.wg.Wait()
	})
	return e
}

func (e *echoServer) serve() {
	defer e.wg.Done()
	var conns sync.WaitGroup
	defer conns.Wait()
	for {
		c, err := e.ln.Accept()
		if err != nil {
			return
		}
		e.accepted.Add(1)
		conns.Add(1)
		go func() {
			defer conns.Done()
			defer c.Close()
			buf := make([]byte, 4096)
			for {
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				n, err := c.Read(buf)
				e.received.Add(int64(n))
				if err != nil || n > 0 && writeAll(c, buf[:n]) != nil {
					return
				}
			}
		}()
	}
}

func writeAll(c net.Conn, b []byte) error {
	_, err := c.Write(b)
	return err
}

func startProxy(t *testing.T, target string) *Proxy {
	t.Helper()
	p, err := Start(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

func dial(t *testing.T, p *Proxy) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.Addr(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip writes msg and reads it back within d.
func roundTrip(c net.Conn, msg string, d time.Duration) error {
	c.SetDeadline(time.Now().Add(d))
	if _, err := c.Write([]byte(msg)); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		return err
	}
	if string(got) != msg {
		return errors.New("echoed " + string(got) + ", want " + msg)
	}
	return nil
}

func mustEcho(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	if err := roundTrip(c, msg, 2*time.Second); err != nil {
		t.Fatalf("round trip %q: %v", msg, err)
	}
}

// mustFail checks that a round trip on c fails with an error other than a
// timeout (a reset or end of stream), promptly.
func mustFail(t *testing.T, c net.Conn) {
	t.Helper()
	err := roundTrip(c, "x", 2*time.Second)
	if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("round trip on a cut link: %v, want a reset or end of stream", err)
	}
}

// mustTimeOut checks that a round trip on c times out rather than fails.
func mustTimeOut(t *testing.T, c net.Conn) {
	t.Helper()
	if err := roundTrip(c, "x", 300*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("round trip on a black-holed link: %v, want a timeout", err)
	}
}

// TestForwardsBothWays proves that a healthy proxy carries bytes to the
// target and back, and passes the client's end of stream on.
func TestForwardsBothWays(t *testing.T) {
	e := startEcho(t)
	p := startProxy(t, e.ln.Addr().String())
	c := dial(t, p)
	mustEcho(t, c, "hello")
	mustEcho(t, c, "again")
	c.(*net.TCPConn).CloseWrite()
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("after half-close: read %d, %v; want the echo server's end of stream", n, err)
	}
}

// TestCut proves that Cut resets open connections, resets new ones before
// they reach the target, and that after Heal new connections work.
func TestCut(t *testing.T) {
	e := startEcho(t)
	p := startProxy(t, e.ln.Addr().String())
	old := dial(t, p)
	mustEcho(t, old, "before")
	p.Cut()
	mustFail(t, old)
	if c, err := net.DialTimeout("tcp", p.Addr(), 2*time.Second); err == nil { // or reset while connecting
		defer c.Close()
		mustFail(t, c)
	}
	if n := e.accepted.Load(); n != 1 {
		t.Fatalf("the target accepted %d connections, want 1: a cut link reached it", n)
	}
	p.Heal()
	mustEcho(t, dial(t, p), "after")
}

// TestBlackHole proves that a black-holed link keeps connections open but
// delivers nothing either way (the client times out, the target sees
// neither bytes nor new connections), and that Heal resets the connections
// that lost bytes and lets new ones through.
func TestBlackHole(t *testing.T) {
	e := startEcho(t)
	p := startProxy(t, e.ln.Addr().String())
	old := dial(t, p)
	mustEcho(t, old, "before")
	received := e.received.Load()
	p.BlackHole()
	mustTimeOut(t, old)
	mustTimeOut(t, dial(t, p))
	if n := e.accepted.Load(); n != 1 {
		t.Fatalf("the target accepted %d connections, want 1", n)
	}
	if n := e.received.Load(); n != received {
		t.Fatalf("the target received %d bytes while black-holed", n-received)
	}
	p.Heal()
	mustFail(t, old)
	mustEcho(t, dial(t, p), "after")
}

// TestDelay proves that Delay adds its latency to each direction, that a
// delayed link still carries pipelined chunks without waiting for each
// other, and that Heal removes the delay.
func TestDelay(t *testing.T) {
	const d = 150 * time.Millisecond
	e := startEcho(t)
	p := startProxy(t, e.ln.Addr().String())
	c := dial(t, p)
	p.Delay(d)
	start := time.Now()
	mustEcho(t, c, "slow")
	if rtt := time.Since(start); rtt < 2*d {
		t.Fatalf("round trip took %v with a delay of %v each way, want at least %v", rtt, d, 2*d)
	}
	start = time.Now()
	for i := range 5 { // five chunks, each written after the last one's delay started
		if _, err := c.Write([]byte{byte('a' + i)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, make([]byte, 5)); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*d {
		t.Fatalf("five pipelined chunks took %v, want about %v: chunks waited for each other", took, 2*d)
	}
	p.Heal()
	start = time.Now()
	mustEcho(t, c, "fast")
	if rtt := time.Since(start); rtt >= d {
		t.Fatalf("round trip took %v after Heal", rtt)
	}
}

// TestCloseEndsEverything proves that Close resets the open connections,
// refuses new ones and returns only once all its goroutines have ended.
func TestCloseEndsEverything(t *testing.T) {
	e := startEcho(t)
	p, err := Start(e.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	for range 3 {
		c := dial(t, p)
		mustEcho(t, c, "x")
		conns = append(conns, c)
	}
	p.BlackHole()
	conns = append(conns, dial(t, p)) // one that never reached the target
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if n := p.Conns(); n != 0 {
		t.Fatalf("%d connections open after Close", n)
	}
	for _, c := range conns {
		mustFail(t, c)
	}
	if c, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		c.Close()
		t.Fatal("a closed proxy accepted a connection")
	}
}
