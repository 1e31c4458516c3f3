package handler

// UpdateFeatures: v0–2.
//
// Behaviour: changes finalized feature levels (KIP-584) through the
// controller, which writes them to the metadata log, so every node
// answers them in ApiVersions. Only transaction.version (0–2) can change;
// the other features Gregor serves run at one level, and an update to
// another level, an unknown feature, a level outside the supported range,
// a downgrade with upgrade type UPGRADE or an upgrade with a downgrade
// type answer INVALID_UPDATE_VERSION with a message; of a feature named
// twice the last update counts, as in Kafka. The request is applied whole
// or not at all, as Kafka's controller does. validate_only (v1+) checks
// without writing. v0's allow_downgrade is a safe downgrade.
// Authorization: ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED). The
// top-level error answers; before v2 a success lists each feature's
// result, an error none (as Kafka 4.2 answers).
// Differences from Kafka: none known for transaction.version.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/controller"
)

func init() { register(57, 0, 2, requires(alterOnCluster), (*Handler).updateFeatures) }

func (h *Handler) updateFeatures(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.UpdateFeaturesRequest)
	resp := r.ResponseKind().(*kmsg.UpdateFeaturesResponse)
	var err error
	if !h.allowedOnCluster(req, acl.Alter) {
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
	} else {
		_, err = submit[controller.UpdateFeaturesResponse](ctx, h.Controller, featureUpdates(r))
		resp.ErrorCode, resp.ErrorMessage = errorCode(err), errorMessage(err)
	}
	if r.Version < 2 && resp.ErrorCode == 0 {
		for _, u := range r.FeatureUpdates {
			res := kmsg.NewUpdateFeaturesResponseResult()
			res.Feature, res.ErrorCode, res.ErrorMessage = u.Feature, resp.ErrorCode, resp.ErrorMessage
			resp.Results = append(resp.Results, res)
		}
	}
	return resp, nil
}

// featureUpdates is the request as the controller takes it.
func featureUpdates(r *kmsg.UpdateFeaturesRequest) controller.UpdateFeaturesRequest {
	out := controller.UpdateFeaturesRequest{ValidateOnly: r.ValidateOnly}
	for _, u := range r.FeatureUpdates {
		t := controller.UpgradeType(u.UpgradeType)
		if r.Version == 0 {
			t = controller.Upgrade
			if u.AllowDowngrade {
				t = controller.SafeDowngrade
			}
		}
		out.Updates = append(out.Updates, controller.FeatureUpdate{Name: u.Feature, Level: max(u.MaxVersionLevel, 0), Type: t})
	}
	return out
}
