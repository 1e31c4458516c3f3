package handler

// ConsumerGroupDescribe: v0–1.
//
// Behaviour: a consumer-protocol (KIP-848) group's state (Empty, Assigning,
// Reconciling, Stable), group and assignment epochs, assignor, and each
// member with its epoch, subscription, current and target assignments
// (topics by id and name); v1 adds the member type (1: consumer protocol).
// A group that does not exist or is a classic group answers
// GROUP_ID_NOT_FOUND with Kafka's message.
// Differences from Kafka: authorized operations are reported as unknown
// (-2^31) until ACLs exist.

import (
	"context"
	"errors"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/group"
	"gregor/internal/metadata"
)

func init() {
	register(69, 0, 1, requires(describeOnGroup, describeOnTopic), (*Handler).consumerGroupDescribe)
}

// memberTypeConsumer is ConsumerGroupDescribe v1's member type of a member
// that speaks the consumer protocol.
const memberTypeConsumer = 1

func (h *Handler) consumerGroupDescribe(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.ConsumerGroupDescribeRequest)
	resp := r.ResponseKind().(*kmsg.ConsumerGroupDescribeResponse)
	img := h.Metadata.Image()
	for _, id := range r.Groups {
		g := kmsg.NewConsumerGroupDescribeResponseGroup()
		g.Group = id
		var d group.ConsumerDescription
		err := checkGroupStrings(id)
		if err == nil && !h.allowed(req, acl.Describe, acl.Group, id) {
			err = kerr.GroupAuthorizationFailed
		}
		if err == nil {
			d, err = h.Groups.DescribeConsumer(id)
		}
		if err == nil {
			err = h.memberTopicsDenied(req, img, d)
		}
		if err != nil {
			g.ErrorCode = errorCode(err)
			g.ErrorMessage = kmsg.StringPtr(err.Error())
			if errors.Is(err, group.ErrGroupIDNotFound) {
				g.State = "Dead"
			}
			resp.Groups = append(resp.Groups, g)
			continue
		}
		g.State, g.Epoch, g.AssignmentEpoch, g.AssignorName = d.State, d.Epoch, d.AssignmentEpoch, d.Assignor
		if r.IncludeAuthorizedOperations {
			g.AuthorizedOperations = h.authorizedOperations(req, acl.Resource{Type: acl.Group, Name: id})
		}
		for _, m := range d.Members {
			gm := kmsg.NewConsumerGroupDescribeResponseGroupMember()
			gm.MemberID, gm.MemberEpoch, gm.ClientID, gm.ClientHost = m.MemberID, m.MemberEpoch, m.ClientID, m.ClientHost
			gm.InstanceID, gm.RackID = optional(m.InstanceID), optional(m.RackID)
			gm.SubscribedTopics, gm.SubscribedTopicRegex = m.SubscribedTopics, kmsg.StringPtr(m.SubscribedRegex) // "" for none, as Kafka
			if gm.SubscribedTopics == nil {
				gm.SubscribedTopics = []string{}
			}
			gm.Assignment, gm.TargetAssignment = describeAssignment(img, m.Assignment), describeAssignment(img, m.Target)
			gm.MemberType = memberTypeConsumer
			g.Members = append(g.Members, gm)
		}
		resp.Groups = append(resp.Groups, g)
	}
	return resp, nil
}

// memberTopicsDenied refuses a group some of whose members subscribe to or
// are assigned a topic the principal may not DESCRIBE, as Kafka does.
func (h *Handler) memberTopicsDenied(req *Request, img *metadata.Image, d group.ConsumerDescription) error {
	for _, m := range d.Members {
		names := slices.Clone(m.SubscribedTopics)
		for _, a := range []group.Assignment{m.Assignment, m.Target} {
			for id := range a {
				if t, ok := img.TopicByID(id); ok {
					names = append(names, t.Name)
				}
			}
		}
		for _, n := range names {
			if !h.allowed(req, acl.Describe, acl.Topic, n) {
				return errorf(kerr.TopicAuthorizationFailed, "The group has described topic(s) that the client is not authorized to describe.")
			}
		}
	}
	return nil
}

func describeAssignment(img *metadata.Image, a group.Assignment) kmsg.Assignment {
	out := kmsg.NewAssignment()
	for _, id := range sortedTopicIDs(a) {
		t := kmsg.NewAssignmentTopicPartition()
		t.TopicID, t.Partitions = id, a[id]
		if mt, ok := img.TopicByID(id); ok {
			t.Topic = mt.Name
		}
		out.TopicPartitions = append(out.TopicPartitions, t)
	}
	return out
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
