package handler

// AlterUserScramCredentials: v0.
//
// Behaviour: sets and deletes users' SCRAM credentials. The client sends
// a salt and the salted password; the broker keeps only RFC 5802's
// StoredKey and ServerKey, written to the metadata log through the
// controller so that every node authenticates with them. One result per
// user, the first failure of its changes, the deletions looked at before
// the upsertions as in Kafka: an unknown mechanism
// (UNSUPPORTED_SASL_MECHANISM), iterations outside 4096..16384 or an
// empty name (UNACCEPTABLE_CREDENTIAL), deleting what does not exist
// (RESOURCE_NOT_FOUND), a user changed twice (DUPLICATE_RESOURCE).

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/auth"
	"gregor/internal/controller"
	"gregor/internal/metadata"
)

func init() {
	register(51, 0, 0, requires(alterOnCluster), (*Handler).alterUserScramCredentials)
}

func (h *Handler) alterUserScramCredentials(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.AlterUserSCRAMCredentialsRequest)
	resp := r.ResponseKind().(*kmsg.AlterUserSCRAMCredentialsResponse)
	creq, users := scramAlteration(r)
	var out controller.AlterScramCredentialsResponse
	err := error(kerr.ClusterAuthorizationFailed)
	if h.allowedOnCluster(req, acl.Alter) {
		out, err = submit[controller.AlterScramCredentialsResponse](ctx, h.Controller, creq)
	}
	errs := out.Errs
	if err != nil {
		errs = everyItem(err, len(users))
	}
	first := map[string]error{}
	var order []string
	for i, u := range users {
		if _, seen := first[u]; !seen {
			order = append(order, u)
			first[u] = errs[i]
		} else if first[u] == nil {
			first[u] = errs[i]
		}
	}
	for _, u := range order {
		res := kmsg.NewAlterUserSCRAMCredentialsResponseResult()
		res.User, res.ErrorCode = u, errorCode(first[u])
		if first[u] != nil {
			res.ErrorMessage = kmsg.StringPtr(first[u].Error())
		}
		resp.Results = append(resp.Results, res)
	}
	return resp, nil
}

// scramAlteration turns the request into the controller's, deriving the
// stored keys from the salted passwords, and returns the user of each
// item in the controller's order: upsertions, then deletions.
func scramAlteration(r *kmsg.AlterUserSCRAMCredentialsRequest) (controller.AlterScramCredentialsRequest, []string) {
	var creq controller.AlterScramCredentialsRequest
	var users []string
	for _, u := range r.Upsertions {
		rec := metadata.ScramCredentialRecord{User: u.Name, Mechanism: scramMechanismName(u.Mechanism)}
		if cred, err := auth.ScramCredentialFromSaltedPassword(rec.Mechanism, u.Salt, u.SaltedPassword, u.Iterations); err == nil {
			rec.Credential = &cred
		}
		creq.Upsertions = append(creq.Upsertions, rec)
		users = append(users, u.Name)
	}
	for _, d := range r.Deletions {
		creq.Deletions = append(creq.Deletions, metadata.ScramKey{User: d.Name, Mechanism: scramMechanismName(d.Mechanism)})
		users = append(users, d.Name)
	}
	return creq, users
}
