package handler

// DescribeLogDirs: v1–4.
//
// Behaviour: every log dir of this node, with its error (NONE, or
// KAFKA_STORAGE_ERROR, without sizes, for a dir taken offline by an I/O
// error or that cannot be read), the partitions asked
// for that live in it (all of them when topics is null), each with its size
// in bytes on disk (the sum of its segment files), offset lag 0 and
// is-future false; from v4 the dir's total and usable bytes (statfs). A
// topic appears under a dir only with partitions in it. As Kafka, asking for
// a partition this node does not hold is not an error: it is left out.
// A replica being moved into a dir (AlterReplicaLogDirs) is listed there
// too, as a future replica with its size so far and the offsets its copy
// is behind. Needs DESCRIBE on the cluster: without it, no dirs and (v3+)
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
)

func init() { register(35, 1, 4, requires(describeOnCluster), (*Handler).describeLogDirs) }

// LogDirs reports this node's log dirs; node implements it over storage.
type LogDirs interface {
	// Describe returns every log dir with the partitions in it, and the
	// copies being moved into it. Safe for concurrent use; it reads the
	// filesystem (statfs) once per dir.
	Describe() []LogDirInfo
	// Move starts moving tp's replica to the log dir at the absolute
	// path dir (AlterReplicaLogDirs). It fails with ErrLogDirNotFound,
	// kafka.ErrLogDirOffline, or ErrReplicaNotHere when this node does not
	// host tp (dir is then remembered for when it does).
	Move(tp kafka.TopicPartition, dir string) error
}

var (
	// ErrLogDirNotFound is a path that is not one of log.dirs
	// (LOG_DIR_NOT_FOUND).
	ErrLogDirNotFound = errors.New("log dir not found")
	// ErrReplicaNotHere is a partition this node does not host
	// (REPLICA_NOT_AVAILABLE).
	ErrReplicaNotHere = errors.New("replica not available")
)

// LogDirInfo is one log dir as DescribeLogDirs reports it.
type LogDirInfo struct {
	Path string // absolute
	Err  error  // non-nil when the dir is offline or unreadable
	// TotalBytes and UsableBytes are the dir's filesystem capacity and the
	// space left to this process; -1 when unknown.
	TotalBytes, UsableBytes int64
	Partitions              []LogDirPartition
}

// LogDirPartition is one partition's log in a dir.
type LogDirPartition struct {
	kafka.TopicPartition
	Size      int64        // bytes of its segment files
	OffsetLag kafka.Offset // behind the current log, for a future log; 0 otherwise
	IsFuture  bool         // a copy being moved into this dir
}

func (h *Handler) describeLogDirs(_ context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DescribeLogDirsRequest)
	resp := r.ResponseKind().(*kmsg.DescribeLogDirsResponse)
	if !h.allowedOnCluster(req, acl.Describe) {
		// Kafka answers no dirs, and from v3 says why.
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
		return resp, nil
	}
	wanted := requestedPartitions(r)
	for _, d := range h.LogDirs.Describe() {
		resp.Dirs = append(resp.Dirs, describeLogDir(d, wanted))
	}
	return resp, nil
}

// requestedPartitions is the set asked for; nil means every partition.
func requestedPartitions(r *kmsg.DescribeLogDirsRequest) map[kafka.TopicPartition]bool {
	if r.Topics == nil {
		return nil
	}
	out := map[kafka.TopicPartition]bool{}
	for _, t := range r.Topics {
		for _, p := range t.Partitions {
			out[kafka.TopicPartition{Topic: t.Topic, Partition: p}] = true
		}
	}
	return out
}

func describeLogDir(d LogDirInfo, wanted map[kafka.TopicPartition]bool) kmsg.DescribeLogDirsResponseDir {
	dir := kmsg.NewDescribeLogDirsResponseDir()
	dir.Dir, dir.TotalBytes, dir.UsableBytes = d.Path, d.TotalBytes, d.UsableBytes
	if d.Err != nil {
		dir.ErrorCode = kerr.KafkaStorageError.Code
		return dir
	}
	byTopic := map[string][]kmsg.DescribeLogDirsResponseDirTopicPartition{}
	for _, p := range d.Partitions {
		if wanted != nil && !wanted[p.TopicPartition] {
			continue
		}
		rp := kmsg.NewDescribeLogDirsResponseDirTopicPartition()
		rp.Partition, rp.Size, rp.OffsetLag, rp.IsFuture = p.Partition, p.Size, int64(p.OffsetLag), p.IsFuture
		byTopic[p.Topic] = append(byTopic[p.Topic], rp)
	}
	for _, name := range slices.Sorted(maps.Keys(byTopic)) {
		t := kmsg.NewDescribeLogDirsResponseDirTopic()
		t.Topic, t.Partitions = name, byTopic[name]
		slices.SortFunc(t.Partitions, func(a, b kmsg.DescribeLogDirsResponseDirTopicPartition) int { return int(a.Partition - b.Partition) })
		dir.Topics = append(dir.Topics, t)
	}
	return dir
}
