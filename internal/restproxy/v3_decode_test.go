package restproxy

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

var decodeCases = []string{
	`{"value":{"data":1}}`,
	`{"partition_id":2,"key":{"type":"STRING","data":"k"},"value":{"type":"JSON","data":{"a":[1,{"b":"}"}],"c":"\"{"}}}`,
	` {"value":{"type":"BINARY","data":"AP8="}, "headers":[{"name":"h","value":"dg=="},{"name":"n","value":null}]}` + "\n",
	`{"key":null,"value":null,"partition_id":null,"timestamp":"2024-01-02T03:04:05.123Z"}`,
	`{"value":{"data":"a \\\" b \\\\","schema_id":3,"subject":"s","schema_version":1}}`,
	`{"unknown":{"x":[1,2,3]},"value":{"data":[]},"\u0070artition_id":1}`,
	`{"value":{"data":"` + strings.Repeat("x", 100000) + `"}}`,
	`{}`,
}

// TestObjectReader proves the framing returns the same values as
// encoding/json's Decoder for a stream of objects, whatever the read
// sizes, and refuses what it refuses.
func TestObjectReader(t *testing.T) {
	stream := strings.Join(decodeCases, "")
	for name, r := range map[string]func() io.Reader{
		"whole":    func() io.Reader { return strings.NewReader(stream) },
		"one byte": func() io.Reader { return iotest.OneByteReader(strings.NewReader(stream)) },
		"half":     func() io.Reader { return iotest.HalfReader(strings.NewReader(stream)) },
	} {
		o := newObjectReader(r())
		dec := json.NewDecoder(strings.NewReader(stream))
		for i := 0; ; i++ {
			got, err := o.next()
			var want json.RawMessage
			werr := dec.Decode(&want)
			if werr == io.EOF {
				if err != io.EOF {
					t.Fatalf("%s: value %d: %q, %v after the last", name, i, got, err)
				}
				break
			}
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s: value %d: %q (%v), want %q", name, i, got, err, want)
			}
		}
	}
	for _, bad := range []string{`{"a":}`, `{"a":1`, `[1]`, `"x"`, `{"a":"\x"}`, `{"a":1}}`, `{"a" 1}`} {
		o := newObjectReader(strings.NewReader(bad))
		_, err := o.next()
		if err == nil {
			_, err = o.next() // a second value that is not an object
		}
		if err == nil || err == io.EOF {
			t.Errorf("%q: accepted", bad)
		}
	}
}

// TestParseRecord proves the extraction agrees with encoding/json's
// decoding of the same objects into recordV3.
func TestParseRecord(t *testing.T) {
	for _, c := range decodeCases {
		raw := []byte(strings.TrimSpace(c))
		var got, want recordV3
		if err := parseRecord(raw, &got); err != nil {
			t.Fatalf("%.80s: %v", c, err)
		}
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		normalize(&got)
		normalize(&want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%.80s:\n got %+v\nwant %+v", c, got, want)
		}
	}
	for _, bad := range []string{`{"partition_id":"1"}`, `{"partition_id":1.5}`, `{"key":"k"}`, `{"value":{"type":1}}`,
		`{"headers":{"a":1}}`, `{"timestamp":"yesterday"}`} {
		var r recordV3
		if err := parseRecord([]byte(bad), &r); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

// normalize drops the difference that does not matter: null and absent
// data both mean no bytes.
func normalize(r *recordV3) {
	for _, d := range []*dataV3{r.Key, r.Value} {
		if d != nil && isNull(d.Data) {
			d.Data = nil
		}
	}
}

// FuzzObjectReader checks that framing never panics, returns only valid
// objects, and agrees with encoding/json on whether the first value is a
// valid object.
func FuzzObjectReader(f *testing.F) {
	for _, c := range decodeCases {
		if len(c) < 1000 { // the long seed slows every mutation down
			f.Add([]byte(c))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		o := newObjectReader(iotest.HalfReader(bytes.NewReader(b)))
		raw, err := o.next()
		var want json.RawMessage
		werr := json.NewDecoder(bytes.NewReader(b)).Decode(&want)
		wantOK := werr == nil && len(want) > 0 && want[0] == '{'
		if (err == nil) != wantOK {
			t.Fatalf("%q: got %q %v, encoding/json %q %v", b, raw, err, want, werr)
		}
		if err == nil {
			if !bytes.Equal(raw, want) {
				t.Fatalf("%q: got %q, want %q", b, raw, want)
			}
			var r recordV3
			parseRecord(raw, &r) // must not panic
		}
	})
}

var validCases = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1.5e+3`, `-12.0E-1`, `true`, `false`, `null`, ` {"a" : [1, {"b":null}] } `,
	`"\u00e9\n\"\\\/\b\f\r\t"`, "\"\xff\xfe\"", `{"a":1,"b":[true,false,null]}`,
	`01`, `1.`, `.5`, `-`, `1e`, `+1`, `"\x"`, `"\u12"`, `"\u12G4"`, "\"\x01\"", `{"a"}`, `{"a":}`, `{,}`, `[1,]`,
	`{"a":1,}`, `[1 2]`, `tru`, `nul`, `"abc`, `{"a":1}}`, `[`, ``, ` `, `{"a":1} x`, `1 2`,
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000), strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
}

// TestValidJSON proves validJSON agrees with json.Valid.
func TestValidJSON(t *testing.T) {
	for _, c := range append(validCases, decodeCases...) {
		if got, want := validJSON([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("%.60q: %v, json.Valid says %v", c, got, want)
		}
	}
}

// FuzzValidJSON checks validJSON against json.Valid on any input.
func FuzzValidJSON(f *testing.F) {
	for _, c := range append(validCases[:len(validCases)-2], decodeCases[:len(decodeCases)-2]...) {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Fatalf("%q: %v, json.Valid says %v", b, got, want)
		}
	})
}
