package handler

// AlterReplicaLogDirs: v1–2.
//
// Behaviour (KIP-113): moves each named replica of this node to the log
// dir given by its absolute path. The answer comes when the copy has
// started, not when it ends: DescribeLogDirs shows the copy in progress
// as a future replica with its offset lag, and the replica serves from
// the new dir once the copy has caught up. Per partition: a path that is
// not one of log.dirs answers LOG_DIR_NOT_FOUND; an offline dir (the
// target or the replica's own) KAFKA_STORAGE_ERROR; a topic whose name is
// too long for the copy's directory name INVALID_TOPIC_EXCEPTION; a
// partition the cluster has but this node does not host
// REPLICA_NOT_AVAILABLE (the dir is remembered for when it is created
// here, as Kafka does); a partition the cluster does not have
// UNKNOWN_TOPIC_OR_PARTITION. Asking again for the dir a replica is
// moving to changes nothing; for another dir, the copy starts over there;
// for the dir the replica is in, a copy in progress is dropped. A
// partition named under several dirs goes to the last. Needs ALTER on
// the cluster: without it every partition answers
// CLUSTER_AUTHORIZATION_FAILED, as Kafka.

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

func init() { register(34, 1, 2, requires(alterOnCluster), (*Handler).alterReplicaLogDirs) }

// maxMoveDirName is the longest directory name a copy may have, as Kafka
// checks "<topic>-<partition>.<32 hex digits>-future" against it.
const maxMoveDirName = 255

func (h *Handler) alterReplicaLogDirs(_ context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.AlterReplicaLogDirsRequest)
	resp := r.ResponseKind().(*kmsg.AlterReplicaLogDirsResponse)
	dirOf := map[kafka.TopicPartition]string{}
	for _, d := range r.Dirs {
		for _, t := range d.Topics {
			for _, p := range t.Partitions {
				dirOf[kafka.TopicPartition{Topic: t.Topic, Partition: p}] = d.Dir
			}
		}
	}
	allowed := h.allowedOnCluster(req, acl.Alter)
	byTopic := map[string][]kmsg.AlterReplicaLogDirsResponseTopicPartition{}
	for _, tp := range slices.SortedFunc(maps.Keys(dirOf), kafka.TopicPartition.Compare) {
		rp := kmsg.NewAlterReplicaLogDirsResponseTopicPartition()
		rp.Partition = tp.Partition
		if !allowed {
			rp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
		} else {
			rp.ErrorCode = errorCode(h.moveReplica(tp, dirOf[tp]))
		}
		byTopic[tp.Topic] = append(byTopic[tp.Topic], rp)
	}
	for _, name := range slices.Sorted(maps.Keys(byTopic)) {
		t := kmsg.NewAlterReplicaLogDirsResponseTopic()
		t.Topic, t.Partitions = name, byTopic[name]
		resp.Topics = append(resp.Topics, t)
	}
	return resp, nil
}

func (h *Handler) moveReplica(tp kafka.TopicPartition, dir string) error {
	if len(tp.String())+len(".-future")+32 > maxMoveDirName {
		return errorf(kerr.InvalidTopicException, "The topic name is too long.")
	}
	err := h.LogDirs.Move(tp, dir)
	if errors.Is(err, ErrReplicaNotHere) && !h.partitionExists(tp) {
		return kerr.UnknownTopicOrPartition
	}
	return err
}

// partitionExists reports whether the cluster's metadata has tp.
func (h *Handler) partitionExists(tp kafka.TopicPartition) bool {
	t, ok := h.Metadata.Image().Topic(tp.Topic)
	return ok && slices.ContainsFunc(t.Partitions, func(p metadata.Partition) bool { return p.Partition == tp.Partition })
}
