package auth

import (
	"errors"
	"time"
)

// TokenValidator validates OAuth bearer tokens (JWTs) outside SASL, for
// the node's HTTP services, by the rules of the OAUTHBEARER listeners
// (see jwks.validate). Safe for concurrent use.
type TokenValidator struct {
	keys        *jwks
	groupsClaim string
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
	return &TokenValidator{keys: keys, groupsClaim: groupsClaim}, nil
}

// Validate checks token and returns its holder.
func (v *TokenValidator) Validate(token string) (Token, error) {
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
