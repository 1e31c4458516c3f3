package restproxy

// REST Proxy v3 produce: POST /v3/clusters/{cluster_id}/topics/{topic}/records.
//
// The body is one record object, or many concatenated (the streamed form,
// typically a chunked body):
//
//	{"partition_id":0, "headers":[{"name":"h","value":"base64"}],
//	 "key":{"type":"STRING","data":"k"}, "value":{"type":"JSON","data":{...}},
//	 "timestamp":"2024-01-02T03:04:05Z"}
//
// Types are BINARY (base64 data), JSON (any JSON) and STRING; without a
// type, JSON. AVRO, JSONSCHEMA and PROTOBUF (see schemas.go) take a
// schema_id, a schema_version, or a schema (text), or else use the
// latest version of the subject ("subject", or the one
// "subject_name_strategy" derives); the answer names the subject, schema
// id and version. One answer object per record is streamed back, in order, as
// each record's produce completes:
//
//	{"error_code":200,"cluster_id":...,"topic_name":...,"partition_id":0,
//	 "offset":5,"timestamp":...,"key":{"type":"STRING","size":1},"value":{...}}
//
// or {"error_code":400,"message":...} for a record that failed. Errors known
// before the first record (cluster, topic, content type) are the HTTP
// status instead. Records are produced while later ones are still being
// read, up to maxInFlight at a time; a malformed object ends the stream
// after its error. Each record object is bounded by
// rest.proxy.request.max.bytes, and reading and producing it by
// rest.proxy.request.timeout.ms.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/schema"
)

// maxInFlight bounds the records of one stream being produced at once.
const maxInFlight = 4096

type recordV3 struct {
	PartitionID *int32     `json:"partition_id"`
	Headers     []headerV3 `json:"headers"`
	Key         *dataV3    `json:"key"`
	Value       *dataV3    `json:"value"`
	Timestamp   *time.Time `json:"timestamp"`
}

type headerV3 struct {
	Name  string  `json:"name"`
	Value *string `json:"value"`
}

type dataV3 struct {
	Type          string          `json:"type"`
	Data          json.RawMessage `json:"data"`
	SchemaID      *int            `json:"schema_id"`
	SchemaVersion *int            `json:"schema_version"`
	Subject       string          `json:"subject"`
	Schema        json.RawMessage `json:"schema"`
	// SubjectNameStrategy is TOPIC_NAME, RECORD_NAME or TOPIC_RECORD_NAME.
	SubjectNameStrategy string `json:"subject_name_strategy"`
}

type produceResultV3 struct {
	ErrorCode   int        `json:"error_code"`
	Message     string     `json:"message,omitempty"`
	ClusterID   string     `json:"cluster_id,omitempty"`
	TopicName   string     `json:"topic_name,omitempty"`
	PartitionID *int32     `json:"partition_id,omitempty"`
	Offset      *int64     `json:"offset,omitempty"`
	Timestamp   *time.Time `json:"timestamp,omitempty"`
	Key         *sizeV3    `json:"key,omitempty"`
	Value       *sizeV3    `json:"value,omitempty"`
}

type sizeV3 struct {
	Type          string `json:"type"`
	Subject       string `json:"subject,omitempty"`
	SchemaID      *int   `json:"schema_id,omitempty"`
	SchemaVersion *int   `json:"schema_version,omitempty"`
	Size          int    `json:"size"`
	// prefix, if set, is the object up to "size": the same for every
	// record of a schema.
	prefix []byte
}

// pendingV3 is one record of a stream: its answer is ready once done is
// closed.
type pendingV3 struct {
	done   chan struct{}
	result produceResultV3
}

func (p *Proxy) produceV3(w http.ResponseWriter, r *http.Request) {
	if id := r.PathValue("cluster"); id != p.cfg.ClusterID {
		writeV3Error(w, errorf(http.StatusNotFound, http.StatusNotFound, "Cluster %s cannot be found.", id))
		return
	}
	if err := checkV3Body(r); err != nil {
		writeV3Error(w, err)
		return
	}
	topic := r.PathValue("topic")
	ctx, cancel := p.context(r)
	n, err := p.topicPartitions(ctx, topic)
	cancel()
	if err != nil {
		writeV3Error(w, err)
		return
	}
	cl, err := p.kafka(r.Context())
	if err != nil {
		writeV3Error(w, err)
		return
	}
	rc := http.NewResponseController(w)
	rc.EnableFullDuplex() // answers go out while later records are read
	w.Header().Set("Content-Type", contentTypeV3)
	w.WriteHeader(http.StatusOK)
	s := &streamV3{p: p, w: w, rc: rc, cl: cl, topic: topic, partitions: n, queue: make(chan *pendingV3, maxInFlight)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.writeLoop()
	}()
	s.readLoop(r)
	close(s.queue)
	<-done
}

// streamV3 is one v3 produce request.
type streamV3 struct {
	p          *Proxy
	w          http.ResponseWriter
	rc         *http.ResponseController
	cl         *kgo.Client
	topic      string
	partitions int32
	queue      chan *pendingV3 // in request order; closed after the last record
}

// readLoop reads, checks and produces each record object of the body.
func (s *streamV3) readLoop(r *http.Request) {
	body := &boundedReader{r: r.Body, limit: s.p.cfg.MaxRequestBytes}
	objects := newObjectReader(body)
	for {
		s.rc.SetReadDeadline(time.Now().Add(s.p.cfg.RequestTimeout))
		body.reset(int64(objects.buffered()))
		raw, err := objects.next()
		if err == io.EOF {
			return
		}
		pr := &pendingV3{done: make(chan struct{})}
		s.queue <- pr
		if err != nil {
			pr.fail(readError(err, s.p.cfg.MaxRequestBytes))
			return
		}
		var in recordV3
		if err := parseRecord(raw, &in); err != nil { // the object was read whole: go on
			pr.fail(errorf(http.StatusBadRequest, codeBadRequest, "Invalid record: %v", err))
			continue
		}
		rec, key, value, rerr := s.record(r.Context(), &in)
		if rerr != nil {
			pr.fail(rerr)
			continue
		}
		s.cl.Produce(r.Context(), rec, func(rec *kgo.Record, err error) {
			if err != nil {
				pr.fail(produceError(err))
				return
			}
			part, off, ts := rec.Partition, rec.Offset, rec.Timestamp.UTC()
			pr.result = produceResultV3{ErrorCode: http.StatusOK, ClusterID: s.p.cfg.ClusterID, TopicName: s.topic,
				PartitionID: &part, Offset: &off, Timestamp: &ts, Key: key, Value: value}
			close(pr.done)
		})
	}
}

func (pr *pendingV3) fail(err *Error) {
	pr.result = produceResultV3{ErrorCode: err.Code, Message: err.Message}
	close(pr.done)
}

// writeLoop writes each answer in order as it completes, flushing when no
// further answer is ready. A record whose produce takes longer than the
// request timeout is answered 408 (it may still be written, as with a
// Kafka producer's delivery timeout).
func (s *streamV3) writeLoop() {
	timer := time.NewTimer(s.p.cfg.RequestTimeout)
	defer timer.Stop()
	prefix := s.answerPrefix()
	var buf []byte
	broken := false
	for pr := range s.queue {
		result := &pr.result
		select {
		case <-pr.done:
		default:
			timer.Reset(s.p.cfg.RequestTimeout)
			select {
			case <-pr.done:
			case <-timer.C:
				result = &produceResultV3{ErrorCode: http.StatusRequestTimeout,
					Message: "the record was not acknowledged within rest.proxy.request.timeout.ms"}
			}
		}
		if broken {
			continue
		}
		buf = appendAnswer(buf[:0], prefix, result)
		s.rc.SetWriteDeadline(time.Now().Add(s.p.cfg.RequestTimeout))
		if _, err := s.w.Write(buf); err != nil {
			broken = true // the client went away; drain the rest
			continue
		}
		if len(s.queue) == 0 {
			s.rc.Flush()
		}
	}
}

// answerPrefix is the start of every successful answer of the stream.
func (s *streamV3) answerPrefix() []byte {
	cluster, _ := json.Marshal(s.p.cfg.ClusterID)
	topic, _ := json.Marshal(s.topic)
	return fmt.Appendf(nil, `{"error_code":200,"cluster_id":%s,"topic_name":%s,"partition_id":`, cluster, topic)
}

// appendAnswer appends r as one line of JSON: by hand for a success (the
// hot path), else through encoding/json.
func appendAnswer(b, prefix []byte, r *produceResultV3) []byte {
	if r.ErrorCode != http.StatusOK {
		out, _ := json.Marshal(r)
		return append(append(b, out...), '\n')
	}
	b = append(b, prefix...)
	b = strconv.AppendInt(b, int64(*r.PartitionID), 10)
	b = append(b, `,"offset":`...)
	b = strconv.AppendInt(b, *r.Offset, 10)
	b = append(b, `,"timestamp":"`...)
	b = r.Timestamp.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	b = appendSize(b, `,"key":`, r.Key)
	b = appendSize(b, `,"value":`, r.Value)
	return append(b, "}\n"...)
}

// appendSize appends a key's or value's type and size (and schema); the
// type is one of the few upper-case names dataBytes accepts, which need no
// escaping.
func appendSize(b []byte, field string, s *sizeV3) []byte {
	if s == nil {
		return b
	}
	b = append(b, field...)
	if s.prefix != nil {
		b = append(b, s.prefix...)
		b = strconv.AppendInt(b, int64(s.Size), 10)
		return append(b, '}')
	}
	b = append(b, `{"type":"`...)
	b = append(b, s.Type...)
	b = append(b, `","size":`...)
	b = strconv.AppendInt(b, int64(s.Size), 10)
	return append(b, '}')
}

// record turns one record object into a Kafka record and the sizes of its
// key and value.
func (s *streamV3) record(ctx context.Context, in *recordV3) (*kgo.Record, *sizeV3, *sizeV3, *Error) {
	partition := int32(-1)
	if in.PartitionID != nil {
		if *in.PartitionID < 0 || *in.PartitionID >= s.partitions {
			return nil, nil, nil, errV3PartitionNotFound
		}
		partition = *in.PartitionID
	}
	key, keySize, err := s.dataBytes(ctx, in.Key, true)
	if err != nil {
		return nil, nil, nil, err
	}
	value, valueSize, err := s.dataBytes(ctx, in.Value, false)
	if err != nil {
		return nil, nil, nil, err
	}
	rec := newRecord(s.topic, partition, key, value)
	for _, h := range in.Headers {
		var v []byte
		if h.Value != nil {
			b, derr := base64.StdEncoding.DecodeString(*h.Value)
			if derr != nil {
				return nil, nil, nil, errorf(http.StatusBadRequest, codeBadRequest, "header %s: value is not base64: %v", h.Name, derr)
			}
			v = b
		}
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: h.Name, Value: v})
	}
	if in.Timestamp != nil {
		rec.Timestamp = *in.Timestamp
	}
	return rec, keySize, valueSize, nil
}

// dataBytes returns the bytes a key (isKey) or value object stands for.
func (s *streamV3) dataBytes(ctx context.Context, d *dataV3, isKey bool) ([]byte, *sizeV3, *Error) {
	if d == nil {
		return nil, nil, nil
	}
	what := "value"
	if isKey {
		what = "key"
	}
	typ := strings.ToUpper(d.Type)
	if usesSchema(d, typ) {
		return s.schemaBytes(ctx, d, typ, isKey)
	}
	if typ == "" {
		typ = "JSON"
	}
	if len(d.Data) == 0 || bytes.Equal(d.Data, jsonNull) {
		return nil, &sizeV3{Type: typ, Size: 0}, nil
	}
	var b []byte
	switch typ {
	case "BINARY":
		var s string
		if err := json.Unmarshal(d.Data, &s); err != nil {
			return nil, nil, errorf(http.StatusBadRequest, codeBadRequest, "%s: BINARY data must be a base64 string", what)
		}
		var err error
		if b, err = base64.StdEncoding.DecodeString(s); err != nil {
			return nil, nil, errorf(http.StatusBadRequest, codeBadRequest, "%s: BINARY data is not base64: %v", what, err)
		}
	case "STRING":
		var s string
		if err := json.Unmarshal(d.Data, &s); err != nil {
			return nil, nil, errorf(http.StatusBadRequest, codeBadRequest, "%s: STRING data must be a string", what)
		}
		b = []byte(s)
	case "JSON":
		b = compactJSON(d.Data)
	default:
		return nil, nil, errorf(http.StatusBadRequest, codeBadRequest, "%s: unknown type %q (BINARY, JSON or STRING)", what, d.Type)
	}
	return b, &sizeV3{Type: typ, Size: len(b)}, nil
}

// usesSchema reports whether a key or value object names a schema: by a
// schema type, or (without a type) by schema_id, schema_version, subject,
// subject_name_strategy or schema (which then lacks its type).
func usesSchema(d *dataV3, typ string) bool {
	switch typ {
	case "AVRO", "JSONSCHEMA", "PROTOBUF":
		return true
	case "":
		return d.SchemaID != nil || d.SchemaVersion != nil || d.Subject != "" || d.SubjectNameStrategy != "" ||
			len(d.Schema) > 0 && !bytes.Equal(d.Schema, jsonNull)
	}
	return false
}

// schemaTypesV3 are the schema types of v3's type names.
var schemaTypesV3 = map[string]schema.Type{"AVRO": schema.Avro, "JSONSCHEMA": schema.JSON, "PROTOBUF": schema.Protobuf}

// typeNameV3 is v3's type name of a schema type.
func typeNameV3(t schema.Type) string {
	for name, st := range schemaTypesV3 {
		if st == t {
			return name
		}
	}
	return string(t)
}

// schemaBytes encodes a key or value object that names a schema, as
// Confluent's proxy does: schema_id, or schema_version (of the subject),
// or schema (text, with a type; registered if its subject lacks it), or
// else the latest version of the subject.
func (s *streamV3) schemaBytes(ctx context.Context, d *dataV3, typ string, isKey bool) ([]byte, *sizeV3, *Error) {
	spec := schemaSpec{typ: schemaTypesV3[typ], id: d.SchemaID, version: d.SchemaVersion,
		subject: d.Subject, strategy: d.SubjectNameStrategy}
	if len(d.Schema) > 0 && !bytes.Equal(d.Schema, jsonNull) {
		if typ == "" {
			return nil, nil, errorf(http.StatusBadRequest, codeBadRequest, "A schema needs a type (AVRO, JSONSCHEMA or PROTOBUF)")
		}
		var text string
		if err := json.Unmarshal(d.Schema, &text); err != nil {
			text = string(compactJSON(d.Schema))
		}
		spec.text = &text
	}
	if spec.id != nil && (spec.text != nil || spec.version != nil) || spec.version != nil && spec.text != nil {
		return nil, nil, errorf(http.StatusBadRequest, codeBadRequest, "Unsupported argument: give one of schema_id, schema_version and schema")
	}
	r, err := s.p.resolveSchema(ctx, s.topic, isKey, spec)
	if err != nil {
		return nil, nil, kafkaError(err)
	}
	if typ != "" && schemaTypesV3[typ] != r.parsed.Type() {
		return nil, nil, errorf(http.StatusBadRequest, codeBadRequest, "The schema is of type %s, not %s", typeNameV3(r.parsed.Type()), typ)
	}
	b, err := encodeWire(r, d.Data)
	if err != nil {
		return nil, nil, errorf(http.StatusBadRequest, codeBadRequest, "Conversion of JSON to Object failed: %v", err)
	}
	id, version := r.id, r.version
	return b, &sizeV3{Type: typeNameV3(r.parsed.Type()), Subject: r.subject, SchemaID: &id, SchemaVersion: &version,
		Size: len(b), prefix: r.sizePrefix}, nil
}

// sizePrefix is the start of the v3 answer's key or value object for
// records of r, up to the size.
func sizePrefix(r *resolved) []byte {
	subject, _ := json.Marshal(r.subject)
	return fmt.Appendf(nil, `{"type":"%s","subject":%s,"schema_id":%d,"schema_version":%d,"size":`,
		typeNameV3(r.parsed.Type()), subject, r.id, r.version)
}

// compactJSON returns a copy of valid JSON without its insignificant
// whitespace, as Confluent's proxy stores it. Without any whitespace byte
// it is compact already: the common case skips a second scan.
func compactJSON(data []byte) []byte {
	if bytes.IndexAny(data, " \t\r\n") < 0 {
		return bytes.Clone(data)
	}
	var buf bytes.Buffer
	json.Compact(&buf, data) // valid: the decoder has checked it
	return buf.Bytes()
}

// readError is the answer to a body that could not be read as records.
func readError(err error, limit int64) *Error {
	switch {
	case errors.Is(err, errRecordTooLarge):
		return errorf(http.StatusRequestEntityTooLarge, http.StatusRequestEntityTooLarge,
			"A record object is larger than %d bytes (rest.proxy.request.max.bytes)", limit)
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return errorf(http.StatusRequestTimeout, http.StatusRequestTimeout, "Timed out reading the next record: %v", err)
	}
	return errorf(http.StatusBadRequest, codeBadRequest, "Malformed JSON: %v", err)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// produceError is the answer to a record Kafka did not take.
func produceError(err error) *Error {
	switch {
	case errors.Is(err, kerr.MessageTooLarge), errors.Is(err, kerr.RecordListTooLarge):
		return errorf(http.StatusRequestEntityTooLarge, http.StatusRequestEntityTooLarge, "%v", err)
	case errors.Is(err, kerr.UnknownTopicOrPartition):
		return errV3TopicNotFound
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, kgo.ErrRecordTimeout):
		return errorf(http.StatusRequestTimeout, http.StatusRequestTimeout, "%v", err)
	case errors.Is(err, kerr.InvalidRecord), errors.Is(err, kerr.CorruptMessage), errors.Is(err, kerr.InvalidTimestamp):
		return errorf(http.StatusBadRequest, codeBadRequest, "%v", err)
	case errors.Is(err, kerr.TopicAuthorizationFailed):
		return errorf(http.StatusForbidden, http.StatusForbidden, "%v", err)
	}
	return errorf(http.StatusInternalServerError, http.StatusInternalServerError, "%v", err)
}

var errRecordTooLarge = errors.New("record object too large")

// boundedReader fails a read that would take more than limit bytes since
// the last reset: one record object's bound.
type boundedReader struct {
	r     io.Reader
	limit int64
	used  int64
}

// reset starts a new record object, of which carried bytes were read
// already.
func (b *boundedReader) reset(carried int64) { b.used = carried }

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.used >= b.limit {
		return 0, errRecordTooLarge
	}
	if int64(len(p)) > b.limit-b.used {
		p = p[:b.limit-b.used]
	}
	n, err := b.r.Read(p)
	b.used += int64(n)
	return n, err
}
