package schemareg_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/node/nodetest"
)

// registry is a node with its schema registry and an HTTP client of it.
type registry struct {
	t    testing.TB
	node *nodetest.TestNode
	url  string
}

func start(t testing.TB, dir string) *registry {
	t.Helper()
	n := nodetest.Start(t, dir, map[string]string{"schema.registry.listeners": "http://127.0.0.1:0"})
	if n.SchemaRegistryAddr() == nil {
		t.Fatal("schema registry not listening")
	}
	return &registry{t: t, node: n, url: "http://" + n.SchemaRegistryAddr().String()}
}

var client = &http.Client{Timeout: 40 * time.Second}

// do sends a request with a JSON body (nil: none) and returns the status
// and the body.
func (r *registry) do(method, path string, body any) (int, string) {
	r.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			r.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, r.url+path, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	resp, err := client.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.schemaregistry.v1+json" {
		r.t.Errorf("%s %s: content type %q", method, path, ct)
	}
	return resp.StatusCode, string(out)
}

// expect checks a request's status and body (compared as JSON when it
// parses as JSON).
func (r *registry) expect(method, path string, body any, status int, want string) string {
	r.t.Helper()
	got, out := r.do(method, path, body)
	if got != status || !sameJSON(out, want) {
		r.t.Errorf("%s %s: %d %s\nwant %d %s", method, path, got, out, status, want)
	}
	return out
}

// expectError checks a request answers Confluent's error code (and HTTP
// status) in Confluent's error body.
func (r *registry) expectError(method, path string, body any, code int) {
	r.t.Helper()
	status, out := r.do(method, path, body)
	var e struct {
		ErrorCode int    `json:"error_code"`
		Message   string `json:"message"`
	}
	wantStatus := code
	if code >= 1000 {
		wantStatus = code / 100
	}
	if err := json.Unmarshal([]byte(out), &e); err != nil || e.ErrorCode != code || status != wantStatus || e.Message == "" {
		r.t.Errorf("%s %s: %d %s, want error_code %d", method, path, status, out, code)
	}
}

func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func avroBody(schema string) map[string]any { return map[string]any{"schema": schema} }

const (
	v1 = `{"type":"record","name":"User","fields":[{"name":"id","type":"long"}]}`
	// v2 adds a field with a default: BACKWARD compatible with v1.
	v2 = `{"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"name","type":"string","default":""}]}`
	// v3 adds a field without a default: not BACKWARD compatible.
	v3 = `{"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"email","type":"string"}]}`
)

func quoted(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestRegisterAndRead proves registration gives global ids (the same
// schema in any subject has one id), and every read endpoint answers it.
func TestRegisterAndRead(t *testing.T) {
	r := start(t, "")
	r.expect("GET", "/subjects", nil, 200, `[]`)
	r.expect("POST", "/subjects/users-value/versions", avroBody(v1), 200, `{"id":1}`)
	r.expect("POST", "/subjects/users-value/versions", avroBody(v1), 200, `{"id":1}`)
	r.expect("POST", "/subjects/users-value/versions", map[string]any{"schema": v1, "schemaType": "AVRO", "references": []any{}}, 200, `{"id":1}`)
	r.expect("POST", "/subjects/users-value/versions", avroBody(v2), 200, `{"id":2}`)
	r.expect("POST", "/subjects/other-value/versions", avroBody(v2), 200, `{"id":2}`)
	r.expectError("POST", "/subjects/users-value/versions", map[string]any{"schema": `"string"`, "schemaType": "AVRO"}, 409)
	r.expect("GET", "/subjects", nil, 200, `["other-value","users-value"]`)
	r.expect("GET", "/subjects?subjectPrefix=users", nil, 200, `["users-value"]`)
	r.expect("GET", "/subjects/users-value/versions", nil, 200, `[1,2]`)
	r.expect("GET", "/subjects/users-value/versions/1", nil, 200, `{"subject":"users-value","version":1,"id":1,"schema":`+quoted(v1)+`}`)
	for _, latest := range []string{"latest", "-1", "2"} {
		r.expect("GET", "/subjects/users-value/versions/"+latest, nil, 200, `{"subject":"users-value","version":2,"id":2,"schema":`+quoted(v2)+`}`)
	}
	r.expect("GET", "/subjects/users-value/versions/1/schema", nil, 200, v1)
	r.expect("GET", "/schemas/ids/2", nil, 200, `{"schema":`+quoted(v2)+`}`)
	r.expect("GET", "/schemas/ids/2/schema", nil, 200, v2)
	r.expect("GET", "/schemas/ids/2/subjects", nil, 200, `["other-value","users-value"]`)
	r.expect("GET", "/schemas/ids/2/versions", nil, 200, `[{"subject":"other-value","version":1},{"subject":"users-value","version":2}]`)
	r.expect("GET", "/schemas/types", nil, 200, `["JSON","PROTOBUF","AVRO"]`)
	r.expect("POST", "/subjects/users-value", avroBody(v1), 200, `{"subject":"users-value","version":1,"id":1,"schema":`+quoted(v1)+`}`)
	// Whitespace does not make another schema: the canonical text is compared.
	r.expect("POST", "/subjects/users-value", avroBody(strings.ReplaceAll(v1, ",", " , ")), 200, `{"subject":"users-value","version":1,"id":1,"schema":`+quoted(v1)+`}`)
	r.expect("GET", "/", nil, 200, `{}`)
	// Attribute order and spelling do not make another schema either: the
	// canonical text is Java Avro's, as Confluent's.
	r.expect("POST", "/subjects/reordered/versions", avroBody(`{"fields":[{"type":{"type":"long"},"name":"id"}],"name":"User","type":"record"}`), 200, `{"id":1}`)
	r.expect("GET", "/subjects/reordered/versions/1/schema", nil, 200, v1)

	r.expectError("POST", "/subjects/users-value", avroBody(v3), 40403)
	r.expectError("POST", "/subjects/nobody", avroBody(v1), 40401)
	r.expectError("GET", "/subjects/nobody/versions", nil, 40401)
	r.expectError("GET", "/subjects/nobody/versions/1", nil, 40401)
	r.expectError("GET", "/subjects/users-value/versions/9", nil, 40402)
	for _, bad := range []string{"0", "-2", "x", "99999999999"} {
		r.expectError("GET", "/subjects/users-value/versions/"+bad, nil, 42202)
	}
	r.expectError("GET", "/schemas/ids/99", nil, 40403)
	r.expectError("GET", "/schemas/ids/99/schema", nil, 40403)
	r.expectError("GET", "/schemas/ids/x", nil, 40403)
	r.expectError("POST", "/subjects/users-value/versions", avroBody(`{"type":"record"}`), 42201)
	r.expectError("POST", "/subjects/users-value/versions", avroBody(`not json`), 42201)
	r.expectError("POST", "/subjects/users-value/versions", map[string]any{"schema": `"int"`, "schemaType": "XML"}, 42201)
	r.expectError("POST", "/subjects/users-value/versions", map[string]any{}, 42201)
	r.expectError("GET", "/no/such/path", nil, 404)
	r.expectError("PATCH", "/subjects", nil, 405)

	// A plain JSON client is served too; a malformed body is a 400.
	resp, err := client.Post(r.url+"/subjects/plain/versions", "application/json", strings.NewReader(`{"schema":"\"int\""}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !sameJSON(string(body), `{"id":3}`) {
		t.Errorf("application/json register: %d %s", resp.StatusCode, body)
	}
	// A body over 16 MiB is refused before it is read whole.
	resp, err = client.Post(r.url+"/subjects/plain/versions", "application/json",
		strings.NewReader(`{"schema":"`+strings.Repeat("x", 17<<20)+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 413 || !strings.Contains(string(body), `"error_code":413`) {
		t.Errorf("17 MiB body: %d %.200s", resp.StatusCode, body)
	}
	resp, err = client.Post(r.url+"/subjects/plain/versions", "application/json", strings.NewReader(`{"schema":`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("malformed body: %d", resp.StatusCode)
	}
}

// TestCompatibility proves registration and the compatibility endpoint
// apply the configured level, transitively where the level says so.
func TestCompatibility(t *testing.T) {
	r := start(t, "")
	r.expect("GET", "/config", nil, 200, `{"compatibilityLevel":"BACKWARD"}`)
	r.expect("POST", "/subjects/s/versions", avroBody(v1), 200, `{"id":1}`)
	r.expectError("POST", "/subjects/s/versions", avroBody(v3), 409)
	r.expect("POST", "/compatibility/subjects/s/versions/latest", avroBody(v3), 200, `{"is_compatible":false}`)
	r.expect("POST", "/compatibility/subjects/s/versions/1", avroBody(v2), 200, `{"is_compatible":true}`)
	r.expect("POST", "/compatibility/subjects/s/versions", avroBody(v2), 200, `{"is_compatible":true}`)
	_, out := r.do("POST", "/compatibility/subjects/s/versions/1?verbose=true", avroBody(v3))
	if !strings.Contains(out, `"is_compatible":false`) || !strings.Contains(out, "READER_FIELD_MISSING_DEFAULT_VALUE") || !strings.Contains(out, "{compatibility: 'BACKWARD'}") {
		t.Errorf("verbose: %s", out)
	}
	r.expect("POST", "/compatibility/subjects/s/versions/1?verbose=true", avroBody(v2), 200, `{"is_compatible":true,"messages":[]}`)
	r.expectError("POST", "/compatibility/subjects/nobody/versions/1", avroBody(v2), 40401)
	r.expectError("POST", "/compatibility/subjects/s/versions/7", avroBody(v2), 40402)
	r.expect("POST", "/compatibility/subjects/nobody/versions", avroBody(v2), 200, `{"is_compatible":true}`)

	// Subject-level config: FORWARD allows v3 (v1 reads v3's data), and
	// its absence is 40408 unless defaultToGlobal.
	r.expectError("GET", "/config/s", nil, 40408)
	r.expect("GET", "/config/s?defaultToGlobal=true", nil, 200, `{"compatibilityLevel":"BACKWARD"}`)
	r.expect("PUT", "/config/s", map[string]string{"compatibility": "forward"}, 200, `{"compatibility":"FORWARD"}`)
	r.expect("GET", "/config/s", nil, 200, `{"compatibilityLevel":"FORWARD"}`)
	r.expect("POST", "/subjects/s/versions", avroBody(v3), 200, `{"id":2}`)
	r.expectError("PUT", "/config/s", map[string]string{"compatibility": "SIDEWAYS"}, 42203)
	r.expectError("PUT", "/config", map[string]string{"compatibility": ""}, 42203)
	r.expect("DELETE", "/config/s", nil, 200, `{"compatibilityLevel":"FORWARD"}`)
	r.expectError("DELETE", "/config/s", nil, 40401)
	r.expect("GET", "/config/s?defaultToGlobal=true", nil, 200, `{"compatibilityLevel":"BACKWARD"}`)

	// Transitivity: with v1 {id}, v2 {id, name=""}, a schema {name}
	// without id... reads v2 but not v1 under BACKWARD's rules.
	const nameOnly = `{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}`
	r.expect("PUT", "/config/t", map[string]string{"compatibility": "BACKWARD"}, 200, `{"compatibility":"BACKWARD"}`)
	r.expect("POST", "/subjects/t/versions", avroBody(v2), 200, `{"id":3}`)
	r.expect("POST", "/subjects/t/versions", avroBody(nameOnly), 200, `{"id":4}`)
	r.expect("PUT", "/config/u", map[string]string{"compatibility": "BACKWARD_TRANSITIVE"}, 200, `{"compatibility":"BACKWARD_TRANSITIVE"}`)
	r.expect("POST", "/subjects/u/versions", avroBody(v1), 200, `{"id":1}`)
	r.expect("POST", "/subjects/u/versions", avroBody(v2), 200, `{"id":3}`)
	r.expect("POST", "/compatibility/subjects/u/versions", avroBody(nameOnly), 200, `{"is_compatible":false}`)
	r.expect("POST", "/compatibility/subjects/u/versions/latest", avroBody(nameOnly), 200, `{"is_compatible":true}`)
	r.expectError("POST", "/subjects/u/versions", avroBody(nameOnly), 409)

	// Global level, FULL and NONE.
	r.expect("PUT", "/config", map[string]string{"compatibility": "FULL"}, 200, `{"compatibility":"FULL"}`)
	r.expect("GET", "/config", nil, 200, `{"compatibilityLevel":"FULL"}`)
	r.expect("POST", "/subjects/w/versions", avroBody(v2), 200, `{"id":3}`)
	r.expectError("POST", "/subjects/w/versions", avroBody(v3), 409) // v3 cannot read v2 data
	r.expect("PUT", "/config/w", map[string]string{"compatibility": "NONE"}, 200, `{"compatibility":"NONE"}`)
	r.expect("POST", "/subjects/w/versions", avroBody(`"string"`), 200, `{"id":5}`)
	r.expect("DELETE", "/config", nil, 200, `{"compatibilityLevel":"FULL"}`)
	r.expect("GET", "/config", nil, 200, `{"compatibilityLevel":"BACKWARD"}`)
}

// TestDelete proves soft and hard deletes of versions and subjects, with
// Confluent's codes for each wrong order.
func TestDelete(t *testing.T) {
	r := start(t, "")
	r.expect("POST", "/subjects/s/versions", avroBody(v1), 200, `{"id":1}`)
	r.expect("POST", "/subjects/s/versions", avroBody(v2), 200, `{"id":2}`)
	r.expectError("DELETE", "/subjects/s/versions/1?permanent=true", nil, 40407)
	r.expect("DELETE", "/subjects/s/versions/1", nil, 200, `1`)
	r.expectError("DELETE", "/subjects/s/versions/1", nil, 40406)
	r.expect("GET", "/subjects/s/versions", nil, 200, `[2]`)
	r.expect("GET", "/subjects/s/versions?deleted=true", nil, 200, `[1,2]`)
	r.expectError("GET", "/subjects/s/versions/1", nil, 40402)
	r.expect("GET", "/subjects/s/versions/1?deleted=true", nil, 200, `{"subject":"s","version":1,"id":1,"schema":`+quoted(v1)+`}`)
	r.expect("GET", "/schemas/ids/1", nil, 200, `{"schema":`+quoted(v1)+`}`) // soft-deleted ids still resolve
	r.expect("DELETE", "/subjects/s/versions/1?permanent=true", nil, 200, `1`)
	r.expectError("GET", "/schemas/ids/1", nil, 40403)
	r.expectError("DELETE", "/subjects/s/versions/1", nil, 40402)
	r.expectError("DELETE", "/subjects/s/versions/x", nil, 42202)

	// Re-registering after a soft delete makes a new version.
	r.expect("POST", "/subjects/s/versions", avroBody(v1), 200, `{"id":1}`)
	r.expect("GET", "/subjects/s/versions", nil, 200, `[2,3]`)

	r.expectError("DELETE", "/subjects/s?permanent=true", nil, 40405)
	r.expect("DELETE", "/subjects/s", nil, 200, `[2,3]`)
	r.expectError("DELETE", "/subjects/s", nil, 40404)
	r.expect("GET", "/subjects", nil, 200, `[]`)
	r.expect("GET", "/subjects?deleted=true", nil, 200, `["s"]`)
	r.expectError("GET", "/subjects/s/versions", nil, 40401)
	r.expect("DELETE", "/subjects/s?permanent=true", nil, 200, `[2,3]`)
	r.expect("GET", "/subjects?deleted=true", nil, 200, `[]`)
	r.expectError("DELETE", "/subjects/s", nil, 40401)
	r.expectError("GET", "/schemas/ids/2", nil, 40403)
}

// TestMode proves modes: READONLY refuses writes, invalid modes are 42204
// and an unset subject mode is 40409.
func TestMode(t *testing.T) {
	r := start(t, "")
	r.expect("GET", "/mode", nil, 200, `{"mode":"READWRITE"}`)
	r.expectError("GET", "/mode/s", nil, 40409)
	r.expect("GET", "/mode/s?defaultToGlobal=true", nil, 200, `{"mode":"READWRITE"}`)
	r.expect("PUT", "/mode/s", map[string]string{"mode": "READONLY"}, 200, `{"mode":"READONLY"}`)
	r.expectError("POST", "/subjects/s/versions", avroBody(v1), 42205)
	r.expect("POST", "/subjects/t/versions", avroBody(v1), 200, `{"id":1}`)
	r.expectError("PUT", "/mode", map[string]string{"mode": "WRITEONLY"}, 42204)
	r.expectError("PUT", "/mode", map[string]string{"mode": "IMPORT"}, 42205) // subjects exist
	r.expect("DELETE", "/mode/s", nil, 200, `{"mode":"READONLY"}`)
	r.expect("POST", "/subjects/s/versions", avroBody(v1), 200, `{"id":1}`)
	r.expect("PUT", "/mode", map[string]string{"mode": "READONLY"}, 200, `{"mode":"READONLY"}`)
	r.expectError("DELETE", "/subjects/s", nil, 42205)
	r.expect("PUT", "/mode", map[string]string{"mode": "READWRITE"}, 200, `{"mode":"READWRITE"}`)
}

// TestImport proves IMPORT mode (on an empty registry) keeps the ids and
// versions given, skips compatibility checks, and that ids assigned
// afterwards continue after the highest imported.
func TestImport(t *testing.T) {
	r := start(t, "")
	r.expect("PUT", "/mode", map[string]string{"mode": "IMPORT"}, 200, `{"mode":"IMPORT"}`)
	r.expect("POST", "/subjects/s/versions", map[string]any{"schema": v1, "id": 40, "version": 3}, 200, `{"id":40}`)
	r.expect("POST", "/subjects/s/versions", map[string]any{"schema": v3, "id": 41, "version": 4}, 200, `{"id":41}`)
	r.expectError("POST", "/subjects/t/versions", map[string]any{"schema": v2, "id": 40, "version": 1}, 42205)
	r.expect("PUT", "/mode", map[string]string{"mode": "READWRITE"}, 200, `{"mode":"READWRITE"}`)
	r.expect("GET", "/subjects/s/versions", nil, 200, `[3,4]`)
	r.expect("POST", "/subjects/t/versions", avroBody(v2), 200, `{"id":42}`)
	r.expect("GET", "/schemas?subjectPrefix=s", nil, 200, `[{"subject":"s","version":3,"id":40,"schema":`+quoted(v1)+`},{"subject":"s","version":4,"id":41,"schema":`+quoted(v3)+`}]`)
	r.expect("GET", "/schemas?latestOnly=true", nil, 200, `[{"subject":"s","version":4,"id":41,"schema":`+quoted(v3)+`},{"subject":"t","version":1,"id":42,"schema":`+quoted(v2)+`}]`)
	r.expect("GET", "/contexts", nil, 200, `["."]`)
}

// TestReferences proves a schema can name types of another subject's
// version through references, and that a referenced version cannot be
// deleted while referenced.
func TestReferences(t *testing.T) {
	r := start(t, "")
	const address = `{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"}]}`
	const person = `{"type":"record","name":"Person","namespace":"com.acme","fields":[{"name":"home","type":"Address"}]}`
	r.expect("POST", "/subjects/address/versions", avroBody(address), 200, `{"id":1}`)
	refs := []map[string]any{{"name": "com.acme.Address", "subject": "address", "version": 1}}
	r.expectError("POST", "/subjects/person/versions", avroBody(person), 42201)
	r.expect("POST", "/subjects/person/versions", map[string]any{"schema": person, "references": refs}, 200, `{"id":2}`)
	r.expect("GET", "/subjects/person/versions/1", nil, 200,
		`{"subject":"person","version":1,"id":2,"references":[{"name":"com.acme.Address","subject":"address","version":1}],"schema":`+quoted(person)+`}`)
	r.expect("GET", "/schemas/ids/2", nil, 200, `{"schema":`+quoted(person)+`,"references":[{"name":"com.acme.Address","subject":"address","version":1}]}`)
	r.expect("GET", "/subjects/address/versions/1/referencedby", nil, 200, `[2]`)
	r.expect("POST", "/subjects/person", map[string]any{"schema": person, "references": refs}, 200,
		`{"subject":"person","version":1,"id":2,"references":[{"name":"com.acme.Address","subject":"address","version":1}],"schema":`+quoted(person)+`}`)
	r.expectError("DELETE", "/subjects/address/versions/1", nil, 42206)
	r.expectError("DELETE", "/subjects/address", nil, 42206)
	r.expectError("POST", "/subjects/person/versions", map[string]any{"schema": person, "references": []map[string]any{{"name": "com.acme.Address", "subject": "address", "version": 5}}}, 42201)
}

// TestNormalize proves normalize=true stores and matches the normalized
// text, so equivalent spellings are one version.
func TestNormalize(t *testing.T) {
	r := start(t, "")
	const a = `{"type":"record","name":"R","namespace":"ns","fields":[{"name":"x","type":{"type":"int"},"doc":"d"}]}`
	const b = `{"name":"ns.R","type":"record","fields":[{"name":"x","type":"int"}]}`
	r.expect("POST", "/subjects/n/versions?normalize=true", avroBody(a), 200, `{"id":1}`)
	r.expect("POST", "/subjects/n/versions?normalize=true", avroBody(b), 200, `{"id":1}`)
	r.expect("GET", "/subjects/n/versions", nil, 200, `[1]`)
	_, out := r.do("POST", "/subjects/n?normalize=true", avroBody(b))
	if !strings.Contains(out, `"version":1`) {
		t.Errorf("normalized lookup: %s", out)
	}
	r.expect("POST", "/subjects/m/versions", avroBody(a), 200, `{"id":2}`)
	r.expect("POST", "/subjects/m/versions", avroBody(b), 200, `{"id":3}`)
}

// TestRestart proves the registry's state is the _schemas topic: ids,
// versions, configs, modes and deletes survive a restart, ids continue
// after the highest, and _schemas is compacted with Confluent's record
// shapes.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	r := start(t, dir)
	r.expect("POST", "/subjects/s/versions", avroBody(v1), 200, `{"id":1}`)
	r.expect("POST", "/subjects/s/versions", avroBody(v2), 200, `{"id":2}`)
	r.expect("PUT", "/config/s", map[string]string{"compatibility": "FULL"}, 200, `{"compatibility":"FULL"}`)
	r.expect("PUT", "/mode/m", map[string]string{"mode": "READONLY"}, 200, `{"mode":"READONLY"}`)
	r.expect("DELETE", "/subjects/s/versions/1", nil, 200, `1`)
	checkTopic(t, r.node.Addr)
	r.node.Shutdown()

	r = start(t, dir)
	r.expect("GET", "/subjects/s/versions", nil, 200, `[2]`)
	r.expect("GET", "/subjects/s/versions?deleted=true", nil, 200, `[1,2]`)
	r.expect("GET", "/schemas/ids/2", nil, 200, `{"schema":`+quoted(v2)+`}`)
	r.expect("GET", "/config/s", nil, 200, `{"compatibilityLevel":"FULL"}`)
	r.expect("GET", "/mode/m", nil, 200, `{"mode":"READONLY"}`)
	r.expect("POST", "/subjects/other/versions", avroBody(`"string"`), 200, `{"id":3}`)
	r.expect("POST", "/subjects/third/versions", avroBody(v1), 200, `{"id":1}`)
}

// checkTopicCompacted checks _schemas has one partition and is compacted.
func checkTopicCompacted(t *testing.T, bootstrap string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	adm := kadm.NewClient(cl)
	topics, err := adm.ListTopics(ctx, "_schemas")
	if err != nil || len(topics["_schemas"].Partitions) != 1 {
		t.Errorf("_schemas: %+v, %v", topics["_schemas"], err)
	}
	configs, err := adm.DescribeTopicConfigs(ctx, "_schemas")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := configs.On("_schemas", nil)
	if err != nil {
		t.Fatal(err)
	}
	compact := false
	for _, c := range rc.Configs {
		compact = compact || (c.Key == "cleanup.policy" && c.Value != nil && *c.Value == "compact")
	}
	if !compact {
		t.Errorf("_schemas is not compacted: %+v", rc.Configs)
	}
}

// checkTopic checks _schemas is compacted and holds Confluent's keys and
// values.
func checkTopic(t *testing.T, bootstrap string) {
	t.Helper()
	checkTopicCompacted(t, bootstrap)
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{"_schemas": {0: kgo.NewOffset().AtStart()}}))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []string
	for len(got) < 5 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d records of _schemas: %v", len(got), got)
		}
		fs.EachRecord(func(rec *kgo.Record) { got = append(got, string(rec.Key)+" => "+string(rec.Value)) })
	}
	want := []string{
		`{"keytype":"SCHEMA","subject":"s","version":1,"magic":1} => {"subject":"s","version":1,"id":1,"schema":` + quoted(v1) + `,"deleted":false}`,
		`{"keytype":"SCHEMA","subject":"s","version":2,"magic":1} => {"subject":"s","version":2,"id":2,"schema":` + quoted(v2) + `,"deleted":false}`,
		`{"keytype":"CONFIG","subject":"s","magic":0} => {"compatibilityLevel":"FULL"}`,
		`{"keytype":"MODE","subject":"m","magic":0} => {"mode":"READONLY"}`,
		`{"keytype":"SCHEMA","subject":"s","version":1,"magic":1} => {"subject":"s","version":1,"id":1,"schema":` + quoted(v1) + `,"deleted":true}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("_schemas holds\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestJSONSchemaAndProtobuf proves the registry serves the other two
// formats with their own compatibility rules: a JSON Schema that adds a
// property to a closed content model is refused with Confluent's rule
// name, one that adds an optional property to an open model registers;
// a Protobuf schema that changes a field's type across wire groups is
// refused, one that adds a field registers.
func TestJSONSchemaAndProtobuf(t *testing.T) {
	r := start(t, "")
	body := func(typ, text string) map[string]any { return map[string]any{"schemaType": typ, "schema": text} }

	closed := `{"type":"object","properties":{"id":{"type":"integer"}},"additionalProperties":false}`
	r.expect("POST", "/subjects/closed-value/versions", body("JSON", closed), 200, `{"id":1}`)
	code, out := r.do("POST", "/compatibility/subjects/closed-value/versions/latest?verbose=true",
		body("JSON", `{"type":"object","properties":{"id":{"type":"string"}},"additionalProperties":false}`))
	if code != 200 || !strings.Contains(out, `"is_compatible":false`) || !strings.Contains(out, "TYPE_CHANGED") {
		t.Errorf("an incompatible JSON Schema: %d %s", code, out)
	}
	// Under BACKWARD an open model may not gain a property (an old writer
	// may have put anything there), but a bound may loosen.
	open := `{"type":"object","properties":{"id":{"type":"integer"}}}`
	r.expect("POST", "/subjects/open-value/versions", body("JSON", open), 200, `{"id":2}`)
	code, out = r.do("POST", "/subjects/open-value/versions",
		body("JSON", `{"type":"object","properties":{"id":{"type":"integer"},"name":{"type":"string"}}}`))
	if code != 409 || !strings.Contains(out, "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL") {
		t.Errorf("a property added to an open model: %d %s", code, out)
	}
	r.expect("POST", "/subjects/name-value/versions", body("JSON", `{"type":"string","maxLength":5}`), 200, `{"id":3}`)
	r.expect("POST", "/subjects/name-value/versions", body("JSON", `{"type":"string","maxLength":10}`), 200, `{"id":4}`)
	r.expect("GET", "/schemas/ids/4/subjects", nil, 200, `["name-value"]`)

	proto := "syntax = \"proto3\";\npackage shop;\nmessage Order {\n  int64 id = 1;\n}\n"
	r.expect("POST", "/subjects/orders-value/versions", body("PROTOBUF", proto), 200, `{"id":5}`)
	r.expectError("POST", "/subjects/orders-value/versions",
		body("PROTOBUF", "syntax = \"proto3\";\npackage shop;\nmessage Order {\n  string id = 1;\n}\n"), 409)
	r.expect("POST", "/subjects/orders-value/versions",
		body("PROTOBUF", "syntax = \"proto3\";\npackage shop;\nmessage Order {\n  int64 id = 1;\n  string note = 2;\n}\n"), 200, `{"id":6}`)
	code, out = r.do("GET", "/subjects/orders-value/versions/latest", nil)
	if code != 200 || !strings.Contains(out, `"schemaType":"PROTOBUF"`) {
		t.Errorf("latest Protobuf version: %d %s", code, out)
	}
	r.expectError("POST", "/subjects/bad-value/versions", body("PROTOBUF", "message {"), 42201)
	r.expectError("POST", "/subjects/bad-value/versions", body("JSON", `{"type":`), 42201)
}

// TestSchemaByIDCached proves the cached answer of GET /schemas/ids/{id}
// is the routed one, byte for byte with the same headers, and that ids it
// does not hold, or paths it does not take, still answer as routed.
func TestSchemaByIDCached(t *testing.T) {
	r := start(t, "")
	r.expect("POST", "/subjects/s-value/versions", map[string]any{"schema": `syntax = "proto3"; message M { int32 a = 1; }`, "schemaType": "PROTOBUF"}, 200, `{"id":1}`)
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := client.Get(r.url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	cached, body := get("/schemas/ids/1")
	routed, routedBody := get("/schemas/ids/1?subject=s-value") // a query takes the routed path
	if cached.StatusCode != 200 || body != routedBody || !strings.Contains(body, `"schemaType":"PROTOBUF"`) {
		t.Errorf("cached %d %s, routed %d %s", cached.StatusCode, body, routed.StatusCode, routedBody)
	}
	for _, h := range []string{"Content-Type", "Content-Length"} {
		if cached.Header.Get(h) != routed.Header.Get(h) || cached.Header.Get(h) == "" {
			t.Errorf("%s: cached %q, routed %q", h, cached.Header.Get(h), routed.Header.Get(h))
		}
	}
	for _, path := range []string{"/schemas/ids/2", "/schemas/ids/0", "/schemas/ids/abc", "/schemas/ids/99999999999", "/schemas/ids/-1"} {
		r.expectError("GET", path, nil, 40403)
	}
	r.expectError("POST", "/schemas/ids/1", nil, 405)
}
