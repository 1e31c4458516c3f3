package protobuf

import (
	"strings"
	"testing"
)

const p3 = `syntax = "proto3"; package p; `
const p2 = `syntax = "proto2"; package p; `

// compatCases are Confluent's Protobuf rules, one or more rows each: a
// writer schema, a reader schema, and the difference type CanRead must
// report (empty when the reader can read the writer's data).
var compatCases = []struct {
	name           string
	writer, reader string
	deps           [2]map[string]string // writer's, reader's
	want           string
}{
	{name: "identical", writer: p3 + `message A { string a = 1; }`, reader: p3 + `message A { string a = 1; }`},
	{name: "package changed", writer: p3 + `message A { string a = 1; }`,
		reader: `syntax = "proto3"; package q; message A { string a = 1; }`, want: "PACKAGE_CHANGED"},
	{name: "message added", writer: p3 + `message A { string a = 1; }`, reader: p3 + `message A { string a = 1; } message B {}`},
	{name: "message removed", writer: p3 + `message A { string a = 1; } message B {}`, reader: p3 + `message A { string a = 1; }`,
		want: "MESSAGE_REMOVED"},
	{name: "nested message removed", writer: p3 + `message A { message N {} }`, reader: p3 + `message A { }`, want: "MESSAGE_REMOVED"},
	{name: "message moved in file", writer: p3 + `message A {} message B {}`, reader: p3 + `message B {} message A {}`},
	{name: "field added", writer: p3 + `message A { string a = 1; }`, reader: p3 + `message A { string a = 1; int32 b = 2; }`},
	{name: "field removed", writer: p3 + `message A { string a = 1; int32 b = 2; }`, reader: p3 + `message A { string a = 1; }`},
	{name: "field renamed", writer: p3 + `message A { string a = 1; }`, reader: p3 + `message A { string renamed = 1; }`},
	{name: "field number changed", writer: p3 + `message A { string a = 1; }`, reader: p3 + `message A { int64 a = 2; string b = 1; }`},
	{name: "int32 to int64 (same wire group)", writer: p3 + `message A { int32 a = 1; }`, reader: p3 + `message A { int64 a = 1; }`},
	{name: "uint64 to bool (same wire group)", writer: p3 + `message A { uint64 a = 1; }`, reader: p3 + `message A { bool a = 1; }`},
	{name: "enum to int32 (same wire group)", writer: p3 + `enum E { Z = 0; } message A { E a = 1; }`, reader: p3 + `enum E { Z = 0; } message A { int32 a = 1; }`},
	{name: "string to bytes (same wire group)", writer: p3 + `message A { string a = 1; }`, reader: p3 + `message A { bytes a = 1; }`},
	{name: "fixed32 to sfixed32", writer: p3 + `message A { fixed32 a = 1; }`, reader: p3 + `message A { sfixed32 a = 1; }`},
	{name: "int32 to sint32", writer: p3 + `message A { int32 a = 1; }`, reader: p3 + `message A { sint32 a = 1; }`, want: "FIELD_SCALAR_KIND_CHANGED"},
	{name: "string to int32", writer: p3 + `message A { string a = 1; }`, reader: p3 + `message A { int32 a = 1; }`, want: "FIELD_SCALAR_KIND_CHANGED"},
	{name: "float to double", writer: p3 + `message A { float a = 1; }`, reader: p3 + `message A { double a = 1; }`, want: "FIELD_SCALAR_KIND_CHANGED"},
	{name: "fixed32 to fixed64", writer: p3 + `message A { fixed32 a = 1; }`, reader: p3 + `message A { fixed64 a = 1; }`, want: "FIELD_SCALAR_KIND_CHANGED"},
	{name: "scalar to message", writer: p3 + `message B {} message A { string a = 1; }`, reader: p3 + `message B {} message A { B a = 1; }`,
		want: "FIELD_KIND_CHANGED"},
	{name: "message to map", writer: p3 + `message B {} message A { B a = 1; }`, reader: p3 + `message B {} message A { map<string, string> a = 1; }`,
		want: "FIELD_KIND_CHANGED"},
	{name: "map value widened", writer: p3 + `message A { map<string, int32> a = 1; }`, reader: p3 + `message A { map<string, int64> a = 1; }`},
	{name: "map key changed", writer: p3 + `message A { map<string, int32> a = 1; }`, reader: p3 + `message A { map<int32, int32> a = 1; }`,
		want: "FIELD_SCALAR_KIND_CHANGED"},
	{name: "message type renamed", writer: p3 + `message B {} message C {} message A { B a = 1; }`,
		reader: p3 + `message B {} message C {} message A { C a = 1; }`, want: "FIELD_NAMED_TYPE_CHANGED"},
	{name: "numeric label changed", writer: p2 + `message A { optional int32 a = 1; }`, reader: p2 + `message A { repeated int32 a = 1; }`,
		want: "FIELD_NUMERIC_LABEL_CHANGED"},
	{name: "string label changed", writer: p2 + `message A { optional string a = 1; }`, reader: p2 + `message A { repeated string a = 1; }`},
	{name: "proto3 optional added", writer: p3 + `message A { int32 a = 1; }`, reader: p3 + `message A { optional int32 a = 1; }`},
	{name: "required field added", writer: p2 + `message A { optional int32 a = 1; }`, reader: p2 + `message A { optional int32 a = 1; required int32 b = 2; }`,
		want: "REQUIRED_FIELD_ADDED"},
	{name: "required field removed", writer: p2 + `message A { optional int32 a = 1; required int32 b = 2; }`, reader: p2 + `message A { optional int32 a = 1; }`,
		want: "REQUIRED_FIELD_REMOVED"},
	{name: "optional proto2 field removed", writer: p2 + `message A { optional int32 a = 1; optional int32 b = 2; }`, reader: p2 + `message A { optional int32 a = 1; }`},
	{name: "oneof added", writer: p3 + `message A { string a = 1; }`, reader: p3 + `message A { string a = 1; oneof o { int32 b = 2; string c = 3; } }`},
	{name: "oneof field added", writer: p3 + `message A { oneof o { int32 b = 2; } }`, reader: p3 + `message A { oneof o { int32 b = 2; string c = 3; } }`},
	{name: "oneof field removed", writer: p3 + `message A { oneof o { int32 b = 2; string c = 3; } }`, reader: p3 + `message A { oneof o { int32 b = 2; } }`,
		want: "ONEOF_FIELD_REMOVED"},
	{name: "oneof field type changed", writer: p3 + `message A { oneof o { int32 b = 2; } }`, reader: p3 + `message A { oneof o { string b = 2; } }`,
		want: "FIELD_SCALAR_KIND_CHANGED"},
	{name: "one field moved into new oneof", writer: p3 + `message A { int32 a = 1; }`, reader: p3 + `message A { oneof o { int32 a = 1; } }`},
	{name: "several fields moved into oneof", writer: p3 + `message A { int32 a = 1; int32 b = 2; }`,
		reader: p3 + `message A { oneof o { int32 a = 1; int32 b = 2; } }`, want: "MULTIPLE_FIELDS_MOVED_TO_ONEOF"},
	{name: "field moved into existing oneof", writer: p3 + `message A { int32 a = 1; oneof o { int32 b = 2; } }`,
		reader: p3 + `message A { oneof o { int32 a = 1; int32 b = 2; } }`, want: "FIELD_MOVED_TO_EXISTING_ONEOF"},
	{name: "oneof renamed", writer: p3 + `message A { oneof o { int32 a = 1; string b = 2; } }`, reader: p3 + `message A { oneof q { int32 a = 1; string b = 2; } }`},
	{name: "oneof split in two", writer: p3 + `message A { oneof o { int32 a = 1; string b = 2; } }`,
		reader: p3 + `message A { oneof o { int32 a = 1; } oneof q { string b = 2; } }`},
	{name: "field moved between oneofs", writer: p3 + `message A { oneof o { int32 a = 1; int32 b = 2; } oneof q { int32 c = 3; } }`,
		reader: p3 + `message A { oneof o { int32 a = 1; } oneof q { int32 c = 3; int32 b = 2; } }`, want: "FIELD_MOVED_TO_EXISTING_ONEOF"},
	{name: "two oneofs merged", writer: p3 + `message A { oneof o { int32 a = 1; } oneof q { int32 b = 2; } }`,
		reader: p3 + `message A { oneof m { int32 a = 1; int32 b = 2; } }`, want: "FIELD_MOVED_TO_EXISTING_ONEOF"},
	{name: "oneof member dropped while renaming", writer: p3 + `message A { oneof o { int32 a = 1; int32 b = 2; } }`,
		reader: p3 + `message A { oneof q { int32 a = 1; } }`, want: "ONEOF_FIELD_REMOVED"},
	{name: "whole oneof removed", writer: p3 + `message A { string s = 5; oneof o { int32 a = 1; int32 b = 2; } }`, reader: p3 + `message A { string s = 5; }`},
	{name: "field moved out of oneof to top level", writer: p3 + `message A { oneof o { int32 a = 1; int32 b = 2; } }`,
		reader: p3 + `message A { oneof o { int32 a = 1; } int32 b = 2; }`},
	{name: "field moved out of oneof, type changed", writer: p3 + `message A { oneof o { int32 a = 1; int32 b = 2; } }`,
		reader: p3 + `message A { oneof o { int32 a = 1; } string b = 2; }`, want: "FIELD_SCALAR_KIND_CHANGED"},
	{name: "field moved into new oneof, type changed", writer: p3 + `message A { int32 a = 1; }`,
		reader: p3 + `message A { oneof o { sint64 a = 1; } }`, want: "FIELD_SCALAR_KIND_CHANGED"},
	{name: "oneof removed, field kept", writer: p3 + `message A { oneof o { int32 b = 2; } }`, reader: p3 + `message A { int32 b = 2; }`},
	{name: "enum value added", writer: p3 + `enum E { Z = 0; } message A { E e = 1; }`, reader: p3 + `enum E { Z = 0; O = 1; } message A { E e = 1; }`},
	{name: "enum removed", writer: p3 + `enum E { Z = 0; } message A {}`, reader: p3 + `message A {}`},
	{name: "syntax proto2 to proto3", writer: p2 + `message A { optional int32 a = 1; }`, reader: p3 + `message A { int32 a = 1; }`},
	{name: "recursive message", writer: p3 + `message T { repeated T children = 1; string v = 2; }`,
		reader: p3 + `message T { repeated T children = 1; int32 v = 2; }`, want: "FIELD_SCALAR_KIND_CHANGED"},
	{name: "imported type changed", writer: p3 + `import "d.proto"; message A { d.D x = 1; }`,
		reader: p3 + `import "d.proto"; message A { d.D x = 1; }`,
		deps: [2]map[string]string{{"d.proto": `syntax = "proto3"; package d; message D { string s = 1; }`},
			{"d.proto": `syntax = "proto3"; package d; message D { int64 s = 1; }`}},
		want: "FIELD_NAMED_TYPE_CHANGED"},
	{name: "imported type extended", writer: p3 + `import "d.proto"; message A { d.D x = 1; }`,
		reader: p3 + `import "d.proto"; message A { d.D x = 1; }`,
		deps: [2]map[string]string{{"d.proto": `syntax = "proto3"; package d; message D { string s = 1; }`},
			{"d.proto": `syntax = "proto3"; package d; message D { string s = 1; int64 t = 2; }`}}},
	{name: "well-known type kept", writer: p3 + `import "google/protobuf/timestamp.proto"; message A { google.protobuf.Timestamp t = 1; }`,
		reader: p3 + `import "google/protobuf/timestamp.proto"; message A { google.protobuf.Timestamp t = 1; }`},
	{name: "well-known type swapped", writer: p3 + `import "google/protobuf/timestamp.proto"; import "google/protobuf/duration.proto"; message A { google.protobuf.Timestamp t = 1; }`,
		reader: p3 + `import "google/protobuf/timestamp.proto"; import "google/protobuf/duration.proto"; message A { google.protobuf.Duration t = 1; }`,
		want:   "FIELD_NAMED_TYPE_CHANGED"},
}

// TestCanReadRules proves each of Confluent's Protobuf compatibility
// rules: a compatible change reports nothing, an incompatible one its
// difference type.
func TestCanReadRules(t *testing.T) {
	for _, tc := range compatCases {
		t.Run(tc.name, func(t *testing.T) {
			w := mustParse(t, tc.writer, tc.deps[0])
			r := mustParse(t, tc.reader, tc.deps[1])
			got := r.CanRead(w)
			if tc.want == "" {
				if len(got) != 0 {
					t.Fatalf("CanRead = %q, want compatible", got)
				}
				return
			}
			found := false
			for _, m := range got {
				found = found || strings.Contains(m, "errorType:'"+tc.want+"'")
			}
			if !found {
				t.Fatalf("CanRead = %q, want %s", got, tc.want)
			}
		})
	}
}

// TestCanReadMessage proves the message names the rule and the path.
func TestCanReadMessage(t *testing.T) {
	w := mustParse(t, p3+`message A { string a = 1; }`, nil)
	r := mustParse(t, p3+`message A { int32 a = 1; }`, nil)
	got := r.CanRead(w)
	want := "{errorType:'FIELD_SCALAR_KIND_CHANGED', description:'the scalar field at path '#/A/1' changed"
	if len(got) != 1 || !strings.HasPrefix(got[0], want) {
		t.Fatalf("CanRead = %q, want one message starting %q", got, want)
	}
}
