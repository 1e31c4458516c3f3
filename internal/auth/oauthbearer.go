package auth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"gregor/internal/acl"
)

// OAuthBearer is the SASL mechanism of RFC 7628 that Kafka serves (KIP-255,
// KIP-768): the client sends a JWT that the broker validates against the
// keys of a JWKS.
const OAuthBearer = "OAUTHBEARER"

// OAuthConfig is how a listener validates OAUTHBEARER tokens, from Kafka's
// sasl.oauthbearer.* settings.
type OAuthConfig struct {
	JWKSURL   string        // sasl.oauthbearer.jwks.endpoint.url: file:// or http(s)://
	Refresh   time.Duration // sasl.oauthbearer.jwks.endpoint.refresh.ms
	Audience  []string      // sasl.oauthbearer.expected.audience: one must be in aud (none: not checked)
	Issuer    string        // sasl.oauthbearer.expected.issuer (empty: not checked)
	SubClaim  string        // sasl.oauthbearer.sub.claim.name
	ClockSkew time.Duration // sasl.oauthbearer.clock.skew.seconds
}

// jwks holds the verification keys of a JWKS by key id, reloaded every
// Refresh, and at once (at most every minRefetch) for a key id it lacks.
type jwks struct {
	cfg OAuthConfig

	mu      sync.Mutex
	keys    map[string]crypto.PublicKey
	loaded  time.Time
	lastTry time.Time
}

// minRefetch bounds how often an unknown key id reloads the JWKS.
const minRefetch = 10 * time.Second

// newJWKS loads the key set once, so that a listener with a wrong URL or
// a malformed set fails at start.
func newJWKS(cfg OAuthConfig) (*jwks, error) {
	k := &jwks{cfg: cfg}
	if err := k.reload(time.Now()); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *jwks) reload(now time.Time) error {
	k.lastTry = now
	data, err := fetchJWKS(k.cfg.JWKSURL)
	if err != nil {
		return err
	}
	keys, err := parseJWKS(data)
	if err != nil {
		return fmt.Errorf("sasl.oauthbearer.jwks.endpoint.url %s: %w", k.cfg.JWKSURL, err)
	}
	k.keys, k.loaded = keys, now
	return nil
}

// key returns the key named kid, reloading the set when it is stale or
// lacks kid.
func (k *jwks) key(kid string) (crypto.PublicKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := time.Now()
	_, known := k.keys[kid]
	if (k.cfg.Refresh > 0 && now.Sub(k.loaded) > k.cfg.Refresh) || (!known && now.Sub(k.lastTry) > minRefetch) {
		_ = k.reload(now) // on failure the keys loaded before stay in use
	}
	if key, ok := k.keys[kid]; ok {
		return key, nil
	}
	return nil, fmt.Errorf("no key with kid %q in the JWKS", kid)
}

func fetchJWKS(raw string) ([]byte, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("sasl.oauthbearer.jwks.endpoint.url: %w", err)
	}
	switch u.Scheme {
	case "file":
		return os.ReadFile(u.Path)
	case "http", "https":
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, fmt.Errorf("sasl.oauthbearer.jwks.endpoint.url: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("sasl.oauthbearer.jwks.endpoint.url %s: HTTP %s", raw, resp.Status)
		}
		return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	}
	return nil, fmt.Errorf("sasl.oauthbearer.jwks.endpoint.url %q: expected a file://, http:// or https:// URL", raw)
}

// parseJWKS reads the RSA and EC public keys of a JSON Web Key Set
// (RFC 7517/7518) by key id; other key types are skipped.
func parseJWKS(data []byte) (map[string]crypto.PublicKey, error) {
	var set struct {
		Keys []struct {
			Kty, Kid, Use, Crv string
			N, E, X, Y         string
		} `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("not a JWKS: %w", err)
	}
	keys := map[string]crypto.PublicKey{}
	for _, k := range set.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		b := func(s string) (*big.Int, error) {
			raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
			if err != nil || len(raw) == 0 {
				return nil, fmt.Errorf("key %q: bad base64url number", k.Kid)
			}
			return new(big.Int).SetBytes(raw), nil
		}
		switch k.Kty {
		case "RSA":
			n, err := b(k.N)
			if err != nil {
				return nil, err
			}
			e, err := b(k.E)
			if err != nil || !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31 {
				return nil, fmt.Errorf("key %q: bad RSA exponent", k.Kid)
			}
			keys[k.Kid] = &rsa.PublicKey{N: n, E: int(e.Int64())}
		case "EC":
			curves := map[string]elliptic.Curve{"P-256": elliptic.P256(), "P-384": elliptic.P384(), "P-521": elliptic.P521()}
			curve, ok := curves[k.Crv]
			if !ok {
				return nil, fmt.Errorf("key %q: unsupported curve %q", k.Kid, k.Crv)
			}
			x, err := b(k.X)
			if err != nil {
				return nil, err
			}
			y, err := b(k.Y)
			if err != nil {
				return nil, err
			}
			pub := &ecdsa.PublicKey{Curve: curve, X: x, Y: y}
			if _, err := pub.ECDH(); err != nil { // the point must be on the curve
				return nil, fmt.Errorf("key %q: not a point of %s", k.Kid, k.Crv)
			}
			keys[k.Kid] = pub
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("no RSA or EC signing key in the JWKS")
	}
	return keys, nil
}

// oauthExchange is one OAUTHBEARER authentication: the client's first
// message carries the token; a refused token is answered with RFC 7628's
// error JSON, and the authentication fails on the client's next message
// (its acknowledgement, a lone 0x01), as Kafka's OAuthBearerSaslServer does.
type oauthExchange struct {
	keys      *jwks
	principal string
	expiry    time.Time // the token's exp
	refused   bool
}

func (o *oauthExchange) Step(msg []byte) ([]byte, bool, error) {
	if o.refused {
		return nil, false, errAuthentication
	}
	token, authzid, err := parseOAuthMessage(msg)
	if err == nil {
		o.principal, o.expiry, err = o.keys.validate(token)
	}
	if err == nil && authzid != "" && authzid != o.principal {
		err = errors.New("the authorization id is not the token's principal")
	}
	if err != nil {
		o.refused = true
		return []byte(`{"status":"invalid_token"}`), false, nil
	}
	return nil, true, nil
}

// CredentialExpiry implements CredentialSession: the session ends when
// the token expires, as Kafka's OAuthBearerSaslServer reports the token's
// lifetime to its authenticator.
func (o *oauthExchange) CredentialExpiry() (time.Time, bool) {
	return o.expiry, !o.expiry.IsZero()
}

func (o *oauthExchange) Principal() acl.Principal {
	return acl.Principal{Type: "User", Name: o.principal}
}

// parseOAuthMessage reads RFC 7628's initial client response:
// "n,[a=authzid],\x01auth=Bearer <token>\x01[key=value\x01]*\x01".
func parseOAuthMessage(msg []byte) (token, authzid string, err error) {
	header, rest, ok := bytes.Cut(msg, []byte{1})
	if !ok || !bytes.HasSuffix(rest, []byte{1, 1}) {
		return "", "", errors.New("malformed OAUTHBEARER message")
	}
	gs2 := strings.Split(string(header), ",")
	if len(gs2) != 3 || gs2[0] != "n" || gs2[2] != "" {
		return "", "", errors.New("malformed GS2 header")
	}
	if gs2[1] != "" {
		id, ok := strings.CutPrefix(gs2[1], "a=")
		if !ok {
			return "", "", errors.New("malformed GS2 header")
		}
		authzid = id
	}
	for _, kv := range bytes.Split(bytes.TrimSuffix(rest, []byte{1, 1}), []byte{1}) {
		if v, ok := bytes.CutPrefix(kv, []byte("auth=")); ok {
			scheme, t, ok := strings.Cut(string(v), " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") || t == "" {
				return "", "", errors.New("malformed auth value")
			}
			token = t
		}
	}
	if token == "" {
		return "", "", errors.New("no token")
	}
	return token, authzid, nil
}

// validate checks token as Kafka's OAuthBearerValidatorCallbackHandler
// does: a signature by a key of the JWKS (RSA or EC; never "none" or an
// HMAC), exp present and not past, nbf and iat not in the future (with
// the clock skew), the expected issuer and audience when configured, and
// a non-empty subject claim, which names the principal. It returns the
// principal's name and the token's expiry.
func (k *jwks) validate(token string) (string, time.Time, error) {
	_, sub, exp, err := k.validateClaims(token)
	return sub, exp, err
}

// validateClaims is validate, returning the token's claims besides.
func (k *jwks) validateClaims(token string) (jwt.MapClaims, string, time.Time, error) {
	algs := []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
	opts := []jwt.ParserOption{jwt.WithValidMethods(algs), jwt.WithExpirationRequired(), jwt.WithLeeway(k.cfg.ClockSkew)}
	if k.cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(k.cfg.Issuer))
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		return k.key(kid)
	}, opts...)
	if err != nil {
		return nil, "", time.Time{}, err
	}
	if len(k.cfg.Audience) > 0 {
		aud, err := claims.GetAudience()
		if err != nil || !slices.ContainsFunc(aud, func(a string) bool { return slices.Contains(k.cfg.Audience, a) }) {
			return nil, "", time.Time{}, errors.New("the token's audience is not an expected one")
		}
	}
	sub, _ := claims[k.cfg.SubClaim].(string)
	if strings.TrimSpace(sub) == "" {
		return nil, "", time.Time{}, fmt.Errorf("the token has no %q claim", k.cfg.SubClaim)
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return nil, "", time.Time{}, errors.New("the token has no exp claim")
	}
	return claims, sub, exp.Time, nil
}
