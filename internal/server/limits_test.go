package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"regexp"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/wire"
)

// serveLimited serves h on a loopback listener named CLIENT under conns
// and returns its address.
func serveLimited(t testing.TB, h Handler, conns *Connections, logs io.Writer) string {
	return serveListener(t, h, conns, logs, "CLIENT")
}

// serveListener is serveLimited for the listener named name.
func serveListener(t testing.TB, h Handler, conns *Connections, logs io.Writer, name string) string {
	reg := wire.NewRegistry()
	reg.Add(18, 0, 4)
	reg.Add(3, 0, 12)
	reg.Add(1, 4, 17)
	reg.Add(0, 3, 13)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if logs == nil {
		logs = io.Discard
	}
	s := &Server{Handler: h, Registry: reg, ListenerName: name, SecurityProtocol: "PLAINTEXT",
		MaxRequestBytes: 1 << 20, Logger: slog.New(slog.NewTextHandler(logs, nil)), Connections: conns}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

var echo = handlerFunc(func(_ context.Context, req *wire.Request) (kmsg.Response, error) {
	return req.Body.ResponseKind(), nil
})

// dial connects to addr and proves the connection is served by a Metadata
// round trip (served true) or closed by the server unanswered (false).
func dial(t *testing.T, addr string) (net.Conn, bool) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, roundTrip(conn)
}

// roundTrip reports whether a Metadata request on conn is answered.
func roundTrip(conn net.Conn) bool {
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write(frame(kmsg.NewPtrMetadataRequest(), 4, 1)); err != nil {
		return false
	}
	_, err := wire.ReadFrame(bufio.NewReader(conn), 1<<20, nil)
	return err == nil
}

// waitClosedByServer waits until the server has closed conn.
func waitClosedByServer(t *testing.T, conn net.Conn) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read: %v, want the connection closed by the server", err)
	}
}

// TestConnectionsPerIP proves that max.connections.per.ip refuses the
// connection over the limit by closing it, that a freed slot is reused,
// and that an override for the address replaces the limit at runtime.
func TestConnectionsPerIP(t *testing.T) {
	conns := NewConnections(Limits{MaxConnectionsPerIP: 2})
	addr := serveLimited(t, echo, conns, nil)
	first, ok1 := dial(t, addr)
	_, ok2 := dial(t, addr)
	_, ok3 := dial(t, addr)
	if !ok1 || !ok2 || ok3 {
		t.Fatalf("served %v %v %v, want the third refused", ok1, ok2, ok3)
	}
	first.Close()
	waitFor(t, func() bool { _, ok := dial(t, addr); return ok })

	conns.SetLimits(Limits{MaxConnectionsPerIP: 2, PerIPOverrides: map[string]int{"127.0.0.1": 4}})
	_, ok4 := dial(t, addr)
	_, ok5 := dial(t, addr)
	if !ok4 || !ok5 {
		t.Fatalf("with an override of 4: served %v %v", ok4, ok5)
	}
}

// request opens a connection to addr and sends a Metadata request on it.
func request(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.Write(frame(kmsg.NewPtrMetadataRequest(), 4, 1)); err != nil {
		t.Fatal(err)
	}
	return conn, bufio.NewReader(conn)
}

// answered reports whether the request sent on conn is answered within d.
func answered(conn net.Conn, r *bufio.Reader, d time.Duration) bool {
	conn.SetReadDeadline(time.Now().Add(d))
	_, err := wire.ReadFrame(r, 1<<20, nil)
	return err == nil
}

// TestMaxConnections proves that max.connections bounds the connections of
// every address together as Kafka's acceptor does: a connection over it is
// not refused but waits, unread, until another closes; raising the limit
// at runtime admits the next at once.
func TestMaxConnections(t *testing.T) {
	conns := NewConnections(Limits{MaxConnections: 1, MaxConnectionsPerIP: 100})
	addr := serveLimited(t, echo, conns, nil)
	first, ok := dial(t, addr)
	if !ok {
		t.Fatal("the first connection is not served")
	}
	second, r := request(t, addr)
	if answered(second, r, 300*time.Millisecond) {
		t.Fatal("a connection over max.connections is served")
	}
	first.Close()
	if !answered(second, r, 10*time.Second) {
		t.Fatal("the waiting connection is not served once the first closed")
	}
	third, r3 := request(t, addr)
	if answered(third, r3, 300*time.Millisecond) {
		t.Fatal("a connection over max.connections is served")
	}
	conns.SetLimits(Limits{MaxConnections: 2, MaxConnectionsPerIP: 100})
	if !answered(third, r3, 10*time.Second) {
		t.Fatal("the waiting connection is not served after max.connections went to 2")
	}
}

// TestListenerConnectionLimits proves listener.name.<l>.max.connections
// (a listener at its own limit waits likewise) and the protected
// inter-broker listener, which max.connections does not hold back.
func TestListenerConnectionLimits(t *testing.T) {
	conns := NewConnections(Limits{MaxConnectionsPerIP: 100, PerListener: map[string]int{"CLIENT": 1}})
	addr := serveLimited(t, echo, conns, nil)
	if _, ok := dial(t, addr); !ok {
		t.Fatal("the first connection is not served")
	}
	second, r := request(t, addr)
	if answered(second, r, 300*time.Millisecond) {
		t.Fatal("a connection over the listener's max.connections is served")
	}

	conns = NewConnections(Limits{MaxConnections: 1, MaxConnectionsPerIP: 100, Protected: "CLIENT"})
	addr = serveLimited(t, echo, conns, nil)
	_, ok1 := dial(t, addr)
	_, ok2 := dial(t, addr)
	if !ok1 || !ok2 {
		t.Fatalf("on the protected listener: served %v %v, want both", ok1, ok2)
	}
}

// TestRefusalsLoggedOncePerSecond proves that refused and evicted
// connections are logged at most once a second, each line counting those
// not logged.
func TestRefusalsLoggedOncePerSecond(t *testing.T) {
	for _, log := range []func(*Connections, *slog.Logger, string, net.Addr){(*Connections).refused, (*Connections).evicted} {
		var logs bytes.Buffer
		conns := NewConnections(Limits{})
		clock := time.Unix(0, 0)
		conns.now = func() time.Time { return clock }
		logger := slog.New(slog.NewTextHandler(&logs, nil))
		remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}
		for i := 0; i < 5; i++ {
			log(conns, logger, "CLIENT", remote)
			clock = clock.Add(300 * time.Millisecond)
		}
		got := regexp.MustCompile(`suppressed=(\d)`).FindAllStringSubmatch(logs.String(), -1)
		if len(got) != 2 || got[0][1] != "0" || got[1][1] != "3" {
			t.Fatalf("log lines: %q", logs.String())
		}
	}
}

// TestIdleConnectionClosed proves that a connection silent for
// connections.max.idle.ms is closed, and that one sending requests more
// often stays open.
func TestIdleConnectionClosed(t *testing.T) {
	conns := NewConnections(Limits{MaxConnectionsPerIP: 100, IdleTimeout: 200 * time.Millisecond})
	addr := serveLimited(t, echo, conns, nil)
	idle, _ := dial(t, addr)
	busy, _ := dial(t, addr)
	r := bufio.NewReader(busy)
	for i := 0; i < 6; i++ {
		time.Sleep(100 * time.Millisecond)
		if _, err := busy.Write(frame(kmsg.NewPtrMetadataRequest(), 4, int32(i))); err != nil {
			t.Fatalf("busy connection: %v", err)
		}
		if _, err := wire.ReadFrame(r, 1<<20, nil); err != nil {
			t.Fatalf("busy connection after %d requests: %v", i, err)
		}
	}
	waitClosedByServer(t, idle)
}

// TestQueuedMaxRequests proves that queued.max.requests bounds the
// requests served at once over every connection: with one slot held by a
// request that does not finish, another connection's request waits, a
// follower's fetch does not, and the waiting request is served once the
// slot frees.
func TestQueuedMaxRequests(t *testing.T) {
	unblock := make(chan struct{})
	served := make(chan int32, 4)
	h := handlerFunc(func(_ context.Context, req *wire.Request) (kmsg.Response, error) {
		if req.Header.CorrelationID == 100 {
			<-unblock
		}
		served <- req.Header.CorrelationID
		return req.Body.ResponseKind(), nil
	})
	addr := serveLimited(t, h, NewConnections(Limits{MaxConnectionsPerIP: 100, QueuedMaxRequests: 1}), nil)
	send := func(req kmsg.Request, v int16, id int32) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		if _, err := conn.Write(frame(req, v, id)); err != nil {
			t.Fatal(err)
		}
	}
	send(kmsg.NewPtrMetadataRequest(), 4, 100)
	time.Sleep(50 * time.Millisecond) // let it take the slot
	send(kmsg.NewPtrMetadataRequest(), 4, 200)
	follower := kmsg.NewPtrFetchRequest()
	follower.ReplicaID = 2
	send(follower, 4, 300)
	if got := <-served; got != 300 {
		t.Fatalf("served %d first, want the follower fetch 300", got)
	}
	select {
	case got := <-served:
		t.Fatalf("served %d while the only slot is held", got)
	case <-time.After(200 * time.Millisecond):
	}
	close(unblock)
	if a, b := <-served, <-served; a != 100 || b != 200 {
		t.Fatalf("served %d, %d after the slot freed, want 100, 200", a, b)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// evictionSetup serves h on a CLIENT and a protected BROKER listener that
// share max.connections of 3, and returns their addresses.
func evictionSetup(t *testing.T, h Handler) (conns *Connections, client, broker string) {
	conns = NewConnections(Limits{MaxConnections: 3, MaxConnectionsPerIP: 100, Protected: "BROKER"})
	return conns, serveLimited(t, h, conns, nil), serveListener(t, h, conns, nil, "BROKER")
}

// served reports how many connections conns counts, not yet closing.
func (c *Connections) served() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total - c.closing
}

// TestProtectedConnectionEvictsLeastRecentlyUsed proves KIP-402: with
// max.connections taken by clients, a connection on the protected
// listener is served at once and the client connection least recently
// active (not the oldest) is closed, the others staying open; so is the
// next one, for a second protected connection.
func TestProtectedConnectionEvictsLeastRecentlyUsed(t *testing.T) {
	conns, client, broker := evictionSetup(t, echo)
	a, _ := dial(t, client)
	b, _ := dial(t, client)
	c, _ := dial(t, client)
	if !roundTrip(a) {
		t.Fatal("a client connection is not served")
	}
	if _, ok := dial(t, broker); !ok {
		t.Fatal("the protected connection is not served")
	}
	waitClosedByServer(t, b)
	if !roundTrip(a) || !roundTrip(c) {
		t.Fatal("a client connection more recently active than the evicted one is closed")
	}
	if _, ok := dial(t, broker); !ok {
		t.Fatal("the second protected connection is not served")
	}
	waitClosedByServer(t, a)
	if !roundTrip(c) {
		t.Fatal("the most recently active client connection is closed")
	}
	waitFor(t, func() bool { return conns.served() == 3 })
}

// TestEvictionClosesServedRequest proves that a connection whose request
// is being served is not spared, as Kafka does not spare it: its last
// activity is the request's read, and its handler sees its context end.
func TestEvictionClosesServedRequest(t *testing.T) {
	started, canceled := make(chan struct{}), make(chan struct{})
	h := handlerFunc(func(ctx context.Context, req *wire.Request) (kmsg.Response, error) {
		if req.Header.CorrelationID == 100 {
			close(started)
			<-ctx.Done()
			close(canceled)
			return nil, ctx.Err()
		}
		return req.Body.ResponseKind(), nil
	})
	_, client, broker := evictionSetup(t, h)
	busy, err := net.Dial("tcp", client)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	if _, err := busy.Write(frame(kmsg.NewPtrMetadataRequest(), 4, 100)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the request is not served")
	}
	b, _ := dial(t, client)
	c, _ := dial(t, client)
	if _, ok := dial(t, broker); !ok {
		t.Fatal("the protected connection is not served")
	}
	select {
	case <-canceled:
	case <-time.After(10 * time.Second):
		t.Fatal("the evicted connection's request is still served")
	}
	waitClosedByServer(t, busy)
	if !roundTrip(b) || !roundTrip(c) {
		t.Fatal("an idle client connection is closed instead of the least recently active one")
	}
}

// TestLowerMaxConnectionsEvicts proves that max.connections lowered at
// runtime closes the least recently active connections down to it, as
// Kafka's processors do, sparing the protected listener's.
func TestLowerMaxConnectionsEvicts(t *testing.T) {
	conns, client, broker := evictionSetup(t, echo)
	p, _ := dial(t, broker)
	a, _ := dial(t, client)
	b, _ := dial(t, client)
	if !roundTrip(a) {
		t.Fatal("a client connection is not served")
	}
	conns.SetLimits(Limits{MaxConnections: 1, MaxConnectionsPerIP: 100, Protected: "BROKER"})
	waitClosedByServer(t, b)
	waitClosedByServer(t, a)
	if !roundTrip(p) {
		t.Fatal("the protected connection, least recently active, is closed")
	}
	waitFor(t, func() bool { return conns.served() == 1 })
}
