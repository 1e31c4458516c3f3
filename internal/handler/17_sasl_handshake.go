package handler

// SaslHandshake: v1.
//
// Behaviour: on a SASL listener, answers the listener's enabled
// mechanisms and starts an authentication with the chosen one, which
// SaslAuthenticate carries on; it is also the first step of a
// re-authentication (KIP-368), which must keep the mechanism. An
// unsupported mechanism answers UNSUPPORTED_SASL_MECHANISM and closes the
// connection; a handshake in the middle of an authentication, or on a
// listener without SASL, answers ILLEGAL_SASL_STATE.
//
// Differences from Kafka: v0, after which the client sends bare SASL
// tokens instead of SaslAuthenticate requests, is not served; every
// client that speaks ApiVersions uses v1.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(17, 1, 1, noAuthorization, (*Handler).saslHandshake) }

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
	if !sasl.Enabled(r.Mechanism) || (a.Authenticated && r.Mechanism != a.Mechanism) {
		resp.ErrorCode = kerr.UnsupportedSaslMechanism.Code
		a.Failed = true
		return resp, nil
	}
	a.Mechanism, a.Exchange = r.Mechanism, sasl.Start(r.Mechanism)
	return resp, nil
}
