package handler

// WriteTxnMarkers: v1–2.
//
// Behaviour: from a transaction coordinator on another broker: writes each
// commit or abort marker to the partitions this node leads, as the local
// coordinator does (TxnMarkers.writeLocal): the marker is appended, the
// answer waits for the high watermark to pass it, and for a partition of
// __consumer_offsets the group coordinator then applies the transaction's
// offsets. A partition not led here answers NOT_LEADER_OR_FOLLOWER, an
// unknown one UNKNOWN_TOPIC_OR_PARTITION, a marker with an older producer
// epoch INVALID_PRODUCER_EPOCH, an older coordinator epoch
// TRANSACTION_COORDINATOR_FENCED.
// Authorization, as Kafka (3.8+): ALTER on the cluster, which an operator
// aborting a hanging transaction has, or CLUSTER_ACTION, which brokers
// have; without either every partition answers
// CLUSTER_AUTHORIZATION_FAILED.
// Differences from Kafka: none known.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/kafka"
	"gregor/internal/txn"
)

func init() {
	register(27, 1, 2, requires(alterOnCluster, clusterActionOnCluster), (*Handler).writeTxnMarkers)
}

func (h *Handler) writeTxnMarkers(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.WriteTxnMarkersRequest)
	resp := r.ResponseKind().(*kmsg.WriteTxnMarkersResponse)
	denied := !h.allowedOnCluster(req, acl.Alter) && !h.allowedOnCluster(req, acl.ClusterAction)
	w := &TxnMarkers{Replicas: h.Replicas, Groups: h.Groups, Now: h.Now, Logger: h.Logger}
	for _, m := range r.Markers {
		om := kmsg.WriteTxnMarkersResponseMarker{ProducerID: m.ProducerID}
		tm := txn.Markers{ProducerID: kafka.ProducerID(m.ProducerID), ProducerEpoch: m.ProducerEpoch, Commit: m.Committed, CoordinatorEpoch: m.CoordinatorEpoch}
		for _, t := range m.Topics {
			ot := kmsg.WriteTxnMarkersResponseMarkerTopic{Topic: t.Topic}
			for _, p := range t.Partitions {
				code := kerr.ClusterAuthorizationFailed.Code
				if !denied {
					code = errorCode(w.writeLocal(ctx, tm, kafka.TopicPartition{Topic: t.Topic, Partition: p}))
				}
				ot.Partitions = append(ot.Partitions, kmsg.WriteTxnMarkersResponseMarkerTopicPartition{Partition: p, ErrorCode: code})
			}
			om.Topics = append(om.Topics, ot)
		}
		resp.Markers = append(resp.Markers, om)
	}
	return resp, nil
}
