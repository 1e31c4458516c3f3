package jsonschema

import (
	"strings"
	"testing"
	"time"

	"gregor/internal/schema"
)

func mustParse(t *testing.T, text string, deps map[string]string) *Parsed {
	t.Helper()
	p, err := Format{}.Parse(text, deps)
	if err != nil {
		t.Fatalf("Parse(%s): %v", text, err)
	}
	return p.(*Parsed)
}

// TestParseErrors proves that what is not a schema, or names a reference
// it was not given, is refused with a reason.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`{"type":`, "invalid JSON schema"},
		{`{} {}`, "invalid JSON schema"},
		{`42`, "object or a boolean"},
		{`{"type":"strnig"}`, "invalid JSON schema"},
		{`{"minLength":-1}`, "invalid JSON schema"},
		{`{"$ref":"missing.json"}`, "not among the schema's references"},
		{`{"$ref":"https://example.com/remote.json"}`, "not among the schema's references"},
		{`{"$ref":"file:///etc/passwd"}`, "not among the schema's references"},
		{`{"$ref":"#/definitions/nope"}`, "invalid JSON schema"},
	} {
		_, err := Format{}.Parse(tc.text, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%s) = %v, want an error containing %q", tc.text, err, tc.want)
		}
	}
}

// TestCanonicalAndNormalized proves the canonical text is the compact
// JSON as written and the normalized text sorts keys, so that two
// spellings of one schema normalize equally.
func TestCanonicalAndNormalized(t *testing.T) {
	a := mustParse(t, "{ \"type\": \"object\",\n \"properties\": { \"b\": {\"type\": \"number\", \"maximum\": 1.50} } }", nil)
	b := mustParse(t, `{"properties":{"b":{"maximum":1.50,"type":"number"}},"type":"object"}`, nil)
	if got, want := a.Canonical(), `{"type":"object","properties":{"b":{"type":"number","maximum":1.50}}}`; got != want {
		t.Errorf("Canonical = %s, want %s", got, want)
	}
	if a.Canonical() == b.Canonical() {
		t.Errorf("canonical texts of different spellings are equal: %s", a.Canonical())
	}
	if a.Normalized() != b.Normalized() {
		t.Errorf("Normalized differ:\n%s\n%s", a.Normalized(), b.Normalized())
	}
	if got, want := a.Normalized(), `{"properties":{"b":{"maximum":1.50,"type":"number"}},"type":"object"}`; got != want {
		t.Errorf("Normalized = %s, want %s", got, want)
	}
	c := mustParse(t, `{"pattern":"^<a&b>$","type":"string"}`, nil)
	if got, want := c.Normalized(), `{"pattern":"^<a&b>$","type":"string"}`; got != want {
		t.Errorf("Normalized = %s, want %s (no HTML escaping)", got, want)
	}
}

// TestValidate proves payloads are checked against the schema, including
// through a reference.
func TestValidate(t *testing.T) {
	deps := map[string]string{
		"address.json": `{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`,
	}
	p := mustParse(t, `{"$id":"https://example.com/person.json","type":"object",
		"properties":{"name":{"type":"string","maxLength":5},"address":{"$ref":"address.json"}},
		"required":["name"],"additionalProperties":false}`, deps)
	for _, tc := range []struct {
		payload string
		ok      bool
	}{
		{`{"name":"ann"}`, true},
		{`{"name":"ann","address":{"city":"Oslo"}}`, true},
		{`{"name":"ann","address":{}}`, false},
		{`{"name":"annabelle"}`, false},
		{`{"name":"ann","x":1}`, false},
		{`{}`, false},
		{`[]`, false},
		{`{"name":"ann"} trailing`, false},
		{``, false},
		{"\x00\x01", false},
	} {
		err := p.Validate([]byte(tc.payload))
		if (err == nil) != tc.ok {
			t.Errorf("Validate(%q) = %v, want ok=%v", tc.payload, err, tc.ok)
		}
	}
}

// TestReferences proves $refs resolve to deps by absolute URL and by a
// name relative to the schema's $id or to no $id at all, and that the
// compatibility diff follows them.
func TestReferences(t *testing.T) {
	dep := `{"type":"object","properties":{"id":{"type":"integer"}}}`
	for _, tc := range []struct {
		name, text string
		deps       map[string]string
	}{
		{"relative, no $id", `{"type":"object","properties":{"c":{"$ref":"customer.json"}}}`, map[string]string{"customer.json": dep}},
		{"relative to $id", `{"$id":"http://example.com/schemas/order.json","properties":{"c":{"$ref":"customer.json"}}}`,
			map[string]string{"customer.json": dep}},
		{"absolute", `{"properties":{"c":{"$ref":"http://example.com/customer.json"}}}`,
			map[string]string{"http://example.com/customer.json": dep}},
		{"fragment into a dep", `{"properties":{"c":{"$ref":"defs.json#/definitions/id"}}}`,
			map[string]string{"defs.json": `{"definitions":{"id":{"type":"integer"}}}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, tc.text, tc.deps)
			if got := p.CanRead(p); len(got) != 0 {
				t.Errorf("CanRead(self) = %q", got)
			}
		})
	}
	oldDeps := map[string]string{"customer.json": `{"type":"object","properties":{"id":{"type":"integer"}}}`}
	newDeps := map[string]string{"customer.json": `{"type":"object","properties":{"id":{"type":"string"}}}`}
	text := `{"type":"object","properties":{"c":{"$ref":"customer.json"}}}`
	got := mustParse(t, text, newDeps).CanRead(mustParse(t, text, oldDeps))
	if !containsType(got, "TYPE_CHANGED") {
		t.Errorf("a changed referenced schema: CanRead = %q, want TYPE_CHANGED", got)
	}
}

// TestOtherType proves a writer of another format is refused, not a panic.
func TestOtherType(t *testing.T) {
	p := mustParse(t, `{}`, nil)
	if got := p.CanRead(otherParsed{}); len(got) != 1 {
		t.Fatalf("CanRead(other type) = %q", got)
	}
}

type otherParsed struct{ schema.Parsed }

func (otherParsed) Type() schema.Type { return schema.Avro }

// TestConcurrentUse proves a parsed schema serves CanRead and Validate
// from many goroutines at once (run with -race).
func TestConcurrentUse(t *testing.T) {
	deps := map[string]string{"d.json": `{"definitions":{"x":{"type":"object","properties":{"n":{"$ref":"#/definitions/y"}}},"y":{"type":"integer"}}}`}
	w := mustParse(t, `{"type":"object","properties":{"a":{"$ref":"d.json#/definitions/x"}}}`, deps)
	r := mustParse(t, `{"type":"object","properties":{"a":{"$ref":"d.json#/definitions/x"}}}`, deps)
	done := make(chan []string, 8)
	for range 8 {
		go func() {
			_ = r.Validate([]byte(`{"a":{"n":1}}`))
			done <- r.CanRead(w)
		}()
	}
	for range 8 {
		if got := <-done; len(got) != 0 {
			t.Errorf("CanRead = %q", got)
		}
	}
}

// TestDeepNestingRefused proves a pathologically nested schema is refused
// at once instead of compiling for minutes, and a deep but sane one is
// accepted.
func TestDeepNestingRefused(t *testing.T) {
	deep := strings.Repeat(`{"not":`, 5000) + `{}` + strings.Repeat(`}`, 5000)
	start := time.Now()
	if _, err := (Format{}).Parse(deep, nil); err == nil || !strings.Contains(err.Error(), "nests") {
		t.Errorf("Parse(5000 nested nots) = %v", err)
	}
	if _, err := (Format{}).Parse(`{}`, map[string]string{"d.json": deep}); err == nil {
		t.Errorf("Parse with a deeply nested reference succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refusing took %v", d)
	}
	mustParse(t, strings.Repeat(`{"properties":{"a":`, 40)+`{}`+strings.Repeat(`}}`, 40), nil)
}
