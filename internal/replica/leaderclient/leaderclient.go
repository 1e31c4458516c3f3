// Package leaderclient is the follower's FetchSource over the network: a
// replica Fetch (v16, ReplicaState) and OffsetForLeaderEpoch (v4, with the
// replica id) to the leader's inter-broker listener, on one wire.Client
// connection. It translates between replica's types and kmsg bodies, and
// Kafka error codes back to partition's sentinels, so that the replica
// manager itself knows nothing of the protocol.
//
// Why not franz-go's kgo: a fetcher needs one connection to one known
// broker and two request kinds at pinned versions; kgo would bring its
// metadata refreshes, connection pools and goroutines to do that, and it
// is the CLI's client only. kmsg bodies over our own framing are a few
// dozen lines.
package leaderclient

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
	"gregor/internal/partition"
	"gregor/internal/replica"
	"gregor/internal/wire"
)

// Versions sent: every Gregor broker serves them.
const (
	fetchVersion                = 16
	offsetForLeaderEpochVersion = 4
)

// maxResponseBytes bounds a response frame: above replica.fetch.response.max.bytes.
const maxResponseBytes = 100 << 20

// Dialer returns a replica.Dialer reaching a leader's endpoint on listener
// (inter.broker.listener.name) with that listener's security (peers),
// naming itself as node self.
func Dialer(self kafka.NodeID, listener string, peers wire.Dialer) replica.Dialer {
	return func(ctx context.Context, b metadata.Broker) (replica.FetchSource, error) {
		ep, ok := b.Endpoint(listener)
		if !ok {
			return nil, fmt.Errorf("broker %d has no %s listener", b.ID, listener)
		}
		addr := net.JoinHostPort(ep.Host, strconv.Itoa(int(ep.Port)))
		c, err := peers.Dial(ctx, addr, fmt.Sprintf("broker-%d-fetcher-0", self), maxResponseBytes)
		if err != nil {
			return nil, err
		}
		return &source{c: c}, nil
	}
}

// source is one connection to a leader.
type source struct{ c *wire.Client }

func (s *source) Close() error { return s.c.Close() }

// Fetch sends one replica fetch, sessionless (a full fetch every time).
func (s *source) Fetch(ctx context.Context, req replica.FetchRequest) ([]replica.FetchedPartition, error) {
	r := kmsg.NewPtrFetchRequest()
	r.Version = fetchVersion
	r.ReplicaState.ID, r.ReplicaState.Epoch = int32(req.ReplicaID), req.BrokerEpoch
	r.MaxWaitMillis, r.MinBytes, r.MaxBytes = int32(req.MaxWait.Milliseconds()), req.MinBytes, req.MaxBytes
	r.SessionID, r.SessionEpoch = 0, -1
	names := map[kafka.TopicID]string{}
	for _, p := range req.Partitions {
		names[p.TopicID] = p.TP.Topic
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition, rp.CurrentLeaderEpoch, rp.FetchOffset = p.TP.Partition, int32(p.CurrentLeaderEpoch), int64(p.FetchOffset)
		rp.LastFetchedEpoch, rp.LogStartOffset, rp.PartitionMaxBytes = int32(p.LastFetchedEpoch), int64(p.LogStartOffset), p.MaxBytes
		r.Topics = appendFetchTopic(r.Topics, p.TopicID, rp)
	}
	resp, err := s.c.Request(ctx, r)
	if err != nil {
		return nil, err
	}
	fr := resp.(*kmsg.FetchResponse)
	if fr.ErrorCode != 0 {
		return nil, fmt.Errorf("fetch from the leader: %w", kerr.ErrorForCode(fr.ErrorCode))
	}
	return fetched(fr, names), nil
}

func appendFetchTopic(topics []kmsg.FetchRequestTopic, id kafka.TopicID, p kmsg.FetchRequestTopicPartition) []kmsg.FetchRequestTopic {
	for i := range topics {
		if topics[i].TopicID == id {
			topics[i].Partitions = append(topics[i].Partitions, p)
			return topics
		}
	}
	t := kmsg.NewFetchRequestTopic()
	t.TopicID, t.Partitions = id, []kmsg.FetchRequestTopicPartition{p}
	return append(topics, t)
}

func fetched(fr *kmsg.FetchResponse, names map[kafka.TopicID]string) []replica.FetchedPartition {
	var out []replica.FetchedPartition
	for _, t := range fr.Topics {
		name, ok := names[kafka.TopicID(t.TopicID)]
		if !ok {
			continue
		}
		for _, p := range t.Partitions {
			a := replica.FetchedPartition{
				TP: kafka.TopicPartition{Topic: name, Partition: p.Partition}, Err: domainError(p.ErrorCode),
				HighWatermark: kafka.Offset(p.HighWatermark), LogStartOffset: kafka.Offset(p.LogStartOffset), Records: p.RecordBatches,
			}
			if d := p.DivergingEpoch; d.Epoch >= 0 || d.EndOffset >= 0 {
				a.Diverging = &replica.EpochEnd{TP: a.TP, Epoch: kafka.Epoch(d.Epoch), EndOffset: kafka.Offset(d.EndOffset)}
			}
			out = append(out, a)
		}
	}
	return out
}

// EpochEndOffsets sends OffsetForLeaderEpoch with the replica id.
func (s *source) EpochEndOffsets(ctx context.Context, self kafka.NodeID, qs []replica.EpochQuery) ([]replica.EpochEnd, error) {
	r := kmsg.NewPtrOffsetForLeaderEpochRequest()
	r.Version, r.ReplicaID = offsetForLeaderEpochVersion, int32(self)
	for _, q := range qs {
		p := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
		p.Partition, p.CurrentLeaderEpoch, p.LeaderEpoch = q.TP.Partition, int32(q.CurrentLeaderEpoch), int32(q.LeaderEpoch)
		r.Topics = appendEpochTopic(r.Topics, q.TP.Topic, p)
	}
	resp, err := s.c.Request(ctx, r)
	if err != nil {
		return nil, err
	}
	var out []replica.EpochEnd
	for _, t := range resp.(*kmsg.OffsetForLeaderEpochResponse).Topics {
		for _, p := range t.Partitions {
			out = append(out, replica.EpochEnd{
				TP: kafka.TopicPartition{Topic: t.Topic, Partition: p.Partition}, Err: domainError(p.ErrorCode),
				Epoch: kafka.Epoch(p.LeaderEpoch), EndOffset: kafka.Offset(p.EndOffset),
			})
		}
	}
	return out, nil
}

func appendEpochTopic(topics []kmsg.OffsetForLeaderEpochRequestTopic, name string, p kmsg.OffsetForLeaderEpochRequestTopicPartition) []kmsg.OffsetForLeaderEpochRequestTopic {
	for i := range topics {
		if topics[i].Topic == name {
			topics[i].Partitions = append(topics[i].Partitions, p)
			return topics
		}
	}
	t := kmsg.NewOffsetForLeaderEpochRequestTopic()
	t.Topic, t.Partitions = name, []kmsg.OffsetForLeaderEpochRequestTopicPartition{p}
	return append(topics, t)
}

// domainError maps a partition's error code to partition's sentinel, so
// that the fetcher tells them apart without kerr; nil for 0.
func domainError(code int16) error {
	switch code {
	case 0:
		return nil
	case kerr.NotLeaderForPartition.Code:
		return partition.ErrNotLeader
	case kerr.FencedLeaderEpoch.Code:
		return partition.ErrFencedLeaderEpoch
	case kerr.UnknownLeaderEpoch.Code:
		return partition.ErrUnknownLeaderEpoch
	case kerr.OffsetOutOfRange.Code:
		return partition.ErrOffsetOutOfRange
	case kerr.UnknownTopicOrPartition.Code, kerr.UnknownTopicID.Code:
		return partition.ErrUnknownTopicOrPartition
	}
	return kerr.ErrorForCode(code)
}
