package protobuf

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"

	"gregor/internal/schema"
)

var _ schema.Codec = (*Parsed)(nil)

// FromJSON encodes data, the Protobuf JSON mapping of the file's first
// message (the one Confluent's REST proxy produces), as that message
// after the message-index list [0] (the single byte 0).
func (p *Parsed) FromJSON(data []byte) ([]byte, error) {
	if p.file.Messages().Len() == 0 {
		return nil, errors.New("the schema defines no message")
	}
	md := p.file.Messages().Get(0)
	msg := dynamicpb.NewMessage(md)
	if err := protojson.Unmarshal(data, msg); err != nil {
		return nil, fmt.Errorf("data is not a %s in JSON: %w", md.FullName(), err)
	}
	b, err := proto.MarshalOptions{Deterministic: true}.MarshalAppend([]byte{0}, msg)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", md.FullName(), err)
	}
	return b, nil
}

// ToJSON decodes payload, a message-index list and the message it names,
// into the Protobuf JSON mapping, fields at their default values
// included, as Confluent's REST proxy prints them.
func (p *Parsed) ToJSON(payload []byte) ([]byte, error) {
	md, rest, err := p.messageFor(payload)
	if err != nil {
		return nil, err
	}
	msg := dynamicpb.NewMessage(md)
	if err := proto.Unmarshal(rest, msg); err != nil {
		return nil, fmt.Errorf("payload is not a valid %s: %w", md.FullName(), err)
	}
	return protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(msg)
}
