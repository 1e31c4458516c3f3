package avro

// The JSON form of Avro data is the Avro specification's JSON encoding,
// which Java's JsonDecoder and JsonEncoder (and so Confluent's REST
// proxy) read and write: a union value other than null is an object of
// one member named by its branch (the full name of a named type, else
// the type's name), as in {"string":"x"}; bytes and fixed are strings of
// the code points 0-255, one per byte; an enum is its symbol. A record
// field missing from the JSON takes the field's default.

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"unicode/utf8"

	havro "github.com/hamba/avro/v2"

	"gregor/internal/schema"
)

var _ schema.Codec = (*Schema)(nil)

// FromJSON encodes data, Avro's JSON encoding of a value of s, in Avro's
// binary encoding.
func (s *Schema) FromJSON(data []byte) ([]byte, error) {
	v, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	e := encoder{}
	if err := e.encode(s.schema, v, "", 0); err != nil {
		return nil, err
	}
	return e.b, nil
}

// ToJSON decodes payload, Avro's binary encoding of a value of s, into
// Avro's JSON encoding.
func (s *Schema) ToJSON(payload []byte) ([]byte, error) {
	if err := s.Validate(payload); err != nil { // bounds what decoding may allocate
		return nil, err
	}
	d := decoder{walker: walker{b: payload, items: len(payload) + 1024}}
	if err := d.decode(s.schema, 0); err != nil {
		return nil, fmt.Errorf("avro: payload does not decode: %w", err)
	}
	return d.out, nil
}

// encoder appends the binary encoding of JSON values to b.
type encoder struct{ b []byte }

func (e *encoder) long(v int64) { e.b = binary.AppendVarint(e.b, v) }

func (e *encoder) bytes(b []byte) {
	e.long(int64(len(b)))
	e.b = append(e.b, b...)
}

// at names where in the value an error is.
func at(path string) string {
	if path == "" {
		return "the value"
	}
	return path
}

func (e *encoder) encode(s havro.Schema, v any, path string, depth int) error {
	if depth > maxWalkDepth {
		return fmt.Errorf("%s nests deeper than %d", at(path), maxWalkDepth)
	}
	switch s := s.(type) {
	case *havro.NullSchema:
		if v != nil {
			return fmt.Errorf("%s: expected null, got %s", at(path), jsonKind(v))
		}
		return nil
	case *havro.PrimitiveSchema:
		return e.primitive(s.Type(), v, path)
	case *havro.RecordSchema:
		return e.record(s, v, path, depth)
	case *havro.EnumSchema:
		sym, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s: expected a symbol of enum %s, got %s", at(path), s.FullName(), jsonKind(v))
		}
		for i, x := range s.Symbols() {
			if x == sym {
				e.long(int64(i))
				return nil
			}
		}
		return fmt.Errorf("%s: %q is not a symbol of enum %s", at(path), sym, s.FullName())
	case *havro.ArraySchema:
		items, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: expected an array, got %s", at(path), jsonKind(v))
		}
		if len(items) > 0 {
			e.long(int64(len(items)))
			for i, item := range items {
				if err := e.encode(s.Items(), item, fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
					return err
				}
			}
		}
		e.long(0)
		return nil
	case *havro.MapSchema:
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: expected an object (a map), got %s", at(path), jsonKind(v))
		}
		if len(m) > 0 {
			e.long(int64(len(m)))
			for _, k := range sortedKeys(m) {
				e.bytes([]byte(k))
				if err := e.encode(s.Values(), m[k], path+"."+k, depth+1); err != nil {
					return err
				}
			}
		}
		e.long(0)
		return nil
	case *havro.UnionSchema:
		return e.union(s, v, path, depth)
	case *havro.FixedSchema:
		b, err := latin1(v, path)
		if err != nil {
			return err
		}
		if len(b) != s.Size() {
			return fmt.Errorf("%s: fixed %s has %d bytes, not %d", at(path), s.FullName(), s.Size(), len(b))
		}
		e.b = append(e.b, b...)
		return nil
	case *havro.RefSchema:
		return e.encode(s.Schema(), v, path, depth+1)
	}
	return fmt.Errorf("%s: schema type %s is not supported", at(path), s.Type())
}

func (e *encoder) record(s *havro.RecordSchema, v any, path string, depth int) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: expected an object (record %s), got %s", at(path), s.FullName(), jsonKind(v))
	}
	for _, f := range s.Fields() {
		fv, present := m[f.Name()]
		fpath := f.Name()
		if path != "" {
			fpath = path + "." + f.Name()
		}
		if !present {
			if !f.HasDefault() {
				return fmt.Errorf("%s: field %s is missing and has no default", at(path), f.Name())
			}
			if err := e.encodeDefault(f.Type(), f.Default(), fpath, depth+1); err != nil {
				return err
			}
			continue
		}
		if err := e.encode(f.Type(), fv, fpath, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// encodeDefault encodes a field's default, which for a union is a value
// of its first branch, unwrapped.
func (e *encoder) encodeDefault(s havro.Schema, v any, path string, depth int) error {
	if u, ok := s.(*havro.UnionSchema); ok {
		e.long(0)
		return e.encodeDefault(u.Types()[0], v, path, depth+1)
	}
	return e.encode(s, v, path, depth)
}

func (e *encoder) union(s *havro.UnionSchema, v any, path string, depth int) error {
	if v == nil {
		for i, t := range s.Types() {
			if t.Type() == havro.Null {
				e.long(int64(i))
				return nil
			}
		}
		return fmt.Errorf("%s: null is not a branch of the union", at(path))
	}
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return fmt.Errorf("%s: a union value must be null or an object of one member naming its branch, as {\"string\": \"x\"}", at(path))
	}
	for name, bv := range m {
		for i, t := range s.Types() {
			if branchName(t) == name {
				e.long(int64(i))
				return e.encode(t, bv, path, depth+1)
			}
		}
		return fmt.Errorf("%s: %q is not a branch of the union", at(path), name)
	}
	return nil
}

// branchName is how Avro's JSON encoding names a union branch.
func branchName(s havro.Schema) string {
	if r, ok := s.(*havro.RefSchema); ok {
		s = r.Schema()
	}
	if n, ok := s.(havro.NamedSchema); ok {
		return n.FullName()
	}
	return string(s.Type())
}

func (e *encoder) primitive(t havro.Type, v any, path string) error {
	switch t {
	case havro.Null:
		if v != nil {
			return fmt.Errorf("%s: expected null, got %s", at(path), jsonKind(v))
		}
	case havro.Boolean:
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("%s: expected a boolean, got %s", at(path), jsonKind(v))
		}
		if b {
			e.b = append(e.b, 1)
		} else {
			e.b = append(e.b, 0)
		}
	case havro.Int, havro.Long:
		n, err := integer(v, path)
		if err != nil {
			return err
		}
		if t == havro.Int && (n < math.MinInt32 || n > math.MaxInt32) {
			return fmt.Errorf("%s: %d is out of range for an int", at(path), n)
		}
		e.long(n)
	case havro.Float:
		f, err := float(v, path)
		if err != nil {
			return err
		}
		e.b = binary.LittleEndian.AppendUint32(e.b, math.Float32bits(float32(f)))
	case havro.Double:
		f, err := float(v, path)
		if err != nil {
			return err
		}
		e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(f))
	case havro.String:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s: expected a string, got %s", at(path), jsonKind(v))
		}
		e.bytes([]byte(s))
	case havro.Bytes:
		b, err := latin1(v, path)
		if err != nil {
			return err
		}
		e.bytes(b)
	default:
		return fmt.Errorf("%s: schema type %s is not supported", at(path), t)
	}
	return nil
}

// integer returns v as an integer: a JSON number without a fraction (or
// a default's number).
func integer(v any, path string) (int64, error) {
	switch n := v.(type) {
	case json.Number:
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %s is not an integer in range", at(path), n)
		}
		return i, nil
	case float64:
		if n != math.Trunc(n) || math.Abs(n) > 1<<63 {
			return 0, fmt.Errorf("%s: %v is not an integer", at(path), n)
		}
		return int64(n), nil
	case int:
		return int64(n), nil
	case int32:
		return int64(n), nil
	case int64:
		return n, nil
	}
	return 0, fmt.Errorf("%s: expected a number, got %s", at(path), jsonKind(v))
}

func float(v any, path string) (float64, error) {
	switch n := v.(type) {
	case string: // as ToJSON writes what JSON has no number for
		switch n {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
	case json.Number:
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %s is not a number in range", at(path), n)
		}
		return f, nil
	case float64:
		return n, nil
	case float32:
		return float64(n), nil
	case int, int32, int64:
		i, _ := integer(n, path)
		return float64(i), nil
	}
	return 0, fmt.Errorf("%s: expected a number, got %s", at(path), jsonKind(v))
}

// latin1 returns the bytes a JSON string of code points 0-255 stands for.
func latin1(v any, path string) ([]byte, error) {
	switch s := v.(type) {
	case []byte:
		return s, nil
	case string:
		b := make([]byte, 0, len(s))
		for _, r := range s {
			if r > 255 {
				return nil, fmt.Errorf("%s: bytes are written as a string of the code points 0-255, not %U", at(path), r)
			}
			b = append(b, byte(r))
		}
		return b, nil
	}
	return nil, fmt.Errorf("%s: expected a string of bytes, got %s", at(path), jsonKind(v))
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number, float64, int, int32, int64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// decoder reads a payload (already validated by walker) and writes
// Avro's JSON encoding of it to out.
type decoder struct {
	walker
	out []byte
}

func (d *decoder) decode(s havro.Schema, depth int) error {
	switch s := s.(type) {
	case *havro.NullSchema:
		d.out = append(d.out, "null"...)
	case *havro.PrimitiveSchema:
		return d.primitive(s.Type())
	case *havro.RecordSchema:
		d.out = append(d.out, '{')
		for i, f := range s.Fields() {
			if i > 0 {
				d.out = append(d.out, ',')
			}
			d.str(f.Name())
			d.out = append(d.out, ':')
			if err := d.decode(f.Type(), depth+1); err != nil {
				return err
			}
		}
		d.out = append(d.out, '}')
	case *havro.EnumSchema:
		i, err := d.int()
		if err != nil {
			return err
		}
		d.str(s.Symbols()[i])
	case *havro.ArraySchema:
		d.out = append(d.out, '[')
		n := 0
		err := d.blocks(func() error {
			if n > 0 {
				d.out = append(d.out, ',')
			}
			n++
			return d.decode(s.Items(), depth+1)
		})
		if err != nil {
			return err
		}
		d.out = append(d.out, ']')
	case *havro.MapSchema:
		d.out = append(d.out, '{')
		n := 0
		err := d.blocks(func() error {
			if n > 0 {
				d.out = append(d.out, ',')
			}
			n++
			k, err := d.raw()
			if err != nil {
				return err
			}
			if !utf8.Valid(k) {
				return errors.New("map key is not UTF-8")
			}
			d.str(string(k))
			d.out = append(d.out, ':')
			return d.decode(s.Values(), depth+1)
		})
		if err != nil {
			return err
		}
		d.out = append(d.out, '}')
	case *havro.UnionSchema:
		i, err := d.long()
		if err != nil {
			return err
		}
		t := s.Types()[i]
		if t.Type() == havro.Null {
			d.out = append(d.out, "null"...)
			return nil
		}
		d.out = append(d.out, '{')
		d.str(branchName(t))
		d.out = append(d.out, ':')
		if err := d.decode(t, depth+1); err != nil {
			return err
		}
		d.out = append(d.out, '}')
	case *havro.FixedSchema:
		b := d.b[:s.Size()]
		d.b = d.b[s.Size():]
		d.latin1(b)
	case *havro.RefSchema:
		return d.decode(s.Schema(), depth+1)
	default:
		return fmt.Errorf("schema type %s is not supported", s.Type())
	}
	return nil
}

// raw reads a length-prefixed string or bytes value.
func (d *decoder) raw() ([]byte, error) {
	n, err := d.long()
	if err != nil {
		return nil, err
	}
	if n < 0 || n > int64(len(d.b)) {
		return nil, errTruncated
	}
	b := d.b[:n]
	d.b = d.b[n:]
	return b, nil
}

func (d *decoder) primitive(t havro.Type) error {
	switch t {
	case havro.Null:
		d.out = append(d.out, "null"...)
	case havro.Boolean:
		d.out = strconv.AppendBool(d.out, d.b[0] == 1)
		d.b = d.b[1:]
	case havro.Int:
		n, err := d.int()
		if err != nil {
			return err
		}
		d.out = strconv.AppendInt(d.out, n, 10)
	case havro.Long:
		n, err := d.long()
		if err != nil {
			return err
		}
		d.out = strconv.AppendInt(d.out, n, 10)
	case havro.Float:
		f := math.Float32frombits(binary.LittleEndian.Uint32(d.b))
		d.b = d.b[4:]
		d.number(float64(f), 32)
	case havro.Double:
		f := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
		d.b = d.b[8:]
		d.number(f, 64)
	case havro.String:
		b, err := d.raw()
		if err != nil {
			return err
		}
		if !utf8.Valid(b) {
			return errors.New("string is not UTF-8")
		}
		d.str(string(b))
	case havro.Bytes:
		b, err := d.raw()
		if err != nil {
			return err
		}
		d.latin1(b)
	default:
		return fmt.Errorf("schema type %s is not supported", t)
	}
	return nil
}

// number writes a float; JSON has no NaN or infinities, which Java's
// JsonEncoder writes as the strings "NaN", "Infinity" and "-Infinity".
func (d *decoder) number(f float64, bits int) {
	switch {
	case math.IsNaN(f):
		d.out = append(d.out, `"NaN"`...)
	case math.IsInf(f, 1):
		d.out = append(d.out, `"Infinity"`...)
	case math.IsInf(f, -1):
		d.out = append(d.out, `"-Infinity"`...)
	default:
		d.out = strconv.AppendFloat(d.out, f, 'g', -1, bits)
	}
}

func (d *decoder) str(s string) {
	b, _ := json.Marshal(s)
	d.out = append(d.out, b...)
}

// latin1 writes bytes as a string of the code points 0-255.
func (d *decoder) latin1(b []byte) {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	d.str(string(r))
}
