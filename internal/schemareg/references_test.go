package schemareg_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestReferencesByFormat is a rule table of schemas given as text with
// Confluent's references (name, subject, version), in each format as
// Confluent's providers resolve them: Avro by the named types of the
// referenced schemas, JSON Schema by a $ref to the reference's name,
// Protobuf by an import of the reference's name. Each format's base
// schema has two versions, the second changing the referenced type in a
// way its compatibility rules refuse; the schema that references it is
// registered, looked up and checked through references, in requests to
// register, look up and check compatibility.
func TestReferencesByFormat(t *testing.T) {
	type format struct {
		typ          string
		name         string // the reference's name
		base, baseV2 string // the referenced schema, and a change of its type
		main         string // a schema naming the referenced one
		wrongName    string // a reference name the main schema does not resolve ("": any name resolves)
	}
	formats := []format{{
		typ:    "AVRO",
		name:   "com.acme.Address",
		base:   `{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"}]}`,
		baseV2: `{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"int"}]}`,
		main:   `{"type":"record","name":"Person","namespace":"com.acme","fields":[{"name":"home","type":"com.acme.Address"}]}`,
	}, {
		typ:       "JSON",
		name:      "address.json",
		base:      `{"type":"object","properties":{"city":{"type":"string"}}}`,
		baseV2:    `{"type":"object","properties":{"city":{"type":"integer"}}}`,
		main:      `{"type":"object","properties":{"home":{"$ref":"address.json"}}}`,
		wrongName: "elsewhere.json",
	}, {
		typ:       "PROTOBUF",
		name:      "acme/address.proto",
		base:      "syntax = \"proto3\";\npackage acme;\nmessage Address {\n  string city = 1;\n}\n",
		baseV2:    "syntax = \"proto3\";\npackage acme;\nmessage Address {\n  int64 city = 1;\n}\n",
		main:      "syntax = \"proto3\";\npackage acme;\nimport \"acme/address.proto\";\nmessage Person {\n  Address home = 1;\n}\n",
		wrongName: "acme/other.proto",
	}}
	r := start(t, "")
	for _, f := range formats {
		t.Run(f.typ, func(t *testing.T) {
			r.t = t
			base, main := strings.ToLower(f.typ)+"-address", strings.ToLower(f.typ)+"-person"
			body := func(text string, refs ...map[string]any) map[string]any {
				b := map[string]any{"schemaType": f.typ, "schema": text}
				if refs != nil {
					b["references"] = refs
				}
				return b
			}
			ref := func(name string, version int) map[string]any {
				return map[string]any{"name": name, "subject": base, "version": version}
			}
			ok := func(method, path string, b any) string {
				t.Helper()
				code, out := r.do(method, path, b)
				if code != 200 {
					t.Fatalf("%s %s: %d %s", method, path, code, out)
				}
				return out
			}
			idOf := func(out string) int {
				var id int
				if _, err := fmt.Sscanf(out, `{"id":%d}`, &id); err != nil {
					t.Fatalf("no id in %s", out)
				}
				return id
			}
			r.expect("PUT", "/config/"+base, map[string]any{"compatibility": "NONE"}, 200, `{"compatibility":"NONE"}`)
			baseID := idOf(ok("POST", "/subjects/"+base+"/versions", body(f.base)))
			ok("POST", "/subjects/"+base+"/versions", body(f.baseV2))

			// register: references are needed and must exist.
			for _, bad := range []map[string]any{
				body(f.main),
				body(f.main, ref(f.name, 3)),
				body(f.main, map[string]any{"name": f.name, "subject": "no-such-subject", "version": 1}),
			} {
				r.expectError("POST", "/subjects/"+main+"/versions", bad, 42201)
			}
			if f.wrongName != "" {
				r.expectError("POST", "/subjects/"+main+"/versions", body(f.main, ref(f.wrongName, 1)), 42201)
			}
			id := idOf(ok("POST", "/subjects/"+main+"/versions", body(f.main, ref(f.name, 1))))
			if id == baseID {
				t.Fatalf("the referencing schema has the referenced one's id %d", id)
			}
			// The same text and references again: the same id, no new version.
			r.expect("POST", "/subjects/"+main+"/versions", body(f.main, ref(f.name, 1)), 200, fmt.Sprintf(`{"id":%d}`, id))
			// As stored (Avro text in its canonical form, AVRO not named).
			var stored struct{ Schema string }
			if err := json.Unmarshal([]byte(ok("GET", "/subjects/"+main+"/versions/1", nil)), &stored); err != nil || stored.Schema == "" {
				t.Fatalf("no schema stored: %v", err)
			}
			typeField := fmt.Sprintf(`"schemaType":%q,`, f.typ)
			if f.typ == "AVRO" {
				typeField = ""
			}
			refsJSON := fmt.Sprintf(`[{"name":%q,"subject":%q,"version":1}]`, f.name, base)
			r.expect("GET", fmt.Sprintf("/schemas/ids/%d", id), nil, 200,
				fmt.Sprintf(`{"schema":%s,%s"references":%s}`, quoted(stored.Schema), typeField, refsJSON))
			r.expect("GET", "/subjects/"+base+"/versions/1/referencedby", nil, 200, fmt.Sprintf(`[%d]`, id))
			r.expect("GET", "/subjects/"+base+"/versions/2/referencedby", nil, 200, `[]`)

			// lookup: the text with its references finds the version; the
			// same text with other references is another schema.
			r.expect("POST", "/subjects/"+main, body(f.main, ref(f.name, 1)), 200,
				fmt.Sprintf(`{"subject":%q,"version":1,"id":%d,%s"references":%s,"schema":%s}`, main, id, typeField, refsJSON, quoted(stored.Schema)))
			r.expectError("POST", "/subjects/"+main, body(f.main, ref(f.name, 2)), 40403)
			r.expectError("POST", "/subjects/"+main, body(f.main), 42201)

			// compatibility: the text with references to the changed type.
			r.expect("POST", "/compatibility/subjects/"+main+"/versions/latest", body(f.main, ref(f.name, 1)), 200, `{"is_compatible":true}`)
			r.expect("POST", "/compatibility/subjects/"+main+"/versions/latest", body(f.main, ref(f.name, 2)), 200, `{"is_compatible":false}`)
			r.expectError("POST", "/compatibility/subjects/"+main+"/versions/latest", body(f.main), 42201)
			r.expectError("POST", "/subjects/"+main+"/versions", body(f.main, ref(f.name, 2)), 409)

			// A referenced version cannot go while it is referenced.
			r.expectError("DELETE", "/subjects/"+base+"/versions/1", nil, 42206)
		})
	}
}
