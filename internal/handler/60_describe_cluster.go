package handler

// DescribeCluster: v0–2.
//
// Behaviour: the cluster id, the active controller (the raft leader of the
// metadata quorum, -1 while there is none) and the brokers registered in
// the metadata image, as Metadata answers them. endpoint_type 2
// (controllers, v1+) answers the same brokers: every node is also a
// controller. As in Kafka, the answer is given to any principal; the
// cluster's authorized operations, when asked for, need DESCRIBE on the
// cluster, else none (KIP-430).

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(60, 0, 2, requires(describeOnCluster), (*Handler).describeCluster) }

func (h *Handler) describeCluster(_ context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DescribeClusterRequest)
	resp := r.ResponseKind().(*kmsg.DescribeClusterResponse)
	if r.Version >= 1 && r.EndpointType != 1 && r.EndpointType != 2 {
		resp.ErrorCode = kerr.UnsupportedEndpointType.Code
		return resp, nil
	}
	resp.EndpointType = r.EndpointType
	resp.ClusterID = h.ClusterID
	resp.ControllerID = h.controllerID()
	resp.ClusterAuthorizedOperations = -2147483648
	if r.IncludeClusterAuthorizedOperations {
		resp.ClusterAuthorizedOperations = h.clusterOperations(req)
	}
	for _, mb := range metadataBrokers(h.Metadata.Image(), req.Listener) {
		b := kmsg.NewDescribeClusterResponseBroker()
		b.NodeID, b.Host, b.Port, b.Rack = mb.NodeID, mb.Host, mb.Port, mb.Rack
		resp.Brokers = append(resp.Brokers, b)
	}
	return resp, nil
}
