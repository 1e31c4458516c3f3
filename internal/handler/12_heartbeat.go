package handler

// Heartbeat: v0–4.
//
// Behaviour: keeps a member's session alive; REBALANCE_IN_PROGRESS tells a
// member of a rebalancing group to rejoin.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
)

func init() { register(12, 0, 4, requires(readOnGroup), (*Handler).heartbeat) }

func (h *Handler) heartbeat(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.HeartbeatRequest)
	resp := r.ResponseKind().(*kmsg.HeartbeatResponse)
	if !h.allowed(req, acl.Read, acl.Group, r.Group) {
		resp.ErrorCode = kerr.GroupAuthorizationFailed.Code
		return resp, nil
	}
	if err := checkGroupStrings(r.Group); err != nil {
		resp.ErrorCode = errorCode(err)
		return resp, nil
	}
	resp.ErrorCode = errorCode(h.Groups.Heartbeat(r.Group, r.MemberID, deref(r.InstanceID), r.Generation))
	return resp, nil
}
