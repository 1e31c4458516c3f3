package kafkadiff

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// conn is one hand-driven connection to a broker: each request goes out at
// exactly the version the scenario asks for, so both brokers see the same
// bytes (a kgo client would negotiate, shard and retry).
type conn struct {
	c  net.Conn
	id int32
}

func dial(addr string) (*conn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &conn{c: c}, nil
}

func (c *conn) Close() error { return c.c.Close() }

// errClosed is what a request gets when the broker closes the connection
// instead of answering (an unsupported version, a refused Produce v0–2).
var errClosed = errors.New("connection closed by the broker")

// roundTrip sends req at version v and decodes the answer at that version.
// A broker answering ApiVersions at a version it does not serve answers v0
// (KIP-511), which is decoded as such.
func (c *conn) roundTrip(req kmsg.Request, v int16) (kmsg.Response, error) {
	req.SetVersion(v)
	c.id++
	if err := c.write(req); err != nil {
		return nil, err
	}
	if p, ok := req.(*kmsg.ProduceRequest); ok && p.Acks == 0 {
		return nil, nil
	}
	body, err := c.read(req)
	if err != nil {
		return nil, err
	}
	resp := req.ResponseKind()
	resp.SetVersion(v)
	if err := resp.ReadFrom(body); err != nil {
		if req.Key() == 18 && v > 0 {
			return c.apiVersionsFallback(body)
		}
		return nil, fmt.Errorf("decode %s v%d: %w", kmsg.NameForKey(req.Key()), v, err)
	}
	return resp, nil
}

func (c *conn) apiVersionsFallback(body []byte) (kmsg.Response, error) {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(0)
	return resp, resp.ReadFrom(body)
}

func (c *conn) write(req kmsg.Request) error {
	b := binary.BigEndian.AppendUint32(nil, 0) // size, patched below
	b = binary.BigEndian.AppendUint16(b, uint16(req.Key()))
	b = binary.BigEndian.AppendUint16(b, uint16(req.GetVersion()))
	b = binary.BigEndian.AppendUint32(b, uint32(c.id))
	b = binary.BigEndian.AppendUint16(b, 8)
	b = append(b, "kafkadiff"[:8]...)
	if req.IsFlexible() {
		b = append(b, 0)
	}
	b = req.AppendTo(b)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	c.c.SetDeadline(time.Now().Add(30 * time.Second))
	_, err := c.c.Write(b)
	return err
}

func (c *conn) read(req kmsg.Request) ([]byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(c.c, size[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isReset(err) {
			return nil, errClosed
		}
		return nil, err
	}
	buf := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(c.c, buf); err != nil {
		return nil, err
	}
	if id := int32(binary.BigEndian.Uint32(buf)); id != c.id {
		return nil, fmt.Errorf("correlation id %d, want %d", id, c.id)
	}
	body := buf[4:]
	if req.IsFlexible() && req.Key() != 18 { // ApiVersions answers header v0 always
		body = body[1:]
	}
	return body, nil
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op)
}
