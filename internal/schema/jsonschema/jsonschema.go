package jsonschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	js "github.com/santhosh-tekuri/jsonschema/v6"

	"gregor/internal/schema"
)

// rootURL is the base a schema without an $id is compiled under, so that
// relative $refs (Confluent's reference names, such as "customer.json")
// resolve to a URL of our own. Nothing is ever fetched from it (the
// .invalid domain cannot exist, and the loader refuses every URL).
const rootURL = "http://gregor.invalid/schema.json"

// Format parses JSON Schemas. The zero value is ready to use and safe for
// concurrent use.
type Format struct{}

// Type is JSON.
func (Format) Type() schema.Type { return schema.JSON }

// Parsed is one compiled JSON Schema. It is immutable and safe for
// concurrent use.
type Parsed struct {
	canonical  string
	normalized string
	compiled   *js.Schema
	model      *model
	// title is the schema's top-level "title", its record name; hasTitle
	// is false when it has none (or one that is not a string).
	title    string
	hasTitle bool
}

var _ schema.Format = Format{}
var _ schema.Parsed = (*Parsed)(nil)

// Parse compiles text, with deps keyed by the name the schema's $refs use
// (a URL, or a path relative to the schema's $id), the draft defaulting
// to draft-07 as in Confluent's registry.
func (Format) Parse(text string, deps map[string]string) (schema.Parsed, error) {
	doc, err := decodeSchema(text)
	if err != nil {
		return nil, fmt.Errorf("invalid JSON schema: %w", err)
	}
	if !isSchemaValue(doc) {
		return nil, errors.New("invalid JSON schema: a schema is an object or a boolean")
	}
	base := baseURL(doc)
	c := js.NewCompiler()
	c.DefaultDraft(js.Draft7)
	c.UseLoader(noLoader{})
	if err := c.AddResource(base, doc); err != nil {
		return nil, fmt.Errorf("invalid JSON schema: %w", err)
	}
	m := newModel()
	m.addDocument(base, doc)
	for _, name := range sortedKeys(deps) {
		ddoc, err := decodeSchema(deps[name])
		if err != nil {
			return nil, fmt.Errorf("invalid JSON schema reference %q: %w", name, err)
		}
		u := resolveURL(base, name)
		if u == base {
			continue
		}
		if err := c.AddResource(u, ddoc); err != nil {
			return nil, fmt.Errorf("invalid JSON schema reference %q: %w", name, err)
		}
		m.addDocument(u, ddoc)
		if id := idOf(ddoc); id != "" && id != u {
			m.addAlias(id, u)
		}
	}
	m.link()
	compiled, err := compile(c, base)
	if err != nil {
		return nil, fmt.Errorf("invalid JSON schema: %s", describe(err))
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(text)); err != nil {
		return nil, fmt.Errorf("invalid JSON schema: %w", err)
	}
	var normalized bytes.Buffer
	enc := json.NewEncoder(&normalized)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("invalid JSON schema: %w", err)
	}
	p := &Parsed{
		canonical:  compact.String(),
		normalized: strings.TrimSuffix(normalized.String(), "\n"),
		compiled:   compiled,
		model:      m,
	}
	if obj, ok := doc.(map[string]any); ok {
		p.title, p.hasTitle = obj["title"].(string)
	}
	return p, nil
}

// compile turns a panic inside the library (which must not happen, but a
// registry must not go down on one schema) into an error.
func compile(c *js.Compiler, loc string) (s *js.Schema, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("schema compiler failed: %v", r)
		}
	}()
	return c.Compile(loc)
}

// Type is JSON.
func (*Parsed) Type() schema.Type { return schema.JSON }

// Canonical is the schema as compact JSON, its keys in the order written.
func (p *Parsed) Canonical() string { return p.canonical }

// Normalized is the schema as compact JSON with every object's keys
// sorted, so that schemas differing only in key order or spacing
// normalize equally.
func (p *Parsed) Normalized() string { return p.normalized }

// Validate reports whether payload is one JSON value valid for the schema.
func (p *Parsed) Validate(payload []byte) error {
	v, err := decode(payload)
	if err != nil {
		return fmt.Errorf("payload is not JSON: %w", err)
	}
	if err := p.compiled.Validate(v); err != nil {
		return fmt.Errorf("payload does not match the schema: %s", describe(err))
	}
	return nil
}

// CanRead reports the differences, by Confluent's JSON Schema rules, that
// make data written with writer unreadable by p.
func (p *Parsed) CanRead(writer schema.Parsed) []string {
	w, ok := writer.(*Parsed)
	if !ok {
		return []string{fmt.Sprintf("the writer schema is of type %s, not JSON", writer.Type())}
	}
	return canRead(w.model, p.model)
}

// describe flattens the library's multi-line error tree into one line
// and names the schema and its references as the user did, not by the
// internal URLs they were compiled under.
func describe(err error) string {
	text := strings.ReplaceAll(err.Error(), `"`+rootURL+`#"`, "the schema")
	text = strings.ReplaceAll(text, `'`+rootURL+`#'`, "the schema")
	text = strings.ReplaceAll(text, rootURL, "the schema")
	text = strings.ReplaceAll(text, "http://gregor.invalid/", "")
	var parts []string
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimPrefix(strings.TrimSpace(line), "- "); line != "" {
			parts = append(parts, line)
		}
	}
	return strings.Join(parts, "; ")
}

// noLoader refuses every URL the schema and its references do not
// provide: a registry never fetches schemas from the network or disk.
type noLoader struct{}

func (noLoader) Load(u string) (any, error) {
	return nil, fmt.Errorf("reference %q is not among the schema's references", u)
}

// maxDepth bounds how deeply a schema document nests objects and arrays.
// Compiling costs more than linear time in the nesting depth, and no
// schema written by hand or generated from code nests this deep.
const maxDepth = 100

// decodeSchema decodes a schema document no deeper than maxDepth.
func decodeSchema(text string) (any, error) {
	doc, err := decode([]byte(text))
	if err != nil {
		return nil, err
	}
	if depth(doc, 0) > maxDepth {
		return nil, fmt.Errorf("the document nests objects and arrays more than %d deep", maxDepth)
	}
	return doc, nil
}

// depth is how deeply v nests, stopping once past maxDepth.
func depth(v any, d int) int {
	if d > maxDepth {
		return d
	}
	deepest := d
	switch c := v.(type) {
	case map[string]any:
		for _, e := range c {
			deepest = max(deepest, depth(e, d+1))
		}
	case []any:
		for _, e := range c {
			deepest = max(deepest, depth(e, d+1))
		}
	}
	return deepest
}

// decode reads exactly one JSON value, keeping numbers as written.
func decode(b []byte) (any, error) {
	return js.UnmarshalJSON(bytes.NewReader(b))
}

func isSchemaValue(v any) bool {
	switch v.(type) {
	case bool, map[string]any:
		return true
	}
	return false
}

// baseURL is the schema's absolute $id, or rootURL.
func baseURL(doc any) string {
	id := idOf(doc)
	if id == "" {
		return rootURL
	}
	u, err := url.Parse(id)
	if err != nil || !u.IsAbs() {
		return rootURL
	}
	u.Fragment = ""
	return u.String()
}

func idOf(doc any) string {
	m, ok := doc.(map[string]any)
	if !ok {
		return ""
	}
	for _, k := range []string{"$id", "id"} {
		if s, ok := m[k].(string); ok {
			return strings.TrimSuffix(s, "#")
		}
	}
	return ""
}

// resolveURL resolves ref against base, without its fragment.
func resolveURL(base, ref string) string {
	b, err := url.Parse(base)
	if err != nil {
		return ref
	}
	r, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	u := b.ResolveReference(r)
	u.Fragment = ""
	return u.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
