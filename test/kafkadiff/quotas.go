package kafkadiff

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Client quotas: answers are compared in a canonical order, because Kafka
// lists entities, their parts and their values in the order of its hash
// maps.

// quotaEntity builds an entity from type, name pairs; "<default>" is the
// type's default (a null name).
func quotaEntity(pairs ...string) []kmsg.AlterClientQuotasRequestEntryEntity {
	var out []kmsg.AlterClientQuotasRequestEntryEntity
	for i := 0; i+1 < len(pairs); i += 2 {
		e := kmsg.NewAlterClientQuotasRequestEntryEntity()
		e.Type = pairs[i]
		if pairs[i+1] != "<default>" {
			e.Name = kmsg.StringPtr(pairs[i+1])
		}
		out = append(out, e)
	}
	return out
}

func quotaSet(key string, value float64) kmsg.AlterClientQuotasRequestEntryOp {
	op := kmsg.NewAlterClientQuotasRequestEntryOp()
	op.Key, op.Value = key, value
	return op
}

func quotaEntry(entity []kmsg.AlterClientQuotasRequestEntryEntity, ops ...kmsg.AlterClientQuotasRequestEntryOp) kmsg.AlterClientQuotasRequestEntry {
	e := kmsg.NewAlterClientQuotasRequestEntry()
	e.Entity, e.Ops = entity, ops
	return e
}

func alterQuotas(s *session, v int16, entries ...kmsg.AlterClientQuotasRequestEntry) []string {
	req := kmsg.NewPtrAlterClientQuotasRequest()
	req.Entries = entries
	resp := s.do(req, v).(*kmsg.AlterClientQuotasResponse)
	var out []string
	for _, e := range resp.Entries {
		var parts []string
		for _, p := range e.Entity {
			parts = append(parts, p.Type+"="+nameOrDefault(p.Name))
		}
		slices.Sort(parts)
		out = append(out, fmt.Sprintf("%s: error %d", strings.Join(parts, ","), e.ErrorCode))
	}
	slices.Sort(out)
	return out
}

func nameOrDefault(name *string) string {
	if name == nil {
		return "<default>"
	}
	return *name
}

// describeQuotas answers a DescribeClientQuotas as its error code and its
// entries, each "type=name,...: key=value ...", sorted.
func describeQuotas(s *session, v int16, strict bool, components ...kmsg.DescribeClientQuotasRequestComponent) map[string]any {
	req := kmsg.NewPtrDescribeClientQuotasRequest()
	req.Strict, req.Components = strict, components
	resp := s.do(req, v).(*kmsg.DescribeClientQuotasResponse)
	var entries []string
	for _, e := range resp.Entries {
		var parts, values []string
		for _, p := range e.Entity {
			parts = append(parts, p.Type+"="+nameOrDefault(p.Name))
		}
		for _, val := range e.Values {
			values = append(values, fmt.Sprintf("%s=%g", val.Key, val.Value))
		}
		slices.Sort(parts)
		slices.Sort(values)
		entries = append(entries, strings.Join(parts, ",")+": "+strings.Join(values, " "))
	}
	slices.Sort(entries)
	return map[string]any{"ErrorCode": resp.ErrorCode, "Entries": entries, "NullEntries": resp.Entries == nil}
}

func quotaComponent(typ string, match kmsg.QuotasMatchType, name *string) kmsg.DescribeClientQuotasRequestComponent {
	c := kmsg.NewDescribeClientQuotasRequestComponent()
	c.EntityType, c.MatchType, c.Match = typ, match, name
	return c
}

// describeQuotasUntil describes until the answer has want entries (the
// reference applies changes through its metadata log) or 5s pass.
func describeQuotasUntil(s *session, v int16, want int, c kmsg.DescribeClientQuotasRequestComponent) map[string]any {
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got := describeQuotas(s, v, false, c)
		if len(got["Entries"].([]string)) >= want || time.Now().After(deadline) {
			return got
		}
	}
}

func alterClientQuotasKey(s *session, v int16) any {
	user, client := s.name("u"), s.name("c")
	altered := alterQuotas(s, v,
		quotaEntry(quotaEntity("client-id", client), quotaSet("producer_byte_rate", 1048576), quotaSet("request_percentage", 12.5)),
		quotaEntry(quotaEntity("user", user, "client-id", "<default>"), quotaSet("consumer_byte_rate", 1.5)),
		quotaEntry(quotaEntity("user", user), quotaSet("bogus_rate", 1)),
		quotaEntry(quotaEntity("user", s.name("zero")), quotaSet("request_percentage", 0)),
		quotaEntry(quotaEntity("group", "g"), quotaSet("producer_byte_rate", 1)),
	)
	return []any{altered, describeQuotasUntil(s, s.max(48), 1, quotaComponent("client-id", kmsg.QuotasMatchTypeExact, kmsg.StringPtr(client)))}
}

func describeClientQuotasKey(s *session, v int16) any {
	user, client := s.name("u"), s.name("c")
	alterQuotas(s, s.max(49),
		quotaEntry(quotaEntity("client-id", client), quotaSet("producer_byte_rate", 1024), quotaSet("consumer_byte_rate", 2048)),
		quotaEntry(quotaEntity("user", user, "client-id", client), quotaSet("request_percentage", 50)))
	return []any{
		describeQuotasUntil(s, v, 2, quotaComponent("client-id", kmsg.QuotasMatchTypeExact, kmsg.StringPtr(client))),
		describeQuotas(s, v, true, quotaComponent("client-id", kmsg.QuotasMatchTypeExact, kmsg.StringPtr(client))),
		describeQuotas(s, v, false, quotaComponent("user", kmsg.QuotasMatchTypeExact, kmsg.StringPtr(user)), quotaComponent("client-id", kmsg.QuotasMatchTypeAny, nil)),
		describeQuotas(s, v, true, quotaComponent("user", kmsg.QuotasMatchTypeExact, kmsg.StringPtr(s.name("nobody")))),
		describeQuotas(s, v, false, quotaComponent("group", kmsg.QuotasMatchTypeAny, nil)),
		describeQuotas(s, v, false, quotaComponent("user", kmsg.QuotasMatchTypeExact, nil)),
		describeQuotas(s, v, false, quotaComponent("ip", kmsg.QuotasMatchTypeAny, nil), quotaComponent("user", kmsg.QuotasMatchTypeAny, nil)),
	}
}
