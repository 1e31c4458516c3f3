package node_test

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"gregor/internal/auth/authtest"
	"gregor/internal/kafka"
	"gregor/internal/node/nodetest"
)

const tokenSecret = "token-secret-key"

// tokenClient authenticates with a delegation token: SCRAM with the token
// id as user, the HMAC in base64 as password and tokenauth=true.
func tokenClient(t *testing.T, addr string, tok kadm.DelegationToken, opts ...kgo.Opt) *kgo.Client {
	mech := scram.Auth{User: tok.TokenID, Pass: base64.StdEncoding.EncodeToString(tok.HMAC), IsToken: true}.AsSha256Mechanism()
	return newClient(t, addr, append(opts, kgo.SASL(mech))...)
}

// TestDelegationTokenAuthenticates proves that a token created over SASL
// authenticates franz-go with SCRAM (tokenauth=true) as its owner, that
// such a session may not manage tokens, that renewal moves the expiry and
// expiry at once removes the token, after which it no longer
// authenticates.
func TestDelegationTokenAuthenticates(t *testing.T) {
	n, saslPlaintext, _ := startSASLNode(t, authtest.NewCA(t), map[string]string{
		"authorizer.class.name":           "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"super.users":                     "User:admin;User:ANONYMOUS",
		"sasl.jaas.config":                aclJAAS,
		"delegation.token.secret.key":     tokenSecret,
		"delegation.token.expiry.time.ms": "60000",
	})
	ctx := testContext(t)
	createTopic(t, n.Addr, "tokens", 1, nil)
	addACLs(t, kadm.NewClient(newClient(t, n.Addr)), kadm.NewACLs().Allow("User:alice").Topics("tokens").Operations(kadm.OpWrite, kadm.OpDescribe))

	alice := kadm.NewClient(plainClient(t, saslPlaintext, "alice", "alice-secret", nil))
	tok, err := alice.CreateDelegationToken(ctx, kadm.CreateDelegationToken{Renewers: []kadm.Principal{{Type: "User", Name: "bob"}}})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if tok.Owner.Name != "alice" || tok.TokenID == "" || len(tok.HMAC) != 64 || tok.ExpiryTimestamp.Sub(tok.IssueTimestamp) != time.Minute {
		t.Fatalf("created %+v", tok)
	}

	// The token acts as alice: alice's ACL lets it produce.
	cl := tokenClient(t, saslPlaintext, tok, kgo.DefaultProduceTopic("tokens"))
	if err := cl.ProduceSync(ctx, kgo.StringRecord("with a token")).FirstErr(); err != nil {
		t.Fatalf("produce with the token: %v", err)
	}
	// A token session may not manage tokens.
	if _, err := kadm.NewClient(cl).DescribeDelegationTokens(ctx); !errors.Is(err, kerr.DelegationTokenRequestNotAllowed) {
		t.Fatalf("describe on a token session: %v, want DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", err)
	}
	// The token bounds the session: SaslAuthenticate announces at most
	// the token's remaining life.
	if lifetime, _ := tokenSession(t, saslPlaintext, tok); lifetime <= 0 || lifetime > time.Minute {
		t.Fatalf("session lifetime %v, want within the token's minute", lifetime)
	}
	// A wrong HMAC does not authenticate.
	forged := tok
	forged.HMAC = append([]byte(nil), tok.HMAC...)
	forged.HMAC[0] ^= 1
	if err := tokenClient(t, saslPlaintext, forged, kgo.RetryTimeout(0)).Ping(ctx); !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Fatalf("forged HMAC: %v", err)
	}

	// Describe: alice sees her token, with its HMAC; bob sees it as renewer.
	described, err := alice.DescribeDelegationTokens(ctx)
	if err != nil || len(described) != 1 || described[0].TokenID != tok.TokenID || string(described[0].HMAC) != string(tok.HMAC) {
		t.Fatalf("describe: %+v %v", described, err)
	}
	bob := kadm.NewClient(plainClient(t, saslPlaintext, "bob", "bob-secret", nil))
	if got, err := bob.DescribeDelegationTokens(ctx); err != nil || len(got) != 1 {
		t.Fatalf("describe as renewer: %+v %v", got, err)
	}

	// Renew as the renewer, for a second: the expiry moves to a second from now.
	expiry, err := bob.RenewDelegationToken(ctx, tok.HMAC, time.Second)
	if err != nil || expiry.After(time.Now().Add(2*time.Second)) || expiry.Before(time.Now()) {
		t.Fatalf("renew: %v %v", expiry, err)
	}
	// Past it, until the controller's check removes it, the token still
	// authenticates, as in Kafka 4.2, but with a session already over: its
	// lifetime is 0 and the next request closes the connection.
	time.Sleep(time.Until(expiry) + 100*time.Millisecond)
	lifetime, c := tokenSession(t, saslPlaintext, tok)
	if lifetime != 0 {
		t.Fatalf("expired token: session lifetime %v, want 0", lifetime)
	}
	if _, err := c.roundTrip(metadataRequest()); err == nil {
		t.Fatal("Metadata on the session of an expired token was answered")
	}
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := tokenClient(t, saslPlaintext, tok).Ping(short); err == nil {
		t.Fatal("an expired token served a client")
	}
	if _, err := alice.RenewDelegationToken(ctx, tok.HMAC, 0); !errors.Is(err, kerr.DelegationTokenExpired) {
		t.Fatalf("renew an expired token: %v", err)
	}

	// Expire at once: the token is gone.
	tok2, err := alice.CreateDelegationToken(ctx, kadm.CreateDelegationToken{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tokenClient(t, saslPlaintext, tok2).Ping(ctx); err != nil {
		t.Fatalf("second token: %v", err)
	}
	if _, err := bob.ExpireDelegationToken(ctx, tok2.HMAC, -time.Millisecond); !errors.Is(err, kerr.DelegationTokenOwnerMismatch) {
		t.Fatalf("expire by a stranger: %v", err)
	}
	if _, err := alice.ExpireDelegationToken(ctx, tok2.HMAC, -time.Millisecond); err != nil {
		t.Fatalf("expire: %v", err)
	}
	if err := tokenClient(t, saslPlaintext, tok2, kgo.RetryTimeout(0)).Ping(ctx); !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Fatalf("expired token: %v", err)
	}
	if _, err := alice.RenewDelegationToken(ctx, tok2.HMAC, 0); !errors.Is(err, kerr.DelegationTokenNotFound) {
		t.Fatalf("renew a removed token: %v", err)
	}
}

// TestDelegationTokenRefusals proves Kafka's refusals: no token requests
// on a PLAINTEXT listener, CREATE_TOKENS on the User needed to create a
// token for someone else, Describe filtered by ownership and ACLs, the
// empty owner list answering nothing, and tokens disabled without a
// secret key.
func TestDelegationTokenRefusals(t *testing.T) {
	n, saslPlaintext, _ := startSASLNode(t, authtest.NewCA(t), map[string]string{
		"authorizer.class.name":       "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"super.users":                 "User:admin;User:ANONYMOUS",
		"sasl.jaas.config":            aclJAAS,
		"delegation.token.secret.key": tokenSecret,
	})
	ctx := testContext(t)
	if _, err := kadm.NewClient(newClient(t, n.Addr)).CreateDelegationToken(ctx, kadm.CreateDelegationToken{}); !errors.Is(err, kerr.DelegationTokenRequestNotAllowed) {
		t.Fatalf("create on PLAINTEXT: %v", err)
	}
	alice := kadm.NewClient(plainClient(t, saslPlaintext, "alice", "alice-secret", nil))
	carol := &kadm.Principal{Type: "User", Name: "carol"}
	if _, err := alice.CreateDelegationToken(ctx, kadm.CreateDelegationToken{Owner: carol}); !errors.Is(err, kerr.DelegationTokenAuthorizationFailed) {
		t.Fatalf("create for carol without CREATE_TOKENS: %v", err)
	}
	if _, err := alice.CreateDelegationToken(ctx, kadm.CreateDelegationToken{Renewers: []kadm.Principal{{Type: "Group", Name: "g"}}}); !errors.Is(err, kerr.InvalidPrincipalType) {
		t.Fatalf("a Group renewer: %v", err)
	}
	adminClient := plainClient(t, saslPlaintext, "admin", "admin-secret", nil)
	admin := kadm.NewClient(adminClient)
	userACL(t, adminClient, "User:alice", "User:carol", kmsg.ACLOperationCreateTokens)
	tok, err := alice.CreateDelegationToken(ctx, kadm.CreateDelegationToken{Owner: carol})
	if err != nil || tok.Owner != *carol || tok.TokenRequesterPrincipal.Name != "alice" {
		t.Fatalf("create for carol: %+v %v", tok, err)
	}
	// alice requested it, so she sees it; bob sees it only with an ACL.
	if got, _ := alice.DescribeDelegationTokens(ctx); len(got) != 1 {
		t.Fatalf("alice describes %d tokens", len(got))
	}
	bob := kadm.NewClient(plainClient(t, saslPlaintext, "bob", "bob-secret", nil))
	if got, err := bob.DescribeDelegationTokens(ctx); err != nil || len(got) != 0 {
		t.Fatalf("bob without ACLs describes %+v %v", got, err)
	}
	if _, err := admin.CreateDelegationToken(ctx, kadm.CreateDelegationToken{Owner: carol}); err != nil {
		t.Fatal(err)
	}
	addACLs(t, admin, kadm.NewACLs().Allow("User:bob").DelegationTokens(tok.TokenID).Operations(kadm.OpDescribe))
	if got, _ := bob.DescribeDelegationTokens(ctx); len(got) != 1 || got[0].TokenID != tok.TokenID {
		t.Fatalf("bob with DESCRIBE on one token describes %+v", got)
	}
	userACL(t, adminClient, "User:bob", "User:carol", kmsg.ACLOperationDescribeTokens)
	if got, _ := bob.DescribeDelegationTokens(ctx); len(got) != 2 {
		t.Fatalf("bob with DESCRIBE_TOKENS on carol describes %d tokens", len(got))
	}
	// The owner filter, and the empty list that answers nothing.
	if got, _ := admin.DescribeDelegationTokens(ctx, kadm.Principal{Type: "User", Name: "alice"}); len(got) != 1 {
		t.Fatalf("tokens alice requested: %+v", got)
	}
	if got, _ := admin.DescribeDelegationTokens(ctx, kadm.Principal{Type: "User", Name: "dave"}); len(got) != 0 {
		t.Fatalf("tokens of dave: %+v", got)
	}
	empty := kmsg.NewPtrDescribeDelegationTokenRequest()
	empty.Owners = []kmsg.DescribeDelegationTokenRequestOwner{}
	resp, err := empty.RequestWith(ctx, adminClient)
	if err != nil || resp.ErrorCode != 0 || len(resp.TokenDetails) != 0 {
		t.Fatalf("empty owner list: %+v %v", resp, err)
	}

	// Without a secret key, tokens are disabled.
	_, plainOnly, _ := startSASLNode(t, authtest.NewCA(t), nil)
	disabled := kadm.NewClient(plainClient(t, plainOnly, "alice", "alice-secret", nil))
	if _, err := disabled.CreateDelegationToken(ctx, kadm.CreateDelegationToken{}); !errors.Is(err, kerr.DelegationTokenAuthDisabled) {
		t.Fatalf("create without a secret key: %v", err)
	}
}

// userACL allows principal op on the User resource user.
func userACL(t *testing.T, cl *kgo.Client, principal, user string, op kmsg.ACLOperation) {
	t.Helper()
	r := kmsg.NewPtrCreateACLsRequest()
	c := kmsg.NewCreateACLsRequestCreation()
	c.ResourceType, c.ResourceName, c.ResourcePatternType = kmsg.ACLResourceTypeUser, user, kmsg.ACLResourcePatternTypeLiteral
	c.Principal, c.Host, c.Operation, c.PermissionType = principal, "*", op, kmsg.ACLPermissionTypeAllow
	r.Creations = append(r.Creations, c)
	resp, err := r.RequestWith(testContext(t), cl)
	if err != nil || resp.Results[0].ErrorCode != 0 {
		t.Fatalf("create ACL: %v %+v", err, resp)
	}
}

// TestDelegationTokenAcrossNodes proves tokens live in the metadata log:
// a token created through one broker (forwarded to the active controller)
// authenticates on another, and its expiry through that other broker ends
// it on the first.
func TestDelegationTokenAcrossNodes(t *testing.T) {
	sasl := map[string]string{
		"listeners":                      "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
		"listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
		"sasl.enabled.mechanisms":        "PLAIN,SCRAM-SHA-256",
		"sasl.jaas.config":               aclJAAS,
	}
	c := nodetest.StartClusterPerNode(t, 1, 2, func(id kafka.NodeID) map[string]string {
		props := map[string]string{"delegation.token.secret.key": tokenSecret}
		if id > 1 {
			for k, v := range sasl {
				props[k] = v
			}
		}
		return props
	})
	ctx := testContext(t)
	first, second := c.Nodes[1].Addrs()[1].String(), c.Nodes[2].Addrs()[1].String()
	tok, err := kadm.NewClient(plainClient(t, first, "alice", "alice-secret", nil)).CreateDelegationToken(ctx, kadm.CreateDelegationToken{})
	if err != nil {
		t.Fatalf("create through node 2: %v", err)
	}
	waitFor(t, "the token authenticates on node 3", func() bool {
		return tokenClient(t, second, tok, kgo.RetryTimeout(0)).Ping(ctx) == nil
	})
	if _, err := kadm.NewClient(plainClient(t, second, "alice", "alice-secret", nil)).ExpireDelegationToken(ctx, tok.HMAC, -time.Millisecond); err != nil {
		t.Fatalf("expire through node 3: %v", err)
	}
	waitFor(t, "the expired token fails on node 2", func() bool {
		return errors.Is(tokenClient(t, first, tok, kgo.RetryTimeout(0)).Ping(ctx), kerr.SaslAuthenticationFailed)
	})
}

// tokenSession authenticates with tok over SaslHandshake v1 and
// SaslAuthenticate v2 and returns the session lifetime the server
// announced, and the connection.
func tokenSession(t *testing.T, addr string, tok kadm.DelegationToken) (time.Duration, *saslConn) {
	c := dialSASL(t, addr)
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = 1, "SCRAM-SHA-256"
	if _, err := c.roundTrip(hs); err != nil {
		t.Fatal(err)
	}
	mech := scram.Auth{User: tok.TokenID, Pass: base64.StdEncoding.EncodeToString(tok.HMAC), IsToken: true}.AsSha256Mechanism()
	session, msg, err := mech.Authenticate(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	for {
		a := kmsg.NewPtrSASLAuthenticateRequest()
		a.Version, a.SASLAuthBytes = 2, msg
		resp, err := c.roundTrip(a)
		if err != nil {
			t.Fatalf("authenticate: %v", err)
		}
		r := resp.(*kmsg.SASLAuthenticateResponse)
		if r.ErrorCode != 0 {
			t.Fatalf("authenticate: code %d", r.ErrorCode)
		}
		done, next, err := session.Challenge(r.SASLAuthBytes)
		if err != nil {
			t.Fatal(err)
		}
		if done {
			return time.Duration(r.SessionLifetimeMillis) * time.Millisecond, c
		}
		msg = next
	}
}

// TestExpiredTokensAreRemoved proves the active controller removes tokens
// past their expiry every delegation.token.expiry.check.interval.ms, so
// that Describe no longer lists them, and keeps the others.
func TestExpiredTokensAreRemoved(t *testing.T) {
	_, saslPlaintext, _ := startSASLNode(t, authtest.NewCA(t), map[string]string{
		"delegation.token.secret.key":               tokenSecret,
		"delegation.token.expiry.check.interval.ms": "100",
	})
	ctx := testContext(t)
	alice := kadm.NewClient(plainClient(t, saslPlaintext, "alice", "alice-secret", nil))
	short, err := alice.CreateDelegationToken(ctx, kadm.CreateDelegationToken{MaxLifetime: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	long, err := alice.CreateDelegationToken(ctx, kadm.CreateDelegationToken{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the expired token removed", func() bool {
		got, err := alice.DescribeDelegationTokens(ctx)
		return err == nil && len(got) == 1 && got[0].TokenID == long.TokenID
	})
	if _, err := alice.RenewDelegationToken(ctx, short.HMAC, 0); !errors.Is(err, kerr.DelegationTokenNotFound) {
		t.Fatalf("renew a removed token: %v", err)
	}
}
