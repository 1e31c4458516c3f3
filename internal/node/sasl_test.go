package node_test

import (
	"bufio"
	"context"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"gregor/internal/auth/authtest"
	"gregor/internal/node/nodetest"
)

const plainJAAS = `org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";`

// startSASLNode starts a node with a PLAINTEXT listener (first, for
// setup), a SASL_PLAINTEXT and a SASL_SSL listener, PLAIN and both SCRAM
// mechanisms enabled, and returns it with the SASL listeners' addresses.
func startSASLNode(t testing.TB, ca *authtest.CA, extra map[string]string) (n *nodetest.TestNode, saslPlaintext, saslSSL string) {
	dir := t.TempDir()
	cert, key := ca.Issue(t, pkix.Name{CommonName: "localhost"}, "127.0.0.1", "localhost")
	props := map[string]string{
		"listeners":                                 "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0",
		"listener.security.protocol.map":            "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL",
		"sasl.enabled.mechanisms":                   "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
		"sasl.jaas.config":                          plainJAAS,
		"ssl.keystore.type":                         "PEM",
		"ssl.keystore.location":                     authtest.WriteFile(t, dir, "server.pem", cert, key),
		"connection.failed.authentication.delay.ms": "50",
	}
	for k, v := range extra {
		props[k] = v
	}
	n = nodetest.Start(t, "", props)
	return n, n.Addrs()[1].String(), n.Addrs()[2].String()
}

// TestScramSHA512OverSASLSSL proves that a SCRAM-SHA-512 credential created
// with AlterUserScramCredentials lets franz-go produce and consume over
// SASL_SSL, that DescribeUserScramCredentials lists it without secrets, and
// that the wrong password is refused.
func TestScramSHA512OverSASLSSL(t *testing.T) {
	ca := authtest.NewCA(t)
	n, _, saslSSL := startSASLNode(t, ca, nil)
	adm := kadm.NewClient(newClient(t, n.Addr))
	ctx := testContext(t)
	res, err := adm.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: "alice", Mechanism: kadm.ScramSha512, Iterations: 8192, Password: "alice-secret"}})
	if err != nil || res.Error() != nil {
		t.Fatalf("alter: %v, %v", err, res.Error())
	}
	described, err := adm.DescribeUserSCRAMs(ctx)
	if err != nil || described.Error() != nil {
		t.Fatalf("describe: %v %v", err, described.Error())
	}
	if info := described["alice"].CredInfos; len(info) != 1 || info[0].Mechanism != kadm.ScramSha512 || info[0].Iterations != 8192 {
		t.Fatalf("described %+v", described["alice"])
	}
	createTopic(t, n.Addr, "scram", 1, nil)
	tlsCfg := clientTLS(t, ca, "")
	mech := scram.Auth{User: "alice", Pass: "alice-secret"}.AsSha512Mechanism()
	cl := newClient(t, saslSSL, kgo.DialTLSConfig(tlsCfg), kgo.SASL(mech), kgo.DefaultProduceTopic("scram"),
		kgo.ConsumeTopics("scram"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err := cl.ProduceSync(ctx, kgo.StringRecord("over SASL_SSL")).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	fs := cl.PollFetches(ctx)
	if err := fs.Err0(); err != nil || fs.NumRecords() != 1 {
		t.Fatalf("fetch: %v, %d records", err, fs.NumRecords())
	}
	wrong := newClient(t, saslSSL, kgo.DialTLSConfig(tlsCfg), kgo.RetryTimeout(0),
		kgo.SASL(scram.Auth{User: "alice", Pass: "wrong"}.AsSha512Mechanism()))
	if err := wrong.Ping(ctx); !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Fatalf("wrong password: %v, want SASL_AUTHENTICATION_FAILED", err)
	}
}

// TestPlainOverSASLPlaintext proves that PLAIN users from sasl.jaas.config
// authenticate, and that a wrong password answers
// SASL_AUTHENTICATION_FAILED.
func TestPlainOverSASLPlaintext(t *testing.T) {
	n, saslPlaintext, _ := startSASLNode(t, authtest.NewCA(t), nil)
	createTopic(t, n.Addr, "plain", 1, nil)
	ctx := testContext(t)
	cl := newClient(t, saslPlaintext, kgo.SASL(plain.Auth{User: "alice", Pass: "alice-secret"}.AsMechanism()), kgo.DefaultProduceTopic("plain"))
	if err := cl.ProduceSync(ctx, kgo.StringRecord("x")).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	wrong := newClient(t, saslPlaintext, kgo.RetryTimeout(0), kgo.SASL(plain.Auth{User: "alice", Pass: "nope"}.AsMechanism()))
	if err := wrong.Ping(ctx); !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Fatalf("wrong password: %v", err)
	}
}

// saslConn is a connection speaking kmsg requests by hand.
type saslConn struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
	id   int32
}

func dialSASL(t *testing.T, addr string) *saslConn {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	return &saslConn{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// roundTrip sends req and reads its response; an error means the
// connection was closed.
func (c *saslConn) roundTrip(req kmsg.Request) (kmsg.Response, error) {
	c.id++
	if _, err := c.conn.Write(kmsg.NewRequestFormatter(kmsg.FormatterClientID("raw")).AppendRequest(nil, req, c.id)); err != nil {
		return nil, err
	}
	var size [4]byte
	if _, err := io.ReadFull(c.r, size[:]); err != nil {
		return nil, err
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(c.r, body); err != nil {
		return nil, err
	}
	resp := req.ResponseKind()
	resp.SetVersion(req.GetVersion())
	skip := 4
	if resp.IsFlexible() && req.Key() != 18 { // ApiVersions answers with header v0
		skip = 5 // the response header's empty tagged fields
	}
	return resp, resp.ReadFrom(body[skip:])
}

func (c *saslConn) authenticatePlain(user, password string) *kmsg.SASLAuthenticateResponse {
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = 1, "PLAIN"
	if _, err := c.roundTrip(hs); err != nil {
		c.t.Fatalf("handshake: %v", err)
	}
	a := kmsg.NewPtrSASLAuthenticateRequest()
	a.Version, a.SASLAuthBytes = 2, []byte("\x00"+user+"\x00"+password)
	resp, err := c.roundTrip(a)
	if err != nil {
		c.t.Fatalf("authenticate: %v", err)
	}
	return resp.(*kmsg.SASLAuthenticateResponse)
}

func metadataRequest() kmsg.Request {
	m := kmsg.NewPtrMetadataRequest()
	m.Version = 12
	return m
}

// TestSASLGate proves the gate of a SASL listener: before authentication
// ApiVersions is answered and anything else closes the connection; a
// failed authentication answers with a message that names neither user
// nor password and closes the connection after the delay; and a session
// past connections.max.reauth.ms, which the response announced, is closed
// at its next request.
func TestSASLGate(t *testing.T) {
	_, saslPlaintext, _ := startSASLNode(t, authtest.NewCA(t), map[string]string{"connections.max.reauth.ms": "300"})

	c := dialSASL(t, saslPlaintext)
	av := kmsg.NewPtrApiVersionsRequest()
	av.Version = 3
	if _, err := c.roundTrip(av); err != nil {
		t.Fatalf("ApiVersions before authentication: %v", err)
	}
	if _, err := c.roundTrip(metadataRequest()); err == nil {
		t.Fatal("Metadata before authentication was answered")
	}

	c = dialSASL(t, saslPlaintext)
	failed := c.authenticatePlain("alice", "guess")
	if failed.ErrorCode != kerr.SaslAuthenticationFailed.Code || failed.ErrorMessage == nil {
		t.Fatalf("wrong password: code %d", failed.ErrorCode)
	}
	for _, secret := range []string{"alice", "guess", "password"} {
		if containsFold(*failed.ErrorMessage, secret) {
			t.Errorf("failure message %q mentions %q", *failed.ErrorMessage, secret)
		}
	}
	if _, err := c.roundTrip(metadataRequest()); err == nil {
		t.Fatal("the connection stays open after a failed authentication")
	}

	c = dialSASL(t, saslPlaintext)
	ok := c.authenticatePlain("alice", "alice-secret")
	if ok.ErrorCode != 0 || ok.SessionLifetimeMillis != 300 {
		t.Fatalf("authenticate: code %d, session lifetime %d", ok.ErrorCode, ok.SessionLifetimeMillis)
	}
	if _, err := c.roundTrip(metadataRequest()); err != nil {
		t.Fatalf("Metadata after authentication: %v", err)
	}
	time.Sleep(400 * time.Millisecond)
	if _, err := c.roundTrip(metadataRequest()); err == nil {
		t.Fatal("Metadata on an expired session was answered")
	}
}

// TestReauthentication proves that franz-go keeps producing over a session
// that must re-authenticate every 500ms (KIP-368).
func TestReauthentication(t *testing.T) {
	n, saslPlaintext, _ := startSASLNode(t, authtest.NewCA(t), map[string]string{"connections.max.reauth.ms": "500"})
	createTopic(t, n.Addr, "reauth", 1, nil)
	cl := newClient(t, saslPlaintext, kgo.SASL(plain.Auth{User: "alice", Pass: "alice-secret"}.AsMechanism()), kgo.DefaultProduceTopic("reauth"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for end := time.Now().Add(1500 * time.Millisecond); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if err := cl.ProduceSync(ctx, kgo.StringRecord("x")).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
