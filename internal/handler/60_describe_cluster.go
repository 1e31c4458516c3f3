package handler

// DescribeCluster: v0–2.
//
// Behaviour: the cluster id, the active controller (the raft leader of the
// metadata quorum, -1 while there is none) and the brokers registered in
// the metadata image, as Metadata answers them. On a CONTROLLER listener
// (--bootstrap-controller) it answers as Kafka's controller does: the
// voters of controller.quorum.voters at their controller endpoints, and
// the raft leader as the controller. As Kafka (KIP-919), endpoint_type
// (v1+) must name the kind of listener asked, 1 a broker's and 2 a
// controller's, else MISMATCHED_ENDPOINT_TYPE; another value is
// UNSUPPORTED_ENDPOINT_TYPE. As in Kafka, the answer is given to any principal; the
// cluster's authorized operations, when asked for, need DESCRIBE on the
// cluster, else none (KIP-430).

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(60, 0, 2, requires(describeOnCluster), (*Handler).describeCluster) }

func (h *Handler) describeCluster(_ context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DescribeClusterRequest)
	resp := r.ResponseKind().(*kmsg.DescribeClusterResponse)
	if r.Version >= 1 && r.EndpointType != 1 && r.EndpointType != 2 {
		resp.ErrorCode = kerr.UnsupportedEndpointType.Code
		resp.ErrorMessage = kmsg.StringPtr(fmt.Sprintf("Unsupported endpoint type %d", r.EndpointType))
		return resp, nil
	}
	asked, want := r.EndpointType, int8(1)
	if r.Version < 1 {
		asked = 1 // brokers, the field's default
	}
	if h.onControllerListener(req) {
		want = 2
	}
	if asked != want {
		resp.EndpointType = r.EndpointType
		resp.ErrorCode = kerr.MismatchedEndpointType.Code
		resp.ErrorMessage = kmsg.StringPtr(fmt.Sprintf("The request was sent to an endpoint of type %s, but we wanted an endpoint of type %s",
			endpointTypeName(want), endpointTypeName(asked)))
		return resp, nil
	}
	if want == 2 {
		return h.describeControllers(req, r, resp), nil
	}
	resp.EndpointType = r.EndpointType
	resp.ClusterID = h.ClusterID
	resp.ControllerID = h.controllerID()
	resp.ClusterAuthorizedOperations = -2147483648
	if r.IncludeClusterAuthorizedOperations {
		resp.ClusterAuthorizedOperations = h.clusterOperations(req)
	}
	for _, br := range h.Metadata.Image().Brokers() {
		if br.Fenced && !r.IncludeFencedBrokers { // v2 (KIP-1073): fenced brokers only when asked
			continue
		}
		e, ok := br.Endpoint(req.Listener)
		if !ok && len(br.Endpoints) > 0 {
			e = br.Endpoints[0]
		}
		b := kmsg.NewDescribeClusterResponseBroker()
		b.NodeID, b.Host, b.Port, b.Rack, b.IsFenced = int32(br.ID), e.Host, e.Port, br.Rack, br.Fenced
		resp.Brokers = append(resp.Brokers, b)
	}
	return resp, nil
}

// describeControllers answers DescribeCluster on a CONTROLLER listener.
func (h *Handler) describeControllers(req *Request, r *kmsg.DescribeClusterRequest, resp *kmsg.DescribeClusterResponse) kmsg.Response {
	resp.EndpointType = r.EndpointType
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
	if l, ok := h.Config.ControllerListener(); ok && len(h.Config.Voters) == 0 {
		// Without controller.quorum.voters this node is the quorum, alone.
		b := kmsg.NewDescribeClusterResponseBroker()
		b.NodeID, b.Host, b.Port = int32(h.Config.NodeID), l.Host, int32(l.Port)
		if b.Host == "" {
			b.Host = "localhost"
		}
		resp.Brokers = append(resp.Brokers, b)
	}
	return resp
}

// endpointTypeName is Kafka's name of an endpoint type.
func endpointTypeName(t int8) string {
	switch t {
	case 1:
		return "BROKER"
	case 2:
		return "CONTROLLER"
	}
	return "UNKNOWN"
}
