package handler

// LeaveGroup: v0–5.
//
// Behaviour: v0–2 remove one member; v3+ remove a batch, each by member id
// or group.instance.id, with an error per member (UNKNOWN_MEMBER_ID,
// FENCED_INSTANCE_ID). The group rebalances without the members that left.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/group"
)

func init() { register(13, 0, 5, requires(readOnGroup), (*Handler).leaveGroup) }

func (h *Handler) leaveGroup(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.LeaveGroupRequest)
	resp := r.ResponseKind().(*kmsg.LeaveGroupResponse)
	if !h.allowed(req, acl.Read, acl.Group, r.Group) {
		resp.ErrorCode = kerr.GroupAuthorizationFailed.Code
		return resp, nil
	}
	if err := checkGroupStrings(r.Group); err != nil {
		resp.ErrorCode = errorCode(err)
		return resp, nil
	}
	var members []group.LeaveMember
	if r.Version < 3 {
		members = []group.LeaveMember{{MemberID: r.MemberID}}
	} else {
		for _, m := range r.Members {
			members = append(members, group.LeaveMember{MemberID: m.MemberID, InstanceID: deref(m.InstanceID)})
		}
	}
	errs, err := h.Groups.Leave(r.Group, members)
	if err != nil {
		resp.ErrorCode = errorCode(err)
		return resp, nil
	}
	if r.Version < 3 {
		resp.ErrorCode = errorCode(errs[0])
		return resp, nil
	}
	for i, m := range r.Members {
		rm := kmsg.NewLeaveGroupResponseMember()
		rm.MemberID, rm.InstanceID, rm.ErrorCode = m.MemberID, m.InstanceID, errorCode(errs[i])
		resp.Members = append(resp.Members, rm)
	}
	return resp, nil
}
