package node_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"gregor/internal/auth/authtest"
)

// handshakeV0 sends SaslHandshake v0 for mechanism and checks it is accepted.
func (c *saslConn) handshakeV0(mechanism string) {
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = 0, mechanism
	resp, err := c.roundTrip(hs)
	if err != nil {
		c.t.Fatalf("handshake v0: %v", err)
	}
	if code := resp.(*kmsg.SASLHandshakeResponse).ErrorCode; code != 0 {
		c.t.Fatalf("handshake v0 %s: code %d", mechanism, code)
	}
}

// writeToken sends a bare SASL token, size-prefixed, as after SaslHandshake v0.
func (c *saslConn) writeToken(token []byte) {
	if _, err := c.conn.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(token))), token...)); err != nil {
		c.t.Fatal(err)
	}
}

// readToken reads the server's bare token; an error means the connection closed.
func (c *saslConn) readToken() ([]byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(c.r, size[:]); err != nil {
		return nil, err
	}
	token := make([]byte, binary.BigEndian.Uint32(size[:]))
	_, err := io.ReadFull(c.r, token)
	return token, err
}

// TestSaslHandshakeV0 proves the bare-token exchange old clients use after
// SaslHandshake v0: PLAIN and SCRAM-SHA-256 authenticate with size-prefixed
// tokens and no SaslAuthenticate framing, after which requests are served;
// a wrong password closes the connection without an answer.
func TestSaslHandshakeV0(t *testing.T) {
	n, saslPlaintext, _ := startSASLNode(t, authtest.NewCA(t), map[string]string{"connection.failed.authentication.delay.ms": "0"})
	ctx := testContext(t)

	c := dialSASL(t, saslPlaintext)
	c.handshakeV0("PLAIN")
	c.writeToken([]byte("\x00alice\x00alice-secret"))
	if token, err := c.readToken(); err != nil || len(token) != 0 {
		t.Fatalf("PLAIN answer: %q %v", token, err)
	}
	if _, err := c.roundTrip(metadataRequest()); err != nil {
		t.Fatalf("metadata after PLAIN v0: %v", err)
	}

	wrong := dialSASL(t, saslPlaintext)
	wrong.handshakeV0("PLAIN")
	wrong.writeToken([]byte("\x00alice\x00nope"))
	if token, err := wrong.readToken(); !errors.Is(err, io.EOF) {
		t.Fatalf("wrong password: token %q, err %v; want the connection closed", token, err)
	}

	res, err := kadm.NewClient(newClient(t, n.Addr)).AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: "carol", Mechanism: kadm.ScramSha256, Iterations: 4096, Password: "carol-secret"}})
	if err != nil || res.Error() != nil {
		t.Fatalf("alter: %v %v", err, res.Error())
	}
	s := dialSASL(t, saslPlaintext)
	s.handshakeV0("SCRAM-SHA-256")
	session, first, err := scram.Auth{User: "carol", Pass: "carol-secret"}.AsSha256Mechanism().Authenticate(context.Background(), saslPlaintext)
	if err != nil {
		t.Fatal(err)
	}
	msg, done := first, false
	for !done {
		s.writeToken(msg)
		challenge, err := s.readToken()
		if err != nil {
			t.Fatalf("SCRAM v0 exchange: %v", err)
		}
		if done, msg, err = session.Challenge(challenge); err != nil {
			t.Fatalf("server's SCRAM message: %v", err)
		}
	}
	if _, err := s.roundTrip(metadataRequest()); err != nil {
		t.Fatalf("metadata after SCRAM v0: %v", err)
	}
}
