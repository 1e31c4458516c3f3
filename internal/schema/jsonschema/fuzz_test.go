package jsonschema

import "testing"

// FuzzParse proves that no schema text, reference or payload makes the
// format panic: garbage is an error.
func FuzzParse(f *testing.F) {
	for _, tc := range compatCases {
		f.Add(tc.writer, tc.reader, `{"a":1}`)
	}
	f.Add(`{"$ref":"d.json"}`, `{"type":"string"}`, `"x"`)
	f.Add(`{"properties":{"a":{"$ref":"#"}}}`, `{`, `[`)
	f.Fuzz(func(t *testing.T, text, dep, payload string) {
		p, err := Format{}.Parse(text, map[string]string{"d.json": dep})
		if err != nil {
			return
		}
		_ = p.Validate([]byte(payload))
		_ = p.CanRead(p)
		_ = p.Normalized()
	})
}
