package handler

// OffsetCommit: v2–10.
//
// Behaviour: offsets are stored in __consumer_offsets (Kafka's record
// schemas) with their leader epoch (v6+) and metadata string, checked
// against the group's generation and member as Kafka's coordinator does; a
// generation of -1 with no member id commits for a group that uses Kafka
// only to store offsets. For a consumer-protocol (KIP-848) group the
// generation is the member epoch (v9+), answered STALE_MEMBER_EPOCH when it
// is not the member's current one. v10 names topics by id. Partitions that do not
// exist get UNKNOWN_TOPIC_OR_PARTITION (UNKNOWN_TOPIC_ID at v10), metadata
// above offset.metadata.max.bytes OFFSET_METADATA_TOO_LARGE.
// Authorization: READ on the group (GROUP_AUTHORIZATION_FAILED for every
// partition), then READ on each topic (TOPIC_AUTHORIZATION_FAILED).
// Differences from Kafka: the retention time of v2–4 is ignored, as Kafka
// 4 ignores it.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/group"
	"gregor/internal/kafka"
)

func init() { register(8, 2, 10, requires(readOnGroup, readOnTopic), (*Handler).offsetCommit) }

func (h *Handler) offsetCommit(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.OffsetCommitRequest)
	resp := r.ResponseKind().(*kmsg.OffsetCommitResponse)
	img := h.Metadata.Image()
	now := h.now()
	cr := group.CommitRequest{
		APIVersion: r.Version, GroupID: r.Group, MemberID: r.MemberID, InstanceID: deref(r.InstanceID), Generation: r.Generation,
		Offsets: map[kafka.TopicPartition]group.Offset{},
	}
	// codes holds the error of each requested partition, by topic then index.
	codes := make([][]int16, len(r.Topics))
	names := make([]string, len(r.Topics))
	groupDenied := !h.allowed(req, acl.Read, acl.Group, r.Group)
	for i, t := range r.Topics {
		codes[i] = make([]int16, len(t.Partitions))
		name := t.Topic
		var topicErr int16
		if r.Version >= 10 {
			if mt, ok := img.TopicByID(t.TopicID); ok {
				name = mt.Name
			} else {
				topicErr = kerr.UnknownTopicID.Code
			}
		}
		names[i] = name
		mt, ok := img.Topic(name)
		topicDenied := !groupDenied && topicErr == 0 && !h.allowed(req, acl.Read, acl.Topic, name)
		for j, p := range t.Partitions {
			switch {
			case groupDenied:
				codes[i][j] = kerr.GroupAuthorizationFailed.Code
			case topicErr != 0:
				codes[i][j] = topicErr
			case topicDenied:
				codes[i][j] = kerr.TopicAuthorizationFailed.Code
				codes[i][j] = topicErr
			case !ok || p.Partition < 0 || int(p.Partition) >= len(mt.Partitions):
				codes[i][j] = kerr.UnknownTopicOrPartition.Code
			default:
				epoch := p.LeaderEpoch
				if r.Version < 6 {
					epoch = -1
				}
				cr.Offsets[kafka.TopicPartition{Topic: name, Partition: p.Partition}] = group.Offset{
					Offset: p.Offset, LeaderEpoch: epoch, Metadata: deref(p.Metadata), CommitTime: now,
				}
			}
		}
	}
	var perPartition map[kafka.TopicPartition]error
	err := checkGroupStrings(r.Group)
	if err == nil && len(cr.Offsets) > 0 {
		perPartition, err = h.Groups.Commit(cr)
	}
	for i, t := range r.Topics {
		rt := kmsg.NewOffsetCommitResponseTopic()
		rt.Topic, rt.TopicID = t.Topic, t.TopicID
		for j, p := range t.Partitions {
			rp := kmsg.NewOffsetCommitResponseTopicPartition()
			rp.Partition = p.Partition
			switch tp := (kafka.TopicPartition{Topic: names[i], Partition: p.Partition}); {
			case codes[i][j] != 0:
				rp.ErrorCode = codes[i][j]
			case err != nil:
				rp.ErrorCode = errorCode(err)
			default:
				rp.ErrorCode = errorCode(perPartition[tp])
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, nil
}
