package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"gregor/internal/auth/authtest"
	"gregor/internal/node/nodetest"
)

// TestOAuthBearerCommandConfig proves the tools log in with OAUTHBEARER
// as Kafka's do: the client-credentials grant against a token endpoint
// (a form POST with the client's id and secret in basic authentication,
// and the scope, from the JAAS options or Kafka 4.1's properties), whose
// JWT's subject is the principal the broker authorizes; a token from a
// file:// URL; and clear refusals for a wrong
// secret and for Kafka's unsecured tokens, which the broker does not take.
func TestOAuthBearerCommandConfig(t *testing.T) {
	idp := authtest.NewIssuer(t)
	n := nodetest.Start(t, "", map[string]string{
		"listeners":                                 "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
		"listener.security.protocol.map":            "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
		"sasl.enabled.mechanisms":                   "OAUTHBEARER",
		"sasl.oauthbearer.jwks.endpoint.url":        idp.JWKSURL,
		"sasl.oauthbearer.expected.audience":        "kafka",
		"authorizer.class.name":                     "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"super.users":                               "User:alice",
		"connection.failed.authentication.delay.ms": "0",
	})
	sasl := n.Addrs()[1].String()

	var requests atomic.Int32
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		id, secret, ok := r.BasicAuth()
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.ParseForm() != nil ||
			r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("scope") != "kafka.admin" {
			http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		if !ok || !(id == "alice-client" && secret == "alice-secret" || id == "alice+client" && secret == "s%26cret") {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"access_token": idp.Token(t, authtest.Claims("alice", "https://idp.example", "kafka")),
			"token_type": "Bearer", "expires_in": 3600})
	}))
	t.Cleanup(endpoint.Close)

	dir := t.TempDir()
	clientCredentials := func(name, secret string) string {
		return writeProps(t, dir, name, "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=OAUTHBEARER\n"+
			"sasl.login.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler\n"+
			"sasl.oauthbearer.token.endpoint.url="+endpoint.URL+"/token\n"+
			`sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId="alice-client" clientSecret="`+secret+`" scope="kafka.admin";`)
	}
	topics := func(config string, args ...string) result {
		return gregor(t, "", append([]string{"topics", "--bootstrap-server", sasl, "--command-config", config}, args...)...)
	}

	alice := clientCredentials("alice.properties", "alice-secret")
	if r := topics(alice, "--create", "--topic", "oauth-tool", "--partitions", "1"); r.err != nil {
		t.Fatalf("create as alice: %v %s", r.err, r.stderr)
	}
	if r := topics(alice, "--list"); r.err != nil || !strings.Contains(r.stdout, "oauth-tool\n") {
		t.Fatalf("list as alice: %v %q %s", r.err, r.stdout, r.stderr)
	}
	if requests.Load() == 0 {
		t.Fatal("the token endpoint was never asked")
	}

	// Kafka 4.1's properties instead of the JAAS options, with the id and
	// secret URL-encoded in the header.
	encoded := writeProps(t, dir, "encoded.properties", "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=OAUTHBEARER\n"+
		"sasl.oauthbearer.token.endpoint.url="+endpoint.URL+"/token\n"+
		"sasl.oauthbearer.client.credentials.client.id=alice client\nsasl.oauthbearer.client.credentials.client.secret=s&cret\n"+
		"sasl.oauthbearer.scope=kafka.admin\nsasl.oauthbearer.header.urlencode=true\n"+
		`sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required ;`)
	if r := topics(encoded, "--list"); r.err != nil || !strings.Contains(r.stdout, "oauth-tool\n") {
		t.Fatalf("list with Kafka 4.1's properties: %v %q %s", r.err, r.stdout, r.stderr)
	}

	if r := topics(clientCredentials("wrong.properties", "guess"), "--list"); r.err == nil || !strings.Contains(r.err.Error()+r.stderr, "401") {
		t.Fatalf("wrong client secret: %v %q, want the endpoint's refusal", r.err, r.stderr)
	}

	// bob's token from a file: he is authenticated, but not a super user, so
	// the topic is hidden from him.
	tokenFile := filepath.Join(dir, "bob.jwt")
	if err := os.WriteFile(tokenFile, []byte(idp.Token(t, authtest.Claims("bob", "https://idp.example", "kafka"))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bob := writeProps(t, dir, "bob.properties", "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=OAUTHBEARER\n"+
		"sasl.oauthbearer.token.endpoint.url=file://"+tokenFile+"\n"+
		`sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required ;`)
	if r := topics(bob, "--list"); r.err != nil || strings.Contains(r.stdout, "oauth-tool") {
		t.Fatalf("list as bob: %v %q %s", r.err, r.stdout, r.stderr)
	}

	unsecured := writeProps(t, dir, "unsecured.properties", "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=OAUTHBEARER\n"+
		`sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="alice";`)
	if r := topics(unsecured, "--list"); r.err == nil || !strings.Contains(r.err.Error()+r.stderr, "unsecured") {
		t.Fatalf("unsecured login: %v %q, want a refusal naming unsecured tokens", r.err, r.stderr)
	}
}
