package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"gregor/internal/auth/authtest"
)

func oauthMessage(token, authzid string) []byte {
	gs2 := "n,,"
	if authzid != "" {
		gs2 = "n,a=" + authzid + ","
	}
	return []byte(gs2 + "\x01auth=Bearer " + token + "\x01\x01")
}

// TestOAuthBearerValidation proves the token checks of Kafka's validator:
// a signature by a JWKS key (RSA or EC) under a known kid, exp required
// and not past, the expected issuer and audience, a subject; and the
// exchange's shape: a refused token gets RFC 7628's error JSON, then the
// authentication fails on the client's acknowledgement.
func TestOAuthBearerValidation(t *testing.T) {
	iss := authtest.NewIssuer(t)
	keys, err := newJWKS(OAuthConfig{JWKSURL: iss.JWKSURL, Audience: []string{"kafka"}, Issuer: "https://idp", SubClaim: "sub", ClockSkew: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	good := func() jwt.MapClaims {
		return jwt.MapClaims{"sub": "alice", "iss": "https://idp", "aud": []string{"kafka", "other"}, "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
	}
	with := func(k string, v any) jwt.MapClaims {
		c := good()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, tc := range map[string]struct {
		msg  []byte
		want string // the principal; empty: refused
	}{
		"valid RS256": {oauthMessage(iss.Token(t, good()), ""), "alice"},
		"valid ES256": {oauthMessage(iss.Token(t, good(), func(tok *jwt.Token) any {
			tok.Method, tok.Header["alg"], tok.Header["kid"] = jwt.SigningMethodES256, "ES256", "ec1"
			return iss.EC
		}), ""), "alice"},
		"authzid of the subject": {oauthMessage(iss.Token(t, good()), "alice"), "alice"},
		"authzid of another":     {oauthMessage(iss.Token(t, good()), "bob"), ""},
		"expired":                {oauthMessage(iss.Token(t, with("exp", now.Add(-time.Hour).Unix())), ""), ""},
		"within the clock skew":  {oauthMessage(iss.Token(t, with("exp", now.Add(-10*time.Second).Unix())), ""), "alice"},
		"no exp":                 {oauthMessage(iss.Token(t, with("exp", nil)), ""), ""},
		"not yet valid":          {oauthMessage(iss.Token(t, with("nbf", now.Add(time.Hour).Unix())), ""), ""},
		"another issuer":         {oauthMessage(iss.Token(t, with("iss", "https://evil")), ""), ""},
		"another audience":       {oauthMessage(iss.Token(t, with("aud", "payments")), ""), ""},
		"no subject":             {oauthMessage(iss.Token(t, with("sub", nil)), ""), ""},
		"signed by another key":  {oauthMessage(iss.Token(t, good(), func(*jwt.Token) any { return other }), ""), ""},
		"unknown kid": {oauthMessage(iss.Token(t, good(), func(tok *jwt.Token) any {
			tok.Header["kid"] = "nope"
			return iss.RSA
		}), ""), ""},
		"HMAC with the public key": {oauthMessage(iss.Token(t, good(), func(tok *jwt.Token) any {
			tok.Method, tok.Header["alg"] = jwt.SigningMethodHS256, "HS256"
			return iss.RSA.N.Bytes()
		}), ""), ""},
		"alg none": {oauthMessage(iss.Token(t, good(), func(tok *jwt.Token) any {
			tok.Method, tok.Header["alg"] = jwt.SigningMethodNone, "none"
			return jwt.UnsafeAllowNoneSignatureType
		}), ""), ""},
		"not a JWT":        {oauthMessage("abc.def.ghi", ""), ""},
		"malformed header": {[]byte("y,,\x01auth=Bearer x\x01\x01"), ""},
		"no token":         {[]byte("n,,\x01\x01"), ""},
	} {
		t.Run(name, func(t *testing.T) {
			ex := &oauthExchange{keys: keys}
			answer, done, err := ex.Step(tc.msg)
			if tc.want != "" {
				if !done || err != nil || len(answer) != 0 || ex.Principal().Name != tc.want {
					t.Fatalf("done %v err %v answer %q principal %v, want %s", done, err, answer, ex.Principal(), tc.want)
				}
				return
			}
			if done || err != nil || string(answer) != `{"status":"invalid_token"}` {
				t.Fatalf("refusal: done %v err %v answer %q", done, err, answer)
			}
			if _, done, err := ex.Step([]byte{1}); done || !errors.Is(err, errAuthentication) {
				t.Fatalf("after the acknowledgement: done %v err %v", done, err)
			}
		})
	}
}

// TestOAuthBearerJWKSErrors proves a listener whose JWKS cannot be read or
// holds no usable key fails at start, naming the setting.
func TestOAuthBearerJWKSErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.json")
	os.WriteFile(empty, []byte(`{"keys":[]}`), 0o600)
	garbage := filepath.Join(dir, "garbage.json")
	os.WriteFile(garbage, []byte(`not json`), 0o600)
	for _, u := range []string{"file://" + filepath.Join(dir, "missing.json"), "file://" + empty, "file://" + garbage, "ftp://x/y"} {
		if _, err := newJWKS(OAuthConfig{JWKSURL: u}); err == nil {
			t.Errorf("%s: no error", u)
		}
	}
}

// TestOAuthBearerCredentialExpiry proves an accepted token reports its exp
// claim as the credential's expiry, which bounds the session.
func TestOAuthBearerCredentialExpiry(t *testing.T) {
	iss := authtest.NewIssuer(t)
	keys, err := newJWKS(OAuthConfig{JWKSURL: iss.JWKSURL, SubClaim: "sub"})
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(90 * time.Second).Truncate(time.Second)
	ex := &oauthExchange{keys: keys}
	if _, ok := ex.CredentialExpiry(); ok {
		t.Fatal("an expiry before authentication")
	}
	if _, done, err := ex.Step(oauthMessage(iss.Token(t, jwt.MapClaims{"sub": "alice", "exp": exp.Unix()}), "")); !done || err != nil {
		t.Fatalf("authenticate: done %v err %v", done, err)
	}
	var session CredentialSession = ex
	if got, ok := session.CredentialExpiry(); !ok || !got.Equal(exp) {
		t.Fatalf("credential expiry %v %v, want %v", got, ok, exp)
	}
}
