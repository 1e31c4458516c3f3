package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrFrameTooLarge is returned for a frame above the configured maximum
// (socket.request.max.bytes); the connection must be closed.
var ErrFrameTooLarge = errors.New("frame larger than socket.request.max.bytes")

// ErrMalformed is returned for a header that cannot be parsed; the
// connection must be closed.
var ErrMalformed = errors.New("malformed request header")

// ReadFrame reads one size-prefixed frame. The size is checked against max
// before any allocation, so a hostile length costs nothing. buf is reused
// when it is large enough.
func ReadFrame(r io.Reader, max int32, buf []byte) ([]byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(size[:]))
	if n < 0 || n > max {
		return nil, fmt.Errorf("%w: %d bytes (max %d)", ErrFrameTooLarge, n, max)
	}
	if cap(buf) >= int(n) {
		buf = buf[:n]
	} else {
		buf = make([]byte, n)
	}
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}
