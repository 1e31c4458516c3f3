package auth

import (
	"slices"
	"testing"
	"time"

	"gregor/internal/auth/authtest"
)

// TestTokenValidator proves the HTTP services' bearer validation: the
// OAUTHBEARER rules (a JWKS signature, exp, the issuer), the subject and
// the groups claim as a list or a single string; a token remembered as
// valid is refused once its exp is past, whatever the cache holds.
func TestTokenValidator(t *testing.T) {
	idp := authtest.NewIssuer(t)
	v, err := NewTokenValidator(OAuthConfig{JWKSURL: idp.JWKSURL, Issuer: "https://idp.example"}, "groups")
	if err != nil {
		t.Fatal(err)
	}
	c := authtest.Claims("alice", "https://idp.example", "registry")
	c["groups"] = []string{"a", "b"}
	good := idp.Token(t, c)
	for range 2 { // the second from the cache
		tok, err := v.Validate(good)
		if err != nil || tok.Principal != "alice" || !slices.Equal(tok.Groups, []string{"a", "b"}) {
			t.Fatalf("valid token: %+v %v", tok, err)
		}
	}
	c["groups"] = "solo"
	if tok, err := v.Validate(idp.Token(t, c)); err != nil || !slices.Equal(tok.Groups, []string{"solo"}) {
		t.Fatalf("one group: %+v %v", tok, err)
	}
	for name, claims := range map[string]func(){
		"expired":      func() { c["exp"] = time.Now().Add(-time.Hour).Unix() },
		"other issuer": func() { c["iss"] = "https://evil" },
		"no subject":   func() { delete(c, "sub") },
	} {
		c = authtest.Claims("alice", "https://idp.example", "registry")
		claims()
		if _, err := v.Validate(idp.Token(t, c)); err == nil {
			t.Errorf("%s token accepted", name)
		}
	}
	// A cached token seen after its exp: validated again, and refused.
	short := authtest.Claims("bob", "https://idp.example", "registry")
	short["exp"] = time.Now().Add(2 * time.Second).Unix()
	tok := idp.Token(t, short)
	v.now = time.Now
	if _, err := v.Validate(tok); err != nil {
		t.Fatal(err)
	}
	v.now = func() time.Time { return time.Now().Add(time.Hour) }
	time.Sleep(2100 * time.Millisecond)
	if _, err := v.Validate(tok); err == nil {
		t.Fatal("a cached token past its exp accepted")
	}
}
