package wire

import (
	"errors"
	"time"

	"gregor/internal/acl"
)

// Authentication is the SASL state of a session, which the SASL APIs
// change and the server consults before serving each request.
type Authentication struct {
	// Required is set on a SASL listener: until Authenticated, only
	// ApiVersions, SaslHandshake and SaslAuthenticate are served.
	Required bool
	// Mechanism is the one SaslHandshake chose; Exchange the
	// authentication in progress with it, nil between authentications.
	Mechanism string
	Exchange  SASLExchange
	// Raw is set by SaslHandshake v0: until the exchange ends, the client
	// sends bare SASL tokens, each a size-prefixed frame without a request
	// header, and is answered likewise (no SaslAuthenticate framing).
	Raw bool
	// Authenticated is set once an exchange succeeded; it stays set while
	// the client re-authenticates (KIP-368).
	Authenticated bool
	// TokenAuthenticated is set when the client authenticated with a
	// delegation token: it may not create, renew, expire or describe
	// tokens, as Kafka refuses them on such a session.
	TokenAuthenticated bool
	// Expires is when the authenticated session ends
	// (connections.max.reauth.ms); zero for never.
	Expires time.Time
	// Failed is set when an authentication failed: the server closes the
	// connection after the response, and a delay.
	Failed bool
}

// SASLExchange is the server side of one SASL authentication (an
// auth.Exchange).
type SASLExchange interface {
	Step(msg []byte) (answer []byte, done bool, err error)
	Principal() acl.Principal
}

// SASL API keys, served before authentication.
const (
	saslHandshakeKey    = 17
	apiVersionsKey      = 18
	saslAuthenticateKey = 36
)

// Errors that close a SASL connection.
var (
	ErrNotAuthenticated = errors.New("request before SASL authentication")
	ErrSessionExpired   = errors.New("SASL session expired (connections.max.reauth.ms)")
)

// Admit reports whether a request with key may be served on the session
// at now: anything on a listener without SASL; before authentication
// only the SASL APIs and ApiVersions; after it, anything until the
// session expires, then only re-authentication.
func (s *Session) Admit(key int16, now time.Time) error {
	a := &s.Auth
	if !a.Required || key == saslHandshakeKey || key == saslAuthenticateKey || key == apiVersionsKey && !a.Authenticated {
		return nil
	}
	if !a.Authenticated {
		return ErrNotAuthenticated
	}
	if !a.Expires.IsZero() && !now.Before(a.Expires) {
		return ErrSessionExpired
	}
	return nil
}
