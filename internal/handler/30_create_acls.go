package handler

// CreateAcls: v1–3.
//
// Behaviour: each creation is stored as a metadata record through the
// controller, on its own: an invalid one (a pattern type other than
// LITERAL or PREFIXED, an ANY or UNKNOWN field, an empty name, a
// principal not written type:name) answers INVALID_REQUEST; one already
// stored succeeds without a second copy. Needs ALTER on the cluster
// (CLUSTER_AUTHORIZATION_FAILED for every creation). Without an
// authorizer every creation answers SECURITY_DISABLED, as Kafka.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/controller"
)

func init() { register(30, 1, 3, requires(alterOnCluster), (*Handler).createACLs) }

func (h *Handler) createACLs(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.CreateACLsRequest)
	resp := r.ResponseKind().(*kmsg.CreateACLsResponse)
	errs := h.submitACLCreations(ctx, req, r.Creations)
	for _, err := range errs {
		res := kmsg.NewCreateACLsResponseResult()
		res.ErrorCode, res.ErrorMessage = errorCode(err), errorMessage(err)
		if errorCode(err) == kerr.SecurityDisabled.Code {
			res.ErrorMessage = errSecurityDisabled()
		}
		resp.Results = append(resp.Results, res)
	}
	return resp, nil
}

// submitACLCreations stores the creations and returns the error of each.
func (h *Handler) submitACLCreations(ctx context.Context, req *Request, creations []kmsg.CreateACLsRequestCreation) []error {
	switch {
	case h.Authorizer == nil:
		return everyItem(kerr.SecurityDisabled, len(creations))
	case !h.allowedOnCluster(req, acl.Alter):
		return everyItem(kerr.ClusterAuthorizationFailed, len(creations))
	case len(creations) == 0:
		return nil
	}
	creq := controller.CreateACLsRequest{}
	for _, c := range creations {
		creq.Bindings = append(creq.Bindings, aclBinding(c))
	}
	out, err := submit[controller.CreateACLsResponse](ctx, h.Controller, creq)
	if err != nil {
		return everyItem(err, len(creations))
	}
	return out.Errs
}
