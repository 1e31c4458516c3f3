package kafkadiff

import (
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"sort"
	"strings"
)

// masked are the response fields that differ between two correct brokers:
// ids, hosts, ports, times and throttles, the request/response version that
// kmsg carries in every struct, and unknown tagged fields. ErrorMessage is
// free text (Kafka's words are Java's); the error code beside it is compared.
// Documentation (of a config) is free text too.
var masked = map[string]bool{
	"Version": true, "Documentation": true, "UnknownTags": true, "ThrottleMillis": true, "ErrorMessage": true,
	"Host": true, "Port": true, "Rack": true, "NodeID": true, "Leader": true, "LeaderID": true,
	"ControllerID": true, "CoordinatorKey": true, "Replicas": true, "ISR": true, "OfflineReplicas": true,
	"ClusterID": true, "TopicID": true, "ProducerID": true, "MemberID": true, "GroupInstanceID": true,
	"Timestamp": true, "LogAppendTime": true, "LogStartOffset": false, "Dir": true,
	"TotalBytes": true, "UsableBytes": true, "FinalizedFeaturesEpoch": true,
	"StartTimestamp": true, "SessionID": true, "ProtocolName": false, "ClientID": true, "ClientHost": true,
	"MemberEpoch": false, "AuthorizedOperations": false, "AssignmentEpoch": false,
}

// normalize turns a response (or any value a scenario returns) into plain
// maps, slices and scalars with the masked fields removed, every list of
// objects with a name (keyFields) made a map by that name and every list of
// scalars sorted, so that two brokers' answers compare field by field
// regardless of the order Kafka's hash maps give. Other lists (a
// scenario's sequence of answers) keep their order.
func normalize(v any) any {
	if v == nil {
		return nil
	}
	if reflect.ValueOf(v).Kind() == reflect.Ptr && reflect.ValueOf(v).IsNil() {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("unmarshalable: %v", err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Sprintf("unmarshalable: %v", err)
	}
	return clean(out)
}

func clean(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k := range x {
			if masked[k] {
				delete(x, k)
				continue
			}
			x[k] = clean(x[k])
		}
		return x
	case []any:
		for i := range x {
			x[i] = clean(x[i])
		}
		if m, ok := keyed(x); ok {
			return m
		}
		if scalars(x) {
			sort.SliceStable(x, func(i, j int) bool { return canonical(x[i]) < canonical(x[j]) })
		}
		return x
	}
	return v
}

// keyFields name the field that identifies an element of a list, in the
// order tried: a list whose elements all have distinct values of one of
// them becomes a map by that value, so that a difference names the element
// ("Configs/retention.ms/Value") instead of a shifted index.
var keyFields = []string{"Name", "Topic", "Group", "ResourceName", "ApiKey", "Partition", "Feature"}

func keyed(list []any) (map[string]any, bool) {
	if len(list) == 0 {
		return nil, false
	}
	for _, f := range keyFields {
		out := map[string]any{}
		for _, e := range list {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, false
			}
			k, ok := m[f]
			if !ok {
				break
			}
			out[f+"="+fmt.Sprint(k)] = e
		}
		if len(out) == len(list) {
			return out, true
		}
	}
	return nil, false
}

func scalars(list []any) bool {
	for _, e := range list {
		switch e.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

func canonical(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// difference is one field where the brokers' normalized answers differ.
type difference struct {
	Path          string
	Kafka, Gregor string
}

func (d difference) String() string {
	return fmt.Sprintf("%s: kafka=%s gregor=%s", d.Path, d.Kafka, d.Gregor)
}

// diff lists the differences between two normalized values, by path
// (map keys joined by "/", list elements by index).
func diff(at string, kafka, gregor any) []difference {
	km, kok := kafka.(map[string]any)
	gm, gok := gregor.(map[string]any)
	if kok && gok {
		return diffMaps(at, km, gm)
	}
	kl, kok := kafka.([]any)
	gl, gok := gregor.([]any)
	if kok && gok && len(kl) == len(gl) {
		var out []difference
		for i := range kl {
			out = append(out, diff(path.Join(at, fmt.Sprint(i)), kl[i], gl[i])...)
		}
		return out
	}
	if reflect.DeepEqual(kafka, gregor) {
		return nil
	}
	return []difference{{Path: at, Kafka: short(kafka), Gregor: short(gregor)}}
}

func diffMaps(at string, k, g map[string]any) []difference {
	keys := map[string]bool{}
	for key := range k {
		keys[key] = true
	}
	for key := range g {
		keys[key] = true
	}
	sorted := make([]string, 0, len(keys))
	for key := range keys {
		sorted = append(sorted, key)
	}
	sort.Strings(sorted)
	var out []difference
	for _, key := range sorted {
		out = append(out, diff(path.Join(at, key), k[key], g[key])...)
	}
	return out
}

func short(v any) string {
	s := canonical(v)
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return strings.ReplaceAll(s, "\n", " ")
}
