package txnclient

import (
	"context"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/kafka"
	"gregor/internal/txn"
)

// writeTxnMarkersVersion is the version sent: every Gregor broker serves
// it, and Kafka 4 no longer serves v0.
const writeTxnMarkersVersion = 1

// markerRequestTimeout bounds one WriteTxnMarkers round trip: the leader
// waits up to 30 s for each marker to replicate.
const markerRequestTimeout = 40 * time.Second

// WriteMarkers writes the markers m to the leaders of its partitions on
// other nodes, one WriteTxnMarkers per leader, and returns the partitions
// to retry, as Kafka's TransactionMarkerChannelManager: a partition whose
// topic is gone is dropped; one without a leader, led by this node (its
// metadata not applied yet), or answered with a retriable error
// (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, NOT_ENOUGH_REPLICAS,
// a timeout, a storage error, a lost connection) is retried; one answered
// INVALID_PRODUCER_EPOCH or TRANSACTION_COORDINATOR_FENCED (a newer
// producer or coordinator has moved on) or UNSUPPORTED_FOR_MESSAGE_FORMAT
// is not written again. It implements handler.TxnMarkers' Remote.
func (c *Client) WriteMarkers(ctx context.Context, m txn.Markers) (retry []kafka.TopicPartition) {
	byLeader, retry := c.leadersOf(m.Partitions)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for leader, tps := range byLeader {
		wg.Add(1)
		go func() {
			defer wg.Done()
			failed := c.writeTo(ctx, leader, m, tps)
			mu.Lock()
			retry = append(retry, failed...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return retry
}

// leadersOf groups tps by their leader on another node; the rest are to
// retry, or dropped when their partition no longer exists.
func (c *Client) leadersOf(tps []kafka.TopicPartition) (map[kafka.NodeID][]kafka.TopicPartition, []kafka.TopicPartition) {
	img := c.image()
	byLeader := map[kafka.NodeID][]kafka.TopicPartition{}
	var retry []kafka.TopicPartition
	for _, tp := range tps {
		t, ok := img.Topic(tp.Topic)
		switch {
		case !ok || tp.Partition < 0 || int(tp.Partition) >= len(t.Partitions):
			c.logger.Info("transaction marker not written: the partition no longer exists", "topic", tp.Topic, "partition", tp.Partition)
		case t.Partitions[tp.Partition].Leader < 0 || kafka.NodeID(t.Partitions[tp.Partition].Leader) == c.self:
			retry = append(retry, tp)
		default:
			leader := kafka.NodeID(t.Partitions[tp.Partition].Leader)
			byLeader[leader] = append(byLeader[leader], tp)
		}
	}
	return byLeader, retry
}

// writeTo sends the markers of tps to leader and returns those to retry.
func (c *Client) writeTo(ctx context.Context, leader kafka.NodeID, m txn.Markers, tps []kafka.TopicPartition) []kafka.TopicPartition {
	rctx, cancel := context.WithTimeout(ctx, markerRequestTimeout)
	defer cancel()
	resp, err := c.request(rctx, leader, markersRequest(m, tps))
	if err != nil {
		c.logger.Info("transaction markers not sent, retrying", "broker", leader, "producer.id", m.ProducerID, "err", err)
		return tps
	}
	var retry []kafka.TopicPartition
	for _, rm := range resp.(*kmsg.WriteTxnMarkersResponse).Markers {
		for _, t := range rm.Topics {
			for _, p := range t.Partitions {
				tp := kafka.TopicPartition{Topic: t.Topic, Partition: p.Partition}
				if c.markerFailed(leader, m, tp, p.ErrorCode) {
					retry = append(retry, tp)
				}
			}
		}
	}
	return retry
}

func markersRequest(m txn.Markers, tps []kafka.TopicPartition) *kmsg.WriteTxnMarkersRequest {
	r := kmsg.NewPtrWriteTxnMarkersRequest()
	r.Version = writeTxnMarkersVersion
	rm := kmsg.NewWriteTxnMarkersRequestMarker()
	rm.ProducerID, rm.ProducerEpoch, rm.Committed, rm.CoordinatorEpoch = int64(m.ProducerID), m.ProducerEpoch, m.Commit, m.CoordinatorEpoch
	for _, tp := range tps {
		if n := len(rm.Topics); n > 0 && rm.Topics[n-1].Topic == tp.Topic {
			rm.Topics[n-1].Partitions = append(rm.Topics[n-1].Partitions, tp.Partition)
			continue
		}
		rm.Topics = append(rm.Topics, kmsg.WriteTxnMarkersRequestMarkerTopic{Topic: tp.Topic, Partitions: []int32{tp.Partition}})
	}
	r.Markers = append(r.Markers, rm)
	return r
}

// markerFailed reports whether the leader's answer code for tp means the
// marker must be sent again, logging the answers that end its sending.
func (c *Client) markerFailed(leader kafka.NodeID, m txn.Markers, tp kafka.TopicPartition, code int16) bool {
	switch code {
	case 0:
		return false
	case kerr.InvalidProducerEpoch.Code, kerr.TransactionCoordinatorFenced.Code,
		kerr.UnsupportedForMessageFormat.Code, kerr.UnsupportedVersion.Code:
		c.logger.Warn("transaction marker not written", "broker", leader, "topic", tp.Topic, "partition", tp.Partition,
			"producer.id", m.ProducerID, "err", kerr.ErrorForCode(code))
		return false
	case kerr.UnknownTopicOrPartition.Code, kerr.NotLeaderForPartition.Code, kerr.NotEnoughReplicas.Code,
		kerr.NotEnoughReplicasAfterAppend.Code, kerr.RequestTimedOut.Code, kerr.KafkaStorageError.Code:
		return true
	}
	c.logger.Error("unexpected answer to a transaction marker, retrying", "broker", leader, "topic", tp.Topic,
		"partition", tp.Partition, "producer.id", m.ProducerID, "err", kerr.ErrorForCode(code))
	return true
}
