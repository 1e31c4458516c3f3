package handler

// SaslAuthenticate: v0–2.
//
// Behaviour: carries one message of the authentication SaslHandshake
// started, and answers the server's. Once the client is authenticated
// the session acts as the authenticated principal, and, with
// connections.max.reauth.ms set, SessionLifetimeMs tells the client when
// to re-authenticate (KIP-368; the server closes a session that has not
// by then). A re-authentication must name the same principal. A failure
// answers SASL_AUTHENTICATION_FAILED with a message that does not say
// what was wrong, and the connection is closed after
// connection.failed.authentication.delay.ms. A delegation token (SCRAM
// with tokenauth=true) acts as its owner. A credential that expires — a
// delegation token, or an OAUTHBEARER JWT by its exp claim — bounds the
// session: it ends when the credential expires, if
// connections.max.reauth.ms does not end it sooner, and SessionLifetimeMs
// says so even when connections.max.reauth.ms is 0. A credential already
// past its expiry that still authenticates (a token the controller's
// check has not removed yet, a JWT within
// sasl.oauthbearer.clock.skew.seconds of its exp) opens a session that has
// already ended, as in Kafka 4.2: SaslAuthenticate succeeds with
// SessionLifetimeMs 0, and the next request other than a
// re-authentication closes the connection.

import (
	"context"
	"errors"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/auth"
	"gregor/internal/wire"
)

func init() { register(36, 0, 2, noAuthorization, (*Handler).saslAuthenticate) }

func (h *Handler) saslAuthenticate(_ context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.SASLAuthenticateRequest)
	resp := r.ResponseKind().(*kmsg.SASLAuthenticateResponse)
	a := &req.Auth
	if a.Exchange == nil {
		resp.ErrorCode = kerr.IllegalSaslState.Code
		msg := "SaslAuthenticate without a preceding SaslHandshake"
		resp.ErrorMessage = &msg
		a.Failed = true
		return resp, nil
	}
	answer, done, err := a.Exchange.Step(r.SASLAuthBytes)
	if err == nil && done && a.Authenticated && a.Exchange.Principal() != req.Principal {
		err = errReauthenticationPrincipal
	}
	if err != nil {
		h.authenticationFailed(req, resp)
		return resp, nil
	}
	resp.SASLAuthBytes = answer
	if done {
		h.authenticated(req, resp)
	}
	return resp, nil
}

// authenticationFailed answers a failed authentication and marks the
// session for closing. The log line names neither the user nor what was
// wrong: the exchange's messages may hold a password.
func (h *Handler) authenticationFailed(req *Request, resp *kmsg.SASLAuthenticateResponse) {
	msg := "Authentication failed during authentication due to invalid credentials with SASL mechanism " + req.Auth.Mechanism
	resp.ErrorCode, resp.ErrorMessage = kerr.SaslAuthenticationFailed.Code, &msg
	req.Auth.Failed, req.Auth.Exchange = true, nil
	h.Logger.Info("failed authentication", "listener", req.Listener, "remote", req.ClientHost, "mechanism", req.Auth.Mechanism)
}

// authenticated makes the session act as the principal that authenticated.
func (h *Handler) authenticated(req *Request, resp *kmsg.SASLAuthenticateResponse) {
	a := &req.Auth
	req.Principal = a.Exchange.Principal()
	_, token := tokenExpiry(a.Exchange)
	expiry, expires := credentialExpiry(a.Exchange)
	a.Authenticated, a.TokenAuthenticated, a.Exchange, a.Raw = true, token, nil, false
	now := h.now()
	lifetime := h.SASL[req.Listener].SessionLifetime
	if expires && (lifetime <= 0 || expiry.Sub(now) < lifetime) {
		lifetime = expiry.Sub(now)
	}
	a.Expires = time.Time{}
	if expires && !now.Before(expiry) {
		a.Expires = expiry // over already: wire.Session.Admit closes at the next request
		return
	}
	if lifetime > 0 {
		a.Expires = now.Add(lifetime)
		if resp.Version >= 1 {
			resp.SessionLifetimeMillis = lifetime.Milliseconds()
		}
	}
}

// tokenExpiry returns when the token an exchange authenticated with
// expires; token is false when it used none.
func tokenExpiry(e wire.SASLExchange) (expiry time.Time, token bool) {
	if t, ok := e.(auth.TokenSession); ok {
		return t.TokenExpiry()
	}
	return time.Time{}, false
}

// credentialExpiry returns when the credential an exchange authenticated
// with expires; ok is false when it does not expire.
func credentialExpiry(e wire.SASLExchange) (expiry time.Time, ok bool) {
	if c, ok := e.(auth.CredentialSession); ok {
		return c.CredentialExpiry()
	}
	return time.Time{}, false
}

// errReauthenticationPrincipal refuses a re-authentication as someone else.
var errReauthenticationPrincipal = errors.New("re-authentication must keep the principal")
