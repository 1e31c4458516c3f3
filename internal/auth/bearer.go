package auth

import (
	"crypto/sha256"
	"errors"
	"sync"
	"time"
)

// A validated bearer token is remembered for up to tokenCacheTTL (and
// never past its exp), so that a client sending the same token with
// every request pays for one signature check, not one a request; a key
// withdrawn from the JWKS stops tokens it signed within the TTL.
const (
	tokenCacheTTL  = time.Minute
	tokenCacheSize = 4096 // tokens remembered; the cache is emptied when full
)

type cachedToken struct {
	token     Token
	validated time.Time
}

// TokenValidator validates OAuth bearer tokens (JWTs) outside SASL, for
// the node's HTTP services, by the rules of the OAUTHBEARER listeners
// (see jwks.validate). Safe for concurrent use.
type TokenValidator struct {
	keys        *jwks
	groupsClaim string
	now         func() time.Time

	mu    sync.Mutex // guards cache
	cache map[[sha256.Size]byte]cachedToken
}

// Token is what a valid bearer token says of its holder.
type Token struct {
	Principal string // the subject claim
	Groups    []string
	Expiry    time.Time
}

// NewTokenValidator loads cfg's JWKS once, so that a wrong URL or a
// malformed set fails at start; groupsClaim names the claim listing the
// holder's groups (empty: none read).
func NewTokenValidator(cfg OAuthConfig, groupsClaim string) (*TokenValidator, error) {
	if cfg.JWKSURL == "" {
		return nil, errors.New("no JWKS URL (unsecured tokens are not accepted)")
	}
	if cfg.SubClaim == "" {
		cfg.SubClaim = "sub"
	}
	keys, err := newJWKS(cfg)
	if err != nil {
		return nil, err
	}
	return &TokenValidator{keys: keys, groupsClaim: groupsClaim, now: time.Now}, nil
}

// Validate checks token and returns its holder.
func (v *TokenValidator) Validate(token string) (Token, error) {
	sum := sha256.Sum256([]byte(token))
	now := v.now()
	v.mu.Lock()
	c, ok := v.cache[sum]
	v.mu.Unlock()
	if ok && now.Sub(c.validated) < tokenCacheTTL && now.Before(c.token.Expiry.Add(v.keys.cfg.ClockSkew)) {
		return c.token, nil
	}
	t, err := v.validate(token)
	if err != nil {
		return Token{}, err
	}
	v.mu.Lock()
	if v.cache == nil || len(v.cache) >= tokenCacheSize {
		v.cache = map[[sha256.Size]byte]cachedToken{}
	}
	v.cache[sum] = cachedToken{token: t, validated: now}
	v.mu.Unlock()
	return t, nil
}

func (v *TokenValidator) validate(token string) (Token, error) {
	claims, sub, exp, err := v.keys.validateClaims(token)
	if err != nil {
		return Token{}, err
	}
	t := Token{Principal: sub, Expiry: exp}
	switch g := claims[v.groupsClaim].(type) {
	case string:
		t.Groups = []string{g}
	case []any:
		for _, e := range g {
			if s, ok := e.(string); ok {
				t.Groups = append(t.Groups, s)
			}
		}
	}
	return t, nil
}
