package avro

import (
	"fmt"
	"strings"
	"testing"
	"time"

	havro "github.com/hamba/avro/v2"
)

func mustParse(t *testing.T, text string, deps map[string]string) *Schema {
	t.Helper()
	p, err := Format{}.Parse(text, deps)
	if err != nil {
		t.Fatalf("parse %s: %v", text, err)
	}
	return p.(*Schema)
}

func rec(fields string) string {
	return `{"type":"record","name":"R","namespace":"ns","fields":[` + fields + `]}`
}

// TestResolve proves CanRead applies Avro's resolution rules: a table of
// reader and writer schemas, and the error types expected (none: readable).
func TestResolve(t *testing.T) {
	enumAB := `{"type":"enum","name":"E","symbols":["A","B"]}`
	enumABC := `{"type":"enum","name":"E","symbols":["A","B","C"]}`
	for _, tc := range []struct {
		name           string
		reader, writer string
		want           []string // errorTypes, in order
	}{
		{"same int", `"int"`, `"int"`, nil},
		{"int to long", `"long"`, `"int"`, nil},
		{"int to float", `"float"`, `"int"`, nil},
		{"int to double", `"double"`, `"int"`, nil},
		{"long to float", `"float"`, `"long"`, nil},
		{"long to double", `"double"`, `"long"`, nil},
		{"float to double", `"double"`, `"float"`, nil},
		{"long to int", `"int"`, `"long"`, []string{"TYPE_MISMATCH"}},
		{"double to float", `"float"`, `"double"`, []string{"TYPE_MISMATCH"}},
		{"string to bytes", `"bytes"`, `"string"`, nil},
		{"bytes to string", `"string"`, `"bytes"`, nil},
		{"string to int", `"int"`, `"string"`, []string{"TYPE_MISMATCH"}},
		{"boolean to null", `"null"`, `"boolean"`, []string{"TYPE_MISMATCH"}},
		{"field added with default", rec(`{"name":"a","type":"int"},{"name":"b","type":"string","default":"x"}`), rec(`{"name":"a","type":"int"}`), nil},
		{"field added without default", rec(`{"name":"a","type":"int"},{"name":"b","type":"string"}`), rec(`{"name":"a","type":"int"}`), []string{"READER_FIELD_MISSING_DEFAULT_VALUE"}},
		{"field removed", rec(`{"name":"a","type":"int"}`), rec(`{"name":"a","type":"int"},{"name":"b","type":"string"}`), nil},
		{"field promoted", rec(`{"name":"a","type":"long"}`), rec(`{"name":"a","type":"int"}`), nil},
		{"field narrowed", rec(`{"name":"a","type":"int"}`), rec(`{"name":"a","type":"long"}`), []string{"TYPE_MISMATCH"}},
		{"field renamed with alias", rec(`{"name":"b","aliases":["a"],"type":"int"}`), rec(`{"name":"a","type":"int"}`), nil},
		{"field renamed without alias", rec(`{"name":"b","type":"int"}`), rec(`{"name":"a","type":"int"}`), []string{"READER_FIELD_MISSING_DEFAULT_VALUE"}},
		{"two fields missing", rec(`{"name":"b","type":"int"},{"name":"c","type":"int"}`), rec(`{"name":"a","type":"int"}`), []string{"READER_FIELD_MISSING_DEFAULT_VALUE", "READER_FIELD_MISSING_DEFAULT_VALUE"}},
		{"record renamed", `{"type":"record","name":"S","fields":[]}`, `{"type":"record","name":"R","fields":[]}`, []string{"NAME_MISMATCH"}},
		{"record namespace changed", `{"type":"record","name":"x.R","fields":[]}`, `{"type":"record","name":"y.R","fields":[]}`, nil},
		{"record alias", `{"type":"record","name":"S","aliases":["R"],"fields":[]}`, `{"type":"record","name":"R","fields":[]}`, nil},
		{"enum symbol added", enumABC, enumAB, nil},
		{"enum symbol removed", enumAB, enumABC, []string{"MISSING_ENUM_SYMBOLS"}},
		{"enum symbol removed, reader default", `{"type":"enum","name":"E","symbols":["A","B"],"default":"A"}`, enumABC, nil},
		{"enum renamed", `{"type":"enum","name":"F","symbols":["A","B"]}`, enumAB, []string{"NAME_MISMATCH"}},
		{"fixed same", `{"type":"fixed","name":"F","size":4}`, `{"type":"fixed","name":"F","size":4}`, nil},
		{"fixed resized", `{"type":"fixed","name":"F","size":8}`, `{"type":"fixed","name":"F","size":4}`, []string{"FIXED_SIZE_MISMATCH"}},
		{"fixed renamed", `{"type":"fixed","name":"G","size":4}`, `{"type":"fixed","name":"F","size":4}`, []string{"NAME_MISMATCH"}},
		{"array items promoted", `{"type":"array","items":"long"}`, `{"type":"array","items":"int"}`, nil},
		{"array items narrowed", `{"type":"array","items":"int"}`, `{"type":"array","items":"long"}`, []string{"TYPE_MISMATCH"}},
		{"map values", `{"type":"map","values":"bytes"}`, `{"type":"map","values":"string"}`, nil},
		{"map to array", `{"type":"array","items":"string"}`, `{"type":"map","values":"string"}`, []string{"TYPE_MISMATCH"}},
		{"union widened", `["null","int","string"]`, `["null","int"]`, nil},
		{"union narrowed", `["null","int"]`, `["null","int","string"]`, []string{"MISSING_UNION_BRANCH"}},
		{"reader union of writer type", `["null","long"]`, `"int"`, nil},
		{"reader union lacking writer type", `["null","long"]`, `"string"`, []string{"MISSING_UNION_BRANCH"}},
		{"writer union to plain", `"long"`, `["int","long"]`, nil},
		{"writer union with unreadable branch", `"long"`, `["null","long"]`, []string{"TYPE_MISMATCH"}},
		{"optional field added", rec(`{"name":"a","type":"int"},{"name":"o","type":["null","string"],"default":null}`), rec(`{"name":"a","type":"int"}`), nil},
		{"nested record field", rec(`{"name":"n","type":{"type":"record","name":"N","fields":[{"name":"x","type":"int"},{"name":"y","type":"int"}]}}`),
			rec(`{"name":"n","type":{"type":"record","name":"N","fields":[{"name":"x","type":"int"}]}}`), []string{"READER_FIELD_MISSING_DEFAULT_VALUE"}},
		{"recursive", `{"type":"record","name":"L","fields":[{"name":"v","type":"long"},{"name":"next","type":["null","L"]}]}`,
			`{"type":"record","name":"L","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","L"]}]}`, nil},
		{"logical type ignored", `{"type":"int","logicalType":"date"}`, `"int"`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, w := mustParse(t, tc.reader, nil), mustParse(t, tc.writer, nil)
			msgs := r.CanRead(w)
			if len(msgs) != len(tc.want) {
				t.Fatalf("messages %q, want error types %q", msgs, tc.want)
			}
			for i, m := range msgs {
				if !strings.Contains(m, "errorType:'"+tc.want[i]+"'") {
					t.Errorf("message %d %q, want %s", i, m, tc.want[i])
				}
			}
		})
	}
}

// TestResolveSharedTypes proves a record type used in many places is
// checked once (a schema whose naive walk takes 2^40 steps resolves at
// once), and that a record pair found unreadable inside a union is still
// reported where it appears again outside one.
func TestResolveSharedTypes(t *testing.T) {
	chain := func(extra string) string {
		s := `{"type":"record","name":"N40","fields":[{"name":"x","type":"int"}` + extra + `]}`
		for i := 39; i >= 0; i-- {
			s = fmt.Sprintf(`{"type":"record","name":"N%d","fields":[{"name":"a","type":%s},{"name":"b","type":"N%d"}]}`, i, s, i+1)
		}
		return s
	}
	start := time.Now()
	if msgs := mustParse(t, chain(`,{"name":"y","type":"int"}`), nil).CanRead(mustParse(t, chain(""), nil)); len(msgs) == 0 {
		t.Error("a field without a default in the innermost record went unnoticed")
	}
	if msgs := mustParse(t, chain(`,{"name":"y","type":"int","default":0}`), nil).CanRead(mustParse(t, chain(""), nil)); len(msgs) != 0 {
		t.Errorf("compatible chain: %v", msgs)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("resolution took %v", d)
	}
	inner := `{"type":"record","name":"I","fields":[{"name":"x","type":"int"}%s]}`
	reader := mustParse(t, rec(`{"name":"u","type":["null",`+fmt.Sprintf(inner, `,{"name":"y","type":"int"}`)+`]},{"name":"v","type":"I"}`), nil)
	writer := mustParse(t, rec(`{"name":"u","type":["null",`+fmt.Sprintf(inner, "")+`]},{"name":"v","type":"I"}`), nil)
	msgs := reader.CanRead(writer)
	if len(msgs) != 2 || !strings.Contains(msgs[0], "MISSING_UNION_BRANCH") || !strings.Contains(msgs[1], "/fields/1/type") {
		t.Errorf("messages %q, want the union branch and field v", msgs)
	}
}

// TestParse proves bad schemas are refused with a reason and references
// resolve named types of other schemas, in any order.
func TestParse(t *testing.T) {
	for _, bad := range []string{``, `int`, `{"type":"nope"}`, `{"type":"record","name":"R"}`, `{"type":"record","name":"R","fields":[{"name":"a","type":"Missing"}]}`,
		`{"type":"enum","name":"E","symbols":["A","A"]}`, `{"type":"fixed","name":"F"}`, `["int","int"]`} {
		if _, err := (Format{}).Parse(bad, nil); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	deps := map[string]string{
		"a.Outer": `{"type":"record","name":"Outer","namespace":"a","fields":[{"name":"i","type":"b.Inner"}]}`,
		"b.Inner": `{"type":"record","name":"Inner","namespace":"b","fields":[{"name":"x","type":"int"}]}`,
	}
	s := mustParse(t, `{"type":"record","name":"Top","fields":[{"name":"o","type":"a.Outer"}]}`, deps)
	payload := []byte{0x04} // o.i.x = 2
	if err := s.Validate(payload); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if _, err := (Format{}).Parse(`{"type":"record","name":"Top","fields":[{"name":"o","type":"a.Outer"}]}`, map[string]string{"a.Outer": deps["a.Outer"]}); err == nil {
		t.Fatal("parsed with a missing transitive reference")
	}
}

// TestCanonical proves the canonical text is what Java Avro's
// Schema.toString writes for the schema, whatever order and spelling the
// schema came in.
func TestCanonical(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"type":"int"}`, `"int"`},
		{`{"type":"string","logicalType":"uuid"}`, `{"type":"string","logicalType":"uuid"}`},
		{`{"fields":[{"type":"long","name":"id"}],"name":"User","namespace":"com.acme","type":"record"}`,
			`{"type":"record","name":"User","namespace":"com.acme","fields":[{"name":"id","type":"long"}]}`},
		{`{"type":"record","name":"com.acme.User","fields":[]}`, `{"type":"record","name":"User","namespace":"com.acme","fields":[]}`},
		{`{"type":"record","name":"a.R","fields":[{"name":"x","type":{"type":"fixed","name":"F","size":2}},{"name":"y","type":"a.F"}]}`,
			`{"type":"record","name":"R","namespace":"a","fields":[{"name":"x","type":{"type":"fixed","name":"F","size":2}},{"name":"y","type":"F"}]}`},
		{`{"type":"record","name":"a.R","fields":[{"name":"x","type":{"type":"enum","name":"b.E","symbols":["A"],"default":"A"}},{"name":"y","type":"b.E"}]}`,
			`{"type":"record","name":"R","namespace":"a","fields":[{"name":"x","type":{"type":"enum","name":"E","namespace":"b","symbols":["A"],"default":"A"}},{"name":"y","type":"b.E"}]}`},
		{`{"type":"record","name":"R","fields":[{"order":"ascending","name":"x","type":"int","default":1},{"name":"y","type":"double","order":"descending","default":1.50,"doc":"<a & b>"}]}`,
			`{"type":"record","name":"R","fields":[{"name":"x","type":"int","default":1},{"name":"y","type":"double","doc":"<a & b>","default":1.50,"order":"descending"}]}`},
		{`{"type":"array","items":{"type":"map","values":["null",{"type":"long"}]},"custom":true}`, `{"type":"array","items":{"type":"map","values":["null","long"]},"custom":true}`},
		{`{"type":"record","name":"R","aliases":["Old"],"x-prop":"p","fields":[{"name":"a","type":"int","aliases":["b"],"x-f":1}]}`,
			`{"type":"record","name":"R","fields":[{"name":"a","type":"int","aliases":["b"],"x-f":1}],"x-prop":"p","aliases":["Old"]}`},
	} {
		if got := mustParse(t, tc.in, nil).Canonical(); got != tc.want {
			t.Errorf("%s\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

// TestCanonicalAndNormalized proves the canonical text is Java's and the normalized text equal for equivalent schemas.
func TestCanonicalAndNormalized(t *testing.T) {
	a := mustParse(t, `{ "type": "record", "name": "R", "namespace": "ns", "doc": "d",
		"fields": [ {"name": "a", "type": {"type": "int"}, "doc": "x"}, {"name": "e", "type": {"type":"enum","name":"E","symbols":["X"]}}, {"name": "f", "type": "E"} ] }`, nil)
	if want := `{"type":"record","name":"R","namespace":"ns","doc":"d","fields":[{"name":"a","type":"int","doc":"x"},{"name":"e","type":{"type":"enum","name":"E","symbols":["X"]}},{"name":"f","type":"E"}]}`; a.Canonical() != want {
		t.Errorf("canonical %s\nwant      %s", a.Canonical(), want)
	}
	b := mustParse(t, `{"name":"ns.R","type":"record","fields":[{"type":"int","name":"a"},{"name":"e","type":{"type":"enum","name":"ns.E","symbols":["X"]}},{"name":"f","type":"ns.E"}]}`, nil)
	if a.Normalized() != b.Normalized() {
		t.Errorf("normalized differ:\n%s\n%s", a.Normalized(), b.Normalized())
	}
	c := mustParse(t, `{"name":"ns.R","type":"record","fields":[{"type":"long","name":"a"},{"name":"e","type":{"type":"enum","name":"ns.E","symbols":["X"]}},{"name":"f","type":"ns.E"}]}`, nil)
	if a.Normalized() == c.Normalized() {
		t.Error("different schemas normalize equally")
	}
}

// TestValidate proves payloads are decoded against the schema: a valid
// one passes; truncated, overlong and wrong ones fail.
func TestValidate(t *testing.T) {
	s := mustParse(t, rec(`{"name":"a","type":"int"},{"name":"s","type":"string"},{"name":"u","type":["null","long"]}`), nil)
	good, err := havro.Marshal(s.Avro(), map[string]any{"a": 7, "s": "hi", "u": map[string]any{"long": int64(3)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(good); err != nil {
		t.Fatalf("valid payload: %v", err)
	}
	for name, p := range map[string][]byte{
		"empty":       {},
		"truncated":   good[:len(good)-1],
		"extra byte":  append(append([]byte{}, good...), 0),
		"bad union":   {0x0e, 0x04, 'h', 'i', 0x08},
		"huge string": {0x0e, 0xfe, 0xff, 0xff, 0xff, 0x0f},
	} {
		if err := s.Validate(p); err == nil {
			t.Errorf("%s: validated", name)
		}
	}
}

// TestValidateZeroSizeItems proves an array whose items take no bytes
// validates while its blocks are reasonable, and that a block declaring
// more items than the payload could hold fails at once rather than
// spinning.
func TestValidateZeroSizeItems(t *testing.T) {
	s := mustParse(t, `{"type":"array","items":"null"}`, nil)
	if err := s.Validate([]byte{0x06, 0x00}); err != nil { // 3 nulls
		t.Errorf("3 nulls: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Validate([]byte{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00}) }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a block of 2^62 nulls validated")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Validate spins on a huge block of nulls")
	}
}

// TestValidateBlocks proves arrays and maps validate in both block forms
// (count, and negative count with a byte size), and that truncated,
// overflowing and oversized blocks fail at once.
func TestValidateBlocks(t *testing.T) {
	s := mustParse(t, `{"type":"array","items":{"type":"map","values":["null","double","bytes"]}}`, nil)
	good, err := havro.Marshal(s.Avro(), []map[string]any{{"a": nil, "b": map[string]any{"double": 1.5}}, {}, {"c": map[string]any{"bytes": []byte("xy")}}})
	if err != nil {
		t.Fatal(err)
	}
	// One array block of one map, written with a byte size: -1, size 6, then
	// a map block of one entry "k" -> null, then the two ends.
	sized := []byte{0x01, 0x0c, 0x02, 0x02, 'k', 0x00, 0x00, 0x00}
	for name, p := range map[string][]byte{"counted": good, "sized": sized, "empty": {0x00}} {
		if err := s.Validate(p); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, p := range map[string][]byte{
		"truncated":      good[:len(good)-1],
		"no end":         {0x02, 0x00},
		"overflow":       {0xa3, 0xa3, 0xa3, 0xa3, 0xa3, 0xa3, 0xa3, 0xa3, 0xa3, 0x30},
		"huge count":     {0xd3, 0xb2, 0x9c, 0x15},
		"bad union":      {0x02, 0x02, 0x02, 'k', 0x06, 0x00, 0x00},
		"negative bytes": {0x02, 0x02, 0x02, 'k', 0x04, 0x03, 0x00, 0x00},
	} {
		done := make(chan error, 1)
		go func() { done <- s.Validate(p) }()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("%s: validated", name)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: Validate spins", name)
		}
	}
}
