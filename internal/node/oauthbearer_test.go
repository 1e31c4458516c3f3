package node_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/oauth"

	"gregor/internal/auth/authtest"
	"gregor/internal/node/nodetest"
)

// TestOAuthBearer proves OAUTHBEARER end to end with franz-go's client: a
// token signed by a key of the configured JWKS authenticates as its
// subject, which the authorizer then checks (alice may write, mallory may
// not); an expired token, or one for another audience, is refused with
// refused.
func TestOAuthBearer(t *testing.T) {
	idp := authtest.NewIssuer(t)
	n := nodetest.Start(t, "", map[string]string{
		"listeners":                                 "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
		"listener.security.protocol.map":            "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
		"sasl.enabled.mechanisms":                   "OAUTHBEARER",
		"sasl.oauthbearer.jwks.endpoint.url":        idp.JWKSURL,
		"sasl.oauthbearer.expected.audience":        "kafka",
		"sasl.oauthbearer.expected.issuer":          "https://idp.example",
		"authorizer.class.name":                     "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"super.users":                               "User:ANONYMOUS",
		"connection.failed.authentication.delay.ms": "0",
	})
	sasl := n.Addrs()[1].String()
	createTopic(t, n.Addr, "oauth", 1, nil)
	addACLs(t, kadm.NewClient(newClient(t, n.Addr)), kadm.NewACLs().Allow("User:alice").Topics("oauth").Operations(kadm.OpWrite, kadm.OpDescribe))
	ctx := testContext(t)
	client := func(token string) *kgo.Client {
		return newClient(t, sasl, kgo.RetryTimeout(0), kgo.DefaultProduceTopic("oauth"), kgo.RecordRetries(1),
			kgo.SASL(oauth.Auth{Token: token}.AsMechanism()))
	}
	alice := client(idp.Token(t, authtest.Claims("alice", "https://idp.example", "kafka")))
	if err := alice.ProduceSync(ctx, kgo.StringRecord("from alice")).FirstErr(); err != nil {
		t.Fatalf("alice's produce: %v", err)
	}
	mallory := client(idp.Token(t, authtest.Claims("mallory", "https://idp.example", "kafka")))
	if err := mallory.ProduceSync(ctx, kgo.StringRecord("from mallory")).FirstErr(); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("mallory's produce: %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
	expired := authtest.Claims("alice", "https://idp.example", "kafka")
	expired["exp"] = time.Now().Add(-time.Hour).Unix()
	for name, token := range map[string]string{
		"expired":          idp.Token(t, expired),
		"another audience": idp.Token(t, authtest.Claims("alice", "https://idp.example", "payments")),
	} {
		// The broker answers RFC 7628's error JSON, which franz-go's client
		// takes as the end (Kafka's client acknowledges it and then gets
		// SASL_AUTHENTICATION_FAILED; internal/auth tests that exchange).
		err := client(token).Ping(ctx)
		if err == nil || !errors.Is(err, kerr.SaslAuthenticationFailed) && !strings.Contains(err.Error(), "unexpected data in oauth response") {
			t.Errorf("%s token: %v, want the authentication refused", name, err)
		}
	}
}

// TestOAuthBearerSessionEndsWithToken proves that a JWT bounds its
// session (KIP-368): SaslAuthenticate announces the time left until the
// token's exp when that is sooner than connections.max.reauth.ms, a
// connection that does not re-authenticate by then is closed at its next
// request, a token already past its exp (within the clock skew) gets a
// session that is over at once, and franz-go, re-authenticating with a
// fresh token each time, keeps producing across several token lifetimes.
func TestOAuthBearerSessionEndsWithToken(t *testing.T) {
	idp := authtest.NewIssuer(t)
	n := nodetest.Start(t, "", map[string]string{
		"listeners":                          "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
		"listener.security.protocol.map":     "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
		"sasl.enabled.mechanisms":            "OAUTHBEARER",
		"sasl.oauthbearer.jwks.endpoint.url": idp.JWKSURL,
		"connections.max.reauth.ms":          "60000",
	})
	sasl := n.Addrs()[1].String()
	createTopic(t, n.Addr, "oauth-session", 1, nil)
	shortLived := func(life time.Duration) (string, time.Time) {
		claims := authtest.Claims("alice", "https://idp.example", "kafka")
		exp := time.Now().Add(life).Truncate(time.Second)
		claims["exp"] = exp.Unix()
		return idp.Token(t, claims), exp
	}

	token, exp := shortLived(3 * time.Second)
	c := dialSASL(t, sasl)
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = 1, "OAUTHBEARER"
	if _, err := c.roundTrip(hs); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	a := kmsg.NewPtrSASLAuthenticateRequest()
	a.Version, a.SASLAuthBytes = 2, []byte("n,,\x01auth=Bearer "+token+"\x01\x01")
	resp, err := c.roundTrip(a)
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	r := resp.(*kmsg.SASLAuthenticateResponse)
	if left := time.Until(exp); r.ErrorCode != 0 || r.SessionLifetimeMillis <= 0 || time.Duration(r.SessionLifetimeMillis)*time.Millisecond > left+100*time.Millisecond {
		t.Fatalf("authenticate: code %d, session lifetime %dms, want at most the token's %v", r.ErrorCode, r.SessionLifetimeMillis, left)
	}
	if _, err := c.roundTrip(metadataRequest()); err != nil {
		t.Fatalf("Metadata within the token's lifetime: %v", err)
	}
	time.Sleep(time.Until(exp) + 200*time.Millisecond)
	if _, err := c.roundTrip(metadataRequest()); err == nil {
		t.Fatal("Metadata after the token expired was answered")
	}

	// A token past its exp but within sasl.oauthbearer.clock.skew.seconds
	// (30 s by default) passes validation, but has no session left: as in
	// Kafka 4.2 it authenticates with a session lifetime of 0, and the next
	// request closes the connection.
	token, _ = shortLived(-5 * time.Second)
	c = dialSASL(t, sasl)
	if _, err := c.roundTrip(hs); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	a.SASLAuthBytes = []byte("n,,\x01auth=Bearer " + token + "\x01\x01")
	if resp, err := c.roundTrip(a); err != nil || resp.(*kmsg.SASLAuthenticateResponse).ErrorCode != 0 || resp.(*kmsg.SASLAuthenticateResponse).SessionLifetimeMillis != 0 {
		t.Fatalf("a token expired within the clock skew: %v %+v, want success with a session lifetime of 0", err, resp)
	}
	if _, err := c.roundTrip(metadataRequest()); err == nil {
		t.Fatal("Metadata on the session of a token expired within the clock skew was answered")
	}

	var tokens atomic.Int32
	cl := newClient(t, sasl, kgo.DefaultProduceTopic("oauth-session"), kgo.SASL(oauth.Oauth(func(context.Context) (oauth.Auth, error) {
		tokens.Add(1)
		token, _ := shortLived(3 * time.Second)
		return oauth.Auth{Token: token}, nil
	})))
	ctx := testContext(t)
	for end := time.Now().Add(7 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if err := cl.ProduceSync(ctx, kgo.StringRecord("x")).FirstErr(); err != nil {
			t.Fatalf("produce with re-authentication: %v", err)
		}
	}
	if n := tokens.Load(); n < 5 {
		t.Fatalf("%d tokens fetched over 7s of 2–3s sessions, want re-authentication", n)
	}
}
