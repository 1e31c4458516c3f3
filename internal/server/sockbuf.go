package server

import (
	"context"
	"net"
	"syscall"
)

// SocketBuffers are the kernel buffer sizes of a listener's sockets:
// socket.send.buffer.bytes (SO_SNDBUF) and socket.receive.buffer.bytes
// (SO_RCVBUF). A size of zero or less (Kafka's -1) leaves the OS default,
// which on Linux grows and shrinks with the connection (autotuning); a
// size set explicitly is fixed, and Linux doubles it for its own
// bookkeeping.
type SocketBuffers struct {
	Send    int
	Receive int
}

// Listen opens a TCP listener on addr with b's sizes set on the listening
// socket before it binds, so that every connection it accepts inherits
// them from its first segment: the TCP window scale a connection announces
// depends on its SO_RCVBUF then, which is why Kafka sets SO_RCVBUF there.
// (Kafka sets SO_SNDBUF on each accepted connection, as Server does too;
// inheriting it gives connections not served by a Server, such as the
// controller quorum's, the same size.)
func Listen(addr string, b SocketBuffers) (net.Listener, error) {
	var lc net.ListenConfig
	if b.Send > 0 || b.Receive > 0 {
		lc.Control = func(_, _ string, rc syscall.RawConn) error {
			if b.Receive > 0 {
				if err := setSockopt(rc, syscall.SO_RCVBUF, b.Receive); err != nil {
					return err
				}
			}
			if b.Send > 0 {
				return setSockopt(rc, syscall.SO_SNDBUF, b.Send)
			}
			return nil
		}
	}
	return lc.Listen(context.Background(), "tcp", addr)
}

// configure sets the buffer sizes of an accepted connection, so that they
// hold whoever opened the listener (with Listen, the connection has them
// already).
func (b SocketBuffers) configure(c *net.TCPConn) error {
	if b.Send > 0 {
		if err := c.SetWriteBuffer(b.Send); err != nil {
			return err
		}
	}
	if b.Receive > 0 {
		return c.SetReadBuffer(b.Receive)
	}
	return nil
}

func setSockopt(rc syscall.RawConn, opt, value int) error {
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, opt, value)
	}); err != nil {
		return err
	}
	return serr
}
