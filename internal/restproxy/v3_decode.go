package restproxy

// Reading the record objects of a v3 produce body. The body is a stream of
// JSON objects; a 1 KiB JSON value is most of each one, so the hot path
// looks at its bytes as few times as it can: a framing scan that finds the
// object's end (strings skipped with IndexByte), one validation pass
// (json.Valid), and an extraction that, on input known to be valid, only
// locates the fields and the extent of each "data". encoding/json's
// Decoder took two full state-machine passes per object (readValue, then
// the reflective decode skipping "data").

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// objectReader returns the top-level JSON values of a stream one at a
// time. It is not safe for concurrent use.
type objectReader struct {
	r     io.Reader
	buf   []byte // buf[start:end] holds bytes read and not yet returned
	start int
	end   int
	err   error // the read error met, returned once the buffer is used up
}

func newObjectReader(r io.Reader) *objectReader {
	return &objectReader{r: r, buf: make([]byte, 64<<10)}
}

// buffered reports the bytes read ahead of the next object.
func (o *objectReader) buffered() int { return o.end - o.start }

// fill reads more into the buffer, growing it when it is full of one
// unfinished object.
func (o *objectReader) fill() error {
	if o.err != nil {
		return o.err
	}
	if o.start > 0 {
		o.end = copy(o.buf, o.buf[o.start:o.end])
		o.start = 0
	}
	if o.end == len(o.buf) {
		o.buf = append(o.buf, make([]byte, len(o.buf))...)
	}
	n, err := o.r.Read(o.buf[o.end:])
	o.end += n
	if err != nil {
		o.err = err
		if n > 0 {
			return nil
		}
	}
	return err
}

var errNotObject = errors.New("a record must be a JSON object")

// next returns the next value's bytes, valid JSON, which stay valid until
// the following call; io.EOF after the last one.
func (o *objectReader) next() ([]byte, error) {
	for {
		for o.start < o.end && isSpace(o.buf[o.start]) {
			o.start++
		}
		if o.start < o.end {
			break
		}
		if err := o.fill(); err != nil {
			return nil, err
		}
	}
	if o.buf[o.start] != '{' {
		return nil, &json.SyntaxError{Offset: int64(o.start)}
	}
	depth, inString, i := 0, false, o.start
	for {
		for i < o.end {
			c := o.buf[i]
			if inString {
				j := bytes.IndexByte(o.buf[i:o.end], '"')
				if j < 0 {
					i = o.end
					break
				}
				i += j
				if !escaped(o.buf[o.start:i]) {
					inString = false
				}
				i++
				continue
			}
			switch c {
			case '"':
				inString = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			i++
			if depth == 0 {
				raw := o.buf[o.start:i]
				o.start = i
				if !validJSON(raw) {
					return nil, syntaxError(raw)
				}
				return raw, nil
			}
		}
		offset := i - o.start
		if err := o.fill(); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		i = o.start + offset
	}
}

// escaped reports whether the quote after b is escaped: an odd run of
// backslashes ends b.
func escaped(b []byte) bool {
	n := 0
	for n < len(b) && b[len(b)-1-n] == '\\' {
		n++
	}
	return n%2 == 1
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// syntaxError returns encoding/json's description of what is wrong in raw.
func syntaxError(raw []byte) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	return errNotObject
}

// parseRecord fills in from raw, a valid JSON object. Unknown fields are
// ignored, as encoding/json does.
func parseRecord(raw []byte, in *recordV3) error {
	return eachField(raw, func(key string, v []byte) error {
		var err error
		switch key {
		case "partition_id":
			in.PartitionID, err = parseInt32(v, key)
		case "headers":
			err = unmarshalField(v, &in.Headers, key)
		case "key":
			in.Key, err = parseData(v, key)
		case "value":
			in.Value, err = parseData(v, key)
		case "timestamp":
			if !isNull(v) {
				in.Timestamp = new(time.Time)
				err = unmarshalField(v, in.Timestamp, key)
			}
		}
		return err
	})
}

// parseData reads a key or value object.
func parseData(v []byte, field string) (*dataV3, error) {
	if isNull(v) {
		return nil, nil
	}
	if v[0] != '{' {
		return nil, fmt.Errorf("%s must be an object", field)
	}
	d := &dataV3{}
	err := eachField(v, func(key string, f []byte) error {
		switch key {
		case "type":
			return unmarshalField(f, &d.Type, field+".type")
		case "data":
			d.Data = f
		case "schema_id":
			return unmarshalField(f, &d.SchemaID, field+".schema_id")
		case "schema_version":
			return unmarshalField(f, &d.SchemaVersion, field+".schema_version")
		case "subject":
			return unmarshalField(f, &d.Subject, field+".subject")
		case "subject_name_strategy":
			return unmarshalField(f, &d.SubjectNameStrategy, field+".subject_name_strategy")
		case "schema":
			d.Schema = f
		}
		return nil
	})
	return d, err
}

func unmarshalField(v []byte, out any, field string) error {
	if err := json.Unmarshal(v, out); err != nil {
		return fmt.Errorf("%s: %v", field, err)
	}
	return nil
}

func parseInt32(v []byte, field string) (*int32, error) {
	if isNull(v) {
		return nil, nil
	}
	n, err := strconv.ParseInt(string(v), 10, 32)
	if err != nil {
		return nil, fmt.Errorf("%s must be an integer, not %s", field, v)
	}
	p := int32(n)
	return &p, nil
}

func isNull(v []byte) bool { return len(v) == 4 && string(v) == "null" }

// eachField calls fn with each member of obj, a valid JSON object: its
// name, unquoted, and its value's bytes.
func eachField(obj []byte, fn func(key string, value []byte) error) error {
	i := skipSpace(obj, 1)
	for i < len(obj) && obj[i] != '}' {
		end := skipValue(obj, i)
		key, err := unquote(obj[i:end])
		if err != nil {
			return err
		}
		i = skipSpace(obj, end)
		i = skipSpace(obj, i+1) // the colon
		end = skipValue(obj, i)
		if err := fn(key, obj[i:end]); err != nil {
			return err
		}
		i = skipSpace(obj, end)
		if i < len(obj) && obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
	return nil
}

func unquote(s []byte) (string, error) {
	if bytes.IndexByte(s, '\\') < 0 {
		return string(s[1 : len(s)-1]), nil
	}
	var out string
	err := json.Unmarshal(s, &out)
	return out, err
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// skipValue returns the end of the valid JSON value starting at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) && !isSpace(b[i]) && b[i] != ',' && b[i] != '}' && b[i] != ']' {
		i++
	}
	return i
}

// skipString returns the end of the string starting at b[i].
func skipString(b []byte, i int) int {
	start := i + 1
	for j := start; ; {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return len(b)
		}
		j += k
		if !escaped(b[start:j]) {
			return j + 1
		}
		j++
	}
}

// maxNesting is encoding/json's limit on nested arrays and objects.
const maxNesting = 10000

// validJSON reports whether b is one valid JSON value, as json.Valid does
// (UTF-8 is not checked, as there), several times faster on the long
// strings records are made of: a string's plain bytes are skipped in a
// tight loop instead of a state machine step each.
func validJSON(b []byte) bool {
	v := validator{b: b}
	i, ok := v.value(v.space(0), 0)
	return ok && v.space(i) == len(b)
}

type validator struct{ b []byte }

func (v *validator) space(i int) int {
	for i < len(v.b) && isSpace(v.b[i]) {
		i++
	}
	return i
}

// value checks the value at b[i] and returns where it ends.
func (v *validator) value(i, depth int) (int, bool) {
	if i >= len(v.b) {
		return i, false
	}
	switch c := v.b[i]; {
	case c == '"':
		return v.str(i)
	case c == '{' || c == '[':
		if depth >= maxNesting {
			return i, false
		}
		return v.composite(i, depth+1)
	case c == '-' || (c >= '0' && c <= '9'):
		return v.number(i)
	case c == 't':
		return v.literal(i, "true")
	case c == 'f':
		return v.literal(i, "false")
	case c == 'n':
		return v.literal(i, "null")
	}
	return i, false
}

// composite checks the object or array at b[i].
func (v *validator) composite(i, depth int) (int, bool) {
	object := v.b[i] == '{'
	closer := byte(']')
	if object {
		closer = '}'
	}
	i = v.space(i + 1)
	if i < len(v.b) && v.b[i] == closer {
		return i + 1, true
	}
	for {
		var ok bool
		if object {
			if i >= len(v.b) || v.b[i] != '"' {
				return i, false
			}
			if i, ok = v.str(i); !ok {
				return i, false
			}
			if i = v.space(i); i >= len(v.b) || v.b[i] != ':' {
				return i, false
			}
			i = v.space(i + 1)
		}
		if i, ok = v.value(i, depth); !ok {
			return i, false
		}
		if i = v.space(i); i >= len(v.b) {
			return i, false
		}
		switch v.b[i] {
		case ',':
			i = v.space(i + 1)
		case closer:
			return i + 1, true
		default:
			return i, false
		}
	}
}

// str checks the string at b[i].
func (v *validator) str(i int) (int, bool) {
	b := v.b
	for i++; i < len(b); i++ {
		c := b[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		switch {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return i, false
		}
		// An escape: \" \\ \/ \b \f \n \r \t or \u and four hex digits.
		if i++; i >= len(b) {
			return i, false
		}
		switch b[i] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		case 'u':
			if i+4 >= len(b) {
				return i, false
			}
			for _, h := range b[i+1 : i+5] {
				if !isHex(h) {
					return i, false
				}
			}
			i += 4
		default:
			return i, false
		}
	}
	return i, false
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// number checks the number at b[i]: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (v *validator) number(i int) (int, bool) {
	b := v.b
	if b[i] == '-' {
		i++
	}
	digits := func(i int) (int, bool) {
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i, i > start
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else {
		var ok bool
		if i, ok = digits(i); !ok {
			return i, false
		}
	}
	if i < len(b) && b[i] == '.' {
		var ok bool
		if i, ok = digits(i + 1); !ok {
			return i, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		var ok bool
		if i, ok = digits(i); !ok {
			return i, false
		}
	}
	return i, true
}

func (v *validator) literal(i int, word string) (int, bool) {
	if len(v.b)-i < len(word) || string(v.b[i:i+len(word)]) != word {
		return i, false
	}
	return i + len(word), true
}
