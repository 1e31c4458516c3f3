package avro

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// canonical returns text as Java Avro's Schema.toString writes it, the
// form Confluent's registry stores and answers: compact JSON, each
// object's attributes in Java's order (type, name, namespace when it
// differs from the enclosing one, doc, then the type's own attributes,
// other properties in the order given, aliases (a field's aliases come
// before its properties)), primitive types without
// properties as bare names, named types referred to by the shortest name
// that resolves. text is a schema hamba/avro parsed.
func canonical(text string) (string, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	v, err := decodeOrdered(dec)
	if err != nil {
		return "", err
	}
	w := &javaWriter{}
	if err := w.schema(v, ""); err != nil {
		return "", err
	}
	return w.buf.String(), nil
}

// object is a JSON object that keeps its keys' order.
type object struct {
	keys []string
	vals map[string]any
}

func (o *object) str(key string) string {
	s, _ := o.vals[key].(string)
	return s
}

// decodeOrdered decodes one JSON value, objects as *object.
func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &object{vals: map[string]any{}}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := k.(string)
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				if _, dup := o.vals[key]; !dup {
					o.keys = append(o.keys, key)
				}
				o.vals[key] = v
			}
			_, err := dec.Token()
			return o, err
		case '[':
			var a []any
			for dec.More() {
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			_, err := dec.Token()
			return a, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return tok, nil
	}
}

// javaWriter writes schemas as Java's Schema.toJson does.
type javaWriter struct {
	buf bytes.Buffer
}

func (w *javaWriter) value(v any) {
	switch t := v.(type) {
	case *object:
		w.buf.WriteByte('{')
		for i, k := range t.keys {
			if i > 0 {
				w.buf.WriteByte(',')
			}
			w.str(k)
			w.buf.WriteByte(':')
			w.value(t.vals[k])
		}
		w.buf.WriteByte('}')
	case []any:
		w.buf.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				w.buf.WriteByte(',')
			}
			w.value(e)
		}
		w.buf.WriteByte(']')
	case string:
		w.str(t)
	case json.Number:
		w.buf.WriteString(t.String())
	case bool:
		fmt.Fprint(&w.buf, t)
	case nil:
		w.buf.WriteString("null")
	}
}

func (w *javaWriter) str(s string) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	w.buf.Write(bytes.TrimRight(b.Bytes(), "\n"))
}

// field writes ,"key":v (the caller wrote at least one attribute before).
func (w *javaWriter) field(key string, v any) {
	w.buf.WriteByte(',')
	w.str(key)
	w.buf.WriteByte(':')
	w.value(v)
}

// props writes the attributes of o that are not among known, in order.
func (w *javaWriter) props(o *object, known ...string) {
	for _, k := range o.keys {
		if !slices.Contains(known, k) {
			w.field(k, o.vals[k])
		}
	}
}

func (w *javaWriter) schema(v any, space string) error {
	switch t := v.(type) {
	case string:
		if slices.Contains(primitives, t) {
			w.str(t)
		} else {
			w.str(relativeName(fullName(t, space), space))
		}
		return nil
	case []any:
		w.buf.WriteByte('[')
		for i, b := range t {
			if i > 0 {
				w.buf.WriteByte(',')
			}
			if err := w.schema(b, space); err != nil {
				return err
			}
		}
		w.buf.WriteByte(']')
		return nil
	case *object:
		return w.object(t, space)
	}
	return errors.New("a schema is a name, an object or a union")
}

func (w *javaWriter) object(o *object, space string) error {
	typ, isName := o.vals["type"].(string)
	if !isName {
		return w.schema(o.vals["type"], space) // {"type": <schema>}: the schema itself
	}
	switch typ {
	case "record", "error", "enum", "fixed":
		return w.named(o, typ, space)
	case "array", "map":
		w.buf.WriteString(`{"type":`)
		w.str(typ)
		key := map[string]string{"array": "items", "map": "values"}[typ]
		w.buf.WriteString(`,"` + key + `":`)
		if err := w.schema(o.vals[key], space); err != nil {
			return err
		}
		w.props(o, "type", key)
		w.buf.WriteByte('}')
		return nil
	}
	if !slices.Contains(primitives, typ) {
		return w.schema(typ, space) // {"type": "some.Named"}
	}
	if len(o.keys) == 1 {
		w.str(typ)
		return nil
	}
	w.buf.WriteString(`{"type":`)
	w.str(typ)
	w.props(o, "type")
	w.buf.WriteByte('}')
	return nil
}

// named writes a record, error, enum or fixed definition.
func (w *javaWriter) named(o *object, typ, space string) error {
	if err := definition(o, typ); err != nil {
		return err
	}
	ns := space
	if s, ok := o.vals["namespace"].(string); ok {
		ns = s
	}
	full := fullName(o.str("name"), ns)
	own := namespaceOf(full)
	w.buf.WriteString(`{"type":`)
	w.str(typ)
	w.field("name", full[strings.LastIndexByte(full, '.')+1:])
	if own != space {
		w.field("namespace", own)
	}
	if doc, ok := o.vals["doc"]; ok {
		w.field("doc", doc)
	}
	switch typ {
	case "record", "error":
		if err := w.fields(o, own); err != nil {
			return err
		}
	case "enum":
		w.field("symbols", o.vals["symbols"])
		if d, ok := o.vals["default"]; ok {
			w.field("default", d)
		}
	case "fixed":
		w.field("size", o.vals["size"])
	}
	w.props(o, "type", "name", "namespace", "doc", "fields", "symbols", "size", "aliases", "default")
	w.aliases(o, own, true)
	w.buf.WriteByte('}')
	return nil
}

func (w *javaWriter) fields(o *object, space string) error {
	w.buf.WriteString(`,"fields":[`)
	fields, _ := o.vals["fields"].([]any)
	for i, f := range fields {
		fo, ok := f.(*object)
		if !ok {
			return errors.New("a field is an object")
		}
		if name, ok := fo.vals["name"].(string); !ok || name == "" {
			return errors.New("No field name")
		}
		if _, ok := fo.vals["type"]; !ok {
			return errors.New("No field type")
		}
		if i > 0 {
			w.buf.WriteByte(',')
		}
		w.buf.WriteString(`{"name":`)
		w.str(fo.str("name"))
		w.buf.WriteString(`,"type":`)
		if err := w.schema(fo.vals["type"], space); err != nil {
			return err
		}
		for _, k := range []string{"doc", "default"} {
			if v, ok := fo.vals[k]; ok {
				w.field(k, v)
			}
		}
		if order := fo.str("order"); order != "" && order != "ascending" {
			w.field("order", order)
		}
		w.aliases(fo, space, false)
		w.props(fo, "name", "type", "doc", "default", "order", "aliases")
		w.buf.WriteByte('}')
	}
	w.buf.WriteByte(']')
	return nil
}

// aliases writes the aliases of o, qualified as names relative to space
// when they name types.
func (w *javaWriter) aliases(o *object, space string, names bool) {
	list, ok := o.vals["aliases"].([]any)
	if !ok {
		return
	}
	out := make([]any, len(list))
	for i, a := range list {
		s, _ := a.(string)
		if names {
			s = relativeName(fullName(s, space), space)
		}
		out[i] = s
	}
	w.field("aliases", out)
}

// relativeName is how Java refers to the named type full from space: its
// short name in its own namespace, else its full name.
func relativeName(full, space string) string {
	if namespaceOf(full) == space {
		return full[strings.LastIndexByte(full, '.')+1:]
	}
	return full
}

// definition checks that a named type has the keys Java's parser
// requires, spelt as it spells them: the JSON decoding of hamba/avro
// matches keys regardless of case ("NAme" is a name there), so a schema
// hamba accepts could otherwise have a canonical form without them.
func definition(o *object, typ string) error {
	if name, ok := o.vals["name"].(string); !ok || name == "" {
		return errors.New("No name in schema")
	}
	switch typ {
	case "record", "error":
		if _, ok := o.vals["fields"].([]any); !ok {
			return errors.New("Record has no fields")
		}
	case "enum":
		if _, ok := o.vals["symbols"].([]any); !ok {
			return errors.New("Enum has no symbols")
		}
	case "fixed":
		if _, ok := o.vals["size"]; !ok {
			return errors.New("Invalid or no size")
		}
	}
	return nil
}
