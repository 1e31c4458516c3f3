package handler

// DescribeGroups: v0–6.
//
// Behaviour: state, protocol type, and members with client id and host;
// the chosen protocol and each member's metadata and assignment only when
// the group is Stable, as Kafka. A group that does not exist is described
// as Dead; from v6 it also carries GROUP_ID_NOT_FOUND (KIP-1043).
// Differences from Kafka: authorized operations (v3+) are reported as
// unknown (-2^31) until ACLs exist.

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/group"
)

func init() { register(15, 0, 6, requires(describeOnGroup), (*Handler).describeGroups) }

func (h *Handler) describeGroups(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DescribeGroupsRequest)
	resp := r.ResponseKind().(*kmsg.DescribeGroupsResponse)
	for _, id := range r.Groups {
		g := kmsg.NewDescribeGroupsResponseGroup()
		g.Group = id
		if !h.allowed(req, acl.Describe, acl.Group, id) {
			g.ErrorCode = kerr.GroupAuthorizationFailed.Code
			resp.Groups = append(resp.Groups, g)
			continue
		}
		if r.IncludeAuthorizedOperations {
			g.AuthorizedOperations = h.authorizedOperations(req, acl.Resource{Type: acl.Group, Name: id})
		}
		d, err := h.describeGroup(id)
		if errors.Is(err, group.ErrGroupIDNotFound) && r.Version < 6 {
			err = nil
		}
		g.ErrorCode = errorCode(err)
		if err != nil && r.Version >= 6 {
			g.ErrorMessage = kmsg.StringPtr(err.Error())
		}
		g.State = d.State.String()
		g.ProtocolType, g.Protocol = d.ProtocolType, d.Protocol
		for _, m := range d.Members {
			gm := kmsg.NewDescribeGroupsResponseGroupMember()
			gm.MemberID, gm.ClientID, gm.ClientHost = m.MemberID, m.ClientID, m.ClientHost
			gm.ProtocolMetadata, gm.MemberAssignment = orEmpty(m.Metadata), orEmpty(m.Assignment)
			if m.InstanceID != "" {
				gm.InstanceID = kmsg.StringPtr(m.InstanceID)
			}
			g.Members = append(g.Members, gm)
		}
		resp.Groups = append(resp.Groups, g)
	}
	return resp, nil
}

func (h *Handler) describeGroup(id string) (group.Description, error) {
	if err := checkGroupStrings(id); err != nil {
		return group.Description{GroupID: id, State: group.Dead}, err
	}
	d, err := h.Groups.Describe(id)
	if errors.Is(err, group.ErrGroupIDNotFound) {
		d.State = group.Dead
	}
	return d, err
}

func orEmpty(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
