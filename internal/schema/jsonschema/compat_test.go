package jsonschema

import (
	"strings"
	"testing"
)

// compatCases are Confluent's JSON Schema rules, one or more rows each:
// a writer schema, a reader schema, and the difference type CanRead must
// report (empty when the reader can read the writer's data).
var compatCases = []struct {
	name           string
	writer, reader string
	want           string
}{
	// Content models: adding and removing properties.
	{"property added to open model", `{"type":"object","properties":{"a":{"type":"string"}}}`,
		`{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}`, "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"},
	{"property with empty schema added to open model", `{"type":"object","properties":{"a":{"type":"string"}}}`,
		`{"type":"object","properties":{"a":{"type":"string"},"b":{}}}`, ""},
	{"property removed from open model", `{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}`,
		`{"type":"object","properties":{"a":{"type":"string"}}}`, ""},
	{"optional property added to closed model", `{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}`,
		`{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"additionalProperties":false}`, ""},
	{"required property added to closed model", `{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}`,
		`{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"required":["b"],"additionalProperties":false}`,
		"REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"},
	{"required property with default added to closed model", `{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}`,
		`{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer","default":0}},"required":["b"],"additionalProperties":false}`, ""},
	{"property removed from closed model", `{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"additionalProperties":false}`,
		`{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}`, "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"},
	{"false property removed from closed model", `{"type":"object","properties":{"a":{"type":"string"},"b":false},"additionalProperties":false}`,
		`{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}`, ""},
	{"property added, covered by partially open model", `{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":{"type":"string"}}`,
		`{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"}},"additionalProperties":{"type":"string"}}`, ""},
	{"property added, not covered by partially open model", `{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":{"type":"string"}}`,
		`{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"additionalProperties":{"type":"string"}}`,
		"PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"},
	{"property added, covered by patternProperties", `{"type":"object","patternProperties":{"^n_":{"type":"number"}}}`,
		`{"type":"object","properties":{"n_x":{"type":"number"}},"patternProperties":{"^n_":{"type":"number"}}}`, ""},
	{"property removed, covered by partially open model", `{"type":"object","properties":{"b":{"type":"string"}},"additionalProperties":{"type":"string"}}`,
		`{"type":"object","additionalProperties":{"type":"string"}}`, ""},
	{"property removed, not covered by partially open model", `{"type":"object","properties":{"b":{"type":"integer"}},"additionalProperties":{"type":"string"}}`,
		`{"type":"object","additionalProperties":{"type":"string"}}`, "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"},
	{"additionalProperties closed", `{"type":"object","properties":{"a":{"type":"string"}}}`,
		`{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}`, "ADDITIONAL_PROPERTIES_REMOVED"},
	{"additionalProperties opened", `{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}`,
		`{"type":"object","properties":{"a":{"type":"string"}}}`, ""},
	{"additionalProperties narrowed", `{"type":"object"}`, `{"type":"object","additionalProperties":{"type":"string"}}`, "ADDITIONAL_PROPERTIES_NARROWED"},
	{"additionalProperties extended", `{"type":"object","additionalProperties":{"type":"string"}}`, `{"type":"object"}`, ""},

	{"required property added to open model", `{"type":"object","properties":{"a":{"type":"string"}}}`,
		`{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"required":["b"]}`,
		"REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"},
	{"required property with default added to open model", `{"type":"object","properties":{"a":{"type":"string"}}}`,
		`{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer","default":1}},"required":["b"]}`,
		"REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL"},
	{"property added to model closed by unevaluatedProperties", `{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"a":{"type":"string"}},"unevaluatedProperties":false}`,
		`{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"a":{"type":"string"},"b":{"type":"number"}},"unevaluatedProperties":false}`, ""},
	{"unevaluatedProperties closed", `{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"a":{"type":"string"}}}`,
		`{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"a":{"type":"string"}},"unevaluatedProperties":false}`,
		"UNEVALUATED_PROPERTIES_REMOVED"},

	// Required.
	{"required added", `{"type":"object","properties":{"a":{"type":"string"}}}`,
		`{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}`, "REQUIRED_ATTRIBUTE_ADDED"},
	{"required with default added", `{"type":"object","properties":{"a":{"type":"string"}}}`,
		`{"type":"object","properties":{"a":{"type":"string","default":"x"}},"required":["a"]}`, ""},
	{"required removed", `{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}`,
		`{"type":"object","properties":{"a":{"type":"string"}}}`, ""},
	{"min properties added", `{"type":"object"}`, `{"type":"object","minProperties":1}`, "MIN_PROPERTIES_ADDED"},
	{"max properties decreased", `{"type":"object","maxProperties":5}`, `{"type":"object","maxProperties":4}`, "MAX_PROPERTIES_DECREASED"},
	{"max properties increased", `{"type":"object","maxProperties":5}`, `{"type":"object","maxProperties":6}`, ""},
	{"dependency array added", `{"type":"object"}`, `{"type":"object","dependencies":{"a":["b"]}}`, "DEPENDENCY_ARRAY_ADDED"},
	{"dependency array extended", `{"type":"object","dependencies":{"a":["b"]}}`, `{"type":"object","dependencies":{"a":["b","c"]}}`, "DEPENDENCY_ARRAY_EXTENDED"},
	{"dependency array narrowed", `{"type":"object","dependencies":{"a":["b","c"]}}`, `{"type":"object","dependencies":{"a":["b"]}}`, ""},
	{"dependency schema added", `{"type":"object"}`, `{"type":"object","dependencies":{"a":{"required":["b"]}}}`, "DEPENDENCY_SCHEMA_ADDED"},

	// Types.
	{"type changed", `{"type":"string"}`, `{"type":"integer"}`, "TYPE_CHANGED"},
	{"type extended integer to number", `{"type":"integer"}`, `{"type":"number"}`, ""},
	{"type narrowed number to integer", `{"type":"number"}`, `{"type":"integer"}`, "TYPE_NARROWED"},
	{"type changed to accept everything", `{"type":"string"}`, `{}`, ""},
	{"type from everything", `{}`, `{"type":"string"}`, "TYPE_CHANGED"},
	{"nullable added (sum type extended)", `{"type":"string"}`, `{"type":["string","null"]}`, ""},
	{"nullable removed (sum type narrowed)", `{"type":["string","null"]}`, `{"type":"string"}`, "TYPE_CHANGED"},
	{"nested property type changed", `{"type":"object","properties":{"a":{"type":"string"}}}`,
		`{"type":"object","properties":{"a":{"type":"boolean"}}}`, "TYPE_CHANGED"},

	// Strings.
	{"max length added", `{"type":"string"}`, `{"type":"string","maxLength":10}`, "MAX_LENGTH_ADDED"},
	{"max length decreased", `{"type":"string","maxLength":10}`, `{"type":"string","maxLength":9}`, "MAX_LENGTH_DECREASED"},
	{"max length increased", `{"type":"string","maxLength":10}`, `{"type":"string","maxLength":11}`, ""},
	{"max length removed", `{"type":"string","maxLength":10}`, `{"type":"string"}`, ""},
	{"min length added", `{"type":"string"}`, `{"type":"string","minLength":1}`, "MIN_LENGTH_ADDED"},
	{"min length increased", `{"type":"string","minLength":1}`, `{"type":"string","minLength":2}`, "MIN_LENGTH_INCREASED"},
	{"min length decreased", `{"type":"string","minLength":2}`, `{"type":"string","minLength":1}`, ""},
	{"pattern added", `{"type":"string"}`, `{"type":"string","pattern":"^a"}`, "PATTERN_ADDED"},
	{"pattern changed", `{"type":"string","pattern":"^a"}`, `{"type":"string","pattern":"^b"}`, "PATTERN_CHANGED"},
	{"pattern removed", `{"type":"string","pattern":"^a"}`, `{"type":"string"}`, ""},

	// Numbers.
	{"maximum added", `{"type":"number"}`, `{"type":"number","maximum":10}`, "MAXIMUM_ADDED"},
	{"maximum decreased", `{"type":"number","maximum":10}`, `{"type":"number","maximum":9.5}`, "MAXIMUM_DECREASED"},
	{"maximum increased", `{"type":"number","maximum":10}`, `{"type":"number","maximum":10.5}`, ""},
	{"minimum increased", `{"type":"number","minimum":1}`, `{"type":"number","minimum":2}`, "MINIMUM_INCREASED"},
	{"minimum decreased", `{"type":"number","minimum":1}`, `{"type":"number","minimum":0}`, ""},
	{"exclusive minimum added", `{"type":"number"}`, `{"type":"number","exclusiveMinimum":0}`, "EXCLUSIVE_MINIMUM_ADDED"},
	{"exclusive maximum decreased", `{"type":"number","exclusiveMaximum":5}`, `{"type":"number","exclusiveMaximum":4}`, "EXCLUSIVE_MAXIMUM_DECREASED"},
	{"multipleOf added", `{"type":"integer"}`, `{"type":"integer","multipleOf":2}`, "MULTIPLE_OF_ADDED"},
	{"multipleOf expanded", `{"type":"integer","multipleOf":2}`, `{"type":"integer","multipleOf":4}`, "MULTIPLE_OF_EXPANDED"},
	{"multipleOf reduced", `{"type":"integer","multipleOf":4}`, `{"type":"integer","multipleOf":2}`, ""},
	{"multipleOf changed", `{"type":"integer","multipleOf":2}`, `{"type":"integer","multipleOf":3}`, "MULTIPLE_OF_CHANGED"},

	// Enums and consts.
	{"enum extended", `{"enum":["a","b"]}`, `{"enum":["a","b","c"]}`, ""},
	{"enum narrowed", `{"enum":["a","b"]}`, `{"enum":["a"]}`, "ENUM_ARRAY_NARROWED"},
	{"enum changed", `{"enum":["a","b"]}`, `{"enum":["a","c"]}`, "ENUM_ARRAY_CHANGED"},
	{"const changed", `{"const":1}`, `{"const":2}`, "ENUM_ARRAY_CHANGED"},
	{"typed enum extended", `{"type":"string","enum":["a"]}`, `{"type":"string","enum":["a","b"]}`, ""},
	{"enum dropped from a typed schema", `{"type":"string","enum":["a"]}`, `{"type":"string"}`, ""},

	// Arrays.
	{"max items added", `{"type":"array"}`, `{"type":"array","maxItems":3}`, "MAX_ITEMS_ADDED"},
	{"max items decreased", `{"type":"array","maxItems":3}`, `{"type":"array","maxItems":2}`, "MAX_ITEMS_DECREASED"},
	{"min items increased", `{"type":"array","minItems":1}`, `{"type":"array","minItems":2}`, "MIN_ITEMS_INCREASED"},
	{"min items removed", `{"type":"array","minItems":1}`, `{"type":"array"}`, ""},
	{"unique items added", `{"type":"array"}`, `{"type":"array","uniqueItems":true}`, "UNIQUE_ITEMS_ADDED"},
	{"unique items removed", `{"type":"array","uniqueItems":true}`, `{"type":"array"}`, ""},
	{"items type changed", `{"type":"array","items":{"type":"string"}}`, `{"type":"array","items":{"type":"number"}}`, "TYPE_CHANGED"},
	{"items schema added", `{"type":"array"}`, `{"type":"array","items":{"type":"number"}}`, "SCHEMA_ADDED"},
	{"items schema removed", `{"type":"array","items":{"type":"number"}}`, `{"type":"array"}`, ""},
	{"tuple item added to open model", `{"type":"array","items":[{"type":"string"}]}`,
		`{"type":"array","items":[{"type":"string"},{"type":"number"}]}`, "ITEM_ADDED_TO_OPEN_CONTENT_MODEL"},
	{"tuple item added to closed model", `{"type":"array","items":[{"type":"string"}],"additionalItems":false}`,
		`{"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":false}`, ""},
	{"tuple item removed from closed model", `{"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":false}`,
		`{"type":"array","items":[{"type":"string"}],"additionalItems":false}`, "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL"},
	{"tuple item removed from open model", `{"type":"array","items":[{"type":"string"},{"type":"number"}]}`,
		`{"type":"array","items":[{"type":"string"}]}`, ""},
	{"tuple item added, not covered", `{"type":"array","items":[{"type":"string"}],"additionalItems":{"type":"string"}}`,
		`{"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":{"type":"string"}}`,
		"ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"},
	{"additional items removed", `{"type":"array","items":[{"type":"string"}]}`,
		`{"type":"array","items":[{"type":"string"}],"additionalItems":false}`, "ADDITIONAL_ITEMS_REMOVED"},

	{"additionalItems closed without a tuple", `{"additionalItems":true}`, `{"additionalItems":false}`, "ADDITIONAL_ITEMS_REMOVED"},
	{"2020-12 items closed after prefixItems", `{"$schema":"https://json-schema.org/draft/2020-12/schema","prefixItems":[{"type":"string"}]}`,
		`{"$schema":"https://json-schema.org/draft/2020-12/schema","prefixItems":[{"type":"string"}],"items":false}`, "ADDITIONAL_ITEMS_REMOVED"},
	{"2020-12 tuple item added, covered by unevaluatedItems", `{"$schema":"https://json-schema.org/draft/2020-12/schema","prefixItems":[{"type":"string"}],"unevaluatedItems":{"type":"string"}}`,
		`{"$schema":"https://json-schema.org/draft/2020-12/schema","prefixItems":[{"type":"string"},{"type":"string"}],"unevaluatedItems":{"type":"string"}}`, ""},
	{"minContains increased", `{"type":"array","contains":{"type":"number"},"minContains":1}`,
		`{"type":"array","contains":{"type":"number"},"minContains":2}`, "MIN_CONTAINS_INCREASED"},
	{"minContains removed (back to its default)", `{"type":"array","contains":{"type":"number"},"minContains":1}`,
		`{"type":"array","contains":{"type":"number"}}`, ""},
	{"maxContains added", `{"type":"array","contains":{"type":"number"}}`,
		`{"type":"array","contains":{"type":"number"},"maxContains":3}`, "MAX_CONTAINS_ADDED"},

	// Combinations.
	{"repeated subschema added to allOf", `{"allOf":[{"type":"string"}]}`, `{"allOf":[{"type":"string"},{"type":"string"}]}`, ""},
	{"sum type extended", `{"oneOf":[{"type":"string"},{"type":"number"}]}`,
		`{"oneOf":[{"type":"string"},{"type":"number"},{"type":"boolean"}]}`, ""},
	{"sum type narrowed", `{"oneOf":[{"type":"string"},{"type":"number"}]}`, `{"oneOf":[{"type":"string"}]}`, "SUM_TYPE_NARROWED"},
	{"product type extended", `{"allOf":[{"type":"string"}]}`, `{"allOf":[{"type":"string"},{"maxLength":3}]}`, "PRODUCT_TYPE_EXTENDED"},
	{"product type narrowed", `{"allOf":[{"type":"string"},{"maxLength":3}]}`, `{"allOf":[{"type":"string"}]}`, ""},
	{"combined type oneOf to anyOf", `{"oneOf":[{"type":"string"},{"type":"number"}]}`, `{"anyOf":[{"type":"string"},{"type":"number"}]}`, ""},
	{"combined type anyOf to allOf", `{"anyOf":[{"type":"string"},{"type":"number"}]}`, `{"allOf":[{"type":"string"},{"type":"number"}]}`, "COMBINED_TYPE_CHANGED"},
	{"combined subschemas changed", `{"anyOf":[{"type":"string"},{"type":"number"}]}`, `{"anyOf":[{"type":"string"},{"type":"boolean"}]}`,
		"COMBINED_TYPE_SUBSCHEMAS_CHANGED"},
	{"single type to anyOf containing it", `{"type":"string"}`, `{"anyOf":[{"type":"string"},{"type":"number"}]}`, ""},
	{"allOf to one of its parts", `{"allOf":[{"type":"string"},{"maxLength":3}]}`, `{"type":"string"}`, ""},
	{"not narrowed", `{"not":{"type":"string"}}`, `{"not":{"type":["string","number"]}}`, "NOT_TYPE_EXTENDED"},
	{"not extended", `{"not":{"type":["string","number"]}}`, `{"not":{"type":"string"}}`, ""},

	// References.
	{"ref to a changed definition", `{"definitions":{"a":{"type":"string"}},"type":"object","properties":{"x":{"$ref":"#/definitions/a"}}}`,
		`{"definitions":{"a":{"type":"integer"}},"type":"object","properties":{"x":{"$ref":"#/definitions/a"}}}`, "TYPE_CHANGED"},
	{"recursive schema unchanged", `{"definitions":{"n":{"type":"object","properties":{"next":{"$ref":"#/definitions/n"}}}},"$ref":"#/definitions/n"}`,
		`{"definitions":{"n":{"type":"object","properties":{"next":{"$ref":"#/definitions/n"}}}},"$ref":"#/definitions/n"}`, ""},
	{"metadata changed", `{"title":"a","description":"x","type":"string"}`, `{"title":"b","description":"y","type":"string"}`, ""},
}

// TestCanReadRules proves each of Confluent's JSON Schema compatibility
// rules: a compatible change reports nothing, an incompatible one reports
// its difference type.
func TestCanReadRules(t *testing.T) {
	for _, tc := range compatCases {
		t.Run(tc.name, func(t *testing.T) {
			w := mustParse(t, tc.writer, nil)
			r := mustParse(t, tc.reader, nil)
			got := r.CanRead(w)
			if tc.want == "" {
				if len(got) != 0 {
					t.Fatalf("CanRead = %q, want compatible", got)
				}
				return
			}
			if !containsType(got, tc.want) {
				t.Fatalf("CanRead = %q, want %s", got, tc.want)
			}
		})
	}
}

// TestCanReadIdentity proves that every schema of the table can read its
// own data.
func TestCanReadIdentity(t *testing.T) {
	for _, tc := range compatCases {
		for _, text := range []string{tc.writer, tc.reader} {
			p := mustParse(t, text, nil)
			if got := p.CanRead(p); len(got) != 0 {
				t.Errorf("%s: schema cannot read itself: %q", text, got)
			}
		}
	}
}

// TestCanReadMessage proves the message names the rule and the path.
func TestCanReadMessage(t *testing.T) {
	w := mustParse(t, `{"type":"object","properties":{"a":{"type":"string"}}}`, nil)
	r := mustParse(t, `{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}`, nil)
	got := r.CanRead(w)
	want := "{errorType:'OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL', description:'the reader schema has a property at path '#/properties/b'"
	if len(got) != 1 || !strings.HasPrefix(got[0], want) {
		t.Fatalf("CanRead = %q, want one message starting %q", got, want)
	}
}

func containsType(msgs []string, typ string) bool {
	for _, m := range msgs {
		if strings.Contains(m, "errorType:'"+typ+"'") {
			return true
		}
	}
	return false
}
