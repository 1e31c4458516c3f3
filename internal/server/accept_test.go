package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"regexp"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/wire"
)

// errEMFILE is a failed accept as the net package reports running out of
// file descriptors.
var errEMFILE = &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}

// scriptedListener answers Accept from results, in order, then blocks until
// closed. Closing it makes Accept fail with net.ErrClosed.
type scriptedListener struct {
	results chan acceptResult
	closed  chan struct{}
}

type acceptResult struct {
	conn net.Conn
	err  error
}

func newScriptedListener(results ...acceptResult) *scriptedListener {
	l := &scriptedListener{results: make(chan acceptResult, len(results)), closed: make(chan struct{})}
	for _, r := range results {
		l.results <- r
	}
	return l
}

func (l *scriptedListener) Accept() (net.Conn, error) {
	select {
	case <-l.closed:
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: net.ErrClosed}
	default:
	}
	select {
	case r := <-l.results:
		return r.conn, r.err
	case <-l.closed:
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: net.ErrClosed}
	}
}

func (l *scriptedListener) Close() error {
	select {
	case <-l.closed:
	default:
		close(l.closed)
	}
	return nil
}

func (l *scriptedListener) Addr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9092}
}

func failures(n int) []acceptResult {
	out := make([]acceptResult, n)
	for i := range out {
		out[i].err = errEMFILE
	}
	return out
}

// TestAcceptorBackoff proves that failed accepts are retried after delays
// that double from 5ms to 1s and start over after a success, and that they
// are logged at most once a second, each line counting those not logged.
func TestAcceptorBackoff(t *testing.T) {
	c1, _ := net.Pipe()
	c2, _ := net.Pipe()
	script := append(failures(10), acceptResult{conn: c1})
	script = append(append(script, failures(2)...), acceptResult{conn: c2})
	var logs bytes.Buffer
	clock := time.Unix(0, 0)
	var delays []time.Duration
	a := newAcceptor(newScriptedListener(script...), slog.New(slog.NewTextHandler(&logs, nil)))
	a.now = func() time.Time { return clock }
	a.sleep = func(_ context.Context, d time.Duration) { delays = append(delays, d); clock = clock.Add(d) }
	for _, want := range []net.Conn{c1, c2} {
		if conn, err := a.accept(context.Background()); conn != want || err != nil {
			t.Fatalf("accept: %v, %v", conn, err)
		}
	}
	ms := time.Millisecond
	if want := []time.Duration{5 * ms, 10 * ms, 20 * ms, 40 * ms, 80 * ms, 160 * ms, 320 * ms, 640 * ms, time.Second, time.Second, 5 * ms, 10 * ms}; !slices.Equal(delays, want) {
		t.Errorf("delays %v, want %v", delays, want)
	}
	// Failures at 0, 5ms, 15ms ... 635ms, 1.275s, 2.275s, then after the
	// success at 3.275s and 3.28s: logged at 0, 1.275s, 2.275s, 3.275s.
	var suppressed []string
	for _, m := range regexp.MustCompile(`level=WARN .*suppressed=(\d+)`).FindAllStringSubmatch(logs.String(), -1) {
		suppressed = append(suppressed, m[1])
	}
	if want := []string{"0", "7", "0", "0"}; !slices.Equal(suppressed, want) {
		t.Errorf("warnings with suppressed=%v, want %v; log:\n%s", suppressed, want, logs.String())
	}
}

// TestServeSurvivesAcceptErrors proves that Serve keeps going through
// failed accepts (EMFILE) and serves the connection accepted after them,
// and that it ends, without error, only when its context is done.
func TestServeSurvivesAcceptErrors(t *testing.T) {
	server, client := net.Pipe()
	ln := newScriptedListener(append(failures(5), acceptResult{conn: server})...)
	answer := handlerFunc(func(_ context.Context, req *wire.Request) (kmsg.Response, error) {
		return req.Body.ResponseKind(), nil
	})
	registry := wire.NewRegistry()
	registry.Add(18, 0, 4)
	s := &Server{Handler: answer, Registry: registry, ListenerName: "PLAINTEXT", MaxRequestBytes: 1 << 20,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	client.SetDeadline(time.Now().Add(10 * time.Second))
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 0
	if _, err := client.Write(kmsg.NewRequestFormatter(kmsg.FormatterClientID("test")).AppendRequest(nil, req, 42)); err != nil {
		t.Fatalf("write request: %v", err)
	}
	var head [8]byte // size, correlation id
	if _, err := io.ReadFull(client, head[:]); err != nil {
		t.Fatalf("read response: %v", err)
	}
	if id := int32(binary.BigEndian.Uint32(head[4:])); id != 42 {
		t.Fatalf("response correlation id %d, want 42", id)
	}
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context was done")
	}
}

// TestServeEndsOnClosedListener proves that a listener closed under Serve,
// with its context still live, ends Serve with the listener's error.
func TestServeEndsOnClosedListener(t *testing.T) {
	ln := newScriptedListener(failures(2)...)
	ln.Close()
	s := &Server{Handler: handlerFunc(nil), Registry: wire.NewRegistry(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := s.Serve(context.Background(), ln); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Serve: %v, want net.ErrClosed", err)
	}
}

// TestServeClosesConnectionsWhenItFails proves that when the listener is
// closed under Serve while a client keeps its connection open, Serve closes
// that connection and returns instead of waiting for the client to hang up.
func TestServeClosesConnectionsWhenItFails(t *testing.T) {
	server, client := net.Pipe()
	defer client.Close()
	ln := newScriptedListener(acceptResult{conn: server})
	s := &Server{Handler: handlerFunc(nil), Registry: wire.NewRegistry(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	served := make(chan error, 1)
	go func() { served <- s.Serve(context.Background(), ln) }()
	for len(ln.results) > 0 { // wait until the connection is accepted
		time.Sleep(time.Millisecond)
	}
	ln.Close()
	select {
	case err := <-served:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Serve: %v, want net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve is still waiting for a connection its client keeps open")
	}
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := client.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("client read: %v, want EOF (connection closed by the server)", err)
	}
}
