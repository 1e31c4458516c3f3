package handler

// ListGroups: v0–5.
//
// Behaviour: the groups of every __consumer_offsets partition led here;
// v4 filters by state (case-insensitive, as Kafka), v5 by type ("classic"
// or "consumer" for KIP-848 groups, whose states are Empty, Assigning,
// Reconciling and Stable).

import (
	"context"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
)

func init() { register(16, 0, 5, requires(describeOnCluster, describeOnGroup), (*Handler).listGroups) }

func (h *Handler) listGroups(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.ListGroupsRequest)
	resp := r.ResponseKind().(*kmsg.ListGroupsResponse)
	groups, err := h.Groups.List()
	resp.ErrorCode = errorCode(err)
	if err != nil {
		return resp, nil
	}
	everyGroup := h.allowedOnCluster(req, acl.Describe)
	for _, g := range groups {
		if !everyGroup && !h.allowed(req, acl.Describe, acl.Group, g.GroupID) {
			continue
		}
		if len(r.StatesFilter) > 0 && !containsFold(r.StatesFilter, g.State) {
			continue
		}
		if len(r.TypesFilter) > 0 && !containsFold(r.TypesFilter, g.Type) {
			continue
		}
		lg := kmsg.NewListGroupsResponseGroup()
		lg.Group, lg.ProtocolType, lg.GroupState, lg.GroupType = g.GroupID, g.ProtocolType, g.State, g.Type
		resp.Groups = append(resp.Groups, lg)
	}
	return resp, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
