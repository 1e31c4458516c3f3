package server

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/wire"
)

// sockopt reads an int socket option of c.
func sockopt(t *testing.T, c *net.TCPConn, opt int) int {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var serr error
	if err := rc.Control(func(fd uintptr) { v, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, opt) }); err != nil {
		t.Fatal(err)
	}
	if serr != nil {
		t.Fatal(serr)
	}
	return v
}

// kernelSize is what getsockopt reports for a buffer size set to n: Linux
// doubles it for its bookkeeping.
func kernelSize(n int) int {
	if runtime.GOOS == "linux" {
		return 2 * n
	}
	return n
}

// acceptOne returns the server side of a new loopback connection to ln,
// and its client side.
func acceptOne(t *testing.T, ln net.Listener) (server, client *net.TCPConn) {
	t.Helper()
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		ch <- result{c, err}
	}()
	cc, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		t.Cleanup(func() { r.c.Close() })
		return r.c.(*net.TCPConn), cc.(*net.TCPConn)
	case <-time.After(5 * time.Second):
		t.Fatal("no connection accepted in 5s")
	}
	return nil, nil
}

// TestSocketBuffersConfigure proves that configure sets SO_SNDBUF and
// SO_RCVBUF of a connection to the sizes given, and that sizes of -1 leave
// the OS defaults, those of a connection nobody configured.
func TestSocketBuffersConfigure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	plain, _ := acceptOne(t, ln)
	defSnd, defRcv := sockopt(t, plain, syscall.SO_SNDBUF), sockopt(t, plain, syscall.SO_RCVBUF)

	kept, _ := acceptOne(t, ln)
	if err := (SocketBuffers{Send: -1, Receive: -1}).configure(kept); err != nil {
		t.Fatal(err)
	}
	if snd, rcv := sockopt(t, kept, syscall.SO_SNDBUF), sockopt(t, kept, syscall.SO_RCVBUF); snd != defSnd || rcv != defRcv {
		t.Fatalf("with -1: SO_SNDBUF %d SO_RCVBUF %d, want the defaults %d %d", snd, rcv, defSnd, defRcv)
	}

	set, _ := acceptOne(t, ln)
	const send, receive = 102400, 65536
	if err := (SocketBuffers{Send: send, Receive: receive}).configure(set); err != nil {
		t.Fatal(err)
	}
	if snd, rcv := sockopt(t, set, syscall.SO_SNDBUF), sockopt(t, set, syscall.SO_RCVBUF); snd != kernelSize(send) || rcv != kernelSize(receive) {
		t.Fatalf("SO_SNDBUF %d SO_RCVBUF %d, want %d %d", snd, rcv, kernelSize(send), kernelSize(receive))
	}
}

// TestListenSetsBuffers proves that a connection accepted by Listen has
// the listener's SO_RCVBUF (as Kafka sets it on the listening socket) and
// SO_SNDBUF before anyone configures it.
func TestListenSetsBuffers(t *testing.T) {
	const send, receive = 73728, 49152
	ln, err := Listen("127.0.0.1:0", SocketBuffers{Send: send, Receive: receive})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, _ := acceptOne(t, ln)
	if snd, rcv := sockopt(t, c, syscall.SO_SNDBUF), sockopt(t, c, syscall.SO_RCVBUF); snd != kernelSize(send) || rcv != kernelSize(receive) {
		t.Fatalf("SO_SNDBUF %d SO_RCVBUF %d, want %d %d", snd, rcv, kernelSize(send), kernelSize(receive))
	}
}

// recordingListener hands out the connections it accepts to the test too.
type recordingListener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
	}
	return c, err
}

// TestServeSetsSocketBuffers proves that Serve gives each connection it
// accepts the server's SocketBuffers before serving its first request.
func TestServeSetsSocketBuffers(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &recordingListener{Listener: inner}
	reg := wire.NewRegistry()
	reg.Add(3, 0, 12)
	const send, receive = 81920, 40960
	s := &Server{Handler: handlerFunc(func(_ context.Context, req *wire.Request) (kmsg.Response, error) {
		return req.Body.ResponseKind(), nil
	}), Registry: reg, ListenerName: "CLIENT", SecurityProtocol: "PLAINTEXT", MaxRequestBytes: 1 << 20,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), SocketBuffers: SocketBuffers{Send: send, Receive: receive}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	defer func() {
		cancel()
		<-done
	}()
	conn, err := net.DialTimeout("tcp", inner.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write(frame(kmsg.NewPtrMetadataRequest(), 4, 1)); err != nil {
		t.Fatal(err)
	}
	if got := readResponse(t, bufio.NewReader(conn)); got != 1 {
		t.Fatalf("correlation id %d, want 1", got)
	}
	ln.mu.Lock()
	accepted := ln.conns
	ln.mu.Unlock()
	if len(accepted) != 1 {
		t.Fatalf("%d connections accepted, want 1", len(accepted))
	}
	c := accepted[0].(*net.TCPConn)
	if snd, rcv := sockopt(t, c, syscall.SO_SNDBUF), sockopt(t, c, syscall.SO_RCVBUF); snd != kernelSize(send) || rcv != kernelSize(receive) {
		t.Fatalf("server side SO_SNDBUF %d SO_RCVBUF %d, want %d %d", snd, rcv, kernelSize(send), kernelSize(receive))
	}
}
