package avro

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"

	havro "github.com/hamba/avro/v2"

	"gregor/internal/schema"
)

// Format is the Avro format. The zero value is ready to use and safe for
// concurrent use.
type Format struct{}

// Type returns schema.Avro.
func (Format) Type() schema.Type { return schema.Avro }

// Parse parses text, whose named types may refer to the named types
// declared by the schemas of deps.
func (Format) Parse(text string, deps map[string]string) (schema.Parsed, error) {
	if !json.Valid([]byte(text)) {
		return nil, errors.New("Invalid schema: the schema is not valid JSON")
	}
	cache := &havro.SchemaCache{}
	if err := parseDeps(deps, cache); err != nil {
		return nil, err
	}
	s, err := havro.ParseWithCache(text, "", cache)
	if err != nil {
		return nil, fmt.Errorf("Invalid schema %s: %w", text, err)
	}
	canon, err := canonical(text)
	if err != nil {
		return nil, fmt.Errorf("Invalid schema %s: %w", text, err)
	}
	normalized, err := normalize(text)
	if err != nil {
		return nil, err
	}
	return &Schema{schema: s, canonical: canon, normalized: normalized}, nil
}

// parseDeps parses the referenced schemas into cache, in whatever order
// lets each find the named types it uses: a dependency that does not
// parse yet is tried again after the others, until a round makes no
// progress.
func parseDeps(deps map[string]string, cache *havro.SchemaCache) error {
	pending := make([]string, 0, len(deps))
	for name := range deps {
		pending = append(pending, name)
	}
	sort.Strings(pending)
	for len(pending) > 0 {
		var left []string
		var lastErr error
		for _, name := range pending {
			if _, err := havro.ParseWithCache(deps[name], "", cache); err != nil {
				left, lastErr = append(left, name), fmt.Errorf("Invalid schema: reference %q: %w", name, err)
			}
		}
		if len(left) == len(pending) {
			return lastErr
		}
		pending = left
	}
	return nil
}

// Schema is a parsed Avro schema. It is immutable and safe for
// concurrent use.
type Schema struct {
	schema     havro.Schema
	canonical  string
	normalized string
}

// Type returns schema.Avro.
func (*Schema) Type() schema.Type { return schema.Avro }

// Canonical returns the schema as Java Avro's Schema.toString writes it:
// see canonical.
func (s *Schema) Canonical() string { return s.canonical }

// Normalized returns the normalized schema: see the package comment.
func (s *Schema) Normalized() string { return s.normalized }

// Avro returns the parsed schema.
func (s *Schema) Avro() havro.Schema { return s.schema }

// CanRead lists why data written with writer cannot be read with s.
func (s *Schema) CanRead(writer schema.Parsed) []string {
	w, ok := writer.(*Schema)
	if !ok {
		return []string{fmt.Sprintf("{errorType:'TYPE_MISMATCH', description:'The old schema is of type %s, not AVRO'}", writer.Type())}
	}
	return Resolve(s.schema, w.schema)
}

// Validate walks payload with s, building no value, and fails if it is
// not a value of s or if bytes are left over.
func (s *Schema) Validate(payload []byte) error {
	w := walker{b: payload, items: len(payload) + 1024}
	if err := w.walk(s.schema, 0); err != nil {
		return fmt.Errorf("avro: payload does not decode: %w", err)
	}
	if len(w.b) != 0 {
		return errors.New("avro: payload has bytes after the value")
	}
	return nil
}

// normalize returns text with names fully qualified, namespaces and docs
// dropped, primitive type objects written as their name, and object keys
// sorted; text is valid JSON.
func normalize(text string) (string, error) {
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return "", fmt.Errorf("Invalid schema: %w", err)
	}
	out, err := json.Marshal(normalizeType(v, ""))
	if err != nil {
		return "", fmt.Errorf("Invalid schema: %w", err)
	}
	return string(out), nil
}

var primitives = []string{"null", "boolean", "int", "long", "float", "double", "bytes", "string"}

func normalizeType(v any, namespace string) any {
	switch t := v.(type) {
	case string:
		if slices.Contains(primitives, t) {
			return t
		}
		return fullName(t, namespace)
	case []any:
		out := make([]any, len(t))
		for i, b := range t {
			out[i] = normalizeType(b, namespace)
		}
		return out
	case map[string]any:
		return normalizeObject(t, namespace)
	}
	return v
}

func normalizeObject(m map[string]any, namespace string) any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != "doc" && k != "namespace" {
			out[k] = v
		}
	}
	typ, _ := m["type"].(string)
	switch typ {
	case "record", "error", "enum", "fixed":
		name, _ := m["name"].(string)
		if ns, ok := m["namespace"].(string); ok {
			namespace = ns
		}
		full := fullName(name, namespace)
		out["name"] = full
		namespace = namespaceOf(full)
		if aliases, ok := m["aliases"].([]any); ok {
			out["aliases"] = qualifyAll(aliases, namespace)
		}
		if fields, ok := m["fields"].([]any); ok {
			out["fields"] = normalizeFields(fields, namespace)
		}
	case "array":
		out["items"] = normalizeType(m["items"], namespace)
	case "map":
		out["values"] = normalizeType(m["values"], namespace)
	case "":
		out["type"] = normalizeType(m["type"], namespace)
	default:
		if len(out) == 1 && slices.Contains(primitives, typ) {
			return typ
		}
	}
	return out
}

func normalizeFields(fields []any, namespace string) []any {
	out := make([]any, len(fields))
	for i, f := range fields {
		fm, ok := f.(map[string]any)
		if !ok {
			out[i] = f
			continue
		}
		nf := make(map[string]any, len(fm))
		for k, v := range fm {
			if k != "doc" {
				nf[k] = v
			}
		}
		nf["type"] = normalizeType(fm["type"], namespace)
		out[i] = nf
	}
	return out
}

func qualifyAll(names []any, namespace string) []any {
	out := make([]any, len(names))
	for i, a := range names {
		if s, ok := a.(string); ok {
			out[i] = fullName(s, namespace)
		} else {
			out[i] = a
		}
	}
	return out
}

func fullName(name, namespace string) string {
	if namespace == "" || bytes.ContainsRune([]byte(name), '.') {
		return name
	}
	return namespace + "." + name
}

func namespaceOf(full string) string {
	if i := bytes.LastIndexByte([]byte(full), '.'); i >= 0 {
		return full[:i]
	}
	return ""
}

// RecordName returns the full name of a named schema (record, enum,
// fixed) and, as Confluent's AvroSchema.name does, the type name of any
// other; every payload of s has that name.
func (s *Schema) RecordName([]byte) (string, error) {
	if n, ok := s.schema.(havro.NamedSchema); ok {
		return n.FullName(), nil
	}
	return string(s.schema.Type()), nil
}
