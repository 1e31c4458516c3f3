package auth

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"gregor/internal/acl"
	"gregor/internal/auth/authtest"
	"gregor/internal/config"
)

// handshake runs a TLS handshake between a client with cfg and a server
// with l over loopback TCP, and returns the server side's principal and
// the certificate the server presented.
func handshake(t *testing.T, l *ListenerTLS, client *tls.Config) (acl.Principal, *x509.Certificate, error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type result struct {
		p   acl.Principal
		err error
	}
	done := make(chan result, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- result{err: err}
			return
		}
		defer conn.Close()
		s := tls.Server(conn, l.Config())
		err = s.Handshake()
		p, perr := l.Principal(s.ConnectionState())
		if err == nil {
			err = perr
		}
		done <- result{p, err}
	}()
	conn, err := tls.Dial("tcp", ln.Addr().String(), client)
	var presented *x509.Certificate
	if err == nil {
		presented = conn.ConnectionState().PeerCertificates[0]
		conn.Read(make([]byte, 1)) // TLS 1.3 reports a refused client certificate here
		conn.Close()
	}
	r := <-done
	if r.err != nil {
		err = r.err
	}
	return r.p, presented, err
}

type pki struct {
	ca                   *authtest.CA
	dir, keystore, trust string
	client               tls.Certificate
}

func newPKI(t *testing.T) pki {
	ca := authtest.NewCA(t)
	dir := t.TempDir()
	cert, key := ca.Issue(t, pkix.Name{CommonName: "localhost"}, "127.0.0.1", "localhost")
	ccert, ckey := ca.Issue(t, pkix.Name{CommonName: "alice", OrganizationalUnit: []string{"eng"}, Organization: []string{"Example"}})
	client, err := tls.X509KeyPair(ccert, ckey)
	if err != nil {
		t.Fatal(err)
	}
	return pki{ca: ca, dir: dir, client: client,
		keystore: authtest.WriteFile(t, dir, "server.pem", key, cert),
		trust:    authtest.WriteFile(t, dir, "ca.pem", ca.PEM)}
}

func (p pki) clientConfig(withCert bool) *tls.Config {
	roots := x509.NewCertPool()
	roots.AddCert(p.ca.Cert)
	c := &tls.Config{RootCAs: roots, ServerName: "localhost"}
	if withCert {
		c.Certificates = []tls.Certificate{p.client}
	}
	return c
}

// TestClientAuth proves ssl.client.auth: required refuses a client without
// a certificate, requested and required take the principal from the
// certificate's subject as Kafka's DEFAULT rule renders it, and none
// leaves the client anonymous.
func TestClientAuth(t *testing.T) {
	p := newPKI(t)
	alice := acl.Principal{Type: "User", Name: "CN=alice,OU=eng,O=Example"}
	for _, tc := range []struct {
		auth     string
		withCert bool
		want     acl.Principal
		fails    bool
	}{
		{"required", true, alice, false},
		{"required", false, acl.Principal{}, true},
		{"requested", true, alice, false},
		{"requested", false, acl.Anonymous, false},
		{"none", true, acl.Anonymous, false},
	} {
		l, err := NewListenerTLS(TLSSettings{KeystoreType: "PEM", KeystoreLocation: p.keystore, TruststoreType: "PEM",
			TruststoreFile: p.trust, ClientAuth: tc.auth, Protocols: []string{"TLSv1.2", "TLSv1.3"}, PrincipalRules: "DEFAULT"})
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := handshake(t, l, p.clientConfig(tc.withCert))
		if (err != nil) != tc.fails || (!tc.fails && got != tc.want) {
			t.Errorf("client.auth=%s with certificate %v: principal %v, err %v", tc.auth, tc.withCert, got, err)
		}
	}
}

// TestTLSVersions proves that TLS 1.1 is refused and that
// ssl.enabled.protocols=TLSv1.3 refuses a TLS 1.2 client.
func TestTLSVersions(t *testing.T) {
	p := newPKI(t)
	for _, tc := range []struct {
		enabled    []string
		clientMax  uint16
		wantRefuse bool
	}{
		{[]string{"TLSv1.2", "TLSv1.3"}, tls.VersionTLS11, true},
		{[]string{"TLSv1.2", "TLSv1.3"}, tls.VersionTLS12, false},
		{[]string{"TLSv1.3"}, tls.VersionTLS12, true},
	} {
		l, err := NewListenerTLS(TLSSettings{KeystoreType: "PEM", KeystoreLocation: p.keystore, ClientAuth: "none", Protocols: tc.enabled})
		if err != nil {
			t.Fatal(err)
		}
		c := p.clientConfig(false)
		c.MinVersion, c.MaxVersion = tls.VersionTLS10, tc.clientMax
		if _, _, err := handshake(t, l, c); (err != nil) != tc.wantRefuse {
			t.Errorf("enabled %v, client up to %x: err %v", tc.enabled, tc.clientMax, err)
		}
	}
	if _, err := NewListenerTLS(TLSSettings{KeystoreType: "PEM", KeystoreLocation: p.keystore, Protocols: []string{"TLSv1.1"}}); err == nil {
		t.Error("ssl.enabled.protocols=TLSv1.1 accepted")
	}
}

// TestReloadOnChange proves that a key store rewritten on disk is used by
// the next handshake once the check interval has passed, and that a
// rewrite that does not parse keeps the previous certificate.
func TestReloadOnChange(t *testing.T) {
	p := newPKI(t)
	l, err := NewListenerTLS(TLSSettings{KeystoreType: "PEM", KeystoreLocation: p.keystore, ClientAuth: "none", Protocols: []string{"TLSv1.3"}})
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	l.now = func() time.Time { return clock }
	_, first, err := handshake(t, l, p.clientConfig(false))
	if err != nil {
		t.Fatal(err)
	}
	cert, key := p.ca.Issue(t, pkix.Name{CommonName: "localhost", Organization: []string{"Renewed"}}, "127.0.0.1", "localhost")
	authtest.WriteFile(t, p.dir, "server.pem", key, cert)
	later := time.Now().Add(time.Minute)
	os.Chtimes(p.keystore, later, later)
	if _, same, _ := handshake(t, l, p.clientConfig(false)); !same.Equal(first) {
		t.Fatal("reloaded before the check interval passed")
	}
	clock = clock.Add(2 * reloadCheckInterval)
	_, renewed, err := handshake(t, l, p.clientConfig(false))
	if err != nil || renewed.Subject.Organization[0] != "Renewed" {
		t.Fatalf("after the change: %v, %v", renewed.Subject, err)
	}
	authtest.WriteFile(t, p.dir, "server.pem", []byte("not PEM"))
	os.Chtimes(p.keystore, later.Add(time.Minute), later.Add(time.Minute))
	clock = clock.Add(2 * reloadCheckInterval)
	if _, kept, err := handshake(t, l, p.clientConfig(false)); err != nil || !kept.Equal(renewed) {
		t.Fatalf("after a broken rewrite: %v, %v", kept.Subject, err)
	}
}

// TestListenerSettings proves that listener.name.<l>.ssl.* beats ssl.*,
// inline PEM works, and that on SASL_SSL ssl.client.auth applies only with
// the listener prefix, as in Kafka.
func TestListenerSettings(t *testing.T) {
	p := newPKI(t)
	cert, _ := os.ReadFile(p.keystore)
	cfg, _, err := config.Parse(map[string]string{
		"listeners":                      "SECURE://127.0.0.1:0,SASL://127.0.0.1:0",
		"listener.security.protocol.map": "SECURE:SSL,SASL:SASL_SSL",
		"inter.broker.listener.name":     "SECURE",
		"ssl.client.auth":                "required",
		"ssl.keystore.type":              "PEM",
		"ssl.keystore.location":          "/does/not/exist",
		"listener.name.secure.ssl.keystore.certificate.chain": string(cert),
		"listener.name.secure.ssl.keystore.key":               string(cert),
		"listener.name.secure.ssl.keystore.location":          "",
		"ssl.truststore.type":                                 "PEM",
		"ssl.truststore.location":                             p.trust,
	})
	if err != nil {
		t.Fatal(err)
	}
	secure := ListenerTLSSettings(cfg, "SECURE", "SSL")
	if secure.ClientAuth != "required" || secure.KeystoreLocation != "" || !strings.Contains(secure.CertificateChain, "CERTIFICATE") {
		t.Fatalf("SECURE: %+v", secure)
	}
	if _, err := NewListenerTLS(secure); err != nil {
		t.Fatalf("inline PEM: %v", err)
	}
	if sasl := ListenerTLSSettings(cfg, "SASL", "SASL_SSL"); sasl.ClientAuth != "none" || sasl.KeystoreLocation != "/does/not/exist" {
		t.Fatalf("SASL: %+v", sasl)
	}
}

// TestPEMStorePasswordsRefused proves that ssl.keystore.password and
// ssl.truststore.password are refused with PEM stores, which have no
// password, with Kafka's messages, rather than silently ignored.
func TestPEMStorePasswordsRefused(t *testing.T) {
	p := newPKI(t)
	cfg, _, err := config.Parse(map[string]string{
		"listeners": "SECURE://127.0.0.1:0", "listener.security.protocol.map": "SECURE:SSL", "inter.broker.listener.name": "SECURE",
		"ssl.keystore.type": "PEM", "ssl.keystore.location": p.keystore, "ssl.keystore.password": "secret",
		"ssl.truststore.type": "PEM", "ssl.truststore.location": p.trust, "listener.name.secure.ssl.truststore.password": "secret",
	})
	if err != nil {
		t.Fatal(err)
	}
	s := ListenerTLSSettings(cfg, "SECURE", "SSL")
	if s.KeystorePassword != "secret" || s.TruststorePassword != "secret" {
		t.Fatalf("passwords not read: %q %q", s.KeystorePassword, s.TruststorePassword)
	}
	for _, tc := range []struct {
		keystore, truststore, trustFile string
		want                            string
	}{
		{"secret", "", p.trust, "SSL key store password cannot be specified with PEM format"},
		{"", "secret", p.trust, "SSL trust store password cannot be specified for PEM format"},
		{"", "secret", "", "SSL trust store is not specified, but trust store password is specified"},
		{"", "", p.trust, ""},
	} {
		s.KeystorePassword, s.TruststorePassword, s.TruststoreFile = tc.keystore, tc.truststore, tc.trustFile
		_, err := NewListenerTLS(s)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("keystore password %q, truststore password %q, trust store %q: %v, want %q", tc.keystore, tc.truststore, tc.trustFile, err, tc.want)
		}
	}
}
