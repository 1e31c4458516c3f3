package auth

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sasl/scram"

	"gregor/internal/acl"
	"gregor/internal/metadata"
)

// TestTokenAuthentication proves a delegation token authenticates with
// SCRAM (tokenauth=true, the HMAC in base64 as password) as its owner and
// reports its expiry; that the HMAC of another secret, a token used without
// tokenauth, and tokens without a secret key do not authenticate.
func TestTokenAuthentication(t *testing.T) {
	tok := metadata.DelegationToken{ID: "tok-1", Owner: "User:alice", Requester: "User:alice", ExpiryMs: 1_700_000_000_000}
	tokens := func(id string) (metadata.DelegationToken, bool) { return tok, id == tok.ID }
	run := func(secret, password string, isToken bool) (acl.Principal, Exchange, error) {
		m := scram.Auth{User: tok.ID, Pass: password, IsToken: isToken}.AsSha512Mechanism()
		session, msg, err := m.Authenticate(context.Background(), "broker")
		if err != nil {
			t.Fatal(err)
		}
		server := (&SASL{Mechanisms: []string{ScramSHA512}, Tokens: tokens, TokenSecret: secret}).Start(ScramSHA512)
		for {
			answer, done, err := server.Step(msg)
			if err != nil {
				return acl.Principal{}, server, err
			}
			_, next, err := session.Challenge(answer)
			if err != nil || done {
				return server.Principal(), server, err
			}
			msg = next
		}
	}
	password := base64.StdEncoding.EncodeToString(TokenHMAC("secret", tok.ID))
	p, ex, err := run("secret", password, true)
	if err != nil || p != (acl.Principal{Type: "User", Name: "alice"}) {
		t.Fatalf("token: %v %v", p, err)
	}
	if expiry, ok := ex.(TokenSession).TokenExpiry(); !ok || !expiry.Equal(time.UnixMilli(tok.ExpiryMs)) {
		t.Fatalf("expiry %v %v", expiry, ok)
	}
	other := base64.StdEncoding.EncodeToString(TokenHMAC("other", tok.ID))
	for _, c := range []struct {
		name, secret, password string
		isToken                bool
	}{
		{"another secret's HMAC", "secret", other, true},
		{"without tokenauth", "secret", password, false},
		{"tokens disabled", "", password, true},
	} {
		if _, _, err := run(c.secret, c.password, c.isToken); err == nil {
			t.Errorf("%s: authenticated", c.name)
		}
	}
	if mac := TokenHMAC("secret", tok.ID); len(mac) != 64 {
		t.Fatalf("HMAC-SHA512 is 64 bytes, got %d", len(mac))
	}
	if got, ok := TokenByHMAC("secret", TokenHMAC("secret", tok.ID), []metadata.DelegationToken{{ID: "x"}, tok}); !ok || got.ID != tok.ID {
		t.Fatalf("TokenByHMAC: %+v %v", got, ok)
	}
}
