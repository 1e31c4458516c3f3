package restproxy_test

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"gregor/internal/schema/avro"
)

const (
	v2Avro       = "application/vnd.kafka.avro.v2+json"
	v2JSONSchema = "application/vnd.kafka.jsonschema.v2+json"
	v2Protobuf   = "application/vnd.kafka.protobuf.v2+json"
)

const orderSchema = `{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"long"},{"name":"note","type":["null","string"],"default":null}]}`

// withRegistry starts a node serving the REST proxy and the schema
// registry, and returns the proxy and the registry's base URL.
func withRegistry(t *testing.T) (*proxy, string) {
	p := start(t, map[string]string{"schema.registry.listeners": "http://127.0.0.1:0"})
	return p, "http://" + p.node.SchemaRegistryAddr().String()
}

// registryGet returns the JSON the registry answers to GET path.
func registryGet(t *testing.T, base, path string, out any) {
	t.Helper()
	resp, err := httpClient.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

// wireID checks that b is in Confluent's wire format and returns its
// schema id and payload.
func wireID(t *testing.T, b []byte) (int, []byte) {
	t.Helper()
	if len(b) < 5 || b[0] != 0 {
		t.Fatalf("not in the wire format: %x", b)
	}
	return int(binary.BigEndian.Uint32(b[1:5])), b[5:]
}

type produceV2Answer struct {
	Offsets []struct {
		Partition *int32 `json:"partition"`
		Offset    *int64 `json:"offset"`
		ErrorCode *int   `json:"error_code"`
	} `json:"offsets"`
	KeySchemaID   *int `json:"key_schema_id"`
	ValueSchemaID *int `json:"value_schema_id"`
}

// TestV2AvroRoundTrip proves the avro embedded format of v2: a produce
// with key and value schemas registers them under the topic's subjects
// and writes the records in Confluent's wire format (checked with a
// plain Kafka client and the registry's own answers), a produce by
// schema id reuses them, and an avro consumer instance decodes the
// records back to the JSON produced.
func TestV2AvroRoundTrip(t *testing.T) {
	p, reg := withRegistry(t)
	p.createTopic("orders", 1)
	body := fmt.Sprintf(`{"key_schema":"\"string\"","value_schema":%q,"records":[{"key":"k1","value":{"id":1,"note":{"string":"first"}}},{"value":{"id":2,"note":null}}]}`, orderSchema)
	var first produceV2Answer
	p.must(200, "POST", "/topics/orders", v2Avro, body, &first)
	if first.KeySchemaID == nil || first.ValueSchemaID == nil || *first.KeySchemaID == *first.ValueSchemaID || len(first.Offsets) != 2 || first.Offsets[1].ErrorCode != nil {
		t.Fatalf("first produce: %+v", first)
	}
	var registered struct {
		Subject string `json:"subject"`
		ID      int    `json:"id"`
		Schema  string `json:"schema"`
	}
	registryGet(t, reg, "/subjects/orders-value/versions/latest", &registered)
	if registered.ID != *first.ValueSchemaID || !strings.Contains(registered.Schema, `"shop.Order"`) && !strings.Contains(registered.Schema, `"Order"`) {
		t.Fatalf("orders-value: %+v, produced with id %d", registered, *first.ValueSchemaID)
	}
	registryGet(t, reg, "/subjects/orders-key/versions/latest", &registered)
	if registered.ID != *first.KeySchemaID || registered.Schema != `"string"` {
		t.Fatalf("orders-key: %+v", registered)
	}

	var second produceV2Answer
	p.must(200, "POST", "/topics/orders", v2Avro, fmt.Sprintf(`{"value_schema_id":%d,"records":[{"value":{"id":3}}]}`, *first.ValueSchemaID), &second)
	if second.ValueSchemaID == nil || *second.ValueSchemaID != *first.ValueSchemaID || second.KeySchemaID != nil {
		t.Fatalf("second produce: %+v", second)
	}

	recs := p.consume("orders", 3)
	parsed, err := avro.Format{}.Parse(orderSchema, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, rec := range recs {
		id, payload := wireID(t, rec.Value)
		if id != *first.ValueSchemaID {
			t.Fatalf("record %d: schema id %d, want %d", i, id, *first.ValueSchemaID)
		}
		if err := parsed.Validate(payload); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	if id, payload := wireID(t, recs[0].Key); id != *first.KeySchemaID || string(payload) != "\x04k1" {
		t.Fatalf("key: id %d payload %q", id, payload)
	}
	if recs[1].Key != nil {
		t.Fatalf("record 1 has key %x, want none", recs[1].Key)
	}

	p.must(200, "POST", "/consumers/g-avro", v2, `{"name":"c","format":"avro","auto.offset.reset":"earliest"}`, nil)
	inst := "/consumers/g-avro/instances/c"
	p.must(204, "POST", inst+"/subscription", v2, `{"topics":["orders"]}`, nil)
	p.fails(406, 40601, "GET", inst+"/records", "", "", "Accept", v2JSON)
	out := p.poll(inst, v2Avro, 3)
	got, _ := json.Marshal(out)
	want := `[{"topic":"orders","key":"k1","value":{"id":1,"note":{"string":"first"}},"partition":0,"offset":0},` +
		`{"topic":"orders","key":null,"value":{"id":2,"note":null},"partition":0,"offset":1},` +
		`{"topic":"orders","key":null,"value":{"id":3,"note":null},"partition":0,"offset":2}]`
	if string(got) != want {
		t.Fatalf("consumed:\n got %s\nwant %s", got, want)
	}
}

// TestV2SchemaErrors proves Confluent's codes for what a schema produce
// or consume gets wrong.
func TestV2SchemaErrors(t *testing.T) {
	p, _ := withRegistry(t)
	p.createTopic("bad", 1)
	schema := fmt.Sprintf("%q", orderSchema)
	p.fails(422, 42201, "POST", "/topics/bad", v2Avro, `{"value_schema":`+schema+`,"records":[{"key":"k","value":{"id":1}}]}`)
	p.fails(422, 42202, "POST", "/topics/bad", v2Avro, `{"key_schema":"\"string\"","records":[{"key":"k","value":{"id":1}}]}`)
	p.fails(422, 42203, "POST", "/topics/bad", v2Avro, `{"value_schema":`+schema+`,"records":[{"value":{"id":"one"}}]}`)
	p.fails(422, 42205, "POST", "/topics/bad", v2Avro, `{"value_schema":"{\"type\":\"nope\"}","records":[{"value":1}]}`)
	p.fails(422, 42207, "POST", "/topics/bad", v2Avro, `{"value_schema_id":9999,"records":[{"value":1}]}`)
	p.must(200, "POST", "/topics/bad", v2Avro, `{"value_schema":`+schema+`,"records":[{"value":{"id":1}}]}`, nil)
	// A new version that drops a field without a default is not
	// BACKWARD compatible: the registry refuses it.
	incompatible := fmt.Sprintf("%q", `{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"long"},{"name":"qty","type":"int"}]}`)
	p.fails(422, 42207, "POST", "/topics/bad", v2Avro, `{"value_schema":`+incompatible+`,"records":[{"value":{"id":1,"qty":2}}]}`)

	// A record not in the wire format cannot be read by an avro consumer.
	p.must(200, "POST", "/topics/bad", v2JSON, `{"records":[{"value":{"plain":true}}]}`, nil)
	p.must(200, "POST", "/consumers/g-bad", v2, `{"name":"c","format":"avro","auto.offset.reset":"earliest"}`, nil)
	inst := "/consumers/g-bad/instances/c"
	p.must(204, "POST", inst+"/subscription", v2, `{"topics":["bad"]}`, nil)
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, got := p.do("GET", inst+"/records?timeout=1000", "", "", "Accept", v2Avro)
		if status == 200 && got == "[]\n" && time.Now().Before(deadline) {
			continue // nothing fetched yet
		}
		var e errorBody
		json.Unmarshal([]byte(got), &e)
		if status != 408 || e.ErrorCode != 40801 || !strings.Contains(e.Message, "offset 1") {
			t.Fatalf("polling a record not in the wire format: %d %s", status, got)
		}
		break
	}
}

// TestV2JSONSchemaAndProtobuf proves the jsonschema and protobuf
// embedded formats: records checked against the schema, written in the
// wire format (Protobuf with the message-index list [0]) and read back.
func TestV2JSONSchemaAndProtobuf(t *testing.T) {
	p, _ := withRegistry(t)
	p.createTopic("js", 1)
	p.createTopic("pb", 1)
	js := fmt.Sprintf("%q", `{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}`)
	var a produceV2Answer
	p.must(200, "POST", "/topics/js", v2JSONSchema, `{"value_schema":`+js+`,"records":[{"value":{"n": 5}}]}`, &a)
	p.fails(422, 42203, "POST", "/topics/js", v2JSONSchema, `{"value_schema":`+js+`,"records":[{"value":{"n":"five"}}]}`)
	if id, payload := wireID(t, p.consume("js", 1)[0].Value); id != *a.ValueSchemaID || string(payload) != `{"n":5}` {
		t.Fatalf("jsonschema record: id %d payload %s", id, payload)
	}
	proto := fmt.Sprintf("%q", `syntax = "proto3"; package shop; message Item { string name = 1; int32 qty = 2; }`)
	p.must(200, "POST", "/topics/pb", v2Protobuf, `{"value_schema":`+proto+`,"records":[{"value":{"name":"pen","qty":2}}]}`, &a)
	if id, payload := wireID(t, p.consume("pb", 1)[0].Value); id != *a.ValueSchemaID || payload[0] != 0 {
		t.Fatalf("protobuf record: id %d payload %x", id, payload)
	}
	for _, c := range []struct{ topic, format, accept, want string }{
		{"js", "jsonschema", v2JSONSchema, `{"n":5}`},
		{"pb", "protobuf", v2Protobuf, `{"name":"pen","qty":2}`},
	} {
		p.must(200, "POST", "/consumers/g-"+c.topic, v2, `{"name":"c","format":"`+c.format+`","auto.offset.reset":"earliest"}`, nil)
		inst := "/consumers/g-" + c.topic + "/instances/c"
		p.must(204, "POST", inst+"/subscription", v2, `{"topics":["`+c.topic+`"]}`, nil)
		got, _ := json.Marshal(p.poll(inst, c.accept, 1)[0].Value)
		if string(got) != c.want {
			t.Fatalf("%s: consumed %s, want %s", c.format, got, c.want)
		}
	}
}

type v3Answer struct {
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
	Value     *struct {
		Type          string `json:"type"`
		Subject       string `json:"subject"`
		SchemaID      int    `json:"schema_id"`
		SchemaVersion int    `json:"schema_version"`
	} `json:"value"`
}

// TestV3SchemaRecords proves v3 produce with AVRO values: by schema
// text (registered under the subject the strategy names), by schema id,
// by the subject's latest version, and the errors of a bad schema and
// of data not of the schema, one answer per record.
func TestV3SchemaRecords(t *testing.T) {
	p, _ := withRegistry(t)
	p.createTopic("v3s", 1)
	var cluster struct {
		Data []struct {
			ClusterID string `json:"cluster_id"`
		} `json:"data"`
	}
	p.must(200, "GET", "/v3/clusters", "", "", &cluster)
	path := "/v3/clusters/" + cluster.Data[0].ClusterID + "/topics/v3s/records"
	text, _ := json.Marshal(orderSchema)
	body := strings.Join([]string{
		`{"value":{"type":"AVRO","schema":` + string(text) + `,"data":{"id":1,"note":null}}}`,
		`{"value":{"type":"AVRO","schema_id":%ID%,"data":{"id":2}}}`,
		`{"value":{"data":{"id":3,"note":{"string":"latest"}},"subject":"v3s-value"}}`,
		`{"value":{"type":"AVRO","schema":` + string(text) + `,"subject_name_strategy":"RECORD_NAME","data":{"id":4}}}`,
		`{"value":{"type":"AVRO","schema":"{\"type\":\"nope\"}","data":1}}`,
		`{"value":{"type":"AVRO","schema_id":%ID%,"data":{"id":"x"}}}`,
	}, "\n")
	var first v3Answer
	p.must(200, "POST", path, "application/json", strings.SplitN(body, "\n", 2)[0], &first)
	if first.ErrorCode != 200 || first.Value == nil || first.Value.Type != "AVRO" || first.Value.Subject != "v3s-value" || first.Value.SchemaVersion != 1 {
		t.Fatalf("first: %+v %+v", first, first.Value)
	}
	id := first.Value.SchemaID
	rest := strings.ReplaceAll(strings.SplitN(body, "\n", 2)[1], "%ID%", fmt.Sprint(id))
	got := p.must(200, "POST", path, "application/json", rest, nil)
	sc := bufio.NewScanner(strings.NewReader(got))
	var answers []v3Answer
	for sc.Scan() {
		var a v3Answer
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatal(err)
		}
		answers = append(answers, a)
	}
	if len(answers) != 5 {
		t.Fatalf("answers: %s", got)
	}
	for i, want := range []struct {
		code    int
		subject string
	}{{200, "v3s-value"}, {200, "v3s-value"}, {200, "shop.Order"}, {42205, ""}, {400, ""}} {
		a := answers[i]
		if a.ErrorCode != want.code || want.code == 200 && (a.Value.Subject != want.subject || a.Value.SchemaID != id) {
			t.Fatalf("answer %d: %s, want code %d subject %q id %d", i, mustJSON(a), want.code, want.subject, id)
		}
	}
	recs := p.consume("v3s", 4)
	for i, rec := range recs {
		if got, _ := wireID(t, rec.Value); got != id {
			t.Fatalf("record %d: schema id %d, want %d", i, got, id)
		}
	}

	// A JSON schema's record name is its title.
	var titled v3Answer
	p.must(200, "POST", path, "application/json", `{"value":{"type":"JSONSCHEMA","subject_name_strategy":"TOPIC_RECORD_NAME",`+
		`"schema":"{\"title\":\"Thing\",\"type\":\"object\"}","data":{"a":1}}}`, &titled)
	if titled.ErrorCode != 200 || titled.Value.Subject != "v3s-Thing" || titled.Value.Type != "JSONSCHEMA" {
		t.Fatalf("titled JSON schema: %s", mustJSON(titled))
	}
	var untitled v3Answer
	p.must(200, "POST", path, "application/json", `{"value":{"type":"JSONSCHEMA","subject_name_strategy":"RECORD_NAME",`+
		`"schema":"{\"type\":\"object\"}","data":{"a":1}}}`, &untitled)
	if untitled.ErrorCode != 400 || !strings.Contains(untitled.Message, "title") {
		t.Fatalf("untitled JSON schema: %s", mustJSON(untitled))
	}
	var typeless v3Answer
	p.must(200, "POST", path, "application/json", `{"value":{"schema":"\"string\"","data":"x"}}`, &typeless)
	if typeless.ErrorCode != 400 || !strings.Contains(typeless.Message, "type") {
		t.Fatalf("a schema without a type: %s", mustJSON(typeless))
	}
}
