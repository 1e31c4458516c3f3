package jsonschema

import "testing"

// TestCodec proves that valid JSON is stored compact and invalid JSON is
// refused.
func TestCodec(t *testing.T) {
	p, err := Format{}.Parse(`{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	pp := p.(*Parsed)
	b, err := pp.FromJSON([]byte(`{ "n" : 1 }`))
	if err != nil || string(b) != `{"n":1}` {
		t.Fatalf("FromJSON = %s, %v", b, err)
	}
	if _, err := pp.FromJSON([]byte(`{"n":"x"}`)); err == nil {
		t.Fatal("invalid data accepted")
	}
	if out, err := pp.ToJSON(b); err != nil || string(out) != `{"n":1}` {
		t.Fatalf("ToJSON = %s, %v", out, err)
	}
}
