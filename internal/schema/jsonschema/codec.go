package jsonschema

import (
	"bytes"
	"encoding/json"
	"fmt"

	"gregor/internal/schema"
)

var _ schema.Codec = (*Parsed)(nil)

// FromJSON checks data against the schema; the payload is data as
// compact JSON, as Confluent's JSON Schema serializer writes it.
func (p *Parsed) FromJSON(data []byte) ([]byte, error) {
	if err := p.Validate(data); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := json.Compact(&b, data); err != nil {
		return nil, fmt.Errorf("data is not JSON: %w", err)
	}
	return b.Bytes(), nil
}

// ToJSON returns payload, which must be JSON (a consumer shows what was
// written even if it no longer matches the schema, as Confluent's
// deserializer does unless told to validate).
func (p *Parsed) ToJSON(payload []byte) ([]byte, error) {
	if !json.Valid(payload) {
		return nil, fmt.Errorf("payload is not JSON")
	}
	return payload, nil
}

var _ schema.Named = (*Parsed)(nil)

// RecordName returns the schema's top-level "title", the record name
// Confluent's JSON Schema serializers give RecordNameStrategy and
// TopicRecordNameStrategy; every payload of the schema has that name.
func (p *Parsed) RecordName([]byte) (string, error) {
	if !p.hasTitle {
		return "", fmt.Errorf("the JSON schema has no string \"title\", which names its records")
	}
	return p.title, nil
}
