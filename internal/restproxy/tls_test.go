package restproxy_test

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"gregor/internal/auth/authtest"
)

// serviceTLS is the TLS material of a test's HTTPS services: a CA, the
// server's key store and a client's certificate.
type serviceTLS struct {
	ca       *authtest.CA
	keystore string // the server's key and chain, PEM
	client   tls.Certificate
}

func newServiceTLS(t testing.TB) serviceTLS {
	ca := authtest.NewCA(t)
	dir := t.TempDir()
	cert, key := ca.Issue(t, pkix.Name{CommonName: "gregor"}, "127.0.0.1")
	ccert, ckey := ca.Issue(t, pkix.Name{CommonName: "client"})
	client, err := tls.X509KeyPair(ccert, ckey)
	if err != nil {
		t.Fatal(err)
	}
	return serviceTLS{ca: ca, keystore: authtest.WriteFile(t, dir, "server.pem", key, cert), client: client}
}

// httpsClient trusts the test's CA and presents cert when given.
func (s serviceTLS) httpsClient(certs ...tls.Certificate) *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(s.ca.Cert)
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: certs}}}
}

func get(t *testing.T, c *http.Client, url, authorization string) (int, string, error) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// TestHTTPSAndBearer proves the schema registry and the REST proxy serve
// https:// listeners with the ssl.* keys (a PEM key store, client
// certificates required by ssl.client.authentication=REQUIRED on the
// registry) and authenticate bearer tokens signed by a key of their JWKS,
// answering Confluent's 40101 to a missing, forged or expired token and
// 40301 to a holder outside authentication.roles; a plain HTTP client and
// an HTTPS client without a certificate are refused at the connection.
func TestHTTPSAndBearer(t *testing.T) {
	st := newServiceTLS(t)
	idp := authtest.NewIssuer(t)
	tn := start(t, map[string]string{
		"schema.registry.listeners":                     "https://127.0.0.1:0",
		"schema.registry.ssl.keystore.location":         st.keystore,
		"schema.registry.ssl.keystore.type":             "PEM",
		"schema.registry.ssl.truststore.certificates":   string(st.ca.PEM),
		"schema.registry.ssl.client.authentication":     "REQUIRED",
		"schema.registry.authentication.method":         "BEARER",
		"schema.registry.authentication.roles":          "schema-admins",
		"schema.registry.oauthbearer.jwks.endpoint.url": idp.JWKSURL,
		"schema.registry.oauthbearer.expected.issuer":   "https://idp.example",
		"schema.registry.oauthbearer.expected.audience": "schema-registry",
		"rest.proxy.listeners":                          "https://127.0.0.1:0",
		"rest.proxy.ssl.keystore.location":              st.keystore,
		"rest.proxy.authentication.method":              "BEARER",
		"rest.proxy.oauthbearer.jwks.endpoint.url":      idp.JWKSURL,
	}, "https")
	token := func(sub, aud string, groups ...string) string {
		c := authtest.Claims(sub, "https://idp.example", aud)
		if groups != nil {
			c["groups"] = groups
		}
		return "Bearer " + idp.Token(t, c)
	}
	expired := authtest.Claims("alice", "https://idp.example", "schema-registry")
	expired["exp"] = time.Now().Add(-time.Hour).Unix()
	expired["groups"] = []string{"schema-admins"}

	reg := "https://" + tn.node.SchemaRegistryAddr().String()
	withCert := st.httpsClient(st.client)
	for _, tc := range []struct {
		name, auth, want string
		status           int
	}{
		{"no token", "", `"error_code":40101`, 401},
		{"forged", "Bearer " + strings.Repeat("x", 20) + "." + "y.z", `"error_code":40101`, 401},
		{"expired", "Bearer " + idp.Token(t, expired), `"error_code":40101`, 401},
		{"another audience", token("alice", "kafka", "schema-admins"), `"error_code":40101`, 401},
		{"outside the roles", token("bob", "schema-registry", "devs"), `"error_code":40301`, 403},
		{"admin", token("alice", "schema-registry", "devs", "schema-admins"), `[]`, 200},
	} {
		status, body, err := get(t, withCert, reg+"/subjects", tc.auth)
		if err != nil || status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("registry, %s: %d %s %v, want %d %s", tc.name, status, body, err, tc.status, tc.want)
		}
	}
	if _, _, err := get(t, st.httpsClient(), reg+"/subjects", token("alice", "schema-registry", "schema-admins")); err == nil {
		t.Error("the registry served an HTTPS client without a certificate")
	}
	if status, _, err := get(t, httpClient, "http://"+tn.node.SchemaRegistryAddr().String()+"/subjects", ""); err == nil && status == 200 {
		t.Error("the registry served plain HTTP on its https:// listener")
	}

	if !strings.HasPrefix(tn.base, "https://") {
		t.Fatalf("proxy URL %s", tn.base)
	}
	noCert := st.httpsClient()
	if status, body, err := get(t, noCert, tn.base+"/topics", ""); err != nil || status != 401 || !strings.Contains(body, "40101") {
		t.Errorf("proxy without a token: %d %s %v", status, body, err)
	}
	if status, body, err := get(t, noCert, tn.base+"/v3/clusters", token("carol", "anything")); err != nil || status != 200 || !strings.Contains(body, `"https://`) {
		t.Errorf("proxy with a token: %d %s %v", status, body, err)
	}
}
