package metrics

import (
	"reflect"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// eachErrorCode calls fn with every error code in resp: the top-level
// one and each topic's, partition's or member's, as Kafka's
// AbstractResponse.errorCounts. Produce and Fetch, the hot APIs, are
// walked directly; the rest by reflection over fields named ErrorCode.
func eachErrorCode(resp kmsg.Response, fn func(int16)) {
	switch r := resp.(type) {
	case *kmsg.ProduceResponse:
		for i := range r.Topics {
			for j := range r.Topics[i].Partitions {
				fn(r.Topics[i].Partitions[j].ErrorCode)
			}
		}
	case *kmsg.FetchResponse:
		fn(r.ErrorCode)
		for i := range r.Topics {
			for j := range r.Topics[i].Partitions {
				fn(r.Topics[i].Partitions[j].ErrorCode)
			}
		}
	default:
		walkErrorCodes(reflect.ValueOf(resp), fn)
	}
}

var int16Type = reflect.TypeFor[int16]()

// walkErrorCodes calls fn with each ErrorCode of the struct v points to
// and of the structs below it, by the plan of v's type: where its error
// codes are and which fields lead to more. A type's plan is made once, so
// a response costs one visit per field that holds or leads to an error
// code, not a reflective look at every field (an ApiVersions answer's
// sixty keys, say, hold none).
func walkErrorCodes(v reflect.Value, fn func(int16)) {
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return
	}
	if p := planOf(v.Elem().Type()); p != nil {
		p.walk(v.Elem(), fn)
	}
}

// errorPlan is where a struct type's error codes are: fields named
// ErrorCode of type int16, and exported fields (structs, pointers to
// structs, slices of structs) whose type has a plan of its own.
type errorPlan struct {
	codes []int
	below []planField
}

type planField struct {
	index int
	kind  reflect.Kind // Struct, Pointer or Slice
	plan  *errorPlan
}

func (p *errorPlan) walk(v reflect.Value, fn func(int16)) {
	for _, i := range p.codes {
		fn(int16(v.Field(i).Int()))
	}
	for _, f := range p.below {
		fv := v.Field(f.index)
		switch f.kind {
		case reflect.Struct:
			f.plan.walk(fv, fn)
		case reflect.Pointer:
			if !fv.IsNil() {
				f.plan.walk(fv.Elem(), fn)
			}
		case reflect.Slice:
			for i := range fv.Len() {
				f.plan.walk(fv.Index(i), fn)
			}
		}
	}
}

var plans struct {
	made sync.Map // reflect.Type → *errorPlan, read without a lock
	sync.Mutex
	byType map[reflect.Type]*errorPlan // nil: the type holds no error code
}

// planOf returns the plan of struct type t, nil when nothing in it is an
// error code.
func planOf(t reflect.Type) *errorPlan {
	if p, ok := plans.made.Load(t); ok {
		return p.(*errorPlan)
	}
	plans.Lock()
	defer plans.Unlock()
	if plans.byType == nil {
		plans.byType = map[reflect.Type]*errorPlan{}
	}
	p := makePlan(t)
	plans.made.Store(t, p)
	return p
}

func makePlan(t reflect.Type) *errorPlan {
	if p, ok := plans.byType[t]; ok {
		return p
	}
	// A type that leads back to itself (none of kmsg's does) is walked
	// as far as the values go: its plan is in the map while it is made.
	p := &errorPlan{}
	plans.byType[t] = p
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Name == "ErrorCode" && f.Type == int16Type {
			p.codes = append(p.codes, i)
			continue
		}
		if !f.IsExported() {
			continue
		}
		kind, elem := f.Type.Kind(), f.Type
		if kind == reflect.Pointer || kind == reflect.Slice {
			elem = f.Type.Elem()
		}
		if elem.Kind() != reflect.Struct || kind != reflect.Struct && kind != reflect.Pointer && kind != reflect.Slice {
			continue
		}
		if sub := makePlan(elem); sub != nil {
			p.below = append(p.below, planField{index: i, kind: kind, plan: sub})
		}
	}
	if len(p.codes) == 0 && len(p.below) == 0 {
		plans.byType[t] = nil
		return nil
	}
	return p
}
