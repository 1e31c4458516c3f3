package handler

import (
	"testing"

	"gregor/internal/acl"
	"gregor/internal/wire"
)

// TestAllowTokenRequests proves Kafka's rule for where delegation token
// requests may be made: on SASL listeners and on TLS with a client
// certificate, never on PLAINTEXT, on TLS without a certificate, or on a
// session a token authenticated.
func TestAllowTokenRequests(t *testing.T) {
	alice := acl.Principal{Type: "User", Name: "alice"}
	for _, c := range []struct {
		protocol  string
		principal acl.Principal
		token     bool
		want      bool
	}{
		{"PLAINTEXT", acl.Anonymous, false, false},
		{"SSL", acl.Anonymous, false, false},
		{"SSL", alice, false, true},
		{"SASL_PLAINTEXT", alice, false, true},
		{"SASL_SSL", alice, false, true},
		{"SASL_PLAINTEXT", alice, true, false},
		{"SASL_SSL", alice, true, false},
	} {
		s := &wire.Session{SecurityProtocol: c.protocol, Principal: c.principal}
		s.Auth.TokenAuthenticated = c.token
		if got := allowTokenRequests(&Request{Session: s}); got != c.want {
			t.Errorf("%s as %s (token %v): %v, want %v", c.protocol, c.principal, c.token, got, c.want)
		}
	}
}
