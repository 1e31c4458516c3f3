package handler

// SaslHandshake: v0–1.
//
// Behaviour: on a SASL listener, answers the listener's enabled
// mechanisms and starts an authentication with the chosen one, which
// SaslAuthenticate carries on; it is also the first step of a
// re-authentication (KIP-368), which must keep the mechanism. An
// unsupported mechanism answers UNSUPPORTED_SASL_MECHANISM and closes the
// connection; a handshake in the middle of an authentication, or on a
// listener without SASL, answers ILLEGAL_SASL_STATE. After v0, as old
// clients use it, the client sends bare SASL tokens (size-prefixed, no
// request header) instead of SaslAuthenticate requests, and the server
// answers each with a bare token; a failure closes the connection without
// an answer, as Kafka does. Re-authentication (KIP-368) needs v1.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(17, 0, 1, noAuthorization, (*Handler).saslHandshake) }

func (h *Handler) saslHandshake(_ context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.SASLHandshakeRequest)
	resp := r.ResponseKind().(*kmsg.SASLHandshakeResponse)
	sasl := h.SASL[req.Listener]
	a := &req.Auth
	if sasl == nil || !a.Required || a.Exchange != nil {
		resp.ErrorCode = kerr.IllegalSaslState.Code
		return resp, nil
	}
	resp.SupportedMechanisms = sasl.Mechanisms
	if !sasl.Enabled(r.Mechanism) || (a.Authenticated && (r.Mechanism != a.Mechanism || r.Version == 0)) {
		resp.ErrorCode = kerr.UnsupportedSaslMechanism.Code
		a.Failed = true
		return resp, nil
	}
	a.Mechanism, a.Exchange, a.Raw = r.Mechanism, sasl.Start(r.Mechanism), r.Version == 0
	return resp, nil
}
