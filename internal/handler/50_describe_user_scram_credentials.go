package handler

// DescribeUserScramCredentials: v0.
//
// Behaviour: lists the SCRAM credentials of the users asked for, or of
// every user with one when none is named (a null or an empty list):
// mechanism and iterations, never the salt or keys. One result per user:
// a user without credentials answers RESOURCE_NOT_FOUND, a user named
// twice DUPLICATE_RESOURCE, as in Kafka.

import (
	"context"
	"maps"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/metadata"
)

func init() {
	register(50, 0, 0, requires(describeOnCluster), (*Handler).describeUserScramCredentials)
}

func (h *Handler) describeUserScramCredentials(_ context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DescribeUserSCRAMCredentialsRequest)
	resp := r.ResponseKind().(*kmsg.DescribeUserSCRAMCredentialsResponse)
	if !h.allowedOnCluster(req, acl.Describe) {
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
		return resp, nil
	}
	byUser := scramCredentialsByUser(h.Metadata.Image())
	users := slices.Sorted(maps.Keys(byUser))
	seen := map[string]int{}
	if len(r.Users) > 0 {
		users = nil
		for _, u := range r.Users {
			if seen[u.Name]++; seen[u.Name] == 1 {
				users = append(users, u.Name)
			}
		}
	}
	for _, u := range users {
		res := kmsg.NewDescribeUserSCRAMCredentialsResponseResult()
		res.User = u
		switch {
		case seen[u] > 1:
			res.ErrorCode, res.ErrorMessage = kerr.DuplicateResource.Code, kmsg.StringPtr("Cannot describe SCRAM credentials for the same user twice in a single request: "+u)
		case len(byUser[u]) == 0:
			res.ErrorCode, res.ErrorMessage = kerr.ResourceNotFound.Code, kmsg.StringPtr("Attempt to describe a user credential that does not exist: "+u)
		default:
			res.CredentialInfos = byUser[u]
		}
		resp.Results = append(resp.Results, res)
	}
	return resp, nil
}

// scramCredentialsByUser lists the credentials of img by user.
func scramCredentialsByUser(img *metadata.Image) map[string][]kmsg.DescribeUserSCRAMCredentialsResponseResultCredentialInfo {
	out := map[string][]kmsg.DescribeUserSCRAMCredentialsResponseResultCredentialInfo{}
	for _, k := range img.ScramCredentials() {
		c, _ := img.ScramCredential(k.User, k.Mechanism)
		info := kmsg.NewDescribeUserSCRAMCredentialsResponseResultCredentialInfo()
		info.Mechanism, info.Iterations = scramMechanismCode(k.Mechanism), c.Iterations
		out[k.User] = append(out[k.User], info)
	}
	return out
}

// scramMechanismCode and scramMechanismName translate Kafka's ScramMechanism codes.
func scramMechanismCode(name string) int8 {
	switch name {
	case "SCRAM-SHA-256":
		return 1
	case "SCRAM-SHA-512":
		return 2
	}
	return 0
}

func scramMechanismName(code int8) string {
	switch code {
	case 1:
		return "SCRAM-SHA-256"
	case 2:
		return "SCRAM-SHA-512"
	}
	return "UNKNOWN"
}
