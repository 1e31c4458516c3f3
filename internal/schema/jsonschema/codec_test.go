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

// TestRecordName proves the record name of a JSON Schema is its title,
// and that a schema without one has none.
func TestRecordName(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`{"title":"shop.Order","type":"object"}`, "shop.Order"},
		{`{"type":"object","properties":{"title":{"type":"string"}}}`, ""},
		{`true`, ""},
	} {
		p, err := Format{}.Parse(tc.text, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.(*Parsed).RecordName(nil)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("RecordName(%s) = %q, %v; want %q", tc.text, got, err, tc.want)
		}
	}
}
