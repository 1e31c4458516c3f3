package handler

// ConsumerGroupHeartbeat: v0–1.
//
// Behaviour: the next-generation consumer group protocol (KIP-848, see
// internal/group): epoch 0 joins, the member's epoch heartbeats, -1 leaves
// and -2 leaves for a static member that will come back. The coordinator
// computes the target assignment with the uniform (default) or range
// assignor of group.consumer.assignors, and hands each member its target
// minus the partitions others have not revoked yet. Subscriptions are topic
// names or, from v1, an RE2 regex (internal topics never match). From v1
// the client names the member (a UUID). Errors are Kafka's, with its
// messages: INVALID_REQUEST, UNSUPPORTED_ASSIGNOR, INVALID_REGULAR_EXPRESSION,
// FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID, UNRELEASED_INSTANCE_ID,
// FENCED_INSTANCE_ID, GROUP_ID_NOT_FOUND (also for a classic group with
// members), GROUP_MAX_SIZE_REACHED (group.consumer.max.size).
// Differences from Kafka: rack-aware assignment is not done; classic and
// consumer groups with members do not convert into each other
// (group.consumer.migration.policy=disabled).

import (
	"context"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/group"
	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

func init() {
	register(68, 0, 1, requires(readOnGroup, describeOnTopic), (*Handler).consumerGroupHeartbeat)
}

func (h *Handler) consumerGroupHeartbeat(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.ConsumerGroupHeartbeatRequest)
	resp := r.ResponseKind().(*kmsg.ConsumerGroupHeartbeatResponse)
	hr := group.HeartbeatRequest{
		Version: r.Version, GroupID: r.Group, MemberID: r.MemberID, MemberEpoch: r.MemberEpoch,
		InstanceID: cloneStringPtr(r.InstanceID), RackID: cloneStringPtr(r.RackID),
		RebalanceTimeout: r.RebalanceTimeoutMillis, SubscribedTopics: slices.Clone(r.SubscribedTopicNames),
		SubscribedRegex: cloneStringPtr(r.SubscribedTopicRegex), ServerAssignor: cloneStringPtr(r.ServerAssignor),
		ClientID: req.Header.ClientID, ClientHost: req.ClientHost,
	}
	if r.Topics != nil {
		hr.Owned = group.Assignment{}
		for _, t := range r.Topics {
			ps := slices.Clone(t.Partitions)
			slices.Sort(ps)
			hr.Owned[kafka.TopicID(t.TopicID)] = slices.Compact(append(hr.Owned[kafka.TopicID(t.TopicID)], ps...))
		}
	}
	if len(r.Group) > maxGroupString || len(r.MemberID) > maxGroupString-64 {
		resp.ErrorCode = errorCode(group.ErrInvalidGroupID)
		return resp, nil
	}
	if code, msg := h.consumerHeartbeatDenied(req, r); code != 0 {
		resp.ErrorCode, resp.ErrorMessage = code, kmsg.StringPtr(msg)
		return resp, nil
	}
	res := h.Groups.ConsumerHeartbeat(hr, imageTopics{h.Metadata.Image()})
	resp.ErrorCode = errorCode(res.Err)
	if res.Err != nil {
		resp.ErrorMessage = kmsg.StringPtr(res.Err.Error()) // no member id, epoch 0: as Kafka
		return resp, nil
	}
	resp.MemberID = kmsg.StringPtr(res.MemberID)
	resp.MemberEpoch = res.MemberEpoch
	if res.MemberEpoch >= 0 { // a member leaving (-1, -2) gets no interval, as from Kafka
		resp.HeartbeatIntervalMillis = int32(res.HeartbeatInterval.Milliseconds())
	}
	if res.Assignment != nil {
		a := kmsg.NewConsumerGroupHeartbeatResponseAssignment()
		for _, id := range sortedTopicIDs(res.Assignment) {
			t := kmsg.NewConsumerGroupHeartbeatResponseAssignmentTopic()
			t.TopicID, t.Partitions = id, res.Assignment[id]
			a.Topics = append(a.Topics, t)
		}
		resp.Assignment = &a
	}
	return resp, nil
}

// consumerHeartbeatDenied returns the error of a member that may not READ
// its group or DESCRIBE one of the topics it subscribes to by name.
func (h *Handler) consumerHeartbeatDenied(req *Request, r *kmsg.ConsumerGroupHeartbeatRequest) (int16, string) {
	if !h.allowed(req, acl.Read, acl.Group, r.Group) {
		return kerr.GroupAuthorizationFailed.Code, "Not authorized to access group: " + r.Group
	}
	for _, t := range r.SubscribedTopicNames {
		if !h.allowed(req, acl.Describe, acl.Topic, t) {
			return kerr.TopicAuthorizationFailed.Code, "Not authorized to describe topic: " + t
		}
	}
	return 0, ""
}

// imageTopics shows the metadata image to the group coordinator.
type imageTopics struct{ img *metadata.Image }

func (t imageTopics) Topic(name string) (group.TopicInfo, bool) {
	mt, ok := t.img.Topic(name)
	if !ok {
		return group.TopicInfo{}, false
	}
	return group.TopicInfo{ID: mt.ID, Name: mt.Name, Partitions: int32(len(mt.Partitions))}, true
}

func (t imageTopics) Names() []string { return t.img.TopicNames() }

func sortedTopicIDs(a group.Assignment) []kafka.TopicID {
	ids := make([]kafka.TopicID, 0, len(a))
	for id := range a {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(x, y kafka.TopicID) int { return compareBytes(x[:], y[:]) })
	return ids
}

func compareBytes(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
	}
	return len(a) - len(b)
}

// cloneStringPtr copies a string the request decoder may have aliased to
// a frame buffer that the connection reuses.
func cloneStringPtr(s *string) *string {
	if s == nil {
		return nil
	}
	c := string([]byte(*s))
	return &c
}
