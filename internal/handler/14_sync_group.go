package handler

// SyncGroup: v0–5.
//
// Behaviour: the leader's assignment is stored in __consumer_offsets before
// any member gets its share; followers wait for it. v5 checks the protocol
// type and name against the group's (INCONSISTENT_GROUP_PROTOCOL).

import (
	"bytes"
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/group"
)

func init() { register(14, 0, 5, requires(readOnGroup), (*Handler).syncGroup) }

func (h *Handler) syncGroup(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.SyncGroupRequest)
	resp := r.ResponseKind().(*kmsg.SyncGroupResponse)
	if !h.allowed(req, acl.Read, acl.Group, r.Group) {
		resp.ErrorCode = kerr.GroupAuthorizationFailed.Code
		return resp, nil
	}
	sr := group.SyncRequest{
		GroupID: r.Group, MemberID: r.MemberID, InstanceID: deref(r.InstanceID), Generation: r.Generation,
		ProtocolType: deref(r.ProtocolType), Protocol: deref(r.Protocol),
	}
	if len(r.GroupAssignment) > 0 {
		sr.Assignments = make(map[string][]byte, len(r.GroupAssignment))
		for _, a := range r.GroupAssignment {
			sr.Assignments[a.MemberID] = bytes.Clone(a.MemberAssignment) // kept beyond the request's frame
		}
	}
	if err := checkGroupStrings(r.Group); err != nil {
		resp.ErrorCode = errorCode(err)
		return resp, nil
	}
	res := h.Groups.Sync(ctx, sr)
	resp.ErrorCode = errorCode(res.Err)
	if res.Err == nil {
		resp.ProtocolType = kmsg.StringPtr(res.ProtocolType)
		resp.Protocol = kmsg.StringPtr(res.Protocol)
		resp.MemberAssignment = res.Assignment
		if resp.MemberAssignment == nil {
			resp.MemberAssignment = []byte{}
		}
	}
	return resp, nil
}
