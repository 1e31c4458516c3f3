package restproxy

// REST Proxy v2: consumer instances.
//
//	POST   /consumers/{group}                                   create
//	DELETE /consumers/{group}/instances/{name}                  close
//	POST|GET|DELETE .../subscription                            topics or topic_pattern
//	POST|GET        .../assignments                             manual partitions
//	GET             .../records?timeout=&max_bytes=             poll
//	POST|GET        .../offsets                                 commit, committed
//	POST            .../positions[/beginning|/end]              seek
//
// Offsets committed with a body are those of the last records processed:
// the group resumes after them, as with Confluent's proxy. A commit
// without a body commits every record handed out. In assign mode the
// instance does not auto-commit.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/schema"
)

func (p *Proxy) routesConsumers(m *http.ServeMux) {
	const inst = "/consumers/{group}/instances/{name}"
	m.HandleFunc("POST /consumers/{group}", p.createConsumer)
	m.HandleFunc("DELETE "+inst, p.deleteConsumer)
	m.HandleFunc("POST "+inst+"/subscription", p.withInstance(p.subscribe))
	m.HandleFunc("GET "+inst+"/subscription", p.withInstance(p.getSubscription))
	m.HandleFunc("DELETE "+inst+"/subscription", p.withInstance(p.unsubscribe))
	m.HandleFunc("POST "+inst+"/assignments", p.withInstance(p.assign))
	m.HandleFunc("GET "+inst+"/assignments", p.withInstance(p.getAssignments))
	m.HandleFunc("GET "+inst+"/records", p.withInstance(p.records))
	m.HandleFunc("POST "+inst+"/offsets", p.withInstance(p.commitOffsets))
	m.HandleFunc("GET "+inst+"/offsets", p.withInstance(p.committedOffsets))
	m.HandleFunc("POST "+inst+"/positions", p.withInstance(p.seek))
	m.HandleFunc("POST "+inst+"/positions/beginning", p.withInstance(p.seekEdge(false)))
	m.HandleFunc("POST "+inst+"/positions/end", p.withInstance(p.seekEdge(true)))
}

// checkV2Body refuses a request body whose Content-Type is not v2's JSON.
func checkV2Body(r *http.Request) error {
	switch mediaType(r.Header.Get("Content-Type")) {
	case "", contentTypeV2, "application/json", "application/vnd.kafka+json":
		return nil
	}
	return errorf(http.StatusUnsupportedMediaType, codeUnsupportedMediaType, "HTTP 415 Unsupported Media Type")
}

type createConsumerRequest struct {
	Name             string          `json:"name"`
	Format           string          `json:"format"`
	AutoOffsetReset  string          `json:"auto.offset.reset"`
	AutoCommitEnable json.RawMessage `json:"auto.commit.enable"`
	FetchMinBytes    json.RawMessage `json:"fetch.min.bytes"`
	RequestTimeoutMs json.RawMessage `json:"consumer.request.timeout.ms"`
}

func (p *Proxy) createConsumer(w http.ResponseWriter, r *http.Request) {
	if err := checkV2Body(r); err != nil {
		writeError(w, err)
		return
	}
	var req createConsumerRequest
	if err := readJSON(w, r, p.cfg.MaxRequestBytes, &req, true); err != nil {
		writeError(w, err)
		return
	}
	inst, err := p.newInstance(r.Context(), r.PathValue("group"), req)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := p.consumers.create(inst); err != nil {
		writeError(w, err)
		return
	}
	base := scheme(r) + "://" + r.Host + "/consumers/" + inst.group + "/instances/" + inst.name
	writeJSON(w, http.StatusOK, contentTypeV2, map[string]string{"instance_id": inst.name, "base_uri": base})
}

// optionalInt reads a number given as a JSON number or string, as
// Confluent's instance configs are; ok is false when it is absent.
func optionalInt(raw json.RawMessage) (n int64, ok bool, err error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false, nil
	}
	n, err = strconv.ParseInt(strings.Trim(string(raw), `"`), 10, 64)
	return n, err == nil, err
}

// newInstance checks a create request and returns the instance it asks for.
func (p *Proxy) newInstance(ctx context.Context, group string, req createConsumerRequest) (*instance, error) {
	invalid := func(format string, args ...any) error {
		return errorf(http.StatusUnprocessableEntity, codeInvalidConsumerCfg, format, args...)
	}
	owner, err := p.ownerOf(ctx)
	if err != nil {
		return nil, err
	}
	inst := &instance{group: group, name: req.Name, bootstrap: p.cfg.Bootstrap, admin: p.admin, reset: kgo.NewOffset().AtEnd(), owner: owner}
	if owner != nil {
		inst.bootstrap = p.cfg.Propagate.Bootstrap
	}
	if inst.name == "" {
		inst.name = "rest-consumer-" + randomID()
	}
	if strings.ContainsAny(inst.name, "/?#") {
		return nil, invalid("Invalid consumer name %q", inst.name)
	}
	switch f := strings.ToLower(req.Format); f {
	case "", formatBinary:
		inst.format = formatBinary
	case formatJSON:
		inst.format = formatJSON
	case formatAvro, formatJSONSchema, formatProtobuf:
		if _, err := p.registry(); err != nil {
			return nil, err
		}
		inst.format = f
	default:
		return nil, invalid("Invalid format type %q", req.Format)
	}
	switch req.AutoOffsetReset {
	case "", "latest", "largest":
	case "earliest", "smallest":
		inst.reset = kgo.NewOffset().AtStart()
	case "none":
		inst.reset = kgo.NoResetOffset()
	default:
		return nil, invalid("Invalid value %s for configuration auto.offset.reset", req.AutoOffsetReset)
	}
	inst.pollTimeout = consumerRequestTimeout
	if ms, ok, err := optionalInt(req.RequestTimeoutMs); err != nil || (ok && ms < 0) {
		return nil, invalid("Invalid value %s for configuration consumer.request.timeout.ms", req.RequestTimeoutMs)
	} else if ok {
		inst.pollTimeout = time.Duration(ms) * time.Millisecond
	}
	if len(req.AutoCommitEnable) > 0 && string(req.AutoCommitEnable) != "null" {
		v := strings.Trim(string(req.AutoCommitEnable), `"`)
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, invalid("Invalid value %s for configuration auto.commit.enable", v)
		}
		inst.autoCommit = b
	}
	return inst, nil
}

func (p *Proxy) deleteConsumer(w http.ResponseWriter, r *http.Request) {
	owned := func(inst *instance) bool { return p.owns(r.Context(), inst) }
	if err := p.consumers.remove(r.PathValue("group"), r.PathValue("name"), owned); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// withInstance runs h with the instance of the path, 40403 when there is
// none.
func (p *Proxy) withInstance(h func(http.ResponseWriter, *http.Request, *instance)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		inst, err := p.consumers.acquire(r.PathValue("group"), r.PathValue("name"))
		if err != nil {
			writeError(w, err)
			return
		}
		defer p.consumers.release(inst)
		if !p.owns(r.Context(), inst) {
			writeError(w, errInstanceNotFound) // another principal's
			return
		}
		if r.Method == http.MethodPost {
			if err := checkV2Body(r); err != nil {
				writeError(w, err)
				return
			}
		}
		h(w, r, inst)
	}
}

type subscriptionV2 struct {
	Topics       []string `json:"topics,omitempty"`
	TopicPattern string   `json:"topic_pattern,omitempty"`
}

func (p *Proxy) subscribe(w http.ResponseWriter, r *http.Request, inst *instance) {
	var req subscriptionV2
	if err := readJSON(w, r, p.cfg.MaxRequestBytes, &req, false); err != nil {
		writeError(w, err)
		return
	}
	if (len(req.Topics) == 0) == (req.TopicPattern == "") {
		writeError(w, errorf(http.StatusConflict, codeIllegalState, "A subscription names either topics or a topic_pattern"))
		return
	}
	if err := inst.subscribe(req.Topics, req.TopicPattern); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (p *Proxy) getSubscription(w http.ResponseWriter, r *http.Request, inst *instance) {
	topics := inst.subscription()
	if topics == nil {
		topics = []string{}
	}
	writeJSON(w, http.StatusOK, contentTypeV2, map[string][]string{"topics": topics})
}

func (p *Proxy) unsubscribe(w http.ResponseWriter, r *http.Request, inst *instance) {
	inst.unsubscribe()
	w.WriteHeader(http.StatusNoContent)
}

type topicPartitionV2 struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
}

type partitionsBody struct {
	Partitions []topicPartitionV2 `json:"partitions"`
}

func (b partitionsBody) byTopic() map[string][]int32 {
	out := map[string][]int32{}
	for _, tp := range b.Partitions {
		if !slices.Contains(out[tp.Topic], tp.Partition) {
			out[tp.Topic] = append(out[tp.Topic], tp.Partition)
		}
	}
	return out
}

func (p *Proxy) assign(w http.ResponseWriter, r *http.Request, inst *instance) {
	var req partitionsBody
	if err := readJSON(w, r, p.cfg.MaxRequestBytes, &req, false); err != nil {
		writeError(w, err)
		return
	}
	ctx, cancel := p.context(r)
	defer cancel()
	if err := inst.assign(ctx, req.byTopic()); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (p *Proxy) getAssignments(w http.ResponseWriter, r *http.Request, inst *instance) {
	out := partitionsBody{Partitions: []topicPartitionV2{}}
	for t, ps := range inst.assignment() {
		for _, part := range ps {
			out.Partitions = append(out.Partitions, topicPartitionV2{t, part})
		}
	}
	slices.SortFunc(out.Partitions, func(a, b topicPartitionV2) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return int(a.Partition - b.Partition)
	})
	writeJSON(w, http.StatusOK, contentTypeV2, out)
}

// consumerRequestTimeout is Confluent's default consumer.request.timeout.ms:
// how long a poll waits for records when neither it nor its instance names
// a timeout.
const consumerRequestTimeout = time.Second

// maxPollBytes is Confluent's consumer.request.max.bytes.
const maxPollBytes = 64 << 20

// recordFormat returns the embedded format the Accept header asks for.
func recordFormat(r *http.Request, inst *instance) (string, error) {
	accept := r.Header.Get("Accept")
	if strings.TrimSpace(accept) == "" {
		return inst.format, nil
	}
	for _, a := range strings.Split(accept, ",") {
		switch mediaType(a) {
		case contentTypeBin:
			return formatBinary, nil
		case contentTypeJSON:
			return formatJSON, nil
		case "*/*", "application/*", contentTypeV2, "application/json":
			return inst.format, nil
		case contentTypeAvro:
			return formatAvro, nil
		case contentTypeJSONSchema:
			return formatJSONSchema, nil
		case contentTypeProtobuf:
			return formatProtobuf, nil
		}
	}
	return "", errNotAcceptable
}

type recordOutV2 struct {
	Topic     string          `json:"topic"`
	Key       json.RawMessage `json:"key"`
	Value     json.RawMessage `json:"value"`
	Partition int32           `json:"partition"`
	Offset    int64           `json:"offset"`
}

func (p *Proxy) records(w http.ResponseWriter, r *http.Request, inst *instance) {
	format, err := recordFormat(r, inst)
	if err == nil && format != inst.format {
		err = errFormatMismatch
	}
	if err != nil {
		writeError(w, err)
		return
	}
	timeout, maxBytes := min(inst.pollTimeout, p.cfg.RequestTimeout), int64(maxPollBytes)
	q := r.URL.Query()
	if v := q.Get("timeout"); v != "" {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms < 0 {
			writeError(w, errorf(http.StatusBadRequest, codeBadRequest, "Invalid timeout %q", v))
			return
		}
		timeout = min(time.Duration(ms)*time.Millisecond, p.cfg.RequestTimeout)
	}
	if v := q.Get("max_bytes"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			writeError(w, errorf(http.StatusBadRequest, codeBadRequest, "Invalid max_bytes %q", v))
			return
		}
		maxBytes = min(n, maxPollBytes)
	}
	recs, err := inst.poll(r.Context(), timeout, maxBytes)
	if err != nil {
		writeError(w, err)
		return
	}
	out := make([]recordOutV2, 0, len(recs))
	for _, rec := range recs {
		o := recordOutV2{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset}
		if typ := schemaTypeOf(format); typ != "" {
			err = p.decodeRecord(r.Context(), typ, rec, &o)
		} else if o.Key, err = encodeEmbedded(rec.Key, format); err == nil {
			o.Value, err = encodeEmbedded(rec.Value, format)
		}
		if err != nil && schemaTypeOf(format) == "" {
			err = errorf(http.StatusInternalServerError, codeKafka,
				"The record at %s-%d offset %d is not JSON: %v", rec.Topic, rec.Partition, rec.Offset, err)
		}
		if err != nil {
			inst.giveBack(recs)
			writeError(w, err)
			return
		}
		out = append(out, o)
	}
	inst.handedOut(recs)
	writeJSON(w, http.StatusOK, contentTypeOf(format), out)
}

// contentTypeOf is the content type of records in an embedded format.
func contentTypeOf(format string) string {
	switch format {
	case formatJSON:
		return contentTypeJSON
	case formatAvro:
		return contentTypeAvro
	case formatJSONSchema:
		return contentTypeJSONSchema
	case formatProtobuf:
		return contentTypeProtobuf
	}
	return contentTypeBin
}

// decodeRecord decodes the key and value of rec, in Confluent's wire
// format, to JSON; a record that does not decode is 40801, as a
// deserializer's error is in Confluent's proxy.
func (p *Proxy) decodeRecord(ctx context.Context, typ schema.Type, rec *kgo.Record, o *recordOutV2) error {
	var err error
	if o.Key, err = p.decodeWire(ctx, typ, rec.Key); err == nil {
		o.Value, err = p.decodeWire(ctx, typ, rec.Value)
	}
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return errorf(http.StatusRequestTimeout, codeDeserialization,
		"Error deserializing the record at %s-%d offset %d: %v", rec.Topic, rec.Partition, rec.Offset, err)
}

// encodeEmbedded is embedded's inverse: base64 for binary, the bytes
// themselves (which must be JSON) for json.
func encodeEmbedded(b []byte, format string) (json.RawMessage, error) {
	if b == nil {
		return jsonNull, nil
	}
	if format == formatJSON {
		if !json.Valid(b) {
			return nil, errorf(http.StatusInternalServerError, codeKafka, "invalid JSON")
		}
		return b, nil
	}
	s, _ := json.Marshal(base64.StdEncoding.EncodeToString(b))
	return s, nil
}

type offsetsBody struct {
	Offsets []offsetEntryV2 `json:"offsets"`
}

type offsetEntryV2 struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	Metadata  string `json:"metadata"`
}

func (b offsetsBody) byPartition() map[string]map[int32]int64 {
	out := map[string]map[int32]int64{}
	for _, o := range b.Offsets {
		if out[o.Topic] == nil {
			out[o.Topic] = map[int32]int64{}
		}
		out[o.Topic][o.Partition] = o.Offset
	}
	return out
}

func (p *Proxy) commitOffsets(w http.ResponseWriter, r *http.Request, inst *instance) {
	var req offsetsBody
	if err := readJSON(w, r, p.cfg.MaxRequestBytes, &req, true); err != nil {
		writeError(w, err)
		return
	}
	ctx, cancel := p.context(r)
	defer cancel()
	var offsets map[string]map[int32]int64
	if len(req.Offsets) > 0 {
		offsets = req.byPartition()
	}
	if err := inst.commit(ctx, offsets); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (p *Proxy) committedOffsets(w http.ResponseWriter, r *http.Request, inst *instance) {
	var req partitionsBody
	if err := readJSON(w, r, p.cfg.MaxRequestBytes, &req, true); err != nil {
		writeError(w, err)
		return
	}
	var committed kadm.OffsetResponses
	if !p.withAdmin(w, r, func(ctx context.Context, adm *kadm.Client) (err error) {
		committed, err = adm.FetchOffsets(ctx, inst.group)
		return err
	}) {
		return
	}
	out := offsetsBody{Offsets: []offsetEntryV2{}}
	for _, tp := range req.Partitions {
		if o, ok := committed.Lookup(tp.Topic, tp.Partition); ok && o.Err == nil && o.At >= 0 {
			out.Offsets = append(out.Offsets, offsetEntryV2{Topic: tp.Topic, Partition: tp.Partition, Offset: o.At, Metadata: o.Metadata})
		}
	}
	writeJSON(w, http.StatusOK, contentTypeV2, out)
}

func (p *Proxy) seek(w http.ResponseWriter, r *http.Request, inst *instance) {
	var req offsetsBody
	if err := readJSON(w, r, p.cfg.MaxRequestBytes, &req, false); err != nil {
		writeError(w, err)
		return
	}
	if err := inst.seek(req.byPartition()); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// seekEdge moves partitions to their log start (end: their log end).
func (p *Proxy) seekEdge(end bool) func(http.ResponseWriter, *http.Request, *instance) {
	return func(w http.ResponseWriter, r *http.Request, inst *instance) {
		var req partitionsBody
		if err := readJSON(w, r, p.cfg.MaxRequestBytes, &req, false); err != nil {
			writeError(w, err)
			return
		}
		byTopic := req.byTopic()
		var listed kadm.ListedOffsets
		if !p.withAdmin(w, r, func(ctx context.Context, adm *kadm.Client) (err error) {
			list := adm.ListStartOffsets
			if end {
				list = adm.ListEndOffsets
			}
			listed, err = list(ctx, slices.Collect(maps.Keys(byTopic))...)
			return err
		}) {
			return
		}
		offsets := map[string]map[int32]int64{}
		for t, ps := range byTopic {
			offsets[t] = map[int32]int64{}
			for _, part := range ps {
				l, ok := listed.Lookup(t, part)
				if !ok || l.Err != nil {
					writeError(w, errPartitionNotFound)
					return
				}
				offsets[t][part] = l.Offset
			}
		}
		if err := inst.seek(offsets); err != nil {
			writeError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}
