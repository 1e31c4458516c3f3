package node_test

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/auth/authtest"
	"gregor/internal/node/nodetest"
)

// startTLSNode starts a node with one SSL listener whose key store and
// trust store are PEM files from ca, requiring client certificates.
func startTLSNode(t *testing.T, ca *authtest.CA, extra map[string]string) *nodetest.TestNode {
	dir := t.TempDir()
	cert, key := ca.Issue(t, pkix.Name{CommonName: "localhost"}, "127.0.0.1", "localhost")
	props := map[string]string{
		"listeners":                      "SSL://127.0.0.1:0",
		"listener.security.protocol.map": "SSL:SSL",
		"inter.broker.listener.name":     "SSL",
		"ssl.keystore.type":              "PEM",
		"ssl.keystore.location":          authtest.WriteFile(t, dir, "server.pem", cert, key),
		"ssl.truststore.type":            "PEM",
		"ssl.truststore.location":        authtest.WriteFile(t, dir, "ca.pem", ca.PEM),
		"ssl.client.auth":                "required",
	}
	for k, v := range extra {
		props[k] = v
	}
	return nodetest.Start(t, "", props)
}

// clientTLS is a client's TLS trusting ca and presenting a certificate for cn.
func clientTLS(t testing.TB, ca *authtest.CA, cn string) *tls.Config {
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	c := &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}
	if cn != "" {
		cert, key := ca.Issue(t, pkix.Name{CommonName: cn})
		pair, err := tls.X509KeyPair(cert, key)
		if err != nil {
			t.Fatal(err)
		}
		c.Certificates = []tls.Certificate{pair}
	}
	return c
}

// TestProduceConsumeOverTLS proves that a franz-go client with a client
// certificate produces and consumes over an SSL listener: fetch responses,
// whose record batches (here above the size the encoder copies inline)
// cannot go out by writev under TLS, go through the TLS connection.
func TestProduceConsumeOverTLS(t *testing.T) {
	ca := authtest.NewCA(t)
	n := startTLSNode(t, ca, nil)
	tlsCfg := clientTLS(t, ca, "alice")
	createTopicTLS(t, n.Addr, tlsCfg)
	cl := newClient(t, n.Addr, kgo.DialTLSConfig(tlsCfg), kgo.DefaultProduceTopic("secure"),
		kgo.ConsumeTopics("secure"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx := testContext(t)
	const count = 200
	padding := strings.Repeat("p", 5<<10)
	for i := range count {
		if err := cl.ProduceSync(ctx, kgo.StringRecord(fmt.Sprintf("record-%d", i)+padding)).FirstErr(); err != nil {
			t.Fatalf("produce %d: %v", i, err)
		}
	}
	seen := 0
	for seen < count {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("fetch: %v", err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if want := fmt.Sprintf("record-%d", seen) + padding; string(r.Value) != want {
				t.Fatalf("record %d = %.20q...", seen, r.Value)
			}
			seen++
		})
	}
}

// TestTLSRequiresClientCertificate proves that with ssl.client.auth=required
// a client without a certificate gets no answer.
func TestTLSRequiresClientCertificate(t *testing.T) {
	ca := authtest.NewCA(t)
	n := startTLSNode(t, ca, nil)
	cl := newClient(t, n.Addr, kgo.DialTLSConfig(clientTLS(t, ca, "")), kgo.RetryTimeout(0))
	ctx := testContext(t)
	if err := cl.Ping(ctx); err == nil {
		t.Fatal("a client without a certificate was served")
	}
}

func createTopicTLS(t *testing.T, addr string, tlsCfg *tls.Config) {
	t.Helper()
	adm := kadm.NewClient(newClient(t, addr, kgo.DialTLSConfig(tlsCfg)))
	resp, err := adm.CreateTopics(testContext(t), 1, 1, nil, "secure")
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestSSLPrincipalMappingRules proves ssl.principal.mapping.rules name the
// principal of a client certificate: "CN=Alice" maps to User:alice, whom
// an ACL lets produce, "CN=admin" to the super user admin, and a
// certificate no rule maps is not served.
func TestSSLPrincipalMappingRules(t *testing.T) {
	ca := authtest.NewCA(t)
	n := startTLSNode(t, ca, map[string]string{
		"ssl.principal.mapping.rules": "RULE:^CN=([A-Za-z]+)$/$1/L",
		"authorizer.class.name":       "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"super.users":                 "User:admin",
	})
	ctx := testContext(t)
	admin := clientTLS(t, ca, "admin")
	createTopicTLS(t, n.Addr, admin)
	addACLs(t, kadm.NewClient(newClient(t, n.Addr, kgo.DialTLSConfig(admin))),
		kadm.NewACLs().Allow("User:alice").Topics("secure").Operations(kadm.OpWrite))
	alice := newClient(t, n.Addr, kgo.DialTLSConfig(clientTLS(t, ca, "Alice")), kgo.DefaultProduceTopic("secure"))
	if err := alice.ProduceSync(ctx, kgo.StringRecord("as alice")).FirstErr(); err != nil {
		t.Fatalf("produce as CN=Alice: %v", err)
	}
	bob := newClient(t, n.Addr, kgo.DialTLSConfig(clientTLS(t, ca, "Bob")), kgo.DefaultProduceTopic("secure"), kgo.RecordRetries(0))
	if err := bob.ProduceSync(ctx, kgo.StringRecord("as bob")).FirstErr(); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("produce as CN=Bob (User:bob, no ACL): %v", err)
	}
	unmapped := newClient(t, n.Addr, kgo.DialTLSConfig(clientTLS(t, ca, "carol-1")), kgo.RetryTimeout(0))
	if err := unmapped.Ping(ctx); err == nil {
		t.Fatal("a certificate no rule maps was served")
	}
}

// TestListenerKeystoreIsDynamic proves that a listener's key store is a
// dynamic per-listener config, as in Kafka: after
// listener.name.ssl.ssl.keystore.location names a new certificate, new
// handshakes present it; a key store that does not load, or whose
// certificate names another subject or other alternative names without
// ssl.allow.dn.changes (ssl.allow.san.changes), is refused with
// INVALID_REQUEST and not stored.
func TestListenerKeystoreIsDynamic(t *testing.T) {
	ca := authtest.NewCA(t)
	n := startTLSNode(t, ca, nil)
	cert, key := ca.Issue(t, pkix.Name{CommonName: "rotated"}, "127.0.0.1", "localhost")
	rotated := authtest.WriteFile(t, t.TempDir(), "rotated.pem", cert, key)
	tlsCfg := clientTLS(t, ca, "alice")
	adm := kadm.NewClient(newClient(t, n.Addr, kgo.DialTLSConfig(tlsCfg)))
	served := func() string {
		conn, err := tls.Dial("tcp", n.Addr, tlsCfg)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
	}
	alter := func(path string, more ...kadm.AlterConfig) error {
		t.Helper()
		resps, err := adm.AlterBrokerConfigs(testContext(t), append([]kadm.AlterConfig{{Name: "listener.name.ssl.ssl.keystore.location", Value: &path}}, more...), 1)
		if err == nil {
			err = resps[0].Err
		}
		return err
	}
	// As Kafka, a certificate with another subject or other alternative
	// names is refused unless ssl.allow.dn.changes (san.changes) allows it.
	sansCert, sansKey := ca.Issue(t, pkix.Name{CommonName: "localhost"}, "127.0.0.1")
	otherSANs := authtest.WriteFile(t, t.TempDir(), "sans.pem", sansCert, sansKey)
	if err := alter(otherSANs); !errors.Is(err, kerr.InvalidRequest) {
		t.Fatalf("other alternative names: %v, want INVALID_REQUEST", err)
	}
	if err := alter(rotated); !errors.Is(err, kerr.InvalidRequest) {
		t.Fatalf("another subject: %v, want INVALID_REQUEST", err)
	}
	if cn := served(); cn != "localhost" {
		t.Fatalf("served %q before the change", cn)
	}
	if err := alter(rotated, kadm.AlterConfig{Name: "listener.name.ssl.ssl.allow.dn.changes", Value: kadm.StringPtr("true")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new certificate served", func() bool { return served() == "rotated" })

	// A key store that does not load is refused before it is stored, as
	// Kafka's broker validates it.
	if err := alter(filepath.Join(t.TempDir(), "missing.pem")); !errors.Is(err, kerr.InvalidRequest) {
		t.Fatalf("a key store that does not load: %v, want INVALID_REQUEST", err)
	}
	if perBroker, _ := n.Image().BrokerConfigs(1); perBroker["listener.name.ssl.ssl.keystore.location"] != rotated {
		t.Fatalf("stored %q after a refused change", perBroker["listener.name.ssl.ssl.keystore.location"])
	}
	if cn := served(); cn != "rotated" {
		t.Fatalf("served %q after a key store that does not load", cn)
	}
}
