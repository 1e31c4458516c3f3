package authtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer is a test identity provider: it signs JWTs with an RSA key (kid
// rsa1) and an EC P-256 key (kid ec1), and publishes both in a JWKS file
// (JWKSURL, a file:// URL) as sasl.oauthbearer.jwks.endpoint.url takes it.
type Issuer struct {
	RSA     *rsa.PrivateKey
	EC      *ecdsa.PrivateKey
	JWKSURL string
}

// NewIssuer makes the keys and writes the JWKS into a temporary directory.
func NewIssuer(t testing.TB) *Issuer {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b64 := func(n *big.Int) string { return base64.RawURLEncoding.EncodeToString(n.Bytes()) }
	set := map[string]any{"keys": []map[string]string{
		{"kty": "RSA", "kid": "rsa1", "use": "sig", "n": b64(rk.N), "e": b64(big.NewInt(int64(rk.E)))},
		{"kty": "EC", "kid": "ec1", "crv": "P-256", "x": b64(ek.X), "y": b64(ek.Y)},
	}}
	data, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return &Issuer{RSA: rk, EC: ek, JWKSURL: "file://" + path}
}

// Claims are a token's usual claims for subject sub, valid for an hour,
// issued by iss for audience aud.
func Claims(sub, iss, aud string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{"sub": sub, "iss": iss, "aud": []string{aud}, "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
}

// Token signs claims with RS256 under kid rsa1; alter may change the
// token (method, headers) and returns the key to sign with.
func (i *Issuer) Token(t testing.TB, claims jwt.MapClaims, alter ...func(*jwt.Token) any) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = "rsa1"
	var key any = i.RSA
	for _, a := range alter {
		key = a(tok)
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
