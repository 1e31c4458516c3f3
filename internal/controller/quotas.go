package controller

import (
	"math"
	"net"

	"gregor/internal/metadata"
)

// Client quotas (AlterClientQuotas, KIP-546): each alteration names one
// entity and sets or removes some of its quota keys; it is applied or
// refused whole, on its own. Refusals are INVALID_REQUEST with Kafka's
// messages, as its ClientQuotaControlManager words them.

// QuotaEntityPart is one (type, name) pair of an entity as a client sent
// it; a nil name is the default of the type.
type QuotaEntityPart struct {
	Type string
	Name *string
}

// QuotaOp sets Key to Value, or removes it when Value is nil.
type QuotaOp struct {
	Key   string
	Value *float64
}

// ClientQuotaAlteration is one entity's changes.
type ClientQuotaAlteration struct {
	Entity []QuotaEntityPart
	Ops    []QuotaOp
}

// AlterClientQuotasRequest applies each alteration, or with ValidateOnly
// only checks them.
type AlterClientQuotasRequest struct {
	Alterations  []ClientQuotaAlteration
	ValidateOnly bool
}

// AlterClientQuotasResponse has one error per alteration, in request order.
type AlterClientQuotasResponse struct{ Errs []error }

func (AlterClientQuotasRequest) isRequest()   {}
func (AlterClientQuotasResponse) isResponse() {}

// quotaKeyType is how a quota key's value must look (Kafka's ConfigDef
// type of the key).
type quotaKeyType int

const (
	quotaDouble quotaKeyType = iota
	quotaLong                // a whole number
	quotaInt                 // a whole number up to 2^31-1
)

// Quota keys (Kafka's QuotaConfig), by the entities that may carry them.
var (
	clientQuotaKeys = map[string]quotaKeyType{
		"producer_byte_rate":       quotaLong,
		"consumer_byte_rate":       quotaLong,
		"request_percentage":       quotaDouble,
		"controller_mutation_rate": quotaDouble,
	}
	ipQuotaKeys = map[string]quotaKeyType{"connection_creation_rate": quotaInt}
)

// alterClientQuotas checks each alteration against img and returns the
// records of those that pass (none when validating only). A second
// alteration of an entity already altered in the request is refused, as
// Kafka refuses it.
func alterClientQuotas(img *metadata.Image, req AlterClientQuotasRequest) ([]metadata.Record, AlterClientQuotasResponse) {
	var recs []metadata.Record
	resp := AlterClientQuotasResponse{Errs: make([]error, len(req.Alterations))}
	seen := map[metadata.QuotaEntity]bool{}
	for i, a := range req.Alterations {
		entity, keys, err := quotaEntity(a.Entity)
		if err == nil && seen[entity] {
			err = kafkaErrorf(ErrInvalidRequest, "Ignoring duplicate entity %s", entity)
		}
		if err == nil {
			seen[entity] = true
			var more []metadata.Record
			more, err = alterQuotaEntity(img, entity, keys, a.Ops)
			if err == nil && !req.ValidateOnly {
				recs = append(recs, more...)
			}
		}
		resp.Errs[i] = err
	}
	return recs, resp
}

// quotaEntity checks an entity's parts and returns it with the keys its
// combination of types may carry.
func quotaEntity(parts []QuotaEntityPart) (metadata.QuotaEntity, map[string]quotaKeyType, error) {
	var e metadata.QuotaEntity
	if len(parts) == 0 {
		return e, nil, kafkaErrorf(ErrInvalidRequest, "Invalid empty client quota entity")
	}
	for _, p := range parts {
		slot := entityPart(&e, p.Type)
		switch {
		case slot == nil:
			return e, nil, kafkaErrorf(ErrInvalidRequest, "Unhandled client quota entity type: %s", p.Type)
		case slot.Set:
			return e, nil, kafkaErrorf(ErrInvalidRequest, "Invalid client quota entity, duplicate entity entry %s", p.Type)
		case p.Name == nil:
			*slot = metadata.DefaultName()
		case *p.Name == "":
			return e, nil, kafkaErrorf(ErrInvalidRequest, "Empty %s not supported", p.Type)
		default:
			*slot = metadata.Named(*p.Name)
		}
	}
	switch {
	case e.IP.Set && (e.User.Set || e.ClientID.Set):
		// sic: Kafka's message lacks the space
		return e, nil, kafkaErrorf(ErrInvalidRequest, "Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId")
	case e.IP.Set && !e.IP.Default && net.ParseIP(e.IP.Name) == nil:
		return e, nil, kafkaErrorf(ErrInvalidRequest, "%s is not a valid IP or resolvable host.", e.IP.Name)
	case e.IP.Set:
		return e, ipQuotaKeys, nil
	}
	return e, clientQuotaKeys, nil
}

func entityPart(e *metadata.QuotaEntity, typ string) *metadata.QuotaName {
	switch typ {
	case metadata.QuotaUser:
		return &e.User
	case metadata.QuotaClientID:
		return &e.ClientID
	case metadata.QuotaIP:
		return &e.IP
	}
	return nil
}

// alterQuotaEntity returns the records of ops on entity: one per key whose
// value changes. A key named twice, an unknown key or a value of the wrong
// kind refuses the whole alteration.
func alterQuotaEntity(img *metadata.Image, entity metadata.QuotaEntity, keys map[string]quotaKeyType, ops []QuotaOp) ([]metadata.Record, error) {
	named := map[string]bool{}
	for _, op := range ops {
		if named[op.Key] {
			return nil, kafkaErrorf(ErrInvalidRequest, "Duplicate quota key %s not updating quota for this entity %s", op.Key, entity)
		}
		named[op.Key] = true
	}
	var recs []metadata.Record
	for _, op := range ops {
		current, has := img.ClientQuota(entity, op.Key)
		if op.Value == nil {
			if has {
				recs = append(recs, quotaRecord(entity, op.Key, nil))
			}
			continue
		}
		if err := checkQuotaValue(keys, op.Key, *op.Value); err != nil {
			return nil, err
		}
		if !has || current != *op.Value {
			v := *op.Value
			recs = append(recs, quotaRecord(entity, op.Key, &v))
		}
	}
	return recs, nil
}

// checkQuotaValue checks value against key's type, with the checks and
// messages of Kafka's ClientQuotaControlManager.
func checkQuotaValue(keys map[string]quotaKeyType, key string, value float64) error {
	typ, ok := keys[key]
	switch {
	case !ok:
		return kafkaErrorf(ErrInvalidRequest, "Invalid configuration key %s", key)
	case !(value > 0) || math.IsInf(value, 0): // NaN fails too
		return kafkaErrorf(ErrInvalidRequest, "Quota %s must be greater than 0", key)
	case typ == quotaDouble:
		return nil
	case typ == quotaInt && value > math.MaxInt32:
		return kafkaErrorf(ErrInvalidRequest, "Proposed value for %s is too large for an INT.", key)
	case typ == quotaLong && value > math.MaxInt64:
		return kafkaErrorf(ErrInvalidRequest, "Proposed value for %s is too large for a LONG.", key)
	case math.Mod(value, 1) > 1e-6:
		return kafkaErrorf(ErrInvalidRequest, "%s cannot be a fractional value.", key)
	}
	return nil
}

func quotaRecord(e metadata.QuotaEntity, key string, value *float64) metadata.Record {
	return metadata.Record{Type: metadata.TypeClientQuota, ClientQuota: &metadata.ClientQuotaRecord{Entity: e, Key: key, Value: value}}
}
