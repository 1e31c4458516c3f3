package server

import (
	"bufio"
	"errors"
	"io"
	"net"

	"gregor/internal/kafka"
	"gregor/internal/wire"
)

// errRegionTruncated ends a connection whose response promised more bytes
// of a segment file than the file still holds (a follower truncated its
// log under the response): the frame cannot be completed.
var errRegionTruncated = errors.New("segment file truncated while a fetch response was being sent from it")

// writeRegions writes a frame given as pieces with file regions between
// them. On a TCP connection each region goes from the file to the socket
// with sendfile(2), after what w holds: the kernel copies from the page
// cache, with no read into this process. On any other connection (TLS,
// where the bytes must be encrypted here) a region is copied through w.
func writeRegions(conn net.Conn, w *bufio.Writer, pieces [][]byte, regions []wire.FetchRegion) error {
	from := 0
	for _, r := range regions {
		if err := writePieces(conn, w, pieces[from:r.At], nil); err != nil {
			return err
		}
		if err := writeRegion(conn, w, r.Region); err != nil {
			return err
		}
		from = r.At
	}
	return writePieces(conn, w, pieces[from:], nil)
}

func writeRegion(conn net.Conn, w *bufio.Writer, r kafka.FileRegion) error {
	if tc, ok := conn.(*net.TCPConn); ok {
		if err := w.Flush(); err != nil {
			return err
		}
		return sendFile(tc, r)
	}
	return copyRegion(w, r)
}

// copyRegion writes r's bytes to w by reading them.
func copyRegion(w io.Writer, r kafka.FileRegion) error {
	n, err := io.Copy(w, io.NewSectionReader(r.File, r.Position, r.Length))
	if err == nil && n < r.Length {
		err = errRegionTruncated
	}
	return err
}
