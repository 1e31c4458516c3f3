package handler

// CreateDelegationToken: v1–3.
//
// Behaviour: creates a delegation token (KIP-48) owned by the requester,
// or, from v3, by the owner the request names (KIP-373), which needs
// CREATE_TOKENS on that User; the token is written to the metadata log
// through the controller, so that every node authenticates with it. Its
// expiry is delegation.token.expiry.time.ms away, bounded by its maximum
// lifetime: delegation.token.max.lifetime.ms or the request's shorter
// one. Refusals, as Kafka's: DELEGATION_TOKEN_REQUEST_NOT_ALLOWED on a
// PLAINTEXT listener, on TLS without a client certificate and on a session
// authenticated by a token; DELEGATION_TOKEN_AUTHORIZATION_FAILED;
// DELEGATION_TOKEN_AUTH_DISABLED without delegation.token.secret.key;
// INVALID_PRINCIPAL_TYPE for a renewer that is not a User.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/auth"
	"gregor/internal/controller"
)

func init() {
	register(38, 1, 3, requires(createTokensOnUser), (*Handler).createDelegationToken)
}

func (h *Handler) createDelegationToken(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.CreateDelegationTokenRequest)
	resp := r.ResponseKind().(*kmsg.CreateDelegationTokenResponse)
	owner := req.Principal
	if r.OwnerPrincipalName != nil && *r.OwnerPrincipalName != "" {
		owner = acl.Principal{Name: *r.OwnerPrincipalName}
		if r.OwnerPrincipalType != nil {
			owner.Type = *r.OwnerPrincipalType
		}
	}
	resp.PrincipalType, resp.PrincipalName = owner.Type, owner.Name
	resp.TokenRequesterPrincipalType, resp.TokenRequesterPrincipalName = req.Principal.Type, req.Principal.Name
	resp.IssueTimestamp, resp.ExpiryTimestamp, resp.MaxTimestamp = -1, -1, -1
	switch {
	case !allowTokenRequests(req):
		resp.ErrorCode = kerr.DelegationTokenRequestNotAllowed.Code
	case owner != req.Principal && !h.allowed(req, acl.CreateTokens, acl.User, owner.String()):
		resp.ErrorCode = kerr.DelegationTokenAuthorizationFailed.Code
	case h.tokenSecret() == "":
		resp.ErrorCode = kerr.DelegationTokenAuthDisabled.Code
	default:
		h.createToken(ctx, req, r, owner, resp)
	}
	return resp, nil
}

// createToken has the controller create the token and answers it.
func (h *Handler) createToken(ctx context.Context, req *Request, r *kmsg.CreateDelegationTokenRequest, owner acl.Principal, resp *kmsg.CreateDelegationTokenResponse) {
	creq := controller.CreateDelegationTokenRequest{Owner: owner.String(), Requester: req.Principal.String(), MaxLifetimeMs: r.MaxLifetimeMillis}
	for _, rn := range r.Renewers {
		creq.Renewers = append(creq.Renewers, acl.Principal{Type: rn.PrincipalType, Name: rn.PrincipalName}.String())
	}
	out, err := submit[controller.CreateDelegationTokenResponse](ctx, h.Controller, creq)
	if err != nil {
		resp.ErrorCode = errorCode(err)
		return
	}
	t := out.Token
	resp.IssueTimestamp, resp.ExpiryTimestamp, resp.MaxTimestamp = t.IssueMs, t.ExpiryMs, t.MaxMs
	resp.TokenID, resp.HMAC = t.ID, auth.TokenHMAC(h.tokenSecret(), t.ID)
}
