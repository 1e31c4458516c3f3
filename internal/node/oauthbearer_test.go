package node_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
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
