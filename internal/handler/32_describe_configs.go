package handler

// DescribeConfigs: v1–4.
//
// Behaviour: topics (type 2) list every topic config with its effective
// value and source (DYNAMIC_TOPIC_CONFIG for an override, else the broker
// setting it falls back to: STATIC_BROKER_CONFIG or DEFAULT_CONFIG), with
// synonyms when asked (the override, then the broker key). Brokers (type 4)
// list every known broker config; the resource name must be this node's id
// or empty (cluster default). config_names filters. v3+ carries the type,
// and documentation when asked. Unknown topics answer
// UNKNOWN_TOPIC_OR_PARTITION; unknown broker ids and other resource types
// INVALID_REQUEST.

import (
	"context"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/config"
	"gregor/internal/metadata"
)

func init() { register(32, 1, 4, (*Handler).describeConfigs) }

func (h *Handler) describeConfigs(_ context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DescribeConfigsRequest)
	resp := r.ResponseKind().(*kmsg.DescribeConfigsResponse)
	for _, res := range r.Resources {
		rr := kmsg.NewDescribeConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = res.ResourceType, res.ResourceName
		entries, code := h.configEntries(res)
		rr.ErrorCode = code
		for _, e := range filterEntries(entries, res.ConfigNames) {
			rr.Configs = append(rr.Configs, describeEntry(e, r.IncludeSynonyms, r.IncludeDocumentation))
		}
		resp.Resources = append(resp.Resources, rr)
	}
	return resp, nil
}

// configEntry is one described config with its synonyms, most specific first.
type configEntry struct {
	config.Entry
	synonyms []config.Entry
}

func (h *Handler) configEntries(res kmsg.DescribeConfigsRequestResource) ([]configEntry, int16) {
	switch res.ResourceType {
	case kmsg.ConfigResourceTypeTopic:
		if _, ok := h.Controller.Image().Topic(res.ResourceName); !ok {
			return nil, kerr.UnknownTopicOrPartition.Code
		}
		return h.topicConfigEntriesWithSynonyms(res.ResourceName), 0
	case kmsg.ConfigResourceTypeBroker:
		if res.ResourceName != "" && res.ResourceName != strconv.Itoa(int(h.NodeID)) {
			return nil, kerr.InvalidRequest.Code
		}
		var out []configEntry
		for _, e := range h.Config.Entries() {
			out = append(out, configEntry{Entry: e, synonyms: []config.Entry{e}})
		}
		return out, 0
	}
	return nil, kerr.InvalidRequest.Code
}

func (h *Handler) topicConfigEntries(topic string) []config.Entry {
	var out []config.Entry
	for _, e := range h.topicConfigEntriesWithSynonyms(topic) {
		out = append(out, e.Entry)
	}
	return out
}

func (h *Handler) topicConfigEntriesWithSynonyms(topic string) []configEntry {
	overrides := h.Controller.Image().Configs(metadata.ConfigResource{Type: metadata.ResourceTopic, Name: topic})
	brokerEntries := map[string]config.Entry{}
	for _, e := range h.Config.Entries() {
		brokerEntries[e.Name] = e
	}
	var out []configEntry
	for _, def := range config.TopicConfigDefs() {
		value, source := h.Config.TopicValue(def.Name, overrides)
		ce := configEntry{Entry: config.Entry{
			Name: def.Name, Value: value, Source: source, Type: def.Type, Doc: def.Doc,
			IsDefault: source == "DEFAULT_CONFIG",
		}}
		if v, ok := overrides[def.Name]; ok {
			ce.synonyms = append(ce.synonyms, config.Entry{Name: def.Name, Value: v, Source: "DYNAMIC_TOPIC_CONFIG"})
		}
		if b, ok := brokerEntries[def.BrokerSynonym]; ok {
			ce.synonyms = append(ce.synonyms, b)
		}
		out = append(out, ce)
	}
	return out
}

func filterEntries(entries []configEntry, names []string) []configEntry {
	if names == nil {
		return entries
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []configEntry
	for _, e := range entries {
		if want[e.Name] {
			out = append(out, e)
		}
	}
	return out
}

func describeEntry(e configEntry, synonyms, docs bool) kmsg.DescribeConfigsResponseResourceConfig {
	c := kmsg.NewDescribeConfigsResponseResourceConfig()
	c.Name, c.ReadOnly, c.IsSensitive = e.Name, e.ReadOnly, e.Sensitive
	if !e.Sensitive {
		c.Value = kmsg.StringPtr(e.Value)
	}
	c.Source = configSource(e.Source)
	c.ConfigType = configType(e.Type)
	if docs && e.Doc != "" {
		c.Documentation = kmsg.StringPtr(e.Doc)
	}
	if synonyms {
		for _, s := range e.synonyms {
			syn := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
			syn.Name, syn.Source = s.Name, configSource(s.Source)
			if !s.Sensitive {
				syn.Value = kmsg.StringPtr(s.Value)
			}
			c.ConfigSynonyms = append(c.ConfigSynonyms, syn)
		}
	}
	return c
}

func configSource(s string) kmsg.ConfigSource {
	v, err := kmsg.ParseConfigSource(s)
	if err != nil {
		return kmsg.ConfigSourceUnknown
	}
	return v
}

func configType(s string) kmsg.ConfigType {
	v, err := kmsg.ParseConfigType(s)
	if err != nil {
		return kmsg.ConfigTypeUnknown
	}
	return v
}
