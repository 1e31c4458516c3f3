package server

import (
	"errors"
	"net"
	"syscall"

	"gregor/internal/kafka"
)

// maxSendfile bounds one sendfile(2) call, as Linux does (0x7ffff000).
const maxSendfile = 1 << 30

// sendFile sends r from its file to conn with sendfile(2) at r's explicit
// position, so that the file's offset, which other connections' sends of
// the same file share, is neither read nor moved. A full socket buffer
// parks the goroutine in the network poller, as a write does, and the
// connection's write deadline applies.
func sendFile(conn *net.TCPConn, r kafka.FileRegion) error {
	src, err := r.File.SyscallConn()
	if err != nil {
		return err
	}
	dst, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	var sendErr error
	ctlErr := src.Control(func(in uintptr) {
		pos, left := r.Position, r.Length
		werr := dst.Write(func(out uintptr) bool {
			for left > 0 {
				n, err := syscall.Sendfile(int(out), int(in), &pos, int(min(left, maxSendfile)))
				if n > 0 {
					left -= int64(n)
				}
				switch {
				case errors.Is(err, syscall.EAGAIN):
					return false // wait until the socket takes more
				case errors.Is(err, syscall.EINTR):
				case err != nil:
					sendErr = err
					return true
				case n == 0:
					sendErr = errRegionTruncated
					return true
				}
			}
			return true
		})
		if sendErr == nil {
			sendErr = werr
		}
	})
	if ctlErr != nil {
		return ctlErr
	}
	return sendErr
}
