package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"time"

	"gregor/internal/acl"
	"gregor/internal/metadata"
)

// Delegation tokens (KIP-48) authenticate with SCRAM: the user name is the
// token id, the password the token's HMAC in base64, and the client's first
// message carries the extension tokenauth=true. Every node derives the
// HMAC from delegation.token.secret.key and the token id, so the HMAC is
// never stored; the SCRAM credential is derived from it at each
// authentication, with a fresh salt and SCRAM's minimum iterations, as
// Kafka's token cache does.

// TokenLookup finds a delegation token by id in the metadata in effect.
type TokenLookup func(id string) (metadata.DelegationToken, bool)

// TokenHMAC is a token's HMAC: HMAC-SHA512 of the token id keyed with the
// secret key, as Kafka computes it.
func TokenHMAC(secret, tokenID string) []byte {
	m := hmac.New(sha512.New, []byte(secret))
	m.Write([]byte(tokenID))
	return m.Sum(nil)
}

// TokenByHMAC finds the token whose HMAC is mac among tokens, comparing in
// constant time.
func TokenByHMAC(secret string, mac []byte, tokens []metadata.DelegationToken) (metadata.DelegationToken, bool) {
	for _, t := range tokens {
		if subtle.ConstantTimeCompare(TokenHMAC(secret, t.ID), mac) == 1 {
			return t, true
		}
	}
	return metadata.DelegationToken{}, false
}

// TokenSession is implemented by an exchange that authenticated with a
// delegation token.
type TokenSession interface {
	// TokenExpiry is when the token expires; ok is false when the
	// exchange did not use a token.
	TokenExpiry() (expiry time.Time, ok bool)
}

// CredentialSession is implemented by an exchange whose credential
// expires: a delegation token or an OAUTHBEARER JWT. The session it
// opens ends when the credential expires, if connections.max.reauth.ms
// does not end it sooner (KIP-368).
type CredentialSession interface {
	// CredentialExpiry is when the credential the exchange authenticated
	// with expires; ok is false when it has no expiry.
	CredentialExpiry() (expiry time.Time, ok bool)
}

// tokenCredential returns the SCRAM credential of token id for mechanism,
// and the token's owner and expiry; ok is false for an unknown token or
// when tokens are disabled (no secret key).
func (s *scramExchange) tokenCredential(id string) (metadata.ScramCredential, bool) {
	if s.tokens == nil || s.secret == "" {
		return metadata.ScramCredential{}, false
	}
	t, ok := s.tokens(id)
	if !ok {
		return metadata.ScramCredential{}, false
	}
	owner, err := acl.ParsePrincipal(t.Owner)
	if err != nil {
		return metadata.ScramCredential{}, false
	}
	password := base64.StdEncoding.EncodeToString(TokenHMAC(s.secret, t.ID))
	salt := make([]byte, 16)
	rand.Read(salt)
	salted, err := SaltPassword(s.mechanism, password, salt, 4096)
	if err != nil {
		return metadata.ScramCredential{}, false
	}
	cred, err := ScramCredentialFromSaltedPassword(s.mechanism, salt, salted, 4096)
	if err != nil {
		return metadata.ScramCredential{}, false
	}
	s.owner, s.tokenExpiry = owner, time.UnixMilli(t.ExpiryMs)
	return cred, true
}

// TokenExpiry implements TokenSession.
func (s *scramExchange) TokenExpiry() (time.Time, bool) {
	return s.tokenExpiry, !s.tokenExpiry.IsZero()
}

// CredentialExpiry implements CredentialSession: only a token expires.
func (s *scramExchange) CredentialExpiry() (time.Time, bool) { return s.TokenExpiry() }
