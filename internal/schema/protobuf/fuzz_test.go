package protobuf

import "testing"

// FuzzParse proves that no schema text, import or payload makes the
// format panic: garbage is an error.
func FuzzParse(f *testing.F) {
	for _, tc := range compatCases {
		f.Add(tc.writer, tc.reader, []byte{0, 8, 1})
	}
	f.Add(order, `syntax = "proto3"; package people; message Customer { string name = 1; }`, []byte{2, 2, 10, 1, 'x'})
	f.Fuzz(func(t *testing.T, text, dep string, payload []byte) {
		deps := map[string]string{"customer.proto": dep, "d.proto": dep}
		p, err := Format{}.Parse(text, deps)
		if err != nil {
			return
		}
		_ = p.Validate(payload)
		_ = p.CanRead(p)
	})
}

// FuzzMessageIndexes proves the message-index decoder never panics and
// never returns more indexes than its bound.
func FuzzMessageIndexes(f *testing.F) {
	f.Add([]byte{0})
	f.Add([]byte{4, 2, 0})
	f.Add([]byte{1, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		idx, rest, err := MessageIndexes(b)
		if err == nil && (len(idx) > maxIndexes || len(rest) > len(b)) {
			t.Fatalf("MessageIndexes(%x) = %v, %x", b, idx, rest)
		}
	})
}
