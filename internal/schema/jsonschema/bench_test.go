package jsonschema

import (
	"strings"
	"testing"
)

// BenchmarkValidate measures checking a 1 KiB JSON record, the broker's
// cost per record in its strict validation mode.
func BenchmarkValidate(b *testing.B) {
	p, err := Format{}.Parse(`{"type":"object","properties":{"id":{"type":"integer"},"name":{"type":"string","maxLength":2000},
		"tags":{"type":"array","items":{"type":"string"}}},"required":["id","name"]}`, nil)
	if err != nil {
		b.Fatal(err)
	}
	payload := []byte(`{"id":42,"name":"` + strings.Repeat("x", 900) + `","tags":["a","b","c"]}`)
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if err := p.Validate(payload); err != nil {
			b.Fatal(err)
		}
	}
}
