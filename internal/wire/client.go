package wire

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
)

// Client is the small broker-to-broker client: one connection, one request
// at a time, kmsg bodies in our framing. A follower's fetcher uses it to
// reach its leader. It is not safe for concurrent use: its one user is one
// goroutine.
type Client struct {
	conn          net.Conn
	clientID      string
	correlationID int32
	maxFrame      int32
	buf           []byte

	// sasl and host are the mechanism the connection authenticated with
	// and the peer's host, for re-authentication; reauthAt is when the
	// next one is due (KIP-368), zero for never.
	sasl     sasl.Mechanism
	host     string
	reauthAt time.Time
}

// Dial connects to addr in plain text; clientID names this side in the
// peer's logs and quotas (Kafka's followers use "broker-<id>-fetcher-<n>").
// Responses larger than maxFrame bytes fail the call.
func Dial(ctx context.Context, addr, clientID string, maxFrame int32) (*Client, error) {
	return Dialer{}.Dial(ctx, addr, clientID, maxFrame)
}

// Dialer opens Clients with the security of the listener they reach (the
// inter-broker listener's): TLS when TLS is set, then a SASL
// authentication when SASL is set. The zero Dialer dials plain text.
// Read-only once built; safe for concurrent use.
type Dialer struct {
	// TLS returns the client configuration for a peer host.
	TLS func(host string) *tls.Config
	// SASL is the mechanism, with its credentials, this side
	// authenticates with (sasl.mechanism.inter.broker.protocol).
	SASL sasl.Mechanism
	// Err, when set, fails every Dial: the settings cannot authenticate
	// (say, no credentials for the mechanism), and a connection without
	// them would only be refused by the peer.
	Err error
}

// Dial connects to addr, shakes hands and authenticates as d says, within
// ctx. A failed authentication is an error wrapping ErrAuthentication.
func (d Dialer) Dial(ctx context.Context, addr, clientID string, maxFrame int32) (*Client, error) {
	if d.Err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAuthentication, d.Err)
	}
	var nd net.Dialer
	conn, err := nd.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	host, _, _ := net.SplitHostPort(addr)
	if d.TLS != nil {
		tc := tls.Client(conn, d.TLS(host))
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("TLS handshake with %s: %w", addr, err)
		}
		conn = tc
	}
	c := &Client{conn: conn, clientID: clientID, maxFrame: maxFrame, sasl: d.SASL, host: host}
	if d.SASL != nil {
		if err := c.authenticate(ctx); err != nil {
			_ = conn.Close()
			return nil, err
		}
	}
	return c, nil
}

// Request sends req at the version it carries and returns the response,
// whose byte fields (records) alias a buffer the next Request reuses.
// ctx's deadline bounds the round trip; when ctx ends first the
// connection is closed (its state is unknown) and the call fails. A SASL
// session near its end (connections.max.reauth.ms) re-authenticates
// first, on the same connection.
func (c *Client) Request(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
	if !c.reauthAt.IsZero() && !time.Now().Before(c.reauthAt) {
		if err := c.authenticate(ctx); err != nil {
			return nil, err
		}
	}
	return c.roundTrip(ctx, req)
}

func (c *Client) roundTrip(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
	stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	deadline, _ := ctx.Deadline()
	c.conn.SetDeadline(deadline)
	c.correlationID++
	if _, err := c.conn.Write(c.appendRequest(nil, req)); err != nil {
		return nil, c.failed(ctx, err)
	}
	frame, err := ReadFrame(c.conn, c.maxFrame, c.buf)
	if err != nil {
		return nil, c.failed(ctx, err)
	}
	c.buf = frame[:0]
	return c.decode(req, frame)
}

func (c *Client) failed(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// appendRequest appends req's frame: size, header v1 (v2 when flexible),
// body.
func (c *Client) appendRequest(dst []byte, req kmsg.Request) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = binary.BigEndian.AppendUint16(dst, uint16(req.Key()))
	dst = binary.BigEndian.AppendUint16(dst, uint16(req.GetVersion()))
	dst = binary.BigEndian.AppendUint32(dst, uint32(c.correlationID))
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(c.clientID)))
	dst = append(dst, c.clientID...)
	if req.IsFlexible() {
		dst = append(dst, 0) // no tagged fields
	}
	dst = req.AppendTo(dst)
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}

// decode checks the response header of frame and decodes its body as the
// response to req.
func (c *Client) decode(req kmsg.Request, frame []byte) (kmsg.Response, error) {
	if len(frame) < 4 {
		return nil, fmt.Errorf("%w: response of %d bytes", ErrMalformed, len(frame))
	}
	if id := int32(binary.BigEndian.Uint32(frame)); id != c.correlationID {
		return nil, fmt.Errorf("%w: correlation id %d, want %d", ErrMalformed, id, c.correlationID)
	}
	body := frame[4:]
	resp := req.ResponseKind()
	resp.SetVersion(req.GetVersion())
	if resp.IsFlexible() && resp.Key() != 18 {
		var err error
		if body, err = skipTags(body); err != nil {
			return nil, err
		}
	}
	if err := resp.ReadFrom(body); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return resp, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }
