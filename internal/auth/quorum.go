package auth

// SASL on the quorum's connections. On a SASL_PLAINTEXT or SASL_SSL
// CONTROLLER listener, a connection of the quorum's own transport (Raft
// messages, a broker's registration and heartbeats, an observer's
// fetches) authenticates before its hello, in frames shaped as the
// quorum's (a 4-byte big-endian length of what follows, a kind byte, the
// payload), so that the listener tells it from a Kafka client's by its
// first five bytes (IsQuorumLogin):
//
//	0xC8 start    client: the mechanism, a NUL, the mechanism's first message
//	0xC9 message  client: its next message; server: its answer to the last
//	0xCA refused  server: why the authentication or authorization failed;
//	              the server closes the connection after it
//
// The server answers each client message with a message or refused. The
// exchange is over when the client's mechanism is done with the server's
// last answer; the quorum's hello follows on the same connection. The
// server sends the last answer only once the principal is authorized, so
// a client that is done is admitted.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/sasl"

	"gregor/internal/acl"
)

const (
	quorumStart   = 0xC8
	quorumMessage = 0xC9
	quorumRefused = 0xCA

	// maxQuorumSASLFrame bounds a frame of the exchange: SASL messages
	// are small, and nothing is allocated before the client has
	// authenticated beyond this.
	maxQuorumSASLFrame = 64 << 10
	// quorumSASLTimeout bounds the whole exchange.
	quorumSASLTimeout = 10 * time.Second
)

// ErrQuorumLogin is a quorum connection that failed to authenticate, or
// whose principal is not authorized.
var ErrQuorumLogin = errors.New("SASL authentication to the controller listener failed")

// IsQuorumLogin reports whether a connection whose first five bytes are
// prefix opens the quorum's SASL exchange.
func IsQuorumLogin(prefix []byte) bool { return len(prefix) >= 5 && prefix[4] == quorumStart }

// ServeQuorum authenticates the client of conn, whose first frame's
// length and kind (five bytes) are prefix, already read. Once the
// client's mechanism is done, authorize decides whether the principal
// may join the quorum's traffic; an error from it refuses the client with
// its message. It returns the principal admitted, or an error wrapping
// ErrQuorumLogin after the client was told why (and, for a failed
// authentication, after connection.failed.authentication.delay.ms).
func (s *SASL) ServeQuorum(conn net.Conn, prefix []byte, authorize func(acl.Principal) error) (acl.Principal, error) {
	conn.SetDeadline(time.Now().Add(quorumSASLTimeout))
	defer conn.SetDeadline(time.Time{})
	payload, err := readQuorumPayload(conn, prefix)
	if err != nil {
		return acl.Principal{}, err
	}
	mechanism, msg, ok := bytes.Cut(payload, []byte{0})
	switch {
	case !ok:
		return acl.Principal{}, s.refuse(conn, "a SASL start without a mechanism")
	case !s.Enabled(string(mechanism)):
		return acl.Principal{}, s.refuse(conn, fmt.Sprintf("Unsupported SASL mechanism %q", mechanism))
	}
	ex := s.Start(string(mechanism))
	for {
		answer, done, err := ex.Step(msg)
		if err != nil {
			return acl.Principal{}, s.refuse(conn, err.Error())
		}
		if done {
			p := ex.Principal()
			if err := authorize(p); err != nil {
				return p, s.refuse(conn, err.Error())
			}
			return p, writeQuorumFrame(conn, quorumMessage, answer)
		}
		if err := writeQuorumFrame(conn, quorumMessage, answer); err != nil {
			return acl.Principal{}, err
		}
		if msg, err = readQuorumFrame(conn, quorumMessage); err != nil {
			return acl.Principal{}, err
		}
	}
}

// refuse tells the client why, after the failure delay, and returns the
// reason as an error.
func (s *SASL) refuse(conn net.Conn, reason string) error {
	time.Sleep(s.FailureDelay)
	writeQuorumFrame(conn, quorumRefused, []byte(reason))
	return fmt.Errorf("%w: %s", ErrQuorumLogin, reason)
}

// LoginQuorum authenticates conn, a new quorum connection to host, with
// m, within ctx. A refusal is an error wrapping ErrQuorumLogin with the
// server's reason.
func LoginQuorum(ctx context.Context, conn net.Conn, m sasl.Mechanism, host string) error {
	deadline := time.Now().Add(quorumSASLTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn.SetDeadline(deadline)
	defer conn.SetDeadline(time.Time{})
	session, msg, err := m.Authenticate(ctx, host)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrQuorumLogin, m.Name(), err)
	}
	kind := byte(quorumStart)
	msg = append(append([]byte(m.Name()), 0), msg...)
	for {
		if err := writeQuorumFrame(conn, kind, msg); err != nil {
			return err
		}
		answer, err := readQuorumFrame(conn, quorumMessage)
		if err != nil {
			return err
		}
		done, next, err := session.Challenge(answer)
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrQuorumLogin, m.Name(), err)
		}
		if done {
			return nil
		}
		kind, msg = quorumMessage, next
	}
}

func writeQuorumFrame(w io.Writer, kind byte, payload []byte) error {
	frame := make([]byte, 5, 5+len(payload))
	binary.BigEndian.PutUint32(frame, uint32(len(payload)+1))
	frame[4] = kind
	_, err := w.Write(append(frame, payload...))
	return err
}

// readQuorumFrame reads a frame that must be of kind want; a refusal is
// an error with the peer's reason.
func readQuorumFrame(r io.Reader, want byte) ([]byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	payload, err := readQuorumPayload(r, hdr[:])
	switch {
	case err != nil:
		return nil, err
	case hdr[4] == quorumRefused:
		return nil, fmt.Errorf("%w: %s", ErrQuorumLogin, payload)
	case hdr[4] != want:
		return nil, fmt.Errorf("%w: a frame of kind %#x in the exchange", ErrQuorumLogin, hdr[4])
	}
	return payload, nil
}

// readQuorumPayload reads the payload of the frame whose header is hdr.
func readQuorumPayload(r io.Reader, hdr []byte) ([]byte, error) {
	n := binary.BigEndian.Uint32(hdr[:4])
	if n < 1 || n > maxQuorumSASLFrame {
		return nil, fmt.Errorf("%w: a frame of %d bytes in the exchange", ErrQuorumLogin, n)
	}
	payload := make([]byte, n-1)
	_, err := io.ReadFull(r, payload)
	return payload, err
}
