package schemareg_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
	"gregor/internal/record"
)

// wire prefixes payload with Confluent's wire format: magic 0, then id.
func wire(id int, payload []byte) []byte {
	out := []byte{0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(out[1:], uint32(id))
	return append(out, payload...)
}

// avroLong is the Avro encoding of User{id: n} for v1 (a zigzag varint).
func avroLong(n int64) []byte { return binary.AppendVarint(nil, n) }

// register registers schema under subject and returns its id.
func (r *registry) register(subject string, body map[string]any) int {
	r.t.Helper()
	status, out := r.do("POST", "/subjects/"+subject+"/versions", body)
	var got struct{ ID int }
	if status != 200 || json.Unmarshal([]byte(out), &got) != nil {
		r.t.Fatalf("register %s: %d %s", subject, status, out)
	}
	return got.ID
}

func (r *registry) client(opts ...kgo.Opt) *kgo.Client {
	r.t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(r.node.Addr), kgo.RecordRetries(2)}, opts...)...)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(cl.Close)
	return cl
}

func createTopic(t testing.TB, cl *kgo.Client, topic string, configs map[string]*string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, configs, topic)
	if err != nil || resp.Err != nil {
		t.Fatalf("create %s: %v %v", topic, err, resp.Err)
	}
}

func produce(t *testing.T, cl *kgo.Client, topic string, key, value []byte) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: key, Value: value}).FirstErr()
}

func on() *string { return kmsg.StringPtr("true") }

// TestSchemaValidationRefusesRecords proves that a topic with value
// validation takes only records whose value carries the id of a schema
// registered under <topic>-value, and refuses the others with
// INVALID_RECORD at a franz-go producer; that key validation (through the
// gregor. alias) checks keys only; that payload mode also decodes the
// value; and that topics without validation take anything.
func TestSchemaValidationRefusesRecords(t *testing.T) {
	r := start(t, "")
	cl := r.client()
	id := r.register("orders-value", avroBody(v1))
	other := r.register("other-value", avroBody(`{"type":"record","name":"Other","fields":[{"name":"x","type":"string"}]}`))
	keyID := r.register("orders-key", avroBody(`"string"`))
	createTopic(t, cl, "orders", map[string]*string{"confluent.value.schema.validation": on()})
	createTopic(t, cl, "keyed", map[string]*string{"gregor.key.schema.validation": on()})
	createTopic(t, cl, "strict", map[string]*string{"confluent.value.schema.validation": on(), "gregor.schema.validation.mode": kmsg.StringPtr("payload")})
	createTopic(t, cl, "plain", nil)
	strictID := r.register("strict-value", avroBody(v1))
	keyedID := r.register("keyed-key", avroBody(`"string"`))

	tests := []struct {
		name, topic string
		key, value  []byte
		refused     bool
	}{
		{"registered id", "orders", nil, wire(id, avroLong(7)), false},
		{"no prefix", "orders", nil, []byte(`{"id":7}`), true},
		{"wrong magic", "orders", nil, append([]byte{1}, wire(id, nil)[1:]...), true},
		{"too short", "orders", nil, []byte{0, 0, 0}, true},
		{"unknown id", "orders", nil, wire(9999, avroLong(7)), true},
		{"id of another subject", "orders", nil, wire(other, avroLong(7)), true},
		{"key subject's id for the value", "orders", nil, wire(keyID, avroLong(7)), true},
		{"null value passes", "orders", nil, nil, false},
		{"id mode does not decode", "orders", nil, wire(id, []byte{0xff, 0xff}), false},
		{"key validated", "keyed", wire(keyedID, []byte{2, 'a'}), []byte("anything"), false},
		{"key without prefix", "keyed", []byte("k"), []byte("anything"), true},
		{"payload valid", "strict", nil, wire(strictID, avroLong(42)), false},
		{"payload invalid", "strict", nil, wire(strictID, []byte{0xff, 0xff}), true},
		{"payload with bytes left", "strict", nil, wire(strictID, append(avroLong(1), 9)), true},
		{"unvalidated topic", "plain", nil, []byte("no schema"), false},
	}
	for _, tt := range tests {
		err := produce(t, cl, tt.topic, tt.key, tt.value)
		switch {
		case tt.refused && !errors.Is(err, kerr.InvalidRecord):
			t.Errorf("%s: got %v, want INVALID_RECORD", tt.name, err)
		case !tt.refused && err != nil:
			t.Errorf("%s: refused: %v", tt.name, err)
		}
	}
}

// TestSchemaValidationRecordErrors proves that one bad record refuses the
// whole batch with KIP-467 record errors naming each bad record's index,
// and that nothing of the batch is appended.
func TestSchemaValidationRecordErrors(t *testing.T) {
	r := start(t, "")
	cl := r.client()
	id := r.register("events-value", avroBody(v1))
	createTopic(t, cl, "events", map[string]*string{"confluent.value.schema.validation": on()})

	now := time.Now().UnixMilli()
	values := [][]byte{wire(id, avroLong(1)), []byte("plain text"), wire(id, avroLong(3)), wire(777, nil)}
	var recs []record.Record
	for _, v := range values {
		recs = append(recs, record.Record{Timestamp: now, Value: v})
	}
	rp := rawProduce(t, cl, "events", recs)
	if rp.ErrorCode != kerr.InvalidRecord.Code {
		t.Fatalf("error code %d, want INVALID_RECORD", rp.ErrorCode)
	}
	if len(rp.ErrorRecords) != 2 || rp.ErrorRecords[0].RelativeOffset != 1 || rp.ErrorRecords[1].RelativeOffset != 3 {
		t.Fatalf("record errors %+v, want batch indexes 1 and 3", rp.ErrorRecords)
	}
	if m := *rp.ErrorRecords[0].ErrorMessage; !strings.Contains(m, "does not start with a schema id") {
		t.Errorf("record 1: %q", m)
	}
	if m := *rp.ErrorRecords[1].ErrorMessage; !strings.Contains(m, "schema id 777 is not registered") {
		t.Errorf("record 3: %q", m)
	}
	if rp.ErrorMessage == nil || !strings.HasPrefix(*rp.ErrorMessage, "One or more records have been rejected due to 2 record errors") {
		t.Errorf("error message %v", rp.ErrorMessage)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, "events")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := ends.Lookup("events", 0); o.Offset != 0 {
		t.Errorf("end offset %d after a refused batch, want 0", o.Offset)
	}
	// A corrupt batch answers CORRUPT_MESSAGE, as without validation.
	b, err := record.Build(record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("plain text"))
	b[i] = 'P' // the records still parse (record 1 has no schema id) but the CRC no longer matches
	if rp := rawProduceBatch(t, cl, "events", b); rp.ErrorCode != kerr.CorruptMessage.Code {
		t.Errorf("corrupt batch: error %d, want CORRUPT_MESSAGE", rp.ErrorCode)
	}
	// The same batch without its bad records is appended.
	if rp := rawProduce(t, cl, "events", []record.Record{recs[0], recs[2]}); rp.ErrorCode != 0 {
		t.Errorf("good records: error %d %v", rp.ErrorCode, rp.ErrorMessage)
	}
}

// rawProduce sends one batch of recs in a Produce request (acks=-1) and
// returns the partition's answer.
func rawProduce(t *testing.T, cl *kgo.Client, topic string, recs []record.Record) kmsg.ProduceResponseTopicPartition {
	t.Helper()
	b, err := record.Build(record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Codec: record.CodecLZ4, Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	return rawProduceBatch(t, cl, topic, b)
}

// rawProduceBatch sends b in a Produce request (acks=-1) and returns the
// partition's answer.
func rawProduceBatch(t *testing.T, cl *kgo.Client, topic string, b record.Batch) kmsg.ProduceResponseTopicPartition {
	t.Helper()
	req := kmsg.NewPtrProduceRequest()
	req.Acks, req.TimeoutMillis = -1, 10000
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	topics, err := kadm.NewClient(cl).ListTopics(ctx, topic)
	if err != nil || topics[topic].Err != nil {
		t.Fatalf("metadata of %s: %v %v", topic, err, topics[topic].Err)
	}
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic, rt.TopicID = topic, topics[topic].ID // v13 names topics by id
	p := kmsg.NewProduceRequestTopicPartition()
	p.Records = b
	rt.Partitions = append(rt.Partitions, p)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	return resp.Topics[0].Partitions[0]
}

// TestSchemaValidationRecordNameStrategies proves RecordNameStrategy and
// TopicRecordNameStrategy derive the subject from the Avro record's full
// name, from the Protobuf message the payload names and from a JSON
// schema's title, that a JSON schema without a title is refused for want
// of a record name, and that an unknown strategy is refused as an invalid
// config.
func TestSchemaValidationRecordNameStrategies(t *testing.T) {
	r := start(t, "")
	cl := r.client()
	user := `{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"id","type":"long"}]}`
	byName := r.register("com.example.User", avroBody(user))
	byTopicName := r.register("users-com.example.User", avroBody(user))
	if byName != byTopicName {
		t.Fatalf("ids %d and %d for one schema", byName, byTopicName)
	}
	elsewhere := r.register("users-value", avroBody(v1))
	createTopic(t, cl, "names", map[string]*string{"confluent.value.schema.validation": on(),
		"confluent.value.subject.name.strategy": kmsg.StringPtr("io.confluent.kafka.serializers.subject.RecordNameStrategy")})
	createTopic(t, cl, "users", map[string]*string{"confluent.value.schema.validation": on(),
		"confluent.value.subject.name.strategy": kmsg.StringPtr("TopicRecordNameStrategy")})
	if err := produce(t, cl, "names", nil, wire(byName, avroLong(1))); err != nil {
		t.Errorf("RecordNameStrategy: %v", err)
	}
	if err := produce(t, cl, "names", nil, wire(elsewhere, avroLong(1))); !errors.Is(err, kerr.InvalidRecord) {
		t.Errorf("RecordNameStrategy, record User not under its name: %v", err)
	}
	if err := produce(t, cl, "users", nil, wire(byName, avroLong(1))); err != nil {
		t.Errorf("TopicRecordNameStrategy: %v", err)
	}
	if err := produce(t, cl, "users", nil, wire(elsewhere, avroLong(1))); !errors.Is(err, kerr.InvalidRecord) {
		t.Errorf("TopicRecordNameStrategy, users-User not registered: %v", err)
	}

	// Protobuf: the record is the message the payload's message-index
	// list names (0x00: the first; 0x02 0x02: index [1], the second).
	proto := "syntax = \"proto3\";\npackage shop;\nmessage Order { int64 id = 1; }\nmessage Refund { int64 id = 1; }\n"
	protoBody := map[string]any{"schema": proto, "schemaType": "PROTOBUF"}
	orderID := r.register("shop.Order", protoBody)
	createTopic(t, cl, "shop", map[string]*string{"confluent.value.schema.validation": on(),
		"confluent.value.subject.name.strategy": kmsg.StringPtr("RecordNameStrategy")})
	if err := produce(t, cl, "shop", nil, wire(orderID, []byte{0x00, 0x08, 0x01})); err != nil {
		t.Errorf("RecordNameStrategy, protobuf Order: %v", err)
	}
	if err := produce(t, cl, "shop", nil, wire(orderID, []byte{0x02, 0x02, 0x08, 0x01})); !errors.Is(err, kerr.InvalidRecord) {
		t.Errorf("RecordNameStrategy, protobuf Refund not under shop.Refund: %v", err)
	}
	// JSON Schema: the record name is the title, as Confluent's
	// serializers take it.
	titled := map[string]any{"schema": `{"title":"shop.Thing","type":"object"}`, "schemaType": "JSON"}
	thingID := r.register("shop.Thing", titled)
	if err := produce(t, cl, "names", nil, wire(thingID, []byte(`{}`))); err != nil {
		t.Errorf("RecordNameStrategy, JSON schema titled shop.Thing: %v", err)
	}
	if err := produce(t, cl, "users", nil, wire(thingID, []byte(`{}`))); !errors.Is(err, kerr.InvalidRecord) {
		t.Errorf("TopicRecordNameStrategy, users-shop.Thing not registered: %v", err)
	}
	r.register("users-shop.Thing", titled)
	if err := produce(t, cl, "users", nil, wire(thingID, []byte(`{}`))); err != nil {
		t.Errorf("TopicRecordNameStrategy, JSON schema under users-shop.Thing: %v", err)
	}
	// Without a title a JSON schema has no record name: refused, saying so.
	jsonID := r.register("names-json", map[string]any{"schema": `{"type":"object"}`, "schemaType": "JSON"})
	rp := rawProduce(t, cl, "names", []record.Record{{Timestamp: time.Now().UnixMilli(), Value: wire(jsonID, []byte("{}"))}})
	if rp.ErrorCode != kerr.InvalidRecord.Code || len(rp.ErrorRecords) != 1 || !strings.Contains(*rp.ErrorRecords[0].ErrorMessage, "no record name") {
		t.Errorf("RecordNameStrategy, JSON schema: %d %+v", rp.ErrorCode, rp.ErrorRecords)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, map[string]*string{
		"confluent.value.subject.name.strategy": kmsg.StringPtr("com.example.MyStrategy")}, "bad")
	if err == nil {
		err = resp.Err
	}
	if !errors.Is(err, kerr.InvalidConfig) {
		t.Errorf("custom strategy: %v, want INVALID_CONFIG", err)
	}
}

// TestSchemaValidationWithoutRegistry proves that on a node without a
// schema registry a validated topic refuses every record, saying why,
// and other topics are unaffected.
func TestSchemaValidationWithoutRegistry(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	cl, err := kgo.NewClient(kgo.SeedBrokers(n.Addr), kgo.RecordRetries(2))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	createTopic(t, cl, "checked", map[string]*string{"confluent.value.schema.validation": on()})
	rp := rawProduce(t, cl, "checked", []record.Record{{Timestamp: time.Now().UnixMilli(), Value: wire(1, nil)}})
	if rp.ErrorCode != kerr.InvalidRecord.Code || rp.ErrorMessage == nil || !strings.Contains(*rp.ErrorMessage, "no schema registry") {
		t.Errorf("got %d %v, want INVALID_RECORD naming the missing registry", rp.ErrorCode, rp.ErrorMessage)
	}
	createTopic(t, cl, "free", nil)
	if err := produce(t, cl, "free", nil, []byte("x")); err != nil {
		t.Errorf("unvalidated topic: %v", err)
	}
}

// TestSchemaValidationFollowsRegistry proves the broker sees schemas
// registered after the topic was created and after a first refusal
// (its cache follows the registry).
func TestSchemaValidationFollowsRegistry(t *testing.T) {
	r := start(t, "")
	cl := r.client()
	r.register("seed-value", avroBody(v1)) // the registry is up and has id 1
	createTopic(t, cl, "late", map[string]*string{"confluent.value.schema.validation": on()})
	next := r.register("elsewhere-value", avroBody(v2))
	if err := produce(t, cl, "late", nil, wire(next, avroLong(1))); !errors.Is(err, kerr.InvalidRecord) {
		t.Fatalf("before registration under late-value: %v", err)
	}
	if got := r.register("late-value", avroBody(v2)); got != next {
		t.Fatalf("id %d, want %d", got, next)
	}
	if err := produce(t, cl, "late", nil, append(wire(next, avroLong(1)), 0)); err != nil {
		t.Errorf("after registration under late-value: %v", err)
	}
	r.expect("DELETE", "/subjects/late-value/versions/1", nil, 200, `1`)
	if err := produce(t, cl, "late", nil, wire(next, avroLong(1))); !errors.Is(err, kerr.InvalidRecord) {
		t.Errorf("after soft delete of late-value: %v", err)
	}
}
