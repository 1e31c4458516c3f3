package handler

// ExpireDelegationToken: v1–2.
//
// Behaviour: moves the expiry of the token with the request's HMAC to the
// request's period from now (bounded by its maximum lifetime), or, for a
// negative period, removes the token at once, answering now as its
// expiry as Kafka 4.2 does. Refusals are RenewDelegationToken's.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/controller"
)

func init() { register(40, 1, 2, noAuthorization, (*Handler).expireDelegationToken) }

func (h *Handler) expireDelegationToken(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.ExpireDelegationTokenRequest)
	resp := r.ResponseKind().(*kmsg.ExpireDelegationTokenResponse)
	code, id := h.tokenRequestTarget(req, r.HMAC)
	if code != 0 {
		resp.ErrorCode, resp.ExpiryTimestamp = code, -1
		return resp, nil
	}
	out, err := submit[controller.ExpireDelegationTokenResponse](ctx, h.Controller,
		controller.ExpireDelegationTokenRequest{ID: id, Principal: req.Principal.String(), PeriodMs: r.ExpiryPeriodMillis})
	if err != nil {
		resp.ErrorCode, resp.ExpiryTimestamp = errorCode(err), -1
		return resp, nil
	}
	resp.ExpiryTimestamp = out.ExpiryMs
	return resp, nil
}
