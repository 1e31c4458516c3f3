package restproxy

// REST Proxy v2: topics and produce.
//
//	GET  /topics                                  names, internal topics left out
//	GET  /topics/{topic}                          name, configs, partitions
//	GET  /topics/{topic}/partitions[/{partition}] leader and replicas
//	POST /topics/{topic}[/partitions/{partition}] produce
//	GET  /brokers                                 broker ids
//
// Produce takes {"records":[{"key","value","partition"}]} in the json
// (application/vnd.kafka.json.v2+json) or binary
// (application/vnd.kafka.binary.v2+json, base64 key and value) embedded
// format, or in the avro, jsonschema or protobuf formats (see schemas.go)
// with key_schema or key_schema_id and value_schema or value_schema_id,
// and answers one offset per record, in order, with error_code 1
// (retriable) or 2 and the error for a record that failed, and the ids of
// the key and value schemas.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Content types of v2.
const (
	contentTypeV2   = "application/vnd.kafka.v2+json"
	contentTypeJSON = "application/vnd.kafka.json.v2+json"
	contentTypeBin  = "application/vnd.kafka.binary.v2+json"

	contentTypeAvro       = "application/vnd.kafka.avro.v2+json"
	contentTypeJSONSchema = "application/vnd.kafka.jsonschema.v2+json"
	contentTypeProtobuf   = "application/vnd.kafka.protobuf.v2+json"
)

// embedded formats of v2 request and response bodies.
const (
	formatBinary = "binary"
	formatJSON   = "json"
)

func (p *Proxy) routesV2(m *http.ServeMux) {
	m.HandleFunc("GET /topics", p.listTopicsV2)
	m.HandleFunc("GET /topics/{topic}", p.getTopicV2)
	m.HandleFunc("GET /topics/{topic}/partitions", p.listPartitionsV2)
	m.HandleFunc("GET /topics/{topic}/partitions/{partition}", p.getPartitionV2)
	m.HandleFunc("POST /topics/{topic}", p.produceV2)
	m.HandleFunc("POST /topics/{topic}/partitions/{partition}", p.produceV2)
	m.HandleFunc("GET /brokers", p.listBrokersV2)
	p.routesConsumers(m)
}

// withAdmin runs call with the request's context, bounded by the request
// timeout, and the admin client, and answers the error of either (a call
// cut short by the timeout as a timeout); it reports whether call
// succeeded, for the handler to answer.
func (p *Proxy) withAdmin(w http.ResponseWriter, r *http.Request, call func(context.Context, *kadm.Client) error) bool {
	ctx, cancel := p.context(r)
	defer cancel()
	adm, err := p.admin(ctx)
	if err != nil {
		writeError(w, err)
		return false
	}
	if err := call(ctx, adm); err != nil {
		writeError(w, timeoutOr(ctx, err))
		return false
	}
	return true
}

func (p *Proxy) listTopicsV2(w http.ResponseWriter, r *http.Request) {
	var topics kadm.TopicDetails
	if !p.withAdmin(w, r, func(ctx context.Context, adm *kadm.Client) (err error) {
		topics, err = adm.ListTopics(fresh(ctx))
		return err
	}) {
		return
	}
	names := topics.Names()
	slices.Sort(names)
	if names == nil {
		names = []string{}
	}
	writeJSON(w, http.StatusOK, contentTypeV2, names)
}

func (p *Proxy) listBrokersV2(w http.ResponseWriter, r *http.Request) {
	var brokers kadm.BrokerDetails
	if !p.withAdmin(w, r, func(ctx context.Context, adm *kadm.Client) (err error) {
		brokers, err = adm.ListBrokers(fresh(ctx))
		return err
	}) {
		return
	}
	ids := brokers.NodeIDs()
	if ids == nil {
		ids = []int32{}
	}
	writeJSON(w, http.StatusOK, contentTypeV2, map[string][]int32{"brokers": ids})
}

type topicV2 struct {
	Name       string            `json:"name"`
	Configs    map[string]string `json:"configs"`
	Partitions []partitionV2     `json:"partitions"`
}

type partitionV2 struct {
	Partition int32       `json:"partition"`
	Leader    int32       `json:"leader"`
	Replicas  []replicaV2 `json:"replicas"`
}

type replicaV2 struct {
	Broker int32 `json:"broker"`
	Leader bool  `json:"leader"`
	InSync bool  `json:"in_sync"`
}

func (p *Proxy) getTopicV2(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := p.context(r)
	defer cancel()
	topic := r.PathValue("topic")
	td, err := p.describeTopic(ctx, topic)
	if err != nil {
		writeError(w, err)
		return
	}
	configs, err := p.topicConfigs(ctx, topic)
	if err != nil {
		writeError(w, err)
		return
	}
	out := topicV2{Name: topic, Configs: map[string]string{}, Partitions: partitionsV2(td)}
	for _, c := range configs {
		if c.Value != nil {
			out.Configs[c.Key] = *c.Value
		}
	}
	writeJSON(w, http.StatusOK, contentTypeV2, out)
}

// topicConfigs returns the configs of topic.
func (p *Proxy) topicConfigs(ctx context.Context, topic string) ([]kadm.Config, error) {
	adm, err := p.admin(ctx)
	if err != nil {
		return nil, err
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		return nil, timeoutOr(ctx, err)
	}
	rc, err := rcs.On(topic, nil)
	if err != nil || rc.Err != nil {
		if isUnknownTopic(err) || isUnknownTopic(rc.Err) {
			return nil, errTopicNotFound
		}
		if err == nil {
			err = rc.Err
		}
		return nil, kafkaError(err)
	}
	return rc.Configs, nil
}

func (p *Proxy) listPartitionsV2(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := p.context(r)
	defer cancel()
	td, err := p.describeTopic(ctx, r.PathValue("topic"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, contentTypeV2, partitionsV2(td))
}

func (p *Proxy) getPartitionV2(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := p.context(r)
	defer cancel()
	td, err := p.describeTopic(ctx, r.PathValue("topic"))
	if err != nil {
		writeError(w, err)
		return
	}
	part, err := partitionParam(r, int32(len(td.Partitions)))
	if err != nil {
		writeError(w, err)
		return
	}
	for _, pv := range partitionsV2(td) {
		if pv.Partition == part {
			writeJSON(w, http.StatusOK, contentTypeV2, pv)
			return
		}
	}
	writeError(w, errPartitionNotFound)
}

// partitionParam returns the {partition} of the path, checked against a
// topic of n partitions.
func partitionParam(r *http.Request, n int32) (int32, error) {
	v, err := strconv.ParseInt(r.PathValue("partition"), 10, 32)
	if err != nil || v < 0 || int32(v) >= n {
		return 0, errPartitionNotFound
	}
	return int32(v), nil
}

func partitionsV2(td kadm.TopicDetail) []partitionV2 {
	out := []partitionV2{}
	for _, pd := range td.Partitions.Sorted() {
		pv := partitionV2{Partition: pd.Partition, Leader: pd.Leader, Replicas: []replicaV2{}}
		for _, b := range pd.Replicas {
			pv.Replicas = append(pv.Replicas, replicaV2{Broker: b, Leader: b == pd.Leader, InSync: slices.Contains(pd.ISR, b)})
		}
		out = append(out, pv)
	}
	return out
}

// produceRequestV2 is the body of a v2 produce.
type produceRequestV2 struct {
	Records       []recordV2      `json:"records"`
	KeySchema     json.RawMessage `json:"key_schema"`
	KeySchemaID   json.RawMessage `json:"key_schema_id"`
	ValueSchema   json.RawMessage `json:"value_schema"`
	ValueSchemaID json.RawMessage `json:"value_schema_id"`
}

type recordV2 struct {
	Key       json.RawMessage `json:"key"`
	Value     json.RawMessage `json:"value"`
	Partition *int32          `json:"partition"`
}

type produceResponseV2 struct {
	Offsets       []offsetV2 `json:"offsets"`
	KeySchemaID   *int32     `json:"key_schema_id"`
	ValueSchemaID *int32     `json:"value_schema_id"`
}

type offsetV2 struct {
	Partition *int32  `json:"partition"`
	Offset    *int64  `json:"offset"`
	ErrorCode *int    `json:"error_code"`
	Error     *string `json:"error"`
}

// produceFormat returns the embedded format a v2 produce's Content-Type
// names.
func produceFormat(r *http.Request) (string, error) {
	switch t := mediaType(r.Header.Get("Content-Type")); t {
	case contentTypeJSON:
		return formatJSON, nil
	case contentTypeBin:
		return formatBinary, nil
	case contentTypeAvro:
		return formatAvro, nil
	case contentTypeJSONSchema:
		return formatJSONSchema, nil
	case contentTypeProtobuf:
		return formatProtobuf, nil
	default:
		return "", errorf(http.StatusUnsupportedMediaType, codeUnsupportedMediaType, "HTTP 415 Unsupported Media Type")
	}
}

func (p *Proxy) produceV2(w http.ResponseWriter, r *http.Request) {
	format, err := produceFormat(r)
	if err != nil {
		writeError(w, err)
		return
	}
	ctx, cancel := p.context(r)
	defer cancel()
	var req produceRequestV2
	if err := readJSON(w, r, p.cfg.MaxRequestBytes, &req, false); err != nil {
		writeError(w, err)
		return
	}
	topic := r.PathValue("topic")
	n, err := p.topicPartitions(ctx, topic)
	if err != nil {
		writeError(w, err)
		return
	}
	pathPartition := int32(-1)
	if r.PathValue("partition") != "" {
		if pathPartition, err = partitionParam(r, n); err != nil {
			writeError(w, err)
			return
		}
	}
	var records []*kgo.Record
	var keySchema, valueSchema *resolved
	if schemaTypeOf(format) != "" {
		if keySchema, valueSchema, err = p.schemasV2(ctx, req, format, topic); err == nil {
			records, err = schemaRecordsV2(req, keySchema, valueSchema, topic, pathPartition, n)
		}
	} else {
		records, err = recordsV2(req, format, topic, pathPartition, n)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	cl, err := p.kafka(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	out := produceResponseV2{Offsets: produceAll(ctx, cl, records)}
	out.KeySchemaID, out.ValueSchemaID = schemaIDOf(keySchema), schemaIDOf(valueSchema)
	writeJSON(w, http.StatusOK, contentTypeV2, out)
}

func schemaIDOf(r *resolved) *int32 {
	if r == nil {
		return nil
	}
	id := int32(r.id)
	return &id
}

// schemasV2 resolves the key and value schemas of a produce in a schema
// format: by id, or by text registered under the topic's subjects.
func (p *Proxy) schemasV2(ctx context.Context, req produceRequestV2, format, topic string) (key, value *resolved, err error) {
	keySpec, err := schemaSpecV2(format, req.KeySchema, req.KeySchemaID, "key")
	if err != nil {
		return nil, nil, err
	}
	valueSpec, err := schemaSpecV2(format, req.ValueSchema, req.ValueSchemaID, "value")
	if err != nil {
		return nil, nil, err
	}
	if keySpec != nil {
		if key, err = p.resolveSchema(ctx, topic, true, *keySpec); err != nil {
			return nil, nil, err
		}
	}
	if valueSpec != nil {
		if value, err = p.resolveSchema(ctx, topic, false, *valueSpec); err != nil {
			return nil, nil, err
		}
	}
	return key, value, nil
}

// schemaSpecV2 reads key_schema[_id] or value_schema[_id]; nil if the
// request has neither. The schema is a JSON string of the schema's text
// (a JSON object is taken as the text itself).
func schemaSpecV2(format string, text, id json.RawMessage, what string) (*schemaSpec, error) {
	spec := &schemaSpec{typ: schemaTypeOf(format)}
	if len(id) > 0 && !bytes.Equal(id, jsonNull) {
		var n int
		if err := json.Unmarshal(id, &n); err != nil {
			return nil, errorf(http.StatusUnprocessableEntity, codeUnprocessable, "%s_schema_id must be an integer", what)
		}
		spec.id = &n
		return spec, nil
	}
	if len(text) == 0 || bytes.Equal(text, jsonNull) {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(text, &s); err != nil {
		var b bytes.Buffer
		if json.Compact(&b, text) != nil {
			return nil, errorf(http.StatusUnprocessableEntity, codeUnprocessable, "%s_schema must be a string", what)
		}
		s = b.String()
	}
	spec.text = &s
	return spec, nil
}

// schemaRecordsV2 turns the records of a produce in a schema format into
// Kafka records in Confluent's wire format.
func schemaRecordsV2(req produceRequestV2, key, value *resolved, topic string, pathPartition, n int32) ([]*kgo.Record, error) {
	return buildRecordsV2(req, topic, pathPartition, n, func(i int, rec recordV2) ([]byte, []byte, error) {
		k, err := schemaData(key, rec.Key, codeKeySchemaMissing, "Request includes keys but does not include key schema")
		if err != nil {
			return nil, nil, err
		}
		v, err := schemaData(value, rec.Value, codeValueSchemaMissing, "Request includes values but does not include value schema")
		return k, v, err
	})
}

// schemaData encodes one key or value with its schema.
func schemaData(r *resolved, data json.RawMessage, missingCode int, missing string) ([]byte, error) {
	if len(data) == 0 || bytes.Equal(data, jsonNull) {
		return nil, nil
	}
	if r == nil {
		return nil, errorf(http.StatusUnprocessableEntity, missingCode, "%s", missing)
	}
	b, err := encodeWire(r, data)
	if err != nil {
		return nil, errorf(http.StatusUnprocessableEntity, codeJSONConversion, "Conversion of JSON to Object failed: %v", err)
	}
	return b, nil
}

// recordsV2 turns the request's records into Kafka records.
func recordsV2(req produceRequestV2, format, topic string, pathPartition, n int32) ([]*kgo.Record, error) {
	return buildRecordsV2(req, topic, pathPartition, n, func(i int, rec recordV2) ([]byte, []byte, error) {
		key, err := embedded(rec.Key, format)
		if err != nil {
			return nil, nil, errorf(http.StatusUnprocessableEntity, codeUnprocessable, "records[%d].key: %v", i, err)
		}
		value, err := embedded(rec.Value, format)
		if err != nil {
			return nil, nil, errorf(http.StatusUnprocessableEntity, codeUnprocessable, "records[%d].value: %v", i, err)
		}
		return key, value, nil
	})
}

// buildRecordsV2 checks the partitions of the request's records and
// makes each record of the key and value encode returns.
func buildRecordsV2(req produceRequestV2, topic string, pathPartition, n int32, encode func(int, recordV2) ([]byte, []byte, error)) ([]*kgo.Record, error) {
	if len(req.Records) == 0 {
		return nil, errorf(http.StatusUnprocessableEntity, codeUnprocessable, "records may not be empty")
	}
	out := make([]*kgo.Record, 0, len(req.Records))
	for i, rec := range req.Records {
		partition := pathPartition
		if rec.Partition != nil {
			if pathPartition >= 0 && *rec.Partition != pathPartition {
				return nil, errorf(http.StatusUnprocessableEntity, codeUnprocessable, "records[%d]: partition %d differs from the path's %d", i, *rec.Partition, pathPartition)
			}
			if *rec.Partition < 0 || *rec.Partition >= n {
				return nil, errPartitionNotFound
			}
			partition = *rec.Partition
		}
		key, value, err := encode(i, rec)
		if err != nil {
			return nil, err
		}
		out = append(out, newRecord(topic, partition, key, value))
	}
	return out, nil
}

var jsonNull = []byte("null")

// embedded returns the bytes a key or value of the embedded format stands
// for: nil for an absent or null one, the compact JSON for json, the
// decoded base64 for binary.
func embedded(raw json.RawMessage, format string) ([]byte, error) {
	if len(raw) == 0 || bytes.Equal(raw, jsonNull) {
		return nil, nil
	}
	if format == formatJSON {
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, errorf(http.StatusUnprocessableEntity, codeUnprocessable, "binary data must be a base64 string")
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errorf(http.StatusUnprocessableEntity, codeUnprocessable, "binary data is not valid base64: %v", err)
	}
	return b, nil
}

// produceAll produces records and waits for every outcome, in order.
func produceAll(ctx context.Context, cl *kgo.Client, records []*kgo.Record) []offsetV2 {
	results := make([]produced, len(records))
	var wg sync.WaitGroup
	wg.Add(len(records))
	for i, rec := range records {
		cl.Produce(ctx, rec, func(r *kgo.Record, err error) {
			results[i] = produced{record: r, err: err}
			wg.Done()
		})
	}
	wg.Wait()
	out := make([]offsetV2, len(results))
	for i, res := range results {
		out[i] = offsetOf(res)
	}
	return out
}

// offsetOf is the v2 answer for one record's outcome.
func offsetOf(res produced) offsetV2 {
	if res.err != nil {
		code := 2
		if kerr.IsRetriable(res.err) {
			code = 1
		}
		msg := res.err.Error()
		return offsetV2{ErrorCode: &code, Error: &msg}
	}
	part, off := res.record.Partition, res.record.Offset
	return offsetV2{Partition: &part, Offset: &off}
}
