package handler

// UnregisterBroker: v0.
//
// Behaviour: the active controller removes the broker's registration, as
// kafka-cluster.sh unregister asks of a broker taken out of the cluster:
// it leaves every leadership and ISR (the last member of an ISR stays, as
// fencing leaves it) and is no longer listed. A broker still running
// registers again at its next heartbeat. An unknown broker id answers
// BROKER_ID_NOT_REGISTERED. Served on the CONTROLLER listener too
// (--bootstrap-controller). Authorization: ALTER on the cluster
// (CLUSTER_AUTHORIZATION_FAILED). The error message is Kafka 4.2's.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/controller"
	"gregor/internal/kafka"
)

func init() { register(64, 0, 0, requires(alterOnCluster), (*Handler).unregisterBroker) }

func (h *Handler) unregisterBroker(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.UnregisterBrokerRequest)
	resp := r.ResponseKind().(*kmsg.UnregisterBrokerResponse)
	if !h.allowedOnCluster(req, acl.Alter) {
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
		return resp, nil
	}
	_, err := submit[controller.UnregisterBrokerResponse](ctx, h.Controller, controller.UnregisterBrokerRequest{ID: kafka.NodeID(r.BrokerID)})
	resp.ErrorCode, resp.ErrorMessage = errorCode(err), errorMessage(err)
	return resp, nil
}
