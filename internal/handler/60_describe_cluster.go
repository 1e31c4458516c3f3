package handler

// DescribeCluster: v0–2.
//
// Behaviour: the cluster id, the active controller (the raft leader of the
// metadata quorum, -1 while there is none) and the brokers registered in
// the metadata image, as Metadata answers them. endpoint_type 2
// (controllers, v1+) answers the same brokers. On a CONTROLLER listener
// (--bootstrap-controller) it answers as Kafka's controller does: only
// endpoint_type 2, else UNSUPPORTED_ENDPOINT_TYPE; the voters of
// controller.quorum.voters at their controller endpoints, and the raft
// leader as the controller. As in Kafka, the answer is given to any principal; the
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
	if h.onControllerListener(req) {
		return h.describeControllers(req, r, resp), nil
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

// describeControllers answers DescribeCluster on a CONTROLLER listener.
func (h *Handler) describeControllers(req *Request, r *kmsg.DescribeClusterRequest, resp *kmsg.DescribeClusterResponse) kmsg.Response {
	resp.EndpointType = r.EndpointType
	if r.EndpointType != 2 {
		resp.ErrorCode = kerr.UnsupportedEndpointType.Code
		msg := "The request was sent to an endpoint of type CONTROLLER, but we wanted an endpoint of type BROKER"
		resp.ErrorMessage = &msg
		return resp
	}
	resp.ClusterID = h.ClusterID
	resp.ControllerID = -1
	if id, ok := h.Controller.Leader(); ok {
		resp.ControllerID = int32(id)
	}
	resp.ClusterAuthorizedOperations = -2147483648
	if r.IncludeClusterAuthorizedOperations {
		resp.ClusterAuthorizedOperations = h.clusterOperations(req)
	}
	for _, v := range h.Config.Voters {
		b := kmsg.NewDescribeClusterResponseBroker()
		b.NodeID, b.Host, b.Port = v.ID, v.Host, int32(v.Port)
		resp.Brokers = append(resp.Brokers, b)
	}
	return resp
}
