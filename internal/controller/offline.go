package controller

// Replicas lost to a failed log dir. A broker whose log dir fails (an I/O
// error: a dead, full or read-only disk) reports the replicas that dir
// held, as a KRaft broker reports its offline log dirs in its heartbeat:
// each leaves the ISR and, where another live ISR member can lead, its
// leadership moves there; a replica with no one to take over keeps its
// leadership and answers KAFKA_STORAGE_ERROR, rather than leaving the
// partition without a leader. A broker whose every log dir failed is
// marked so: it gets no new replicas and cannot be elected, until it
// registers again (a restart). The partition records list the replicas
// lost (OfflineReplicas), which Metadata answers as offline until the
// broker registers again. Differences from Kafka: a broker whose
// every log dir failed keeps running (Kafka halts it), so that clients
// read KAFKA_STORAGE_ERROR and DescribeLogDirs shows why.

import (
	"slices"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

// OfflineReplicasRequest reports that broker ID (registered at Epoch)
// lost its replicas of Partitions to a failed log dir; AllLogDirsOffline
// says no log dir of it is left.
type OfflineReplicasRequest struct {
	ID                kafka.NodeID
	Epoch             int64
	Partitions        []kafka.TopicPartition
	AllLogDirsOffline bool
}

// OfflineReplicasResponse acknowledges an OfflineReplicasRequest.
type OfflineReplicasResponse struct{}

func (OfflineReplicasRequest) isRequest()   {}
func (OfflineReplicasResponse) isResponse() {}

// offlineReplicas returns the records of an OfflineReplicasRequest.
func offlineReplicas(img *metadata.Image, req OfflineReplicasRequest) ([]metadata.Record, OfflineReplicasResponse, error) {
	b, ok := img.Broker(req.ID)
	if !ok || req.Epoch != 0 && b.Epoch != req.Epoch {
		return nil, OfflineReplicasResponse{}, kafkaErrorf(ErrBrokerNotRegistered, "Broker %d is not registered with epoch %d.", req.ID, req.Epoch)
	}
	var recs []metadata.Record
	if req.AllLogDirsOffline && !b.StorageOffline {
		b.StorageOffline = true
		recs = append(recs, metadata.Record{Type: metadata.TypeBroker, Broker: &b})
	}
	id := int32(req.ID)
	others := func(r int32) bool { return r != id && isAlive(img, r) }
	for _, tp := range req.Partitions {
		t, ok := img.Topic(tp.Topic)
		if !ok || int(tp.Partition) >= len(t.Partitions) {
			continue // deleted meanwhile
		}
		p := t.Partitions[tp.Partition]
		next := p
		if p.Leader != id || slices.ContainsFunc(p.ISR, others) {
			next, _ = WithoutReplica(p, id, others, false)
		} // else no one else can lead: it stays, answering KAFKA_STORAGE_ERROR
		if slices.Contains(p.Replicas, id) && !slices.Contains(p.OfflineReplicas, id) {
			next.OfflineReplicas = append(slices.Clone(p.OfflineReplicas), id)
		}
		if next, changed := bumpEpochs(p, next); changed {
			recs = append(recs, next.Record(t.ID))
		}
	}
	return recs, OfflineReplicasResponse{}, nil
}

// onlineAgain returns p without broker id among its offline replicas: a
// registration is a new start, whose log dirs opened (a dir that fails
// again is reported again).
func onlineAgain(p metadata.Partition, id int32) metadata.Partition {
	if slices.Contains(p.OfflineReplicas, id) {
		p.OfflineReplicas = withoutID(p.OfflineReplicas, id)
	}
	return p
}
