package protobuf

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// BenchmarkValidate measures checking a 1 KiB Protobuf record, the
// broker's cost per record in its strict validation mode.
func BenchmarkValidate(b *testing.B) {
	p, err := Format{}.Parse(`syntax = "proto3"; message R { int64 id = 1; string name = 2; repeated string tags = 3; }`, nil)
	if err != nil {
		b.Fatal(err)
	}
	pp := p.(*Parsed)
	md := pp.file.Messages().Get(0)
	m := dynamicpb.NewMessage(md)
	m.Set(md.Fields().ByNumber(1), protoreflect.ValueOfInt64(42))
	m.Set(md.Fields().ByNumber(2), protoreflect.ValueOfString(strings.Repeat("x", 950)))
	payload := append([]byte{0}, encodeMessage(b, m)...)
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if err := p.Validate(payload); err != nil {
			b.Fatal(err)
		}
	}
}
