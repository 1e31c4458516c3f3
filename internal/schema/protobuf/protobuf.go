package protobuf

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/linker"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"gregor/internal/schema"
)

// Format parses .proto schemas. The zero value is ready to use and safe
// for concurrent use.
type Format struct{}

// Type is PROTOBUF.
func (Format) Type() schema.Type { return schema.Protobuf }

// Parsed is one compiled .proto file. It is immutable and safe for
// concurrent use.
type Parsed struct {
	text       string
	normalized string
	file       protoreflect.FileDescriptor
	// deps are the texts of the imported files by import path, so that
	// CanRead compares a type of an import only when the import changed.
	deps map[string]string
}

var _ schema.Format = Format{}
var _ schema.Parsed = (*Parsed)(nil)

// rootName is the path the schema itself is compiled under; a reference
// of that name moves it aside.
const rootName = "schema.proto"

// Parse compiles text with deps, the text of every file it imports
// (directly or not) keyed by import path. Each may be .proto source or,
// as Confluent's registry also accepts (and confluent-kafka-python's
// serializer sends), a base64-encoded FileDescriptorProto; the canonical
// text of a schema given as a descriptor is its rendering.
func (Format) Parse(text string, deps map[string]string) (schema.Parsed, error) {
	name := rootName
	for i := 0; deps[name] != ""; i++ {
		name = fmt.Sprintf("schema-%d.proto", i)
	}
	sources := make(map[string]string, len(deps)+1)
	kept := make(map[string]string, len(deps)) // the caller's map may change later
	for k, v := range deps {
		sources[k] = v
		kept[k] = v
	}
	sources[name] = text
	file, err := compile(name, sources)
	if err != nil {
		return nil, fmt.Errorf("invalid Protobuf schema: %w", err)
	}
	normalized := render(file)
	if _, ok := descriptorOf(text); ok {
		text = normalized
	}
	return &Parsed{text: text, normalized: normalized, file: file, deps: kept}, nil
}

// descriptorOf decodes text as a base64-encoded FileDescriptorProto.
// .proto source never decodes as one: its spaces, quotes and semicolons
// are not base64.
func descriptorOf(text string) (*descriptorpb.FileDescriptorProto, bool) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(text))
	if err != nil || len(b) == 0 {
		return nil, false
	}
	fdp := &descriptorpb.FileDescriptorProto{}
	if err := proto.Unmarshal(b, fdp); err != nil {
		return nil, false
	}
	return fdp, true
}

// resolve finds an import among sources, as source or as a descriptor.
func resolve(sources map[string]string) protocompile.Resolver {
	return protocompile.ResolverFunc(func(path string) (protocompile.SearchResult, error) {
		src, ok := sources[path]
		if !ok {
			src, ok = builtins[path]
		}
		if !ok {
			return protocompile.SearchResult{}, fmt.Errorf("import %q is not among the schema's references", path)
		}
		if fdp, ok := descriptorOf(src); ok {
			fdp.Name = proto.String(path)
			return protocompile.SearchResult{Proto: fdp}, nil
		}
		return protocompile.SearchResult{Source: strings.NewReader(src)}, nil
	})
}

// Serialized is the schema as a base64-encoded FileDescriptorProto, the
// form Confluent's registry answers with format=serialized.
func (p *Parsed) Serialized() string {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(protodesc.ToFileDescriptorProto(p.file))
	if err != nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(b)
}

// compile compiles one file of sources. The compiler runs on this
// goroutine's behalf only; a panic inside it is an error, not a crash.
func compile(name string, sources map[string]string) (f linker.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("compiler failed: %v", r)
		}
	}()
	c := protocompile.Compiler{
		Resolver:       protocompile.WithStandardImports(resolve(sources)),
		MaxParallelism: 1,
	}
	files, err := c.Compile(context.Background(), name)
	if err != nil {
		return nil, err
	}
	if len(files) != 1 {
		return nil, errors.New("compiler returned no file")
	}
	return files[0], nil
}

// Type is PROTOBUF.
func (*Parsed) Type() schema.Type { return schema.Protobuf }

// Canonical is the text as registered.
func (p *Parsed) Canonical() string { return p.text }

// Normalized is the file re-rendered from its descriptor: comments and
// layout dropped, imports sorted, fields in number order, nested types
// and top-level definitions in name order, type names fully qualified.
func (p *Parsed) Normalized() string { return p.normalized }

// CanRead reports the differences, by Confluent's Protobuf rules, that
// make data written with writer unreadable by p.
func (p *Parsed) CanRead(writer schema.Parsed) []string {
	w, ok := writer.(*Parsed)
	if !ok {
		return []string{fmt.Sprintf("the writer schema is of type %s, not PROTOBUF", writer.Type())}
	}
	return canRead(w, p)
}

// maxIndexes bounds the message-index list: nesting deeper than this is
// not a schema anyone wrote.
const maxIndexes = 100

// Validate decodes the message-index list, then the message it names.
func (p *Parsed) Validate(payload []byte) error {
	md, rest, err := p.messageFor(payload)
	if err != nil {
		return err
	}
	msg := dynamicpb.NewMessage(md)
	if err := (proto.UnmarshalOptions{}).Unmarshal(rest, msg); err != nil {
		return fmt.Errorf("payload is not a valid %s: %w", md.FullName(), err)
	}
	return nil
}

// messageFor reads the message-index list at the start of payload and
// returns the message it names and the bytes after the list.
func (p *Parsed) messageFor(payload []byte) (protoreflect.MessageDescriptor, []byte, error) {
	indexes, rest, err := MessageIndexes(payload)
	if err != nil {
		return nil, nil, err
	}
	msgs := p.file.Messages()
	var md protoreflect.MessageDescriptor
	for i, idx := range indexes {
		if idx < 0 || idx >= int64(msgs.Len()) {
			return nil, nil, fmt.Errorf("message index %d at depth %d names no message (there are %d)", idx, i, msgs.Len())
		}
		md = msgs.Get(int(idx))
		msgs = md.Messages()
	}
	return md, rest, nil
}

// MessageIndexes decodes Confluent's message-index list at the start of
// b: a zigzag varint count, then that many zigzag varint indexes; a count
// of 0 means [0]. It returns the indexes and the bytes after them.
func MessageIndexes(b []byte) ([]int64, []byte, error) {
	count, n := protowire.ConsumeVarint(b)
	if n < 0 {
		return nil, nil, errors.New("payload has no message-index list")
	}
	b = b[n:]
	c := protowire.DecodeZigZag(count)
	if c == 0 {
		return []int64{0}, b, nil
	}
	if c < 0 || c > maxIndexes {
		return nil, nil, fmt.Errorf("message-index count %d is out of range", c)
	}
	indexes := make([]int64, 0, c)
	for range c {
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return nil, nil, errors.New("message-index list is truncated")
		}
		b = b[n:]
		indexes = append(indexes, protowire.DecodeZigZag(v))
	}
	return indexes, b, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// RecordName returns the full name of the message that payload's
// message-index list names.
func (p *Parsed) RecordName(payload []byte) (string, error) {
	md, _, err := p.messageFor(payload)
	if err != nil {
		return "", err
	}
	return string(md.FullName()), nil
}
