package handler

// DescribeClientQuotas: v0–1.
//
// Behaviour: lists the client quotas (KIP-546) whose entity matches every
// filter component: MATCH_TYPE_EXACT (0) the named entity, DEFAULT (1) the
// type's default, SPECIFIED (2) any entity having that type, named or
// default; with strict, only entities with no other types. No component
// lists every entity, except strict with none, which lists nothing, as
// Kafka's ClientQuotasImage does. An empty or repeated entity type, a match
// string where none belongs (or none for EXACT), an unknown match type, or
// an IP component with a user or client-id one answer INVALID_REQUEST; an
// entity type other than user, client-id and ip UNSUPPORTED_VERSION, each
// with Kafka's message. Authorization: DESCRIBE_CONFIGS on the cluster
// (CLUSTER_AUTHORIZATION_FAILED). Served from this node's metadata image.

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/metadata"
)

func init() {
	register(48, 0, 1, requires(describeConfigsOnCluster), (*Handler).describeClientQuotas)
}

func (h *Handler) describeClientQuotas(_ context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DescribeClientQuotasRequest)
	resp := r.ResponseKind().(*kmsg.DescribeClientQuotasResponse)
	if !h.allowedOnCluster(req, acl.DescribeConfigs) {
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
		return resp, nil
	}
	f, err := quotaFilterOf(r)
	if err != nil {
		resp.ErrorCode, resp.ErrorMessage = err.code.Code, kmsg.StringPtr(err.msg)
		return resp, nil
	}
	img := h.Metadata.Image()
	// Never null without an error: Java's admin client reads the entries
	// without checking.
	resp.Entries = []kmsg.DescribeClientQuotasResponseEntry{}
	for _, e := range img.QuotaEntities() {
		if f.matches(e) {
			resp.Entries = append(resp.Entries, describedQuotaEntry(e, img.ClientQuotas(e)))
		}
	}
	return resp, nil
}

// quotaFilterError is why a filter is refused: Kafka's code and message.
type quotaFilterError struct {
	code *kerr.Error
	msg  string
}

func refuseFilter(code *kerr.Error, format string, args ...any) *quotaFilterError {
	return &quotaFilterError{code: code, msg: fmt.Sprintf(format, args...)}
}

// quotaFilter is a DescribeClientQuotas filter: exact parts (a name, or
// the default) and types that must be present.
type quotaFilter struct {
	exact  map[string]metadata.QuotaName
	typed  map[string]bool
	strict bool
}

func quotaFilterOf(r *kmsg.DescribeClientQuotasRequest) (quotaFilter, *quotaFilterError) {
	f := quotaFilter{exact: map[string]metadata.QuotaName{}, typed: map[string]bool{}, strict: r.Strict}
	for _, c := range r.Components {
		typ := c.EntityType
		_, exact := f.exact[typ]
		switch {
		case typ == "":
			return f, refuseFilter(kerr.InvalidRequest, "Invalid empty entity type.")
		case exact || f.typed[typ]:
			return f, refuseFilter(kerr.InvalidRequest, "Entity type %s cannot appear more than once in the filter.", typ)
		case typ != metadata.QuotaUser && typ != metadata.QuotaClientID && typ != metadata.QuotaIP:
			return f, refuseFilter(kerr.UnsupportedVersion, "Unsupported entity type %s", typ)
		}
		switch c.MatchType {
		case kmsg.QuotasMatchTypeExact:
			if c.Match == nil {
				return f, refuseFilter(kerr.InvalidRequest, "Request specified MATCH_TYPE_EXACT, but set match string to null.")
			}
			f.exact[typ] = metadata.Named(*c.Match)
		case kmsg.QuotasMatchTypeDefault:
			if c.Match != nil {
				return f, refuseFilter(kerr.InvalidRequest, "Request specified MATCH_TYPE_DEFAULT, but also specified a match string.")
			}
			f.exact[typ] = metadata.DefaultName()
		case kmsg.QuotasMatchTypeAny:
			if c.Match != nil {
				return f, refuseFilter(kerr.InvalidRequest, "Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.")
			}
			f.typed[typ] = true
		default:
			return f, refuseFilter(kerr.InvalidRequest, "Unknown match type %d", int8(c.MatchType))
		}
	}
	if f.has(metadata.QuotaIP) && (f.has(metadata.QuotaUser) || f.has(metadata.QuotaClientID)) {
		return f, refuseFilter(kerr.InvalidRequest, "Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.")
	}
	return f, nil
}

func (f quotaFilter) has(typ string) bool {
	_, exact := f.exact[typ]
	return exact || f.typed[typ]
}

func (f quotaFilter) matches(e metadata.QuotaEntity) bool {
	components := len(f.exact) + len(f.typed)
	if f.strict && e.Parts() != components {
		return false
	}
	for typ, want := range f.exact {
		if got, _ := e.Part(typ); got != want {
			return false
		}
	}
	for typ := range f.typed {
		if got, _ := e.Part(typ); !got.Set {
			return false
		}
	}
	return true
}

// describedQuotaEntry is one entity and its quotas as the response has them.
func describedQuotaEntry(e metadata.QuotaEntity, quotas map[string]float64) kmsg.DescribeClientQuotasResponseEntry {
	entry := kmsg.NewDescribeClientQuotasResponseEntry()
	for _, typ := range []string{metadata.QuotaUser, metadata.QuotaClientID, metadata.QuotaIP} {
		p, _ := e.Part(typ)
		if !p.Set {
			continue
		}
		part := kmsg.NewDescribeClientQuotasResponseEntryEntity()
		part.Type = typ
		if !p.Default {
			part.Name = kmsg.StringPtr(p.Name)
		}
		entry.Entity = append(entry.Entity, part)
	}
	for _, k := range slices.Sorted(maps.Keys(quotas)) {
		v := kmsg.NewDescribeClientQuotasResponseEntryValue()
		v.Key, v.Value = k, quotas[k]
		entry.Values = append(entry.Values, v)
	}
	return entry
}
