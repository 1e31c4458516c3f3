// Package protobuf is the Protobuf format of the schema registry: it
// compiles .proto text (with the files it imports, which are its
// references, keyed by import path) using github.com/bufbuild/protocompile,
// validates payloads with google.golang.org/protobuf's dynamicpb, and
// decides compatibility by Confluent's Protobuf rules.
//
// The well-known imports (google/protobuf/timestamp.proto and the other
// files protoc ships) and Confluent's confluent/meta.proto and
// confluent/type/decimal.proto resolve without references. Nothing is
// read from disk or the network.
//
// Compatibility walks the writer (Confluent's "original") and the reader
// (its "update") side by side, messages matched by name and fields by
// number, and reports by Confluent's difference names: PACKAGE_CHANGED,
// MESSAGE_REMOVED, FIELD_KIND_CHANGED, FIELD_SCALAR_KIND_CHANGED (a
// change between wire-incompatible groups of scalar types),
// FIELD_NAMED_TYPE_CHANGED, FIELD_NUMERIC_LABEL_CHANGED,
// REQUIRED_FIELD_ADDED, REQUIRED_FIELD_REMOVED, ONEOF_FIELD_REMOVED,
// MULTIPLE_FIELDS_MOVED_TO_ONEOF and FIELD_MOVED_TO_EXISTING_ONEOF.
// Fields are matched by number wherever they are: moving one field into
// a new oneof, renaming or splitting a oneof, or moving a member out of a
// oneof is compatible; gathering members from several places into one
// oneof is not. Adding or removing optional fields, messages, enums, enum
// values and whole oneofs, renaming fields, and changing the syntax are
// compatible, as in Confluent's registry.
//
// A payload is Confluent's wire format after the magic byte and schema
// id: the message-index list (a zigzag varint count, then as many zigzag
// varint indexes into the file's messages and their nested messages; a
// lone 0 stands for [0], the first message), then the message bytes.
package protobuf
