package handler

// DescribeDelegationToken: v1–3.
//
// Behaviour: lists the tokens in this node's metadata whose owner or
// renewers include one of the request's owners (every token when the
// owner list is null, none when it is empty, as Kafka answers), and that
// the principal may see: its own (as owner, requester or renewer), those
// it has DESCRIBE on as DelegationToken resources, and those of owners it
// has DESCRIBE_TOKENS on as User resources. Each with its HMAC. The
// session refusals are CreateDelegationToken's;
// DELEGATION_TOKEN_AUTH_DISABLED without delegation.token.secret.key.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/auth"
	"gregor/internal/metadata"
)

func init() {
	register(41, 1, 3, requires(describeOnDelegationToken, describeTokensOnUser), (*Handler).describeDelegationToken)
}

func (h *Handler) describeDelegationToken(_ context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DescribeDelegationTokenRequest)
	resp := r.ResponseKind().(*kmsg.DescribeDelegationTokenResponse)
	switch {
	case !allowTokenRequests(req):
		resp.ErrorCode = kerr.DelegationTokenRequestNotAllowed.Code
		return resp, nil
	case h.tokenSecret() == "":
		resp.ErrorCode = kerr.DelegationTokenAuthDisabled.Code
		return resp, nil
	}
	for _, t := range h.Metadata.Image().DelegationTokens() {
		if requested(r.Owners, t) && h.mayDescribeToken(req, t) {
			resp.TokenDetails = append(resp.TokenDetails, h.tokenDetail(t))
		}
	}
	return resp, nil
}

// requested reports whether the request's owners (nil: all) name t's
// owner, requester or one of its renewers.
func requested(owners []kmsg.DescribeDelegationTokenRequestOwner, t metadata.DelegationToken) bool {
	if owners == nil {
		return true
	}
	for _, o := range owners {
		if t.OwnerOrRenewer(acl.Principal{Type: o.PrincipalType, Name: o.PrincipalName}.String()) {
			return true
		}
	}
	return false
}

// mayDescribeToken applies Kafka's rule: one's own tokens, else DESCRIBE
// on the token, else DESCRIBE_TOKENS on its owner.
func (h *Handler) mayDescribeToken(req *Request, t metadata.DelegationToken) bool {
	return t.OwnerOrRenewer(req.Principal.String()) ||
		h.allowed(req, acl.Describe, acl.DelegationToken, t.ID) ||
		h.allowed(req, acl.DescribeTokens, acl.User, t.Owner)
}

func (h *Handler) tokenDetail(t metadata.DelegationToken) kmsg.DescribeDelegationTokenResponseTokenDetail {
	d := kmsg.NewDescribeDelegationTokenResponseTokenDetail()
	owner, requester := principalOf(t.Owner), principalOf(t.Requester)
	d.PrincipalType, d.PrincipalName = owner.Type, owner.Name
	d.TokenRequesterPrincipalType, d.TokenRequesterPrincipalName = requester.Type, requester.Name
	d.IssueTimestamp, d.ExpiryTimestamp, d.MaxTimestamp = t.IssueMs, t.ExpiryMs, t.MaxMs
	d.TokenID, d.HMAC = t.ID, auth.TokenHMAC(h.tokenSecret(), t.ID)
	for _, rn := range t.Renewers {
		p := principalOf(rn)
		renewer := kmsg.NewDescribeDelegationTokenResponseTokenDetailRenewer()
		renewer.PrincipalType, renewer.PrincipalName = p.Type, p.Name
		d.Renewers = append(d.Renewers, renewer)
	}
	return d
}
