package restproxy_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// registryPost posts a JSON body to the registry and returns the id it
// answers.
func registryPost(t *testing.T, base, path string, body map[string]any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := httpClient.Post(base+path, "application/vnd.schemaregistry.v1+json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		ID int `json:"id"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil || out.ID == 0 {
		t.Fatalf("POST %s: status %d", path, resp.StatusCode)
	}
	return out.ID
}

// TestSchemaReferencesProduce proves records of a schema that references
// another subject's schema (an Avro named type, a JSON Schema $ref, a
// Protobuf import) are produced by schema id (v2 and v3) and by subject
// and version (v3), as Confluent's proxy takes them, and read back by a
// consumer of the format; v2 and v3 requests carry no references, so
// such a schema given as text there does not parse (42205), as in
// Confluent's proxy.
func TestSchemaReferencesProduce(t *testing.T) {
	p, reg := withRegistry(t)
	var cluster struct {
		Data []struct {
			ClusterID string `json:"cluster_id"`
		} `json:"data"`
	}
	p.must(200, "GET", "/v3/clusters", "", "", &cluster)
	for _, f := range []struct {
		typ, v3type, format, contentType string
		refName, base, main              string
	}{
		{"AVRO", "AVRO", "avro", v2Avro, "shop.Address",
			`{"type":"record","name":"Address","namespace":"shop","fields":[{"name":"city","type":"string"}]}`,
			`{"type":"record","name":"Person","namespace":"shop","fields":[{"name":"home","type":"shop.Address"}]}`},
		{"JSON", "JSONSCHEMA", "jsonschema", v2JSONSchema, "address.json",
			`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`,
			`{"type":"object","properties":{"home":{"$ref":"address.json"}},"required":["home"]}`},
		{"PROTOBUF", "PROTOBUF", "protobuf", v2Protobuf, "shop/address.proto",
			`syntax = "proto3"; package shop; message Address { string city = 1; }`,
			`syntax = "proto3"; package shop; import "shop/address.proto"; message Person { Address home = 1; }`},
	} {
		t.Run(f.typ, func(t *testing.T) {
			topic := "refs-" + f.format
			p.createTopic(topic, 1)
			registryPost(t, reg, "/subjects/"+topic+"-address/versions", map[string]any{"schemaType": f.typ, "schema": f.base})
			id := registryPost(t, reg, "/subjects/"+topic+"-value/versions", map[string]any{"schemaType": f.typ, "schema": f.main,
				"references": []map[string]any{{"name": f.refName, "subject": topic + "-address", "version": 1}}})

			var a produceV2Answer
			p.must(200, "POST", "/topics/"+topic, f.contentType, fmt.Sprintf(`{"value_schema_id":%d,"records":[{"value":{"home":{"city":"Oslo"}}}]}`, id), &a)
			if a.ValueSchemaID == nil || *a.ValueSchemaID != id || a.Offsets[0].ErrorCode != nil {
				t.Fatalf("v2 produce by id: %+v", a)
			}
			p.fails(422, 42203, "POST", "/topics/"+topic, f.contentType, fmt.Sprintf(`{"value_schema_id":%d,"records":[{"value":{"home":{"city":7}}}]}`, id))
			p.fails(422, 42205, "POST", "/topics/"+topic, f.contentType, fmt.Sprintf(`{"value_schema":%q,"records":[{"value":{"home":{"city":"Oslo"}}}]}`, f.main))

			path := "/v3/clusters/" + cluster.Data[0].ClusterID + "/topics/" + topic + "/records"
			for _, value := range []string{
				fmt.Sprintf(`{"type":%q,"schema_id":%d,"data":{"home":{"city":"Bergen"}}}`, f.v3type, id),
				fmt.Sprintf(`{"subject":%q,"schema_version":1,"data":{"home":{"city":"Tromsø"}}}`, topic+"-value"),
			} {
				var v3 v3Answer
				p.must(200, "POST", path, "application/json", `{"value":`+value+`}`, &v3)
				if v3.ErrorCode != 200 || v3.Value == nil || v3.Value.SchemaID != id || v3.Value.Type != f.v3type {
					t.Fatalf("v3 produce %s: %s", value, mustJSON(v3))
				}
			}
			var text v3Answer
			p.must(200, "POST", path, "application/json", fmt.Sprintf(`{"value":{"type":%q,"schema":%q,"data":{"home":{"city":"Oslo"}}}}`, f.v3type, f.main), &text)
			if text.ErrorCode != 42205 {
				t.Fatalf("v3 produce with the referencing schema as text: %s", mustJSON(text))
			}

			for i, rec := range p.consume(topic, 3) {
				if got, _ := wireID(t, rec.Value); got != id {
					t.Fatalf("record %d: schema id %d, want %d", i, got, id)
				}
			}
			group := "g-refs-" + f.format
			p.must(200, "POST", "/consumers/"+group, v2, `{"name":"c","format":"`+f.format+`","auto.offset.reset":"earliest"}`, nil)
			inst := "/consumers/" + group + "/instances/c"
			p.must(204, "POST", inst+"/subscription", v2, `{"topics":["`+topic+`"]}`, nil)
			var cities []string
			for _, r := range p.poll(inst, f.contentType, 3) {
				var v struct {
					Home struct {
						City string `json:"city"`
					} `json:"home"`
				}
				b, _ := json.Marshal(r.Value)
				if err := json.Unmarshal(b, &v); err != nil {
					t.Fatalf("consumed %s: %v", b, err)
				}
				cities = append(cities, v.Home.City)
			}
			if strings.Join(cities, ",") != "Oslo,Bergen,Tromsø" {
				t.Fatalf("consumed cities %v", cities)
			}
		})
	}
}
