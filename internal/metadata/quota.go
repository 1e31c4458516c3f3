package metadata

import (
	"maps"
	"slices"
	"strings"
)

// TypeClientQuota sets (Value non-nil) or removes one quota of one client
// quota entity (Kafka's ClientQuotaRecord).
const TypeClientQuota RecordType = "client_quota"

// Quota entity types, as Kafka names them on the wire.
const (
	QuotaUser     = "user"
	QuotaClientID = "client-id"
	QuotaIP       = "ip"
)

// QuotaName is one part of a quota entity: absent, a name, or the default
// of its type (Kafka's null name, `<default>` to kafka-configs.sh).
type QuotaName struct {
	Set     bool   `json:"set,omitempty"`     // the entity has this part
	Default bool   `json:"default,omitempty"` // the part is its type's default
	Name    string `json:"name,omitempty"`    // empty when Default
}

// Named is the part naming name.
func Named(name string) QuotaName { return QuotaName{Set: true, Name: name} }

// DefaultName is the default part.
func DefaultName() QuotaName { return QuotaName{Set: true, Default: true} }

// QuotaEntity is what a quota applies to: a user, a client id, both, or an
// IP address, each either named or the default. It is comparable, so it
// keys maps.
type QuotaEntity struct {
	User     QuotaName `json:"user"`
	ClientID QuotaName `json:"client_id"`
	IP       QuotaName `json:"ip"`
}

// Part returns the part of e of entity type typ.
func (e QuotaEntity) Part(typ string) (QuotaName, bool) {
	switch typ {
	case QuotaUser:
		return e.User, true
	case QuotaClientID:
		return e.ClientID, true
	case QuotaIP:
		return e.IP, true
	}
	return QuotaName{}, false
}

// Parts returns the number of parts e has.
func (e QuotaEntity) Parts() int {
	n := 0
	for _, p := range []QuotaName{e.User, e.ClientID, e.IP} {
		if p.Set {
			n++
		}
	}
	return n
}

// String renders e as Kafka's ClientQuotaEntity does in messages.
func (e QuotaEntity) String() string {
	var parts []string
	for _, t := range []string{QuotaUser, QuotaClientID, QuotaIP} {
		p, _ := e.Part(t)
		switch {
		case !p.Set:
		case p.Default:
			parts = append(parts, t+"=null")
		default:
			parts = append(parts, t+"="+p.Name)
		}
	}
	return "ClientQuotaEntity(entries={" + strings.Join(parts, ", ") + "})"
}

// ClientQuotaRecord sets or removes the quota Key of Entity.
type ClientQuotaRecord struct {
	Entity QuotaEntity `json:"entity"`
	Key    string      `json:"key"`
	Value  *float64    `json:"value,omitempty"` // nil removes
}

// ClientQuotas returns the quotas set on e (nil if none). The map must not
// be modified.
func (img *Image) ClientQuotas(e QuotaEntity) map[string]float64 { return img.quotas[e] }

// ClientQuota returns the value of quota key on e.
func (img *Image) ClientQuota(e QuotaEntity, key string) (float64, bool) {
	v, ok := img.quotas[e][key]
	return v, ok
}

// HasClientQuotas reports whether any client quota is set.
func (img *Image) HasClientQuotas() bool { return len(img.quotas) > 0 }

// QuotaEntities returns every entity with a quota, in a stable order.
func (img *Image) QuotaEntities() []QuotaEntity {
	return slices.SortedFunc(maps.Keys(img.quotas), func(a, b QuotaEntity) int {
		return cmpString(a.String(), b.String())
	})
}

func (img *Image) applyClientQuota(r ClientQuotaRecord) {
	q := maps.Clone(img.quotas[r.Entity])
	if q == nil {
		q = map[string]float64{}
	}
	if r.Value == nil {
		delete(q, r.Key)
	} else {
		q[r.Key] = *r.Value
	}
	if img.quotas == nil {
		img.quotas = map[QuotaEntity]map[string]float64{}
	}
	if len(q) == 0 {
		delete(img.quotas, r.Entity)
		return
	}
	img.quotas[r.Entity] = q
}

// quotaRecords are the records that set every quota of quotas.
func quotaRecords(img *Image) []Record {
	var out []Record
	for _, e := range img.QuotaEntities() {
		for _, k := range slices.Sorted(maps.Keys(img.quotas[e])) {
			v := img.quotas[e][k]
			out = append(out, Record{Type: TypeClientQuota, ClientQuota: &ClientQuotaRecord{Entity: e, Key: k, Value: &v}})
		}
	}
	return out
}
