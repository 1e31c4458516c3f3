package handler

// DeleteAcls: v1–3.
//
// Behaviour: every stored ACL that a filter selects (Kafka's filter
// semantics, as DescribeAcls) is removed by a metadata record through the
// controller; each filter answers the ACLs it removed, an ACL selected by
// two filters being answered by the first. A filter with an UNKNOWN field
// answers INVALID_REQUEST and removes nothing. Needs ALTER on the cluster
// (CLUSTER_AUTHORIZATION_FAILED for every filter). Without an authorizer
// every filter answers SECURITY_DISABLED, as Kafka.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/controller"
)

func init() { register(31, 1, 3, requires(alterOnCluster), (*Handler).deleteACLs) }

func (h *Handler) deleteACLs(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DeleteACLsRequest)
	resp := r.ResponseKind().(*kmsg.DeleteACLsResponse)
	for _, d := range h.submitACLDeletions(ctx, req, r.Filters) {
		res := kmsg.NewDeleteACLsResponseResult()
		res.ErrorCode, res.ErrorMessage = errorCode(d.Err), errorMessage(d.Err)
		if res.ErrorCode == kerr.SecurityDisabled.Code {
			res.ErrorMessage = errSecurityDisabled()
		}
		for _, b := range d.Bindings {
			m := kmsg.NewDeleteACLsResponseResultMatchingACL()
			m.ResourceType, m.ResourceName = kmsg.ACLResourceType(b.Pattern.Type), b.Pattern.Name
			m.ResourcePatternType = kmsg.ACLResourcePatternType(b.Pattern.PatternType)
			m.Principal, m.Host = b.Entry.Principal, b.Entry.Host
			m.Operation, m.PermissionType = kmsg.ACLOperation(b.Entry.Operation), kmsg.ACLPermissionType(b.Entry.Permission)
			res.MatchingACLs = append(res.MatchingACLs, m)
		}
		resp.Results = append(resp.Results, res)
	}
	return resp, nil
}

// submitACLDeletions removes what the filters select and returns what each removed.
func (h *Handler) submitACLDeletions(ctx context.Context, req *Request, filters []kmsg.DeleteACLsRequestFilter) []controller.DeletedACLs {
	fail := func(err error) []controller.DeletedACLs {
		out := make([]controller.DeletedACLs, len(filters))
		for i := range out {
			out[i].Err = err
		}
		return out
	}
	switch {
	case h.Authorizer == nil:
		return fail(kerr.SecurityDisabled)
	case !h.allowedOnCluster(req, acl.Alter):
		return fail(kerr.ClusterAuthorizationFailed)
	case len(filters) == 0:
		return nil
	}
	creq := controller.DeleteACLsRequest{}
	for _, f := range filters {
		creq.Filters = append(creq.Filters, aclFilter(f.ResourceType, f.ResourceName, f.ResourcePatternType, f.Principal, f.Host, f.Operation, f.PermissionType))
	}
	out, err := submit[controller.DeleteACLsResponse](ctx, h.Controller, creq)
	if err != nil {
		return fail(err)
	}
	return out.Results
}
