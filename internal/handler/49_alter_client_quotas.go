package handler

// AlterClientQuotas: v0–1.
//
// Behaviour: sets and removes client quotas (KIP-546) through the
// controller, which writes them to the metadata log so that every node
// enforces them and they survive restarts. Each entry names an entity
// (user, client-id, both, or ip; a null name is the type's default) and
// its ops; each is applied or refused whole, with INVALID_REQUEST and
// Kafka's message for an unknown entity type or key, an empty name, a
// fractional byte rate, a key or an entity named twice (controller,
// quotas.go). validate_only checks without writing. Authorization:
// ALTER_CONFIGS on the cluster, else every entry answers
// CLUSTER_AUTHORIZATION_FAILED. One result per entry, in request order.
// Differences from Kafka: an entity named by two entries answers two
// results (the second refused), where Kafka answers one per entity; an IP
// entity must be an address literal (Kafka also resolves host names).

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/controller"
)

func init() {
	register(49, 0, 1, requires(alterConfigsOnCluster), (*Handler).alterClientQuotas)
}

func (h *Handler) alterClientQuotas(ctx context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.AlterClientQuotasRequest)
	resp := r.ResponseKind().(*kmsg.AlterClientQuotasResponse)
	creq := controller.AlterClientQuotasRequest{ValidateOnly: r.ValidateOnly}
	for _, e := range r.Entries {
		creq.Alterations = append(creq.Alterations, quotaAlteration(e))
	}
	var errs []error
	if !h.allowedOnCluster(req, acl.AlterConfigs) {
		errs = everyItem(kerr.ClusterAuthorizationFailed, len(r.Entries))
	} else if len(r.Entries) > 0 {
		out, err := submit[controller.AlterClientQuotasResponse](ctx, h.Controller, creq)
		errs = out.Errs
		if err != nil {
			errs = everyItem(err, len(r.Entries))
		}
	}
	for i, e := range r.Entries {
		entry := kmsg.NewAlterClientQuotasResponseEntry()
		for _, part := range e.Entity {
			p := kmsg.NewAlterClientQuotasResponseEntryEntity()
			p.Type, p.Name = part.Type, part.Name
			entry.Entity = append(entry.Entity, p)
		}
		entry.ErrorCode, entry.ErrorMessage = errorCode(errs[i]), errorMessage(errs[i])
		resp.Entries = append(resp.Entries, entry)
	}
	return resp, nil
}

// quotaAlteration is one entry of the request as the controller takes it.
func quotaAlteration(e kmsg.AlterClientQuotasRequestEntry) controller.ClientQuotaAlteration {
	var a controller.ClientQuotaAlteration
	for _, part := range e.Entity {
		a.Entity = append(a.Entity, controller.QuotaEntityPart{Type: part.Type, Name: part.Name})
	}
	for _, op := range e.Ops {
		o := controller.QuotaOp{Key: op.Key}
		if !op.Remove {
			v := op.Value
			o.Value = &v
		}
		a.Ops = append(a.Ops, o)
	}
	return a
}
