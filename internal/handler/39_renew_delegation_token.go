package handler

// RenewDelegationToken: v1–2.
//
// Behaviour: moves the expiry of the token with the request's HMAC to the
// renewal period from now (delegation.token.expiry.time.ms, or the
// request's shorter period), never past the token's maximum lifetime.
// Only the token's owner and renewers may renew it
// (DELEGATION_TOKEN_OWNER_MISMATCH); an unknown HMAC answers
// DELEGATION_TOKEN_NOT_FOUND, an expired token DELEGATION_TOKEN_EXPIRED;
// the session refusals are CreateDelegationToken's.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/controller"
)

func init() { register(39, 1, 2, noAuthorization, (*Handler).renewDelegationToken) }

func (h *Handler) renewDelegationToken(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.RenewDelegationTokenRequest)
	resp := r.ResponseKind().(*kmsg.RenewDelegationTokenResponse)
	code, id := h.tokenRequestTarget(req, r.HMAC)
	if code != 0 {
		resp.ErrorCode, resp.ExpiryTimestamp = code, -1
		return resp, nil
	}
	out, err := submit[controller.RenewDelegationTokenResponse](ctx, h.Controller,
		controller.RenewDelegationTokenRequest{ID: id, Principal: req.Principal.String(), PeriodMs: r.RenewTimeMillis})
	if err != nil {
		resp.ErrorCode, resp.ExpiryTimestamp = errorCode(err), -1
		return resp, nil
	}
	resp.ExpiryTimestamp = out.ExpiryMs
	return resp, nil
}

// tokenRequestTarget checks that the session may renew or expire tokens
// and finds the token with mac: its id, or the error code to answer.
func (h *Handler) tokenRequestTarget(req *Request, mac []byte) (int16, string) {
	switch {
	case !allowTokenRequests(req):
		return kerr.DelegationTokenRequestNotAllowed.Code, ""
	case h.tokenSecret() == "":
		return kerr.DelegationTokenAuthDisabled.Code, ""
	}
	t, ok := h.tokenByHMAC(mac)
	if !ok {
		return kerr.DelegationTokenNotFound.Code, ""
	}
	return 0, t.ID
}
