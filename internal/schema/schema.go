// Package schema is the vocabulary the schema registry shares with its
// formats (Avro, JSON Schema, Protobuf): a format parses schema text, with
// the texts of the schemas it references, into a Parsed schema that knows
// its canonical text, whether it can read data written with another
// schema of the same format, and whether a payload is valid for it. The
// registry (and broker-side validation) depend only on these interfaces;
// each format lives in its own package below this one.
package schema

// Type names a schema format as Confluent's registry does in "schemaType"
// (an absent schemaType means AVRO).
type Type string

const (
	Avro     Type = "AVRO"
	JSON     Type = "JSON"
	Protobuf Type = "PROTOBUF"
)

// Reference is a schema that another imports by name, as in Confluent's
// "references": Name is how the referring schema names it (an Avro full
// name, a JSON Schema $ref URL, a .proto import path), Subject and
// Version where the registry holds it.
type Reference struct {
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Version int    `json:"version"`
}

// Format parses schemas of one type.
type Format interface {
	Type() Type
	// Parse parses text. deps holds the text of every schema text
	// references, directly or not, keyed by reference name. A schema that
	// does not parse, or names a reference deps lacks, is an error whose
	// message says why (the registry answers it as 42201).
	Parse(text string, deps map[string]string) (Parsed, error)
}

// Parsed is one parsed schema.
type Parsed interface {
	Type() Type
	// Canonical is the text the registry stores and compares for
	// identity: Confluent's canonical string of the schema (for Avro, the
	// schema re-serialized as compact JSON; for JSON Schema, the compact
	// JSON; for Protobuf, the text as registered).
	Canonical() string
	// Normalized is the text compared when a request asks for
	// normalize=true: semantically equal schemas normalize equally.
	Normalized() string
	// CanRead reports why a consumer holding this schema cannot read
	// data written with writer, one message per incompatibility, in the
	// words of Confluent's messages where they exist; none means it can.
	// writer is of the same Type. BACKWARD checks new.CanRead(old),
	// FORWARD old.CanRead(new), FULL both.
	CanRead(writer Parsed) []string
	// Validate reports whether payload, the bytes after Confluent's
	// 5-byte wire prefix (for Protobuf starting with the message-index
	// list), is a valid encoding of a message of this schema.
	Validate(payload []byte) error
}

// Named is implemented by a Parsed whose records have names, as
// Confluent's RecordNameStrategy and TopicRecordNameStrategy derive
// subjects from them. RecordName returns the full name of the record
// that payload (as for Validate) is written with, or why it has none.
type Named interface {
	RecordName(payload []byte) (string, error)
}

// Codec is implemented by a Parsed that converts between the JSON form
// of its data, in which Confluent's REST proxy embeds records, and the
// payload its serializers write (the bytes after the 5-byte wire
// prefix; for Protobuf starting with the message-index list).
type Codec interface {
	// FromJSON returns the payload of data, a JSON value, or why data
	// is not a value of the schema.
	FromJSON(data []byte) ([]byte, error)
	// ToJSON returns the JSON form of payload, or why payload is not a
	// value of the schema.
	ToJSON(payload []byte) ([]byte, error)
}
