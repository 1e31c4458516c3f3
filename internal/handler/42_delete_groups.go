package handler

// DeleteGroups: v0–2.
//
// Behaviour: deletes empty groups and their offsets (tombstones in
// __consumer_offsets); a group with members gets NON_EMPTY_GROUP, a missing
// one GROUP_ID_NOT_FOUND, an empty id INVALID_GROUP_ID.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
)

func init() { register(42, 0, 2, requires(deleteOnGroup), (*Handler).deleteGroups) }

func (h *Handler) deleteGroups(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DeleteGroupsRequest)
	resp := r.ResponseKind().(*kmsg.DeleteGroupsResponse)
	for _, id := range r.Groups {
		g := kmsg.NewDeleteGroupsResponseGroup()
		g.Group = id
		err := checkGroupStrings(id)
		if err == nil && !h.allowed(req, acl.Delete, acl.Group, id) {
			err = kerr.GroupAuthorizationFailed
		}
		if err == nil {
			err = h.Groups.DeleteGroup(id)
		}
		g.ErrorCode = errorCode(err)
		resp.Groups = append(resp.Groups, g)
	}
	return resp, nil
}
