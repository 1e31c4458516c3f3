package handler

// Broker-side schema validation, as Confluent Server's: on a topic with
// confluent.value.schema.validation (or .key., or the gregor. aliases)
// every produced record's value (key) must start with Confluent's wire
// prefix, magic byte 0 and a 4-byte big-endian schema id, naming a schema
// of the node's schema registry that is registered under the subject the
// topic's subject name strategy derives (TopicNameStrategy: <topic>-value,
// <topic>-key; RecordNameStrategy: the record's full name, for a JSON
// Schema its "title"; TopicRecordNameStrategy: <topic>-<record name>), in
// any version not
// soft-deleted. With gregor.schema.validation.mode=payload the rest of
// the value (key) must also decode with that schema. A null key or value
// (a tombstone) is not checked. One failing record refuses the
// partition's whole batch with INVALID_RECORD, the failing records'
// indexes and messages in record_errors (KIP-467) and a summary in
// error_message, as Kafka's LogValidator writes it.
//
// The schemas come from SchemaSource, the registry on this node, through
// a cache kept while the registry's generation is unchanged. Before it
// refuses records, validation lets the registry catch up with _schemas
// (at most once per catchUpInterval), so that a schema registered on
// another node just before the produce is seen. A node
// without a registry (no schema.registry.listeners) answers every
// produce to a validated topic INVALID_RECORD saying so; a registry
// still reading _schemas answers REQUEST_TIMED_OUT, which producers
// retry.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/config"
	"gregor/internal/partition"
	"gregor/internal/record"
	"gregor/internal/schema"
)

// SchemaSource finds schemas by id for schema validation: the node's
// schema registry. Its methods are safe for concurrent use and do not
// block.
type SchemaSource interface {
	// Generation changes whenever what SchemaByID answers may change.
	Generation() int64
	// SchemaByID returns the schema with id and the subjects that hold
	// it; found is false if none does. An error means the registry
	// cannot answer now (it is still loading).
	SchemaByID(id int32) (s SchemaInfo, found bool, err error)
	// CatchUp waits, within ctx, until the source holds every schema
	// registered (on any node) before the call. Validation calls it
	// before refusing a record, so that a producer that registers a
	// schema and then produces is not refused by a leader whose registry
	// has not read the registration yet.
	CatchUp(ctx context.Context) error
}

// SchemaInfo is a schema as validation needs it.
type SchemaInfo struct {
	Parsed   schema.Parsed // nil if it does not parse; ParseErr says why
	ParseErr error
	Subjects []string
}

// schemaCache caches SchemaSource's answers for one generation. Safe for
// concurrent use.
type schemaCache struct {
	// caughtUp is when the last CatchUp before a refusal began or ended
	// (Unix nanoseconds): refusals within catchUpInterval of it do not
	// wait again, so that a producer of bad records costs little.
	caughtUp atomic.Int64

	mu         sync.RWMutex // guards the fields below
	generation int64
	byID       map[int32]cachedSchema
}

type cachedSchema struct {
	info  SchemaInfo
	found bool
}

// maxCachedSchemas bounds the cache; past it, it starts again.
const maxCachedSchemas = 10000

func (c *schemaCache) lookup(src SchemaSource, id int32) (SchemaInfo, bool, error) {
	gen := src.Generation()
	c.mu.RLock()
	e, ok := c.byID[id]
	ok = ok && c.generation == gen
	c.mu.RUnlock()
	if ok {
		return e.info, e.found, nil
	}
	info, found, err := src.SchemaByID(id)
	if err != nil {
		return SchemaInfo{}, false, err
	}
	c.mu.Lock()
	if c.generation != gen || len(c.byID) >= maxCachedSchemas || c.byID == nil {
		c.generation, c.byID = gen, map[int32]cachedSchema{}
	}
	c.byID[id] = cachedSchema{info, found}
	c.mu.Unlock()
	return info, found, nil
}

// ErrNoSchemaRegistry: a validated topic on a node without a registry
// (a SchemaSource returns it, wrapped, when its registry is off).
// Produce answers INVALID_RECORD with its message.
var ErrNoSchemaRegistry = fmt.Errorf("%w: schema validation is on for this topic but this broker has no schema registry", partition.ErrInvalidRecord)

// ErrSchemaRegistryNotReady is what a SchemaSource returns while it
// cannot answer yet; produce answers REQUEST_TIMED_OUT, which producers
// retry.
var ErrSchemaRegistryNotReady = errors.New("the schema registry is not ready")

// validateSchemas checks the records of batches against topic's schema
// validation settings. It returns the refused records, or an error when
// the registry cannot answer (the partition then answers that error).
func (h *Handler) validateSchemas(ctx context.Context, topic string, sv config.SchemaValidation, batches []record.Batch) (errs []partition.RecordError, total int, err error) {
	errs, total, err = h.checkSchemas(topic, sv, batches)
	if total > 0 && h.catchUpSchemas(ctx) {
		errs, total, err = h.checkSchemas(topic, sv, batches)
	}
	if err != nil || total > 0 {
		// A batch that is corrupt or malformed answers that, as it would
		// without validation (the append checks it after validation).
		for _, b := range batches {
			if berr := b.ValidateProduce(); berr != nil {
				return nil, 0, berr
			}
		}
	}
	return errs, total, err
}

// catchUpInterval and catchUpTimeout bound the waits for the registry
// before refusals.
const (
	catchUpInterval = 20 * time.Millisecond
	catchUpTimeout  = 2 * time.Second
)

// catchUpSchemas lets the registry catch up with registrations made
// elsewhere before records are refused, unless it did so within
// catchUpInterval; it reports whether the registry's content moved.
func (h *Handler) catchUpSchemas(ctx context.Context) bool {
	last, now := h.schemas.caughtUp.Load(), h.now().UnixNano()
	if now-last < int64(catchUpInterval) || !h.schemas.caughtUp.CompareAndSwap(last, now) {
		return false // another request is catching up, or just did
	}
	before := h.Schemas.Generation()
	ctx, cancel := context.WithTimeout(ctx, catchUpTimeout)
	defer cancel()
	if err := h.Schemas.CatchUp(ctx); err != nil {
		h.Logger.Debug("schema validation: registry did not catch up", "err", err)
	}
	h.schemas.caughtUp.Store(h.now().UnixNano())
	return h.Schemas.Generation() != before
}

func (h *Handler) checkSchemas(topic string, sv config.SchemaValidation, batches []record.Batch) (errs []partition.RecordError, total int, err error) {
	if h.Schemas == nil {
		return nil, 0, fmt.Errorf("%w (set schema.registry.listeners)", ErrNoSchemaRegistry)
	}
	v := schemaValidator{h: h, topic: topic, sv: sv, keySubject: topic + "-key", valueSubject: topic + "-value", lastID: -1}
	index := int32(0)
	for _, b := range batches {
		err := b.EachRecord(func(r record.Record) error {
			err := v.check(index, r)
			index++
			return err
		})
		if err != nil {
			return nil, 0, err
		}
	}
	return v.errs, v.count, nil
}

// schemaValidator checks the records of one partition's batches.
type schemaValidator struct {
	h     *Handler
	topic string
	sv    config.SchemaValidation
	// keySubject and valueSubject are TopicNameStrategy's subjects.
	keySubject, valueSubject string
	// lastID and last are the schema id last looked up and its answer:
	// a batch's records mostly share one.
	lastID int64
	last   cachedSchema
	errs   []partition.RecordError
	count  int // refused records, listed or not
}

func (v *schemaValidator) check(index int32, r record.Record) error {
	if v.sv.Key && r.Key != nil {
		if msg, err := v.checkData(r.Key, "key", v.sv.KeyStrategy); err != nil || msg != "" {
			return v.refuse(index, msg, err)
		}
	}
	if v.sv.Value && r.Value != nil {
		if msg, err := v.checkData(r.Value, "value", v.sv.ValueStrategy); err != nil || msg != "" {
			return v.refuse(index, msg, err)
		}
	}
	return nil
}

func (v *schemaValidator) refuse(index int32, msg string, err error) error {
	if err != nil {
		return err
	}
	v.count++
	if len(v.errs) < partition.MaxRecordErrors {
		v.errs = append(v.errs, partition.RecordError{Index: index, Message: fmt.Sprintf("Log record at batch index %d in %s is rejected by schema validation: %s", index, v.topic, msg)})
	}
	return nil
}

// checkData checks one key or value (what is "key" or "value"); msg says
// why it is refused, "" if it is not.
func (v *schemaValidator) checkData(data []byte, what string, strategy config.SubjectStrategy) (msg string, err error) {
	if len(data) < 5 || data[0] != 0 {
		return fmt.Sprintf("the %s does not start with a schema id (Confluent wire format: magic byte 0, then a 4-byte schema id)", what), nil
	}
	id := int32(binary.BigEndian.Uint32(data[1:5]))
	info, found, err := v.lookup(id)
	if err != nil {
		return "", err
	}
	if !found {
		return fmt.Sprintf("the %s's schema id %d is not registered in the schema registry", what, id), nil
	}
	payload := data[5:]
	subject, msg := v.subject(info, payload, what, strategy)
	if msg != "" {
		return msg, nil
	}
	if !slices.Contains(info.Subjects, subject) {
		return fmt.Sprintf("the %s's schema id %d is not registered under subject %s (it is under %s)", what, id, subject, strings.Join(info.Subjects, ", ")), nil
	}
	if v.sv.Payload {
		if info.Parsed == nil {
			return fmt.Sprintf("the %s's schema id %d does not parse: %v", what, id, info.ParseErr), nil
		}
		if err := info.Parsed.Validate(payload); err != nil {
			return fmt.Sprintf("the %s does not match its schema id %d: %v", what, id, err), nil
		}
	}
	return "", nil
}

func (v *schemaValidator) lookup(id int32) (SchemaInfo, bool, error) {
	if int64(id) == v.lastID {
		return v.last.info, v.last.found, nil
	}
	info, found, err := v.h.schemas.lookup(v.h.Schemas, id)
	if err == nil {
		v.lastID, v.last = int64(id), cachedSchema{info, found}
	}
	return info, found, err
}

// subject derives the subject a key or value must be registered under.
func (v *schemaValidator) subject(info SchemaInfo, payload []byte, what string, strategy config.SubjectStrategy) (subject, msg string) {
	if strategy == config.StrategyTopicName {
		if what == "key" {
			return v.keySubject, ""
		}
		return v.valueSubject, ""
	}
	named, ok := info.Parsed.(schema.Named)
	if !ok {
		return "", fmt.Sprintf("the %s's schema has no record name for the subject name strategy (AVRO, PROTOBUF and titled JSON schemas have one)", what)
	}
	name, err := named.RecordName(payload)
	if err != nil {
		return "", fmt.Sprintf("the %s has no record name: %v", what, err)
	}
	if strategy == config.StrategyTopicRecordName {
		return v.topic + "-" + name, ""
	}
	return name, ""
}

// refusedRecords fills rp for records refused one by one (KIP-467): the
// error code, the first of them in ErrorRecords and Kafka's message
// (LogValidator.processRecordErrors) naming at most three.
func refusedRecords(rp *kmsg.ProduceResponseTopicPartition, code int16, errs []partition.RecordError, total int) {
	rp.ErrorCode = code
	shown := make([]string, 0, 3)
	for i, e := range errs {
		re := kmsg.NewProduceResponseTopicPartitionErrorRecord()
		re.RelativeOffset, re.ErrorMessage = e.Index, kmsg.StringPtr(e.Message)
		rp.ErrorRecords = append(rp.ErrorRecords, re)
		if i < 3 {
			shown = append(shown, fmt.Sprintf("RecordError(batchIndex=%d, message='%s')", e.Index, e.Message))
		}
	}
	rp.ErrorMessage = kmsg.StringPtr(fmt.Sprintf("One or more records have been rejected due to %d record errors in total, and only showing the first three errors at most: [%s]",
		total, strings.Join(shown, ", ")))
}
