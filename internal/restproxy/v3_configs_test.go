package restproxy_test

import (
	"strings"
	"testing"
)

type configResource struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Self         string `json:"self"`
		ResourceName string `json:"resource_name"`
	} `json:"metadata"`
	TopicName  string  `json:"topic_name"`
	BrokerID   *int32  `json:"broker_id"`
	ConfigType string  `json:"config_type"`
	Name       string  `json:"name"`
	Value      *string `json:"value"`
	IsDefault  bool    `json:"is_default"`
	Source     string  `json:"source"`
}

// config reads the config at path and checks its value (nil: none) and source.
func (p *proxy) config(path string, value *string, source string) configResource {
	p.t.Helper()
	var c configResource
	p.must(200, "GET", path, "", "", &c)
	if c.Source != source || (value == nil) != (c.Value == nil) || value != nil && *value != *c.Value {
		p.t.Fatalf("%s: %+v (value %v), want %v from %s", path, c, deref(c.Value), deref(value), source)
	}
	return c
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func ptr(s string) *string { return &s }

// failsWith is fails that also checks the message.
func (p *proxy) failsWith(status, code int, message, method, path, contentType, body string) {
	p.t.Helper()
	var e errorBody
	p.must(status, method, path, contentType, body, &e)
	if e.ErrorCode != code || e.Message != message {
		p.t.Fatalf("%s %s: %+v, want %d %q", method, path, e, code, message)
	}
}

// TestV3TopicConfigChanges proves a topic config is set with PUT (then a
// DYNAMIC_TOPIC_CONFIG), reset with DELETE and changed in batches with
// :alter (SET and DELETE at once; validate_only changes nothing), that
// every topic's configs are listed, and that invalid values, unknown
// configs, unknown topics and bad bodies get Confluent's statuses and
// codes.
func TestV3TopicConfigChanges(t *testing.T) {
	p := start(t, nil)
	id := p.node.ClusterID
	c := "/v3/clusters/" + id
	p.createTopic("cfg", 1)
	p.createTopic("other", 1)
	cfg := c + "/topics/cfg/configs"

	p.must(204, "PUT", cfg+"/retention.ms", "application/json", `{"value":"3600000"}`, nil)
	got := p.config(cfg+"/retention.ms", ptr("3600000"), "DYNAMIC_TOPIC_CONFIG")
	if got.Kind != "KafkaTopicConfig" || got.TopicName != "cfg" || got.IsDefault ||
		got.Metadata.ResourceName != "crn:///kafka="+id+"/topic=cfg/config=retention.ms" {
		t.Fatalf("retention.ms: %+v", got)
	}
	p.must(204, "DELETE", cfg+"/retention.ms", "", "", nil)
	if got := p.config(cfg+"/retention.ms", ptr("604800000"), "DEFAULT_CONFIG"); !got.IsDefault {
		t.Fatalf("reset retention.ms: %+v", got)
	}

	p.must(204, "POST", cfg+":alter", "application/json",
		`{"data":[{"name":"retention.ms","value":"7200000"},{"name":"cleanup.policy","value":"compact","operation":"SET"}]}`, nil)
	p.config(cfg+"/retention.ms", ptr("7200000"), "DYNAMIC_TOPIC_CONFIG")
	p.config(cfg+"/cleanup.policy", ptr("compact"), "DYNAMIC_TOPIC_CONFIG")
	p.must(204, "POST", cfg+":alter", "application/json",
		`{"data":[{"name":"retention.ms","value":"1000"},{"name":"cleanup.policy","operation":"DELETE"}],"validate_only":true}`, nil)
	p.config(cfg+"/retention.ms", ptr("7200000"), "DYNAMIC_TOPIC_CONFIG")
	p.config(cfg+"/cleanup.policy", ptr("compact"), "DYNAMIC_TOPIC_CONFIG")
	p.must(204, "POST", cfg+":alter", "application/json",
		`{"data":[{"name":"segment.ms","value":"60000"},{"name":"cleanup.policy","operation":"DELETE"}],"validate_only":false}`, nil)
	p.config(cfg+"/segment.ms", ptr("60000"), "DYNAMIC_TOPIC_CONFIG")
	p.config(cfg+"/cleanup.policy", ptr("delete"), "DEFAULT_CONFIG")

	// Kafka refuses the value: nothing of the batch is applied.
	p.fails(400, 40002, "PUT", cfg+"/retention.ms", "application/json", `{"value":"soon"}`)
	p.fails(400, 40002, "POST", cfg+":alter", "application/json",
		`{"data":[{"name":"segment.ms","value":"120000"},{"name":"retention.ms","value":"soon"}]}`)
	p.config(cfg+"/segment.ms", ptr("60000"), "DYNAMIC_TOPIC_CONFIG")

	p.failsWith(404, 404, "Config no.such cannot be found for TOPIC cfg in cluster "+id+".",
		"PUT", cfg+"/no.such", "application/json", `{"value":"1"}`)
	p.failsWith(404, 404, "Config no.such cannot be found for TOPIC cfg in cluster "+id+".", "DELETE", cfg+"/no.such", "", "")
	p.failsWith(404, 404, "HTTP 404 Not Found", "POST", cfg+":alter", "application/json",
		`{"data":[{"name":"retention.ms","value":"1000"},{"name":"no.such","value":"1"}]}`)
	p.failsWith(404, 404, "HTTP 404 Not Found", "GET", cfg+"/no.such", "", "")
	p.config(cfg+"/retention.ms", ptr("7200000"), "DYNAMIC_TOPIC_CONFIG")

	const unknownTopic = "This server does not host this topic-partition."
	nope := c + "/topics/nope/configs"
	p.failsWith(404, 40403, unknownTopic, "GET", nope, "", "")
	p.failsWith(404, 40403, unknownTopic, "GET", nope+"/retention.ms", "", "")
	p.failsWith(404, 40403, unknownTopic, "PUT", nope+"/retention.ms", "application/json", `{"value":"1"}`)
	p.failsWith(404, 40403, unknownTopic, "DELETE", nope+"/retention.ms", "", "")
	p.failsWith(404, 40403, unknownTopic, "POST", nope+":alter", "application/json", `{"data":[]}`)

	const nullPayload = "Error: 42206 : Payload error. Null input provided. Data is required."
	p.failsWith(422, 422, nullPayload, "POST", cfg+":alter", "application/json", "")
	p.failsWith(422, 422, nullPayload, "PUT", cfg+"/retention.ms", "application/json", "null")
	p.fails(400, 400, "POST", cfg+":alter", "application/json", `{"data":[`)
	p.fails(400, 400, "POST", cfg+":alter", "application/json", `{"data":[{"name":"retention.ms","operation":"APPEND"}]}`)
	p.fails(400, 400, "POST", cfg+":alter", "application/json", `{"data":[{"value":"1"}]}`)
	p.fails(415, 415, "PUT", cfg+"/retention.ms", "text/plain", `{"value":"1"}`)
	p.fails(404, 404, "PUT", "/v3/clusters/other/topics/cfg/configs/retention.ms", "application/json", `{"value":"1"}`)

	var list struct {
		Kind     string                `json:"kind"`
		Metadata struct{ Self string } `json:"metadata"`
		Data     []configResource      `json:"data"`
	}
	p.must(200, "GET", c+"/topics/-/configs", "", "", &list)
	topics := map[string]int{}
	for _, d := range list.Data {
		topics[d.TopicName]++
		if d.TopicName == "cfg" && d.Name == "segment.ms" && (d.Value == nil || *d.Value != "60000") {
			t.Fatalf("every topic's configs: cfg's segment.ms %+v", d)
		}
	}
	if list.Kind != "KafkaTopicConfigList" || list.Metadata.Self != p.base+c+"/topics/-/configs" ||
		topics["cfg"] < 10 || topics["cfg"] != topics["other"] {
		t.Fatalf("every topic's configs: %s, %v", list.Kind, topics)
	}
}

// TestV3BrokerConfigChanges proves a broker's dynamic config is set with
// PUT, reset with DELETE and changed with :alter (validate_only changes
// nothing), and the cluster-wide ones the same under /broker-configs
// (which the broker then shows as DYNAMIC_DEFAULT_BROKER_CONFIG); that
// every broker's configs are listed; and that unknown brokers, unknown
// configs and invalid values get Confluent's statuses and codes.
func TestV3BrokerConfigChanges(t *testing.T) {
	p := start(t, nil)
	id := p.node.ClusterID
	c := "/v3/clusters/" + id
	broker := c + "/brokers/1/configs"

	p.must(204, "PUT", broker+"/log.retention.ms", "application/json", `{"value":"7200000"}`, nil)
	got := p.config(broker+"/log.retention.ms", ptr("7200000"), "DYNAMIC_BROKER_CONFIG")
	if got.Kind != "KafkaBrokerConfig" || got.BrokerID == nil || *got.BrokerID != 1 ||
		got.Metadata.ResourceName != "crn:///kafka="+id+"/broker=1/config=log.retention.ms" {
		t.Fatalf("log.retention.ms: %+v", got)
	}
	p.must(204, "DELETE", broker+"/log.retention.ms", "", "", nil)
	if got := p.config(broker+"/log.retention.ms", nil, "DEFAULT_CONFIG"); !got.IsDefault {
		t.Fatalf("reset log.retention.ms: %+v", got)
	}
	p.must(204, "POST", broker+":alter", "application/json",
		`{"data":[{"name":"message.max.bytes","value":"2000000"}],"validate_only":true}`, nil)
	p.config(broker+"/message.max.bytes", ptr("1048588"), "DEFAULT_CONFIG")
	p.must(204, "POST", broker+":alter", "application/json",
		`{"data":[{"name":"message.max.bytes","value":"2000000"},{"name":"log.retention.ms","operation":"DELETE"}]}`, nil)
	p.config(broker+"/message.max.bytes", ptr("2000000"), "DYNAMIC_BROKER_CONFIG")

	p.fails(400, 40002, "PUT", broker+"/message.max.bytes", "application/json", `{"value":"-5"}`)
	p.failsWith(404, 404, "Config no.such cannot be found for BROKER 1 in cluster "+id+".",
		"PUT", broker+"/no.such", "application/json", `{"value":"1"}`)
	p.failsWith(404, 404, "HTTP 404 Not Found", "GET", broker+"/no.such", "", "")
	p.fails(404, 404, "PUT", c+"/brokers/7/configs/log.retention.ms", "application/json", `{"value":"1"}`)
	p.fails(404, 404, "POST", c+"/brokers/7/configs:alter", "application/json", `{"data":[]}`)

	cluster := c + "/broker-configs"
	p.must(204, "PUT", cluster+"/log.retention.ms", "application/json", `{"value":"5400000"}`, nil)
	got = p.config(cluster+"/log.retention.ms", ptr("5400000"), "DYNAMIC_DEFAULT_BROKER_CONFIG")
	if got.Kind != "KafkaClusterConfig" || got.ConfigType != "BROKER" || got.BrokerID != nil ||
		got.Metadata.ResourceName != "crn:///kafka="+id+"/broker-config=log.retention.ms" ||
		got.Metadata.Self != p.base+cluster+"/log.retention.ms" {
		t.Fatalf("cluster-wide log.retention.ms: %+v", got)
	}
	p.config(broker+"/log.retention.ms", ptr("5400000"), "DYNAMIC_DEFAULT_BROKER_CONFIG")
	p.must(204, "POST", cluster+":alter", "application/json",
		`{"data":[{"name":"log.retention.ms","operation":"DELETE"},{"name":"message.max.bytes","value":"3000000"}]}`, nil)
	p.failsWith(404, 404, "HTTP 404 Not Found", "GET", cluster+"/log.retention.ms", "", "")
	p.config(cluster+"/message.max.bytes", ptr("3000000"), "DYNAMIC_DEFAULT_BROKER_CONFIG")
	p.must(204, "DELETE", cluster+"/message.max.bytes", "", "", nil)
	p.failsWith(404, 404, "Config message.max.bytes cannot be found for BROKER  in cluster "+id+".",
		"DELETE", cluster+"/message.max.bytes", "", "")
	p.fails(400, 40002, "PUT", cluster+"/message.max.bytes", "application/json", `{"value":"lots"}`)

	var list struct {
		Kind string           `json:"kind"`
		Data []configResource `json:"data"`
	}
	p.must(200, "GET", c+"/brokers/-/configs", "", "", &list)
	if list.Kind != "KafkaBrokerConfigList" || len(list.Data) < 10 || list.Data[0].BrokerID == nil || *list.Data[0].BrokerID != 1 ||
		!strings.HasPrefix(list.Data[0].Metadata.Self, p.base+c+"/brokers/1/configs/") {
		t.Fatalf("every broker's configs: %+v", list)
	}
}

// TestV3AlterManyTopicsConfigs proves /topics/-/configs:alter changes two
// topics' configs in one request (204), that validate_only changes
// nothing, that a value Kafka refuses for one topic is 207 with that
// topic's failure while the other's changes stand, and that an unknown
// topic or config fails the whole request with Confluent's 404s.
func TestV3AlterManyTopicsConfigs(t *testing.T) {
	p := start(t, nil)
	c := "/v3/clusters/" + p.node.ClusterID
	alter := c + "/topics/-/configs:alter"
	p.createTopic("one", 1)
	p.createTopic("two", 1)

	p.must(204, "POST", alter, "application/json", `{"data":[
		{"topic_name":"one","configs":[{"name":"retention.ms","value":"3600000"},{"name":"cleanup.policy","value":"compact"}]},
		{"topic_name":"two","configs":[{"name":"segment.ms","value":"60000","operation":"SET"}]}]}`, nil)
	p.config(c+"/topics/one/configs/retention.ms", ptr("3600000"), "DYNAMIC_TOPIC_CONFIG")
	p.config(c+"/topics/one/configs/cleanup.policy", ptr("compact"), "DYNAMIC_TOPIC_CONFIG")
	p.config(c+"/topics/two/configs/segment.ms", ptr("60000"), "DYNAMIC_TOPIC_CONFIG")

	p.must(204, "POST", alter, "application/json", `{"validate_only":true,"data":[
		{"topic_name":"one","configs":[{"name":"cleanup.policy","operation":"DELETE"}]},
		{"topic_name":"two","configs":[{"name":"segment.ms","value":"120000"}]}]}`, nil)
	p.config(c+"/topics/one/configs/cleanup.policy", ptr("compact"), "DYNAMIC_TOPIC_CONFIG")
	p.config(c+"/topics/two/configs/segment.ms", ptr("60000"), "DYNAMIC_TOPIC_CONFIG")

	var multi struct {
		Failures []struct {
			TopicName string  `json:"topic_name"`
			ErrorCode int     `json:"error_code"`
			Message   *string `json:"message"`
		} `json:"failures"`
	}
	p.must(207, "POST", alter, "application/json", `{"data":[
		{"topic_name":"one","configs":[{"name":"cleanup.policy","operation":"DELETE"}]},
		{"topic_name":"two","configs":[{"name":"segment.ms","value":"120000"},{"name":"retention.ms","value":"soon"}]}]}`, &multi)
	if len(multi.Failures) != 1 || multi.Failures[0].TopicName != "two" || multi.Failures[0].ErrorCode != 40002 ||
		multi.Failures[0].Message == nil || *multi.Failures[0].Message == "" {
		t.Fatalf("207 failures: %+v", multi.Failures)
	}
	p.config(c+"/topics/one/configs/cleanup.policy", ptr("delete"), "DEFAULT_CONFIG")
	p.config(c+"/topics/two/configs/segment.ms", ptr("60000"), "DYNAMIC_TOPIC_CONFIG")

	p.failsWith(404, 40403, "This server does not host this topic-partition.", "POST", alter, "application/json",
		`{"data":[{"topic_name":"one","configs":[{"name":"retention.ms","value":"1000"}]},{"topic_name":"nope","configs":[]}]}`)
	p.failsWith(404, 404, "HTTP 404 Not Found", "POST", alter, "application/json",
		`{"data":[{"topic_name":"one","configs":[{"name":"retention.ms","value":"1000"}]},{"topic_name":"two","configs":[{"name":"no.such","value":"1"}]}]}`)
	p.config(c+"/topics/one/configs/retention.ms", ptr("3600000"), "DYNAMIC_TOPIC_CONFIG")

	p.must(204, "POST", alter, "application/json", `{"data":[]}`, nil)
	p.failsWith(422, 422, "Error: 42206 : Payload error. Null input provided. Data is required.", "POST", alter, "application/json", "null")
	p.fails(400, 400, "POST", alter, "application/json", `{"data":[{"configs":[]}]}`)
	p.fails(400, 400, "POST", alter, "application/json", `{"data":[{"topic_name":"one"}]}`)
	p.fails(400, 400, "POST", alter, "application/json", `{"data":[{"topic_name":"one","configs":[{"name":"retention.ms","operation":"APPEND"}]}]}`)
	p.fails(404, 404, "POST", "/v3/clusters/other/topics/-/configs:alter", "application/json", `{"data":[]}`)
}
