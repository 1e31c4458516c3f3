package metrics

import (
	"reflect"

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

func walkErrorCodes(v reflect.Value, fn func(int16)) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			walkErrorCodes(v.Elem(), fn)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Struct {
			return
		}
		for i := range v.Len() {
			walkErrorCodes(v.Index(i), fn)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Name == "ErrorCode" && f.Type == int16Type {
				fn(int16(v.Field(i).Int()))
				continue
			}
			if f.IsExported() {
				walkErrorCodes(v.Field(i), fn)
			}
		}
	}
}
