package restproxy

// The avro, jsonschema and protobuf embedded formats. A produce names its
// schema by id, by text (registered if its subject lacks it), or (v3) by
// subject and version; the subject is the request's, or the one the
// subject name strategy derives: TOPIC_NAME ({topic}-key, {topic}-value,
// the default), RECORD_NAME ({record}) or TOPIC_RECORD_NAME
// ({topic}-{record}), the record name being the schema's (an Avro full
// name, the first Protobuf message's full name, a JSON Schema's title).
// Records are written in Confluent's wire format: the byte 0, the schema
// id as 4 bytes big-endian, then the payload (for Protobuf, the
// message-index list first). Consumers of these formats decode the wire
// format back to JSON with the schema the id names.
//
// Errors are Confluent's: 42201/42202 a key/value without a schema,
// 42203 data that is not a value of its schema (in v3, per record: 400,
// as Confluent's v3 answers it), 42205 a schema that does
// not parse, 42207 what the registry refuses (an unknown id, an
// incompatible schema), 40801 (HTTP 408, as Confluent's proxy answers a
// deserializer's error) a consumed record that does not decode.

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"gregor/internal/schema"
)

// Registry is the schema registry the proxy resolves and registers
// schemas in: the node's own. Implementations are safe for concurrent
// use; their errors are *RegistryError for what the registry refuses.
type Registry interface {
	// Parse parses text, a schema of type typ without references.
	Parse(typ schema.Type, text string) (schema.Parsed, error)
	// ByID returns the schema with id.
	ByID(ctx context.Context, id int) (schema.Parsed, error)
	// Lookup returns the id and version of p in subject.
	Lookup(ctx context.Context, subject string, p schema.Parsed) (id, version int, err error)
	// LookupID returns the version of subject that holds the schema with
	// id (with its references, which a Parsed does not carry).
	LookupID(ctx context.Context, subject string, id int) (version int, err error)
	// Register registers p in subject, unless it holds it, and returns
	// its id.
	Register(ctx context.Context, subject string, p schema.Parsed) (id int, err error)
	// Version returns subject's version n (-1: the latest).
	Version(ctx context.Context, subject string, n int) (id, version int, p schema.Parsed, err error)
	// Generation changes whenever the registry's state does.
	Generation() int64
}

// RegistryError is an error the registry answers, with its Confluent
// code (40401 subject not found, 40403 schema not found, 409
// incompatible, ...).
type RegistryError struct {
	Code    int
	Message string
}

func (e *RegistryError) Error() string { return e.Message }

// ErrNoRegistry is what a Registry answers when the node serves none.
var ErrNoRegistry = errors.New("the schema registry is off (it needs schema.registry.listeners and a PLAINTEXT listener)")

const (
	codeKeySchemaMissing   = 42201
	codeValueSchemaMissing = 42202
	codeJSONConversion     = 42203
	codeInvalidSchema      = 42205
	codeSerialization      = 42207
	codeDeserialization    = 40801
)

// Schema formats of the embedded formats.
const (
	formatAvro       = "avro"
	formatJSONSchema = "jsonschema"
	formatProtobuf   = "protobuf"
)

// schemaTypeOf returns the schema type of an embedded format, "" if it
// takes no schema.
func schemaTypeOf(format string) schema.Type {
	switch format {
	case formatAvro:
		return schema.Avro
	case formatJSONSchema:
		return schema.JSON
	case formatProtobuf:
		return schema.Protobuf
	}
	return ""
}

// schemaSpec is how a request names the schema of its keys or values.
type schemaSpec struct {
	typ      schema.Type // of a schema given as text
	id       *int
	version  *int
	text     *string
	subject  string
	strategy string // TOPIC_NAME (default), RECORD_NAME, TOPIC_RECORD_NAME
}

// resolved is a schema a request's keys or values are written with.
type resolved struct {
	subject string
	id      int
	version int
	parsed  schema.Parsed
	codec   schema.Codec
	// sizePrefix is the start of the v3 answer's key or value object.
	sizePrefix []byte
}

// schemaCache remembers resolved schemas while the registry's
// generation stays the same. It is safe for concurrent use.
type schemaCache struct {
	mu         sync.Mutex // guards the fields below
	generation int64
	bySpec     map[string]*resolved
	byID       map[int]schema.Parsed
}

// maxCached bounds each map of the cache; a full map starts again.
const maxCached = 4096

func (c *schemaCache) syncLocked(gen int64) {
	if c.bySpec == nil || c.generation != gen || len(c.bySpec) >= maxCached || len(c.byID) >= maxCached {
		c.generation, c.bySpec, c.byID = gen, map[string]*resolved{}, map[int]schema.Parsed{}
	}
}

func (c *schemaCache) spec(gen int64, key string) *resolved {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.syncLocked(gen)
	return c.bySpec[key]
}

func (c *schemaCache) putSpec(gen int64, key string, r *resolved) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.syncLocked(gen)
	c.bySpec[key] = r
}

func (c *schemaCache) id(gen int64, id int) schema.Parsed {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.syncLocked(gen)
	return c.byID[id]
}

func (c *schemaCache) putID(gen int64, id int, p schema.Parsed) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.syncLocked(gen)
	c.byID[id] = p
}

// specKey is the cache key of a spec: its fields length-prefixed, so
// that no two specs share one.
func specKey(topic string, isKey bool, s schemaSpec) string {
	b := make([]byte, 0, 64+len(topic)+len(s.subject)+len(s.strategy))
	field := func(v string) {
		b = strconv.AppendInt(b, int64(len(v)), 10)
		b = append(b, ':')
		b = append(b, v...)
	}
	optional := func(n *int) {
		if n == nil {
			b = append(b, '-')
		} else {
			b = strconv.AppendInt(b, int64(*n), 10)
		}
		b = append(b, ';')
	}
	field(topic)
	b = strconv.AppendBool(b, isKey)
	field(string(s.typ))
	optional(s.id)
	optional(s.version)
	if s.text != nil {
		field(*s.text)
	} else {
		b = append(b, '-')
	}
	field(s.subject)
	field(s.strategy)
	return string(b)
}

// registry returns the proxy's registry, or why schemas cannot be used.
func (p *Proxy) registry() (Registry, error) {
	if p.cfg.Registry == nil {
		return nil, errorf(http.StatusUnprocessableEntity, codeSchemaUnavailable, "%v", ErrNoRegistry)
	}
	return p.cfg.Registry, nil
}

// resolveSchema returns the schema spec names for topic's keys (isKey)
// or values, registering a schema given as text if its subject lacks it.
func (p *Proxy) resolveSchema(ctx context.Context, topic string, isKey bool, spec schemaSpec) (*resolved, error) {
	reg, err := p.registry()
	if err != nil {
		return nil, err
	}
	gen := reg.Generation()
	key := specKey(topic, isKey, spec)
	if r := p.schemas.spec(gen, key); r != nil {
		return r, nil
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.RequestTimeout)
	defer cancel()
	r, err := p.resolveUncached(ctx, reg, topic, isKey, spec)
	if err != nil {
		return nil, err
	}
	codec, ok := r.parsed.(schema.Codec)
	if !ok {
		return nil, errorf(http.StatusUnprocessableEntity, codeSerialization, "Error serializing message. Schemas of type %s cannot encode JSON data", r.parsed.Type())
	}
	r.codec = codec
	r.sizePrefix = sizePrefix(r)
	p.schemas.putSpec(gen, key, r)
	return r, nil
}

func (p *Proxy) resolveUncached(ctx context.Context, reg Registry, topic string, isKey bool, spec schemaSpec) (*resolved, error) {
	switch {
	case spec.id != nil:
		parsed, err := reg.ByID(ctx, *spec.id)
		if err != nil {
			return nil, registryError(err, "Error when fetching schema by id. schemaId = %d", *spec.id)
		}
		subject, err := specSubject(topic, isKey, spec, parsed)
		if err != nil {
			return nil, err
		}
		version, err := reg.LookupID(ctx, subject, *spec.id)
		if err != nil {
			return nil, registryError(err, "Error when fetching schema version. subject = %s", subject)
		}
		return &resolved{subject: subject, id: *spec.id, version: version, parsed: parsed}, nil
	case spec.text != nil:
		parsed, err := reg.Parse(spec.typ, *spec.text)
		if err != nil {
			return nil, errorf(http.StatusUnprocessableEntity, codeInvalidSchema, "Invalid schema: %v", err)
		}
		return p.inSubject(ctx, reg, topic, isKey, spec, parsed)
	default:
		subject := spec.subject
		if subject == "" {
			var err error
			if subject, err = subjectName(topic, isKey, spec.strategy, nil); err != nil {
				return nil, err
			}
		}
		n := -1
		if spec.version != nil {
			n = *spec.version
		}
		id, version, parsed, err := reg.Version(ctx, subject, n)
		if err != nil {
			if spec.version != nil {
				return nil, registryError(err, "Schema does not exist for subject: %s, version: %d", subject, n)
			}
			return nil, registryError(err, "Error when fetching latest schema version. subject = %s", subject)
		}
		return &resolved{subject: subject, id: id, version: version, parsed: parsed}, nil
	}
}

// specSubject is the subject spec names, or the one its strategy
// derives for parsed.
func specSubject(topic string, isKey bool, spec schemaSpec, parsed schema.Parsed) (string, error) {
	if spec.subject != "" {
		return spec.subject, nil
	}
	return subjectName(topic, isKey, spec.strategy, parsed)
}

// inSubject finds parsed, a schema given as text, in its subject,
// registering it there first if the subject lacks it.
func (p *Proxy) inSubject(ctx context.Context, reg Registry, topic string, isKey bool, spec schemaSpec, parsed schema.Parsed) (*resolved, error) {
	subject, err := specSubject(topic, isKey, spec, parsed)
	if err != nil {
		return nil, err
	}
	id, version, err := reg.Lookup(ctx, subject, parsed)
	if err != nil && isNotFound(err) {
		if _, err = reg.Register(ctx, subject, parsed); err != nil {
			return nil, registryError(err, "Error when registering schema. format = %s, subject = %s", parsed.Type(), subject)
		}
		id, version, err = reg.Lookup(ctx, subject, parsed)
	}
	if err != nil {
		return nil, registryError(err, "Error when fetching schema version. subject = %s", subject)
	}
	return &resolved{subject: subject, id: id, version: version, parsed: parsed}, nil
}

func isNotFound(err error) bool {
	var e *RegistryError
	return errors.As(err, &e) && (e.Code == 40401 || e.Code == 40403)
}

// registryError is the answer to a registry's error: 42207, as
// Confluent's proxy answers a schema it cannot fetch or register.
func registryError(err error, format string, args ...any) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, ErrNoRegistry) {
		return errorf(http.StatusUnprocessableEntity, codeSchemaUnavailable, "%v", err)
	}
	return errorf(http.StatusUnprocessableEntity, codeSerialization, "Error serializing message. %s\n%v", fmt.Sprintf(format, args...), err)
}

// subjectName derives a subject by strategy; parsed may be nil when the
// request names no schema (which only TOPIC_NAME can do without).
func subjectName(topic string, isKey bool, strategy string, parsed schema.Parsed) (string, error) {
	suffix := "-value"
	if isKey {
		suffix = "-key"
	}
	switch strings.ToUpper(strategy) {
	case "", "TOPIC_NAME":
		return topic + suffix, nil
	case "RECORD_NAME", "TOPIC_RECORD_NAME":
		if parsed == nil {
			return "", errorf(http.StatusBadRequest, codeBadRequest, "Cannot use schema_subject_strategy=%s without schema_id or schema.", strings.ToUpper(strategy))
		}
		name, err := recordName(parsed)
		if err != nil {
			return "", errorf(http.StatusBadRequest, codeBadRequest, "Cannot use schema_subject_strategy=%s: %v", strings.ToUpper(strategy), err)
		}
		if strings.ToUpper(strategy) == "RECORD_NAME" {
			return name, nil
		}
		return topic + "-" + name, nil
	}
	return "", errorf(http.StatusBadRequest, codeBadRequest, "Unknown subject_name_strategy %q (TOPIC_NAME, RECORD_NAME or TOPIC_RECORD_NAME)", strategy)
}

// recordName is the name of the record the proxy writes with parsed:
// for Protobuf the first message, which the message-index list [0]
// names.
func recordName(parsed schema.Parsed) (string, error) {
	n, ok := parsed.(schema.Named)
	if !ok {
		return "", fmt.Errorf("schemas of type %s have no record name", parsed.Type())
	}
	return n.RecordName([]byte{0})
}

// wirePrefix is the length of Confluent's wire-format prefix: the magic
// byte 0 and the schema id.
const wirePrefix = 5

// encodeWire returns data, a JSON value, in Confluent's wire format with
// r's schema; null data is a null key or value.
func encodeWire(r *resolved, data json.RawMessage) ([]byte, error) {
	if len(data) == 0 || string(data) == "null" {
		return nil, nil
	}
	payload, err := r.codec.FromJSON(data)
	if err != nil {
		return nil, err
	}
	out := make([]byte, wirePrefix, wirePrefix+len(payload))
	binary.BigEndian.PutUint32(out[1:], uint32(r.id))
	return append(out, payload...), nil
}

// decodeWire returns the JSON form of b, a key or value in Confluent's
// wire format written with a schema of type typ.
func (p *Proxy) decodeWire(ctx context.Context, typ schema.Type, b []byte) (json.RawMessage, error) {
	if b == nil {
		return jsonNull, nil
	}
	if len(b) < wirePrefix || b[0] != 0 {
		return nil, errors.New("Unknown magic byte!")
	}
	id := int(binary.BigEndian.Uint32(b[1:wirePrefix]))
	reg, err := p.registry()
	if err != nil {
		return nil, err
	}
	gen := reg.Generation()
	parsed := p.schemas.id(gen, id)
	if parsed == nil {
		ctx, cancel := context.WithTimeout(ctx, p.cfg.RequestTimeout)
		defer cancel()
		if parsed, err = reg.ByID(ctx, id); err != nil {
			return nil, fmt.Errorf("Error retrieving schema id %d: %w", id, err)
		}
		p.schemas.putID(gen, id, parsed)
	}
	if parsed.Type() != typ {
		return nil, fmt.Errorf("schema id %d is a %s schema, not %s", id, parsed.Type(), typ)
	}
	codec, ok := parsed.(schema.Codec)
	if !ok {
		return nil, fmt.Errorf("schemas of type %s cannot decode to JSON", parsed.Type())
	}
	out, err := codec.ToJSON(b[wirePrefix:])
	if err != nil {
		return nil, fmt.Errorf("Error deserializing payload for id %d: %w", id, err)
	}
	return out, nil
}
