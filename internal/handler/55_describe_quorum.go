package handler

// DescribeQuorum: v0–2.
//
// Behaviour: the state of the controller quorum, for the one partition
// of the metadata log, __cluster_metadata-0, from the active controller's
// raft status (any node forwards it there): leader id, leader epoch (the
// raft term), high watermark (the commit index, as an offset), and each
// voter's log end offset with, from v1, when the leader last heard from
// it and last saw it caught up (-1 where unknown), and the observers
// (broker-only nodes, which follow the log without voting) that fetch
// from the leader, likewise. It is served on the CONTROLLER listener too
// (--bootstrap-controller). v2 lists the voters' controller
// endpoints from controller.quorum.voters; directory ids are zero.
// Another topic or partition: UNKNOWN_TOPIC_OR_PARTITION, as Kafka.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/controller"
)

func init() { register(55, 0, 2, requires(describeOnCluster), (*Handler).describeQuorum) }

func (h *Handler) describeQuorum(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DescribeQuorumRequest)
	resp := r.ResponseKind().(*kmsg.DescribeQuorumResponse)
	if !h.allowedOnCluster(req, acl.Describe) {
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
		return resp, nil
	}
	if len(r.Topics) != 1 || r.Topics[0].Topic != controller.MetadataTopic || len(r.Topics[0].Partitions) != 1 || r.Topics[0].Partitions[0].Partition != 0 {
		resp.ErrorCode = kerr.UnknownTopicOrPartition.Code
		return resp, nil
	}
	t := kmsg.NewDescribeQuorumResponseTopic()
	t.Topic = controller.MetadataTopic
	p := kmsg.NewDescribeQuorumResponseTopicPartition()
	got, err := submit[controller.DescribeQuorumResponse](ctx, h.Controller, controller.DescribeQuorumRequest{})
	if err != nil {
		p.ErrorCode, p.ErrorMessage = errorCode(err), errorMessage(err)
	} else {
		fillQuorum(&p, got.Status)
	}
	t.Partitions = append(t.Partitions, p)
	resp.Topics = append(resp.Topics, t)
	resp.Nodes = h.quorumNodes()
	return resp, nil
}

func fillQuorum(p *kmsg.DescribeQuorumResponseTopicPartition, s controller.QuorumStatus) {
	p.LeaderID, p.LeaderEpoch, p.HighWatermark = int32(s.LeaderID), int32(s.LeaderEpoch), int64(s.HighWatermark)
	for _, v := range s.Voters {
		p.CurrentVoters = append(p.CurrentVoters, replicaState(v))
	}
	for _, o := range s.Observers {
		p.Observers = append(p.Observers, replicaState(o))
	}
}

func replicaState(r controller.ReplicaStatus) kmsg.DescribeQuorumResponseTopicPartitionReplicaState {
	s := kmsg.NewDescribeQuorumResponseTopicPartitionReplicaState()
	s.ReplicaID, s.LogEndOffset = int32(r.ID), int64(r.LogEndOffset)
	s.LastFetchTimestamp, s.LastCaughtUpTimestamp = r.LastFetchTimestamp, r.LastCaughtUpTimestamp
	return s
}

// quorumNodes lists the voters' controller endpoints (v2).
func (h *Handler) quorumNodes() []kmsg.DescribeQuorumResponseNode {
	var out []kmsg.DescribeQuorumResponseNode
	name := "CONTROLLER"
	if len(h.Config.ControllerListenerNames) > 0 {
		name = h.Config.ControllerListenerNames[0]
	}
	for _, v := range h.Config.Voters {
		n := kmsg.NewDescribeQuorumResponseNode()
		n.NodeID = v.ID
		l := kmsg.NewDescribeQuorumResponseNodeListener()
		l.Name, l.Host, l.Port = name, v.Host, uint16(v.Port)
		n.Listeners = append(n.Listeners, l)
		out = append(out, n)
	}
	return out
}
