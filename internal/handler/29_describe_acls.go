package handler

// DescribeAcls: v1–3.
//
// Behaviour: the stored ACLs the filter selects (Kafka's filter semantics:
// ANY and MATCH pattern types, null strings matching anything), grouped by
// resource pattern in the order of the stored patterns. Needs DESCRIBE on
// the cluster (CLUSTER_AUTHORIZATION_FAILED). Without an authorizer
// (authorizer.class.name unset) it answers SECURITY_DISABLED, as Kafka; a
// filter with an UNKNOWN field answers INVALID_REQUEST.

import (
	"context"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/metadata"
)

func init() { register(29, 1, 3, requires(describeOnCluster), (*Handler).describeACLs) }

func (h *Handler) describeACLs(_ context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DescribeACLsRequest)
	resp := r.ResponseKind().(*kmsg.DescribeACLsResponse)
	f := aclFilter(r.ResourceType, r.ResourceName, r.ResourcePatternType, r.Principal, r.Host, r.Operation, r.PermissionType)
	switch {
	case h.Authorizer == nil:
		resp.ErrorCode, resp.ErrorMessage = kerr.SecurityDisabled.Code, errSecurityDisabled()
	case !h.allowedOnCluster(req, acl.Describe):
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
	case f.Validate() != nil:
		resp.ErrorCode, resp.ErrorMessage = kerr.InvalidRequest.Code, errorMessage(f.Validate())
	default:
		resp.Resources = describedACLs(h.Metadata.Image().ACLs(), f)
	}
	return resp, nil
}

// describedACLs groups the ACLs f selects by resource pattern.
func describedACLs(stored []metadata.ACL, f acl.Filter) []kmsg.DescribeACLsResponseResource {
	var out []kmsg.DescribeACLsResponseResource
	var patterns []acl.Pattern
	for _, a := range stored {
		b := a.Binding
		if !f.Matches(b) {
			continue
		}
		i := slices.Index(patterns, b.Pattern)
		if i < 0 {
			res := kmsg.NewDescribeACLsResponseResource()
			res.ResourceType, res.ResourceName = kmsg.ACLResourceType(b.Pattern.Type), b.Pattern.Name
			res.ResourcePatternType = kmsg.ACLResourcePatternType(b.Pattern.PatternType)
			out, patterns, i = append(out, res), append(patterns, b.Pattern), len(out)
		}
		e := kmsg.NewDescribeACLsResponseResourceACL()
		e.Principal, e.Host = b.Entry.Principal, b.Entry.Host
		e.Operation, e.PermissionType = kmsg.ACLOperation(b.Entry.Operation), kmsg.ACLPermissionType(b.Entry.Permission)
		out[i].ACLs = append(out[i].ACLs, e)
	}
	return out
}
