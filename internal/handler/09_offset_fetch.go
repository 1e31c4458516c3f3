package handler

// OffsetFetch: v1–10.
//
// Behaviour: committed offsets with their leader epoch and metadata; -1
// for a partition without one (and for every partition of a group that
// does not exist). Null topics (v2+) return every committed offset of the
// group. v8+ fetches several groups at once, each with its own error; v10
// names topics by id.
// v9+ may name a member of a consumer-protocol (KIP-848) group with its
// epoch: UNKNOWN_MEMBER_ID or STALE_MEMBER_EPOCH when they do not match.
// Authorization: DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED), then
// DESCRIBE on each topic: TOPIC_AUTHORIZATION_FAILED for a named one,
// left out of a request for every committed offset.
// require_stable (v7+, KIP-447): a partition with transactional offsets of
// the group still pending (their transaction not ended) answers
// UNSTABLE_OFFSET_COMMIT and offset -1, which the consumer retries.
// Differences from Kafka: none known.

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/group"
	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

func init() { register(9, 1, 10, requires(describeOnGroup, describeOnTopic), (*Handler).offsetFetch) }

// fetchTopic is one requested topic: by name, or by id at v10.
type fetchTopic struct {
	name       string
	id         kafka.TopicID
	partitions []int32
}

func (h *Handler) offsetFetch(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.OffsetFetchRequest)
	resp := r.ResponseKind().(*kmsg.OffsetFetchResponse)
	img := h.Metadata.Image()
	if r.Version < 8 {
		var topics []fetchTopic
		if r.Topics != nil {
			topics = []fetchTopic{}
			for _, t := range r.Topics {
				topics = append(topics, fetchTopic{name: t.Topic, partitions: t.Partitions})
			}
		}
		g, code := h.fetchGroupOffsets(req, img, r.Group, topics, false)
		resp.ErrorCode = code
		if code != 0 && r.Version < 2 {
			// v1 has no top-level error: each requested partition carries it.
			g = nil
			for _, t := range topics {
				rt := kmsg.NewOffsetFetchResponseGroupTopic()
				rt.Topic = t.name
				for _, p := range t.partitions {
					rp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
					rp.Partition, rp.Offset, rp.LeaderEpoch, rp.ErrorCode = p, -1, -1, code
					rt.Partitions = append(rt.Partitions, rp)
				}
				g = append(g, rt)
			}
		}
		for _, t := range g {
			rt := kmsg.NewOffsetFetchResponseTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewOffsetFetchResponseTopicPartition()
				rp.Partition, rp.Offset, rp.LeaderEpoch, rp.Metadata, rp.ErrorCode = p.Partition, p.Offset, p.LeaderEpoch, p.Metadata, p.ErrorCode
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp, nil
	}
	for _, rg := range r.Groups {
		var topics []fetchTopic
		if rg.Topics != nil {
			topics = []fetchTopic{}
			for _, t := range rg.Topics {
				topics = append(topics, fetchTopic{name: t.Topic, id: t.TopicID, partitions: t.Partitions})
			}
		}
		var topicsOut []kmsg.OffsetFetchResponseGroupTopic
		var code int16
		if rg.MemberID != nil && rg.MemberEpoch >= 0 {
			code = errorCode(h.Groups.CheckFetchMember(rg.Group, *rg.MemberID, rg.MemberEpoch))
		}
		if code == 0 {
			topicsOut, code = h.fetchGroupOffsets(req, img, rg.Group, topics, r.Version >= 10)
		}
		g := kmsg.NewOffsetFetchResponseGroup()
		g.Group, g.ErrorCode, g.Topics = rg.Group, code, topicsOut
		resp.Groups = append(resp.Groups, g)
	}
	return resp, nil
}

// fetchGroupOffsets answers one group in the v8+ shape; older versions
// convert it.
func (h *Handler) fetchGroupOffsets(req *Request, img *metadata.Image, groupID string, topics []fetchTopic, byID bool) ([]kmsg.OffsetFetchResponseGroupTopic, int16) {
	if !h.allowed(req, acl.Describe, acl.Group, groupID) {
		return nil, kerr.GroupAuthorizationFailed.Code
	}
	all := topics == nil
	var tps []kafka.TopicPartition
	if topics != nil {
		tps = []kafka.TopicPartition{}
		for i, t := range topics {
			if byID {
				if mt, ok := img.TopicByID(t.id); ok {
					topics[i].name = mt.Name
				}
			}
			for _, p := range t.partitions {
				tps = append(tps, kafka.TopicPartition{Topic: topics[i].name, Partition: p})
			}
		}
	}
	var fetched group.Fetched
	err := checkGroupStrings(groupID)
	if err == nil {
		fetched, err = h.fetchOffsets(req, groupID, tps)
	}
	if errors.Is(err, group.ErrWriteTimeout) {
		// Kafka answers NOT_COORDINATOR here: consumers before 3.9 do not
		// retry COORDINATOR_NOT_AVAILABLE on OffsetFetch.
		return nil, kerr.NotCoordinator.Code
	}
	if err != nil {
		return nil, errorCode(err)
	}
	offsets := fetched.Offsets
	for tp := range fetched.Unstable {
		offsets[tp] = group.Offset{Offset: -1, LeaderEpoch: -1} // listed, with the error below
	}
	if topics == nil {
		// Every committed offset, grouped by topic in name order.
		byTopic := map[string][]int32{}
		for tp := range offsets {
			byTopic[tp.Topic] = append(byTopic[tp.Topic], tp.Partition)
		}
		for _, name := range slices.Sorted(maps.Keys(byTopic)) {
			ps := byTopic[name]
			slices.Sort(ps)
			t := fetchTopic{name: name, partitions: ps}
			if mt, ok := img.Topic(name); ok {
				t.id = mt.ID
			}
			topics = append(topics, t)
		}
	}
	var out []kmsg.OffsetFetchResponseGroupTopic
	for _, t := range topics {
		denied := t.name != "" && !h.allowed(req, acl.Describe, acl.Topic, t.name)
		if denied && all {
			continue // hidden, as Kafka hides the topics of a group the principal may not describe
		}
		rt := kmsg.NewOffsetFetchResponseGroupTopic()
		rt.Topic, rt.TopicID = t.name, t.id
		for _, p := range t.partitions {
			rp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
			rp.Partition, rp.Offset, rp.LeaderEpoch, rp.Metadata = p, -1, -1, kmsg.StringPtr("")
			if byID && t.name == "" {
				rp.ErrorCode = kerr.UnknownTopicID.Code
			} else if denied {
				rp.ErrorCode = kerr.TopicAuthorizationFailed.Code
			} else if fetched.Unstable[kafka.TopicPartition{Topic: t.name, Partition: p}] {
				rp.ErrorCode = kerr.UnstableOffsetCommit.Code
			} else if o, ok := offsets[kafka.TopicPartition{Topic: t.name, Partition: p}]; ok {
				rp.Offset, rp.LeaderEpoch, rp.Metadata = o.Offset, o.LeaderEpoch, kmsg.StringPtr(o.Metadata)
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		out = append(out, rt)
	}
	return out, 0
}

// fetchOffsets fetches the group's offsets, requiring stable ones when the
// request asks (v7+).
func (h *Handler) fetchOffsets(req *Request, groupID string, tps []kafka.TopicPartition) (group.Fetched, error) {
	if r := req.Body.(*kmsg.OffsetFetchRequest); r.Version >= 7 && r.RequireStable {
		return h.Groups.FetchStable(groupID, tps)
	}
	offsets, err := h.Groups.Fetch(groupID, tps)
	return group.Fetched{Offsets: offsets}, err
}
