package avro

import "testing"

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
