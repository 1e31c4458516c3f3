package handler

// ListOffsets: v1–11.
//
// Behaviour: timestamp -1 answers the high watermark (the last stable offset
// under read_committed, isolation_level 1), -2 the log
// start offset, -3 (v7+) the offset and timestamp of the record with the
// largest timestamp, -4 (v8+, earliest local) the log start offset, -5 (v9+,
// latest tiered) and -6 (v11+, earliest pending upload) -1 as there is no
// tiered storage; a timestamp
// >= 0 the first record whose timestamp is at or after it, or -1 when there
// is none. As Kafka, a record found at or above the high watermark (by
// timestamp or by -3) is not answered: -1, with leader_epoch -1. current_leader_epoch (v4+) is
// checked as in Fetch.
// Differences from Kafka: leader_epoch answers the current leader epoch,
// not the epoch that wrote the found offset.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/kafka"
	"gregor/internal/partition"
)

func init() { register(2, 1, 11, requires(describeOnTopic), (*Handler).listOffsets) }

func (h *Handler) listOffsets(_ context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.ListOffsetsRequest)
	resp := r.ResponseKind().(*kmsg.ListOffsetsResponse)
	for _, t := range r.Topics {
		rt := kmsg.NewListOffsetsResponseTopic()
		rt.Topic = t.Topic
		allowed := h.allowed(req, acl.Describe, acl.Topic, t.Topic)
		for _, p := range t.Partitions {
			if !allowed {
				rp := kmsg.NewListOffsetsResponseTopicPartition()
				rp.Partition, rp.ErrorCode, rp.Timestamp, rp.Offset = p.Partition, kerr.TopicAuthorizationFailed.Code, -1, -1
				rt.Partitions = append(rt.Partitions, rp)
				continue
			}
			rt.Partitions = append(rt.Partitions, h.listOffset(r.Version, r.IsolationLevel, t.Topic, p))
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, nil
}

func (h *Handler) listOffset(version int16, isolation int8, topic string, p kmsg.ListOffsetsRequestTopicPartition) kmsg.ListOffsetsResponseTopicPartition {
	rp := kmsg.NewListOffsetsResponseTopicPartition()
	rp.Partition = p.Partition
	rp.Timestamp, rp.Offset = -1, -1
	part, err := h.Replicas.Partition(kafka.TopicPartition{Topic: topic, Partition: p.Partition})
	if err != nil {
		rp.ErrorCode = errorCode(err)
		return rp
	}
	epoch := part.LeaderEpoch()
	if code := checkLeaderEpoch(p.CurrentLeaderEpoch, epoch); code != 0 {
		rp.ErrorCode = code
		return rp
	}
	rp.Offset, rp.Timestamp, err = offsetFor(version, isolation, part, p.Timestamp)
	if err != nil {
		rp.ErrorCode = errorCode(err)
	}
	if rp.Offset >= 0 { // as Kafka: no offset found, no epoch (-1)
		rp.LeaderEpoch = epoch
	}
	return rp
}

// offsetFor resolves one ListOffsets timestamp to (offset, timestamp).
func offsetFor(version int16, isolation int8, p *partition.Partition, ts int64) (int64, int64, error) {
	switch {
	case ts == -1 && isolation == 1:
		return p.LastStableOffset(), -1, nil
	case ts == -1:
		return p.HighWatermark(), -1, nil
	case ts == -2, ts == -4 && version >= 8:
		return p.LogStartOffset(), -1, nil
	case ts == -3 && version >= 7:
		return found(p.MaxTimestamp())
	case ts == -5 && version >= 9, ts == -6 && version >= 11:
		return -1, -1, nil
	case ts < 0:
		return -1, -1, errUnsupportedTimestamp
	}
	return found(p.OffsetForTimestamp(ts))
}

// found turns a partition lookup into ListOffsets' (offset, timestamp):
// -1, -1 when nothing below the high watermark matched.
func found(offset kafka.Offset, timestamp int64, ok bool, err error) (int64, int64, error) {
	if err != nil || !ok {
		return -1, -1, err
	}
	return int64(offset), timestamp, nil
}

var errUnsupportedTimestamp = kerr.InvalidRequest
