package handler

// JoinGroup: v0–9.
//
// Behaviour: Kafka's classic group protocol (see internal/group). From v4 a
// first join without a member id is answered MEMBER_ID_REQUIRED with the id
// to use (KIP-394); group.instance.id makes a static member (KIP-345), v9
// tells a static leader rejoining a stable group to skip the assignment.
// The response waits until the rebalance completes. A v0 request has no
// rebalance timeout: the session timeout is used, as Kafka does.

import (
	"bytes"
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/group"
)

func init() { register(11, 0, 9, requires(readOnGroup), (*Handler).joinGroup) }

// maxGroupString bounds the strings that go into a group's stored record,
// whose schema holds int16-length strings.
const maxGroupString = 1<<15 - 1

func (h *Handler) joinGroup(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.JoinGroupRequest)
	resp := r.ResponseKind().(*kmsg.JoinGroupResponse)
	resp.Generation = -1
	resp.MemberID = r.MemberID
	if !h.allowed(req, acl.Read, acl.Group, r.Group) {
		resp.ErrorCode = kerr.GroupAuthorizationFailed.Code
		return resp, nil
	}
	rebalance := r.RebalanceTimeoutMillis
	if r.Version == 0 {
		rebalance = r.SessionTimeoutMillis
	}
	jr := group.JoinRequest{
		GroupID: r.Group, MemberID: r.MemberID, InstanceID: deref(r.InstanceID),
		ClientID: req.Header.ClientID, ClientHost: req.ClientHost,
		SessionTimeout:       time.Duration(r.SessionTimeoutMillis) * time.Millisecond,
		RebalanceTimeout:     time.Duration(rebalance) * time.Millisecond,
		ProtocolType:         r.ProtocolType,
		RequireKnownMemberID: r.Version >= 4,
	}
	for _, p := range r.Protocols {
		// The coordinator keeps the metadata; the request's bytes alias a
		// frame buffer the connection reuses.
		jr.Protocols = append(jr.Protocols, group.Protocol{Name: p.Name, Metadata: bytes.Clone(p.Metadata)})
	}
	if err := checkGroupStrings(r.Group, jr.InstanceID, jr.ClientID); err != nil {
		resp.ErrorCode = errorCode(err)
		return resp, nil
	}
	res := h.Groups.Join(ctx, jr)
	resp.ErrorCode = errorCode(res.Err)
	resp.MemberID = res.MemberID
	if res.Err != nil {
		return resp, nil
	}
	resp.Generation = res.Generation
	resp.LeaderID = res.Leader
	resp.SkipAssignment = res.SkipAssignment
	resp.Protocol = kmsg.StringPtr(res.Protocol)
	resp.ProtocolType = kmsg.StringPtr(res.ProtocolType)
	for _, m := range res.Members {
		rm := kmsg.NewJoinGroupResponseMember()
		rm.MemberID, rm.ProtocolMetadata = m.MemberID, m.Metadata
		if m.InstanceID != "" {
			rm.InstanceID = kmsg.StringPtr(m.InstanceID)
		}
		resp.Members = append(resp.Members, rm)
	}
	return resp, nil
}

// checkGroupStrings rejects an empty or oversized group id and strings too
// long for the stored group record.
func checkGroupStrings(groupID string, others ...string) error {
	if groupID == "" || len(groupID) > maxGroupString {
		return group.ErrInvalidGroupID
	}
	for _, s := range others {
		if len(s) > maxGroupString-64 {
			return errInvalidRequest("string field of %d bytes is too long", len(s))
		}
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
