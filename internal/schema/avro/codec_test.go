package avro

import (
	"strings"
	"testing"

	havro "github.com/hamba/avro/v2"
)

const codecSchema = `{"type":"record","name":"Order","namespace":"shop","fields":[
 {"name":"id","type":"long"},
 {"name":"qty","type":"int"},
 {"name":"price","type":"double"},
 {"name":"note","type":["null","string"],"default":null},
 {"name":"kind","type":{"type":"enum","name":"Kind","symbols":["A","B"]}},
 {"name":"tags","type":{"type":"array","items":"string"}},
 {"name":"attrs","type":{"type":"map","values":"int"}},
 {"name":"raw","type":"bytes"},
 {"name":"hash","type":{"type":"fixed","name":"Hash","size":2}},
 {"name":"ok","type":"boolean","default":true},
 {"name":"ref","type":["null","Kind"]}
]}`

// TestCodecRoundTrip proves that the Avro JSON encoding is encoded as
// hamba/avro decodes it, and decoded back to the same JSON, defaults
// filled in for missing fields.
func TestCodecRoundTrip(t *testing.T) {
	p, err := Format{}.Parse(codecSchema, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := p.(*Schema)
	in := `{"id":12345678901,"qty":-3,"price":1.5,"note":{"string":"hi"},"kind":"B","tags":["x","y"],
		"attrs":{"a":1},"raw":"\u00ff\u0000a","hash":"ab","ref":{"shop.Kind":"A"}}`
	payload, err := s.FromJSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := havro.Unmarshal(s.Avro(), payload, &got); err != nil {
		t.Fatalf("hamba cannot decode the payload: %v", err)
	}
	if got["id"] != int64(12345678901) || got["qty"] != -3 || got["ok"] != true || got["kind"] != "B" {
		t.Fatalf("decoded %v", got)
	}
	if raw := got["raw"].([]byte); string(raw) != "\xff\x00a" {
		t.Fatalf("raw = %q", raw)
	}
	out, err := s.ToJSON(payload)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":12345678901,"qty":-3,"price":1.5,"note":{"string":"hi"},"kind":"B","tags":["x","y"],"attrs":{"a":1},"raw":"ÿ\u0000a","hash":"ab","ok":true,"ref":{"shop.Kind":"A"}}`
	if string(out) != want {
		t.Fatalf("ToJSON:\n got %s\nwant %s", out, want)
	}
}

// TestCodecRefusals proves that JSON not of the schema is refused with a
// message naming the place.
func TestCodecRefusals(t *testing.T) {
	p, err := Format{}.Parse(codecSchema, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := `"price":1,"kind":"A","tags":[],"attrs":{},"raw":"","hash":"ab","ref":null`
	for _, tc := range []struct{ in, want string }{
		{`{"id":1,"qty":1,` + base + `,"note":"bare"}`, "note: a union value"},
		{`{"id":1,"qty":3000000000,` + base + `}`, "out of range for an int"},
		{`{"id":1.5,"qty":1,` + base + `}`, "id: 1.5 is not an integer"},
		{`{"qty":1,` + base + `}`, "field id is missing"},
		{`{"id":1,"qty":1,` + strings.Replace(base, `"A"`, `"C"`, 1) + `}`, `"C" is not a symbol`},
		{`[1]`, "expected an object"},
	} {
		if _, err := p.(*Schema).FromJSON([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("FromJSON(%s) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
	if _, err := p.(*Schema).ToJSON([]byte{0x02}); err == nil {
		t.Error("ToJSON of a truncated payload succeeded")
	}
}

// FuzzCodec proves ToJSON of any payload returns rather than panics, and
// that JSON it writes encodes again, to a payload whose JSON encodes to
// the same bytes (a payload may spread arrays and maps over several
// blocks or repeat map keys; its re-encoding is canonical).
func FuzzCodec(f *testing.F) {
	for _, s := range []string{codecSchema, `["null","string",{"type":"map","values":"double"}]`,
		`{"type":"record","name":"L","fields":[{"name":"v","type":"float"},{"name":"next","type":["null","L"]}]}`} {
		f.Add(s, []byte{0x02, 0x04, 0x06})
	}
	f.Fuzz(func(t *testing.T, text string, payload []byte) {
		p, err := Format{}.Parse(text, nil)
		if err != nil {
			return
		}
		s := p.(*Schema)
		j1, err := s.ToJSON(payload)
		if err != nil {
			return
		}
		b2, err := s.FromJSON(j1)
		if err != nil {
			t.Fatalf("%s: ToJSON wrote %s, which does not encode: %v", text, j1, err)
		}
		j2, err := s.ToJSON(b2)
		if err != nil {
			t.Fatalf("%s: the re-encoding %x does not decode: %v", text, b2, err)
		}
		b3, err := s.FromJSON(j2)
		if err != nil || string(b3) != string(b2) {
			t.Fatalf("%s: %s encodes to %x, then %x (%v)", text, j2, b2, b3, err)
		}
	})
}
