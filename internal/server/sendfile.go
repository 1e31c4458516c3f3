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
// cache, with no read into this process. On any other connection but TLS
// (see writeTLS) a region is copied through w.
func writeRegions(conn net.Conn, w *bufio.Writer, pieces [][]byte, regions []wire.FetchRegion) error {
	return interleave(pieces, regions,
		func(pieces [][]byte) error { return writePieces(conn, w, pieces, nil) },
		func(r kafka.FileRegion) error { return writeRegion(conn, w, r) })
}

// interleave writes pieces with regions between them, in frame order,
// with writePieces and writeRegion.
func interleave(pieces [][]byte, regions []wire.FetchRegion,
	writePieces func([][]byte) error, writeRegion func(kafka.FileRegion) error) error {
	from := 0
	for _, r := range regions {
		if err := writePieces(pieces[from:r.At]); err != nil {
			return err
		}
		if err := writeRegion(r.Region); err != nil {
			return err
		}
		from = r.At
	}
	return writePieces(pieces[from:])
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

// copyRegion writes r's bytes to w by reading them: for a bufio.Writer,
// straight into its buffer (its ReadFrom), which it writes on each time it
// is full.
func copyRegion(w io.Writer, r kafka.FileRegion) error {
	n, err := io.Copy(w, io.NewSectionReader(r.File, r.Position, r.Length))
	if err == nil && n < r.Length {
		err = errRegionTruncated
	}
	return err
}
