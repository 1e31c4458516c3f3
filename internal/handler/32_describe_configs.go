package handler

// DescribeConfigs: v1–4.
//
// Behaviour: topics (type 2) list every topic config with the value in
// effect and its source: DYNAMIC_TOPIC_CONFIG for an override, else the
// source of the broker setting it falls back to (DYNAMIC_BROKER_CONFIG,
// DYNAMIC_DEFAULT_BROKER_CONFIG, STATIC_BROKER_CONFIG or DEFAULT_CONFIG).
// Brokers (type 4): this node's id lists every known broker config, and the
// dynamic configs with names Gregor does not know (sensitive, as Kafka
// reports them); "" (the cluster default) lists only the dynamic cluster
// defaults. Synonyms, when asked, come in Kafka's order: the topic override,
// then for each layer (dynamic per-broker, dynamic default, static,
// default) the keys of that setting it sets. The source of a config is that
// of its first synonym. config_names filters. v3+ carries the type, and
// documentation when asked. Errors, with Kafka's messages: unknown topics
// UNKNOWN_TOPIC_OR_PARTITION, invalid topic names INVALID_TOPIC_EXCEPTION,
// other broker ids and other resource types INVALID_REQUEST. Groups (type
// 32) list every group config (KIP-848): the group's value with source
// GROUP_CONFIG, else the broker's default with source DEFAULT_CONFIG, for
// any group id, existing or not ("" is INVALID_REQUEST). Broker loggers
// (type 8) of this node list every logger's level (broker_loggers.go).
// Differences from Kafka: a topic config whose broker default is set only
// through a fallback key (log.retention.hours for retention.ms) lists it as
// a synonym and takes its source; Kafka drops it and says DEFAULT_CONFIG.

import (
	"context"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
	"gregor/internal/config"
	"gregor/internal/controller"
	"gregor/internal/metadata"
)

func init() {
	register(32, 1, 4, requires(describeConfigsOnCluster, describeConfigsOnTopic, describeConfigsOnGroup), (*Handler).describeConfigs)
}

func (h *Handler) describeConfigs(_ context.Context, req *Request) (kmsg.Response, error) {
	r := req.Body.(*kmsg.DescribeConfigsRequest)
	resp := r.ResponseKind().(*kmsg.DescribeConfigsResponse)
	for _, res := range r.Resources {
		rr := kmsg.NewDescribeConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = res.ResourceType, res.ResourceName
		if rr.ErrorCode = h.configsDenied(req, acl.DescribeConfigs, res.ResourceType, res.ResourceName); rr.ErrorCode != 0 {
			resp.Resources = append(resp.Resources, rr)
			continue
		}
		entries, err := h.configEntries(res)
		rr.ErrorCode = errorCode(err)
		if err != nil && rr.ErrorCode != kerr.UnknownTopicOrPartition.Code {
			rr.ErrorMessage = errorMessage(err)
		}
		for _, e := range filterEntries(entries, res.ConfigNames) {
			rr.Configs = append(rr.Configs, describeEntry(e, r.IncludeSynonyms, r.IncludeDocumentation))
		}
		resp.Resources = append(resp.Resources, rr)
	}
	return resp, nil
}

func (h *Handler) configEntries(res kmsg.DescribeConfigsRequestResource) ([]config.Entry, error) {
	img := h.Metadata.Image()
	cfg := h.effectiveConfig(img)
	switch res.ResourceType {
	case kmsg.ConfigResourceTypeTopic:
		if err := controller.ValidateTopicName(res.ResourceName); err != nil {
			return nil, err
		}
		if _, ok := img.Topic(res.ResourceName); !ok {
			return nil, kerr.UnknownTopicOrPartition
		}
		return cfg.TopicEntries(img.Configs(topicResource(res.ResourceName))), nil
	case kmsg.ConfigResourceTypeBroker:
		if res.ResourceName == "" {
			return cfg.DefaultEntries(), nil
		}
		id, err := strconv.Atoi(res.ResourceName)
		if err != nil {
			return nil, errorf(kerr.InvalidRequest, "Broker id must be an integer, but it is: %s", res.ResourceName)
		}
		if id != int(h.NodeID) {
			return nil, errorf(kerr.InvalidRequest, "Unexpected broker id, expected %d or empty string, but received %s", h.NodeID, res.ResourceName)
		}
		return cfg.Entries(), nil
	case kmsg.ConfigResourceTypeBrokerLogger:
		return h.loggerEntries(res.ResourceName)
	case kmsg.ConfigResourceTypeGroupConfig:
		if res.ResourceName == "" {
			return nil, errorf(kerr.InvalidRequest, "Group name must not be empty")
		}
		return cfg.GroupEntries(img.Configs(metadata.ConfigResource{Type: metadata.ResourceGroup, Name: res.ResourceName})), nil
	}
	return nil, errorf(kerr.InvalidRequest, "Unsupported resource type: %s", res.ResourceType)
}

func topicResource(name string) metadata.ConfigResource {
	return metadata.ConfigResource{Type: metadata.ResourceTopic, Name: name}
}

// topicConfigEntries returns the configs of a topic with overrides, as
// CreateTopics answers them.
func (h *Handler) topicConfigEntries(overrides map[string]string) []config.Entry {
	return h.effectiveConfig(h.Metadata.Image()).TopicEntries(overrides)
}

func filterEntries(entries []config.Entry, names []string) []config.Entry {
	if names == nil {
		return entries
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []config.Entry
	for _, e := range entries {
		if want[e.Name] {
			out = append(out, e)
		}
	}
	return out
}

func describeEntry(e config.Entry, synonyms, docs bool) kmsg.DescribeConfigsResponseResourceConfig {
	c := kmsg.NewDescribeConfigsResponseResourceConfig()
	c.Name, c.ReadOnly, c.IsSensitive, c.IsDefault = e.Name, e.ReadOnly, e.Sensitive, e.IsDefault
	c.Value = entryValue(e)
	c.Source = configSource(e.Source)
	c.ConfigType = configType(e.Type)
	if docs && e.Doc != "" {
		c.Documentation = kmsg.StringPtr(e.Doc)
	}
	if synonyms {
		for _, s := range e.Synonyms {
			syn := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
			syn.Name, syn.Source, syn.Value = s.Name, configSource(s.Source), entryValue(s)
			c.ConfigSynonyms = append(c.ConfigSynonyms, syn)
		}
	}
	return c
}

// entryValue is e's value on the wire: null when sensitive or unset.
func entryValue(e config.Entry) *string {
	if e.Sensitive || e.Null {
		return nil
	}
	return kmsg.StringPtr(e.Value)
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
