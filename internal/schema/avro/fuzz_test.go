package avro

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"

	havro "github.com/hamba/avro/v2"
)

// FuzzParse proves any schema text either fails to parse or parses into a
// schema whose canonical and normalized texts parse again to the same
// texts, that can read its own data, and that validating any payload against it returns rather than
// panics or hangs.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`"int"`, `{"type":"int","logicalType":"date"}`, `["null","string"]`,
		`{"type":"record","name":"a.R","fields":[{"name":"x","type":{"type":"enum","name":"E","symbols":["A"]}},{"name":"y","type":["null","E"],"default":null}]}`,
		`{"type":"array","items":{"type":"map","values":{"type":"fixed","name":"F","size":3}}}`,
		`{"type":"record","name":"L","fields":[{"name":"next","type":["null","L"]}]}`} {
		f.Add(s, []byte{0x02, 0x04, 0x06})
	}
	f.Fuzz(func(t *testing.T, text string, payload []byte) {
		p, err := Format{}.Parse(text, nil)
		if err != nil {
			return
		}
		s := p.(*Schema)
		_ = s.Validate(payload)
		canon, err := Format{}.Parse(s.Canonical(), nil)
		if err != nil || canon.Canonical() != s.Canonical() {
			t.Fatalf("%s: canonical %s does not parse to itself: %v", text, s.Canonical(), err)
		}
		norm, err := Format{}.Parse(s.Normalized(), nil)
		if err != nil || norm.Normalized() != s.Normalized() {
			t.Fatalf("%s: normalized %s does not parse to itself: %v", text, s.Normalized(), err)
		}
		if msgs := s.CanRead(s); len(msgs) > 0 {
			t.Fatalf("%s cannot read itself: %v", text, msgs)
		}
	})
}

// decodes reports whether hamba/avro decodes payload as exactly one value
// of s: the reference Validate's walk must agree with.
func decodes(s *Schema, payload []byte) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	cfg := havro.Config{MaxByteSliceSize: 1 << 20, MaxSliceAllocSize: 1 << 20}.Freeze()
	r := havro.NewReader(nil, 0, havro.WithReaderConfig(cfg)).Reset(payload)
	r.ReadNext(s.schema)
	if r.Error != nil {
		return false
	}
	r.Peek()
	return errors.Is(r.Error, io.EOF)
}

// FuzzValidateMatchesDecode proves Validate, which walks a payload without
// building its value, accepts exactly the payloads that hamba/avro
// decodes to one value, for schemas of every type.
func FuzzValidateMatchesDecode(f *testing.F) {
	schemas := []string{
		`{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"s","type":"string"},{"name":"u","type":["null","long"]},{"name":"b","type":"boolean"}]}`,
		`{"type":"record","name":"a.R","fields":[{"name":"x","type":{"type":"enum","name":"E","symbols":["A","B"]}},{"name":"y","type":["null","E"],"default":null},{"name":"f","type":{"type":"fixed","name":"F","size":3}}]}`,
		`{"type":"record","name":"L","fields":[{"name":"v","type":"float"},{"name":"next","type":["null","L"]}]}`,
		// No arrays or maps: hamba/avro's decoder goes on looping over a
		// block's declared count after the payload ends or a count
		// overflows, for seconds on a few bytes. TestValidateBlocks
		// covers them.
	}
	parsed := make([]*Schema, len(schemas))
	for i, text := range schemas {
		p, err := Format{}.Parse(text, nil)
		if err != nil {
			f.Fatal(err)
		}
		parsed[i] = p.(*Schema)
	}
	for i := range schemas {
		f.Add(uint8(i), []byte{0x02, 0x04, 'h', 'i', 0x02, 0x06, 0x01})
		f.Add(uint8(i), []byte{0x03, 0x02, 0x02, 0x02, 'k', 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00})
		f.Add(uint8(i), []byte{0x00, 0x02, 0x02, 'a', 'b', 'c'})
	}
	f.Fuzz(func(t *testing.T, which uint8, payload []byte) {
		s := parsed[int(which)%len(parsed)]
		if got, want := s.Validate(payload) == nil, decodes(s, payload); got != want {
			t.Fatalf("%s, payload %x: Validate accepts %v, decoding %v", s.Canonical(), payload, got, want)
		}
	})
}

// FuzzParseJSONMatchesEncodingJSON proves parseJSON accepts what
// encoding/json (UseNumber, one value and white space) accepts, and
// decodes it to the same value.
func FuzzParseJSONMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,-2.5e3,"x\u00e9\n"],"b":{"c":null,"c":true}}`, `"\xff"`, `0.`, `-`, `[1,]`, "\"\t\"", ` 1 `, `1 2`, `"\ud800"`, `{"a" 1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := parseJSON(b)
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var want any
		werr := dec.Decode(&want)
		if werr == nil && len(bytes.TrimLeft(b[dec.InputOffset():], " \t\r\n")) != 0 {
			werr = errors.New("trailing data")
		}
		if (err == nil) != (werr == nil) {
			t.Fatalf("%q: parseJSON error %v, encoding/json error %v", b, err, werr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: parseJSON %#v, encoding/json %#v", b, got, want)
		}
	})
}
