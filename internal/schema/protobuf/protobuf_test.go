package protobuf

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"gregor/internal/schema"
)

func mustParse(t *testing.T, text string, deps map[string]string) *Parsed {
	t.Helper()
	p, err := Format{}.Parse(text, deps)
	if err != nil {
		t.Fatalf("Parse(%s): %v", text, err)
	}
	return p.(*Parsed)
}

const order = `syntax = "proto3";
package shop;

import "google/protobuf/timestamp.proto";
import "customer.proto";

// An order.
message Order {
  string id = 1;
  repeated Line lines = 2;
  google.protobuf.Timestamp placed = 3;
  people.Customer customer = 4;
  map<string, int64> tags = 5;
  oneof payment {
    string card = 6;
    string cash = 7;
  }
  optional string note = 8;
  message Line {
    string sku = 1;
    int32 quantity = 2;
  }
}

message Refund {
  string order_id = 1;
}
`

var orderDeps = map[string]string{"customer.proto": `syntax = "proto3"; package people; message Customer { string name = 1; }`}

// TestParse proves a schema with a reference and a well-known import
// compiles, and that bad or incomplete schemas are refused with a reason.
func TestParse(t *testing.T) {
	p := mustParse(t, order, orderDeps)
	if p.Canonical() != order {
		t.Errorf("Canonical is not the text as registered:\n%s", p.Canonical())
	}
	for _, tc := range []struct {
		text string
		deps map[string]string
		want string
	}{
		{order, nil, "customer.proto"},
		{`syntax = "proto3"; message A { string a = 1 }`, nil, "invalid Protobuf schema"},
		{`syntax = "proto3"; message A { Missing a = 1; }`, nil, "Missing"},
		{`syntax = "proto3"; message A { string a = 1; int32 b = 1; }`, nil, "invalid Protobuf schema"},
		{`syntax = "proto4";`, nil, "invalid Protobuf schema"},
		{`import "/etc/passwd";`, nil, "invalid Protobuf schema"},
		{"\x00\xff", nil, "invalid Protobuf schema"},
		{`syntax = "proto3"; import "a.proto";`, map[string]string{"a.proto": `import "schema.proto";`}, "invalid Protobuf schema"},
	} {
		_, err := Format{}.Parse(tc.text, tc.deps)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%.40q) = %v, want an error containing %q", tc.text, err, tc.want)
		}
	}
}

// TestNormalized proves the normalized text ignores layout, comments and
// declaration order, differs when the schema does, and compiles itself.
func TestNormalized(t *testing.T) {
	a := mustParse(t, order, orderDeps)
	reordered := `syntax="proto3"; package shop; import "customer.proto"; import "google/protobuf/timestamp.proto";
message Refund { string order_id = 1; }
message Order {
  message Line { int32 quantity = 2; string sku = 1; }
  optional string note = 8;
  oneof payment { string cash = 7; string card = 6; }
  map<string, int64> tags = 5;
  people.Customer customer = 4;
  google.protobuf.Timestamp placed = 3;
  repeated Line lines = 2;
  string id = 1; // the id
}`
	b := mustParse(t, reordered, orderDeps)
	if a.Normalized() != b.Normalized() {
		t.Errorf("normalized texts differ:\n%s\n---\n%s", a.Normalized(), b.Normalized())
	}
	c := mustParse(t, strings.Replace(order, "int32 quantity = 2", "int64 quantity = 2", 1), orderDeps)
	if a.Normalized() == c.Normalized() {
		t.Errorf("a changed schema normalizes equally")
	}
	again := mustParse(t, a.Normalized(), orderDeps)
	if again.Normalized() != a.Normalized() {
		t.Errorf("normalizing the normalized text changes it:\n%s\n---\n%s", a.Normalized(), again.Normalized())
	}
	for _, want := range []string{"oneof payment {", "map<string, int64> tags = 5;", "optional string note = 8;", "repeated .shop.Order.Line lines = 2;"} {
		if !strings.Contains(a.Normalized(), want) {
			t.Errorf("normalized text lacks %q:\n%s", want, a.Normalized())
		}
	}
}

// TestNormalizedProto2 proves proto2 labels, defaults, options, enums,
// reserved ranges, extensions and services survive normalization.
func TestNormalizedProto2(t *testing.T) {
	text := `syntax = "proto2";
package p;
option java_package = "com.example";
enum Color { RED = 0; GREEN = 1 [deprecated = true]; reserved 5 to 7; }
message M {
  required int32 a = 1 [default = 7];
  optional Color c = 2 [default = GREEN];
  optional string s = 3 [json_name = "sss", deprecated = true];
  reserved 10 to 12, 15;
  reserved "old";
  extensions 100 to 199;
  optional group G = 4 { optional int32 x = 1; }
}
extend M { optional int32 ext = 100; }
service S { rpc Get (M) returns (stream M); }
`
	p := mustParse(t, text, nil)
	n := p.Normalized()
	for _, want := range []string{`option java_package = "com.example";`, "required int32 a = 1 [default = 7];",
		"optional .p.Color c = 2 [default = GREEN];", `json_name = "sss"`, "reserved 10 to 12, 15;", `reserved "old";`,
		"extensions 100 to 199;", "optional group G = 4 {", "extend .p.M {", "rpc Get (.p.M) returns (stream .p.M);",
		"GREEN = 1 [deprecated = true];", "reserved 5 to 7;"} {
		if !strings.Contains(n, want) {
			t.Errorf("normalized text lacks %q:\n%s", want, n)
		}
	}
	if again := mustParse(t, n, nil); again.Normalized() != n {
		t.Errorf("normalizing the normalized text changes it:\n%s\n---\n%s", n, again.Normalized())
	}
}

// indexes encodes Confluent's message-index list.
func indexes(idx ...int64) []byte {
	if len(idx) == 1 && idx[0] == 0 {
		return []byte{0}
	}
	b := protowire.AppendVarint(nil, protowire.EncodeZigZag(int64(len(idx))))
	for _, i := range idx {
		b = protowire.AppendVarint(b, protowire.EncodeZigZag(i))
	}
	return b
}

func encode(t *testing.T, md protoreflect.MessageDescriptor, set func(m *dynamicpb.Message)) []byte {
	t.Helper()
	m := dynamicpb.NewMessage(md)
	set(m)
	return encodeMessage(t, m)
}

func encodeMessage(t testing.TB, m *dynamicpb.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestValidate proves the message-index list selects the message (first,
// another top-level one, a nested one) and the bytes are decoded as it,
// and that malformed payloads are errors.
func TestValidate(t *testing.T) {
	p := mustParse(t, `syntax = "proto2"; package v;
message A { required string id = 1; message Inner { required int32 n = 1; } }
message B { optional int64 x = 1; }`, nil)
	a := p.file.Messages().ByName("A")
	b := p.file.Messages().ByName("B")
	inner := a.Messages().ByName("Inner")
	good := encode(t, a, func(m *dynamicpb.Message) { m.Set(a.Fields().ByNumber(1), protoreflect.ValueOfString("x")) })
	goodB := encode(t, b, func(m *dynamicpb.Message) { m.Set(b.Fields().ByNumber(1), protoreflect.ValueOfInt64(-5)) })
	goodInner := encode(t, inner, func(m *dynamicpb.Message) { m.Set(inner.Fields().ByNumber(1), protoreflect.ValueOfInt32(3)) })
	for _, tc := range []struct {
		name    string
		payload []byte
		ok      bool
	}{
		{"first message, short form", append(indexes(0), good...), true},
		{"first message, long form", append([]byte{2, 0}, good...), true},
		{"second message", append(indexes(1), goodB...), true},
		{"nested message", append(indexes(0, 0), goodInner...), true},
		{"missing required field", append(indexes(0), goodB...), false},
		{"index out of range", append(indexes(2), good...), false},
		{"nested index out of range", append(indexes(1, 0), good...), false},
		{"negative index", append(indexes(-1), good...), false},
		{"negative count", append([]byte{1}, good...), false},
		{"huge count", append(protowire.AppendVarint(nil, protowire.EncodeZigZag(1<<40)), good...), false},
		{"truncated list", []byte{4, 2}, false},
		{"empty payload", nil, false},
		{"truncated message", append(indexes(0), good[:len(good)-1]...), false},
		{"garbage", append(indexes(0), 0xff, 0xff, 0xff), false},
	} {
		err := p.Validate(tc.payload)
		if (err == nil) != tc.ok {
			t.Errorf("%s: Validate = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

// TestOtherType proves a writer of another format is refused, not a panic.
func TestOtherType(t *testing.T) {
	p := mustParse(t, `syntax = "proto3";`, nil)
	if got := p.CanRead(otherParsed{}); len(got) != 1 {
		t.Fatalf("CanRead(other type) = %q", got)
	}
}

type otherParsed struct{ schema.Parsed }

func (otherParsed) Type() schema.Type { return schema.Avro }

// TestSerializedDescriptor proves a schema and its reference given as
// base64 FileDescriptorProtos (as confluent-kafka-python registers them)
// parse to the same schema as the source, with a rendered canonical text.
func TestSerializedDescriptor(t *testing.T) {
	src := mustParse(t, order, orderDeps)
	dep := mustParse(t, orderDeps["customer.proto"], nil)
	p := mustParse(t, src.Serialized(), map[string]string{"customer.proto": dep.Serialized()})
	if !strings.Contains(p.Canonical(), "message Order {") || p.Canonical() != p.Normalized() {
		t.Errorf("Canonical of a descriptor is not its rendering:\n%s", p.Canonical())
	}
	if p.Normalized() != src.Normalized() {
		t.Errorf("normalized texts differ:\n%s\n---\n%s", p.Normalized(), src.Normalized())
	}
	if got := p.CanRead(src); len(got) != 0 {
		t.Errorf("CanRead(source) = %q", got)
	}
	if got := src.CanRead(p); len(got) != 0 {
		t.Errorf("source CanRead(descriptor) = %q", got)
	}
	if _, err := (Format{}).Parse(src.Serialized(), nil); err == nil {
		t.Errorf("a descriptor without its import parsed")
	}
}

// TestNormalizedCustomOptions proves custom options render by name and
// the rendering compiles again to the same text.
func TestNormalizedCustomOptions(t *testing.T) {
	p := mustParse(t, `syntax = "proto3"; package x; import "google/protobuf/descriptor.proto";
extend google.protobuf.FieldOptions { string tag = 50000; }
message A { string a = 1 [(tag) = "pii"]; }`, nil)
	if !strings.Contains(p.Normalized(), `string a = 1 [(x.tag) = "pii"];`) {
		t.Errorf("normalized text lacks the custom option:\n%s", p.Normalized())
	}
	if again := mustParse(t, p.Normalized(), nil); again.Normalized() != p.Normalized() {
		t.Errorf("normalizing the normalized text changes it")
	}
}

// TestNormalizedEditions proves an editions file renders with its edition
// and compiles again.
func TestNormalizedEditions(t *testing.T) {
	p := mustParse(t, `edition = "2023"; package e; message A { int32 a = 1; repeated string b = 2; A c = 3; reserved old; reserved 9; }`, nil)
	if !strings.HasPrefix(p.Normalized(), `edition = "2023";`) {
		t.Errorf("normalized text:\n%s", p.Normalized())
	}
	if again := mustParse(t, p.Normalized(), nil); again.Normalized() != p.Normalized() {
		t.Errorf("normalizing the normalized text changes it")
	}
}

// TestConfluentBuiltins proves Confluent's own imports resolve without
// references, their options and types usable.
func TestConfluentBuiltins(t *testing.T) {
	p := mustParse(t, `syntax = "proto3"; package b;
import "confluent/meta.proto";
import "confluent/type/decimal.proto";
message Payment {
  confluent.type.Decimal amount = 1;
  string card = 2 [(confluent.field_meta).tags = "PII"];
}`, nil)
	if !strings.Contains(p.Normalized(), "(confluent.field_meta)") {
		t.Errorf("normalized text lacks the field metadata:\n%s", p.Normalized())
	}
}
