// Command schema-registry-go checks Gregor's schema registry with
// Confluent's Go client (github.com/confluentinc/confluent-kafka-go/v2:
// its schemaregistry client, its Avro and JSON Schema serializers, and its
// librdkafka-based producer and consumer for the round trip through a
// topic). Usage: schema-registry-go checks|matrix, with
// COMPAT_SCHEMA_REGISTRY (the registry's URL), COMPAT_BOOTSTRAP and
// COMPAT_PREFIX; it prints "PASS schema-registry-go CHECK" or
// "FAIL schema-registry-go CHECK: REASON" per check.
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/avrov2"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/jsonschema"
)

const client = "schema-registry-go"

var (
	registryURL = os.Getenv("COMPAT_SCHEMA_REGISTRY")
	bootstrap   = os.Getenv("COMPAT_BOOTSTRAP")
	prefix      = os.Getenv("COMPAT_PREFIX")
)

func main() {
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	phase := ""
	if len(os.Args) > 1 {
		phase = os.Args[1]
	}
	switch phase {
	case "matrix":
		return // no codec matrix topics: the checks are the registry's
	case "checks":
	default:
		log.Fatalf("usage: %s checks|matrix", os.Args[0])
	}
	if registryURL == "" || bootstrap == "" {
		log.Fatal("COMPAT_SCHEMA_REGISTRY and COMPAT_BOOTSTRAP must be set")
	}
	if prefix == "" {
		prefix = fmt.Sprintf("compat-%d", time.Now().Unix())
	}
	log.Printf("registry %s, bootstrap %s", registryURL, bootstrap)
	check("client-api", checkClientAPI)
	check("avro-serde-round-trip", checkAvroRoundTrip)
	check("avro-references", checkAvroReferences)
	check("json-serde-round-trip", checkJSONRoundTrip)
}

// check runs one check, bounded in time, and prints its outcome.
func check(name string, fn func() error) {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("panic: %v", p)
			}
		}()
		done <- fn()
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		err = fmt.Errorf("timed out after 60 s")
	}
	if err != nil {
		fmt.Printf("FAIL %s %s: %s\n", client, name, strings.ReplaceAll(err.Error(), "\n", " "))
		return
	}
	fmt.Printf("PASS %s %s\n", client, name)
}

// newClient returns a registry client with its own, empty, caches.
func newClient() (schemaregistry.Client, error) {
	conf := schemaregistry.NewConfig(registryURL)
	conf.RequestTimeoutMs = 20000
	return schemaregistry.NewClient(conf)
}

func expect(ok bool, format string, args ...any) error {
	if ok {
		return nil
	}
	return fmt.Errorf(format, args...)
}

const (
	userV1 = `{"type":"record","name":"User","namespace":"compat","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"}]}`
	// userV2 adds a field with a default: BACKWARD compatible.
	userV2 = `{"type":"record","name":"User","namespace":"compat","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"},{"name":"email","type":"string","default":""}]}`
	// userV3 adds a field without a default: not BACKWARD compatible.
	userV3 = `{"type":"record","name":"User","namespace":"compat","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"},{"name":"phone","type":"string"}]}`
)

// checkClientAPI registers, looks up, tests compatibility and deletes
// through the client's API.
func checkClientAPI() error {
	c, err := newClient()
	if err != nil {
		return err
	}
	subj := prefix + "-go-api-value"
	id, err := c.Register(subj, schemaregistry.SchemaInfo{Schema: userV1}, false)
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	fresh, err := newClient()
	if err != nil {
		return err
	}
	if got, err := fresh.GetID(subj, schemaregistry.SchemaInfo{Schema: userV1}, false); err != nil || got != id {
		return fmt.Errorf("lookup: id %d, %v; registered %d", got, err, id)
	}
	info, err := fresh.GetBySubjectAndID(subj, id)
	if err != nil || !sameJSON(info.Schema, userV1) {
		return fmt.Errorf("schema by id: %+v, %v", info, err)
	}
	meta, err := fresh.GetLatestSchemaMetadata(subj)
	if err != nil || meta.Version != 1 || meta.ID != id {
		return fmt.Errorf("latest: %+v, %v", meta, err)
	}
	if got, err := c.UpdateCompatibility(subj, schemaregistry.Backward); err != nil || got != schemaregistry.Backward {
		return fmt.Errorf("set BACKWARD: %v, %v", got, err)
	}
	if ok, err := c.TestCompatibility(subj, 1, schemaregistry.SchemaInfo{Schema: userV2}); err != nil || !ok {
		return fmt.Errorf("v2 against v1: compatible %v, %v", ok, err)
	}
	if ok, err := c.TestCompatibility(subj, 1, schemaregistry.SchemaInfo{Schema: userV3}); err != nil || ok {
		return fmt.Errorf("v3 against v1: compatible %v, %v", ok, err)
	}
	if _, err := c.Register(subj, schemaregistry.SchemaInfo{Schema: userV3}, false); err == nil {
		return fmt.Errorf("an incompatible version registered")
	} else if !strings.Contains(err.Error(), "409") {
		return fmt.Errorf("an incompatible version: %v, want 409", err)
	}
	id2, err := c.Register(subj, schemaregistry.SchemaInfo{Schema: userV2}, false)
	if err != nil || id2 == id {
		return fmt.Errorf("register v2: id %d, %v", id2, err)
	}
	if vs, err := fresh.GetAllVersions(subj); err != nil || !slices.Equal(vs, []int{1, 2}) {
		return fmt.Errorf("versions: %v, %v", vs, err)
	}
	if svs, err := fresh.GetSubjectsAndVersionsByID(id2); err != nil || len(svs) != 1 || svs[0].Subject != subj || svs[0].Version != 2 {
		return fmt.Errorf("subjects of id %d: %+v, %v", id2, svs, err)
	}
	subjects, err := fresh.GetAllSubjects()
	if err != nil || !slices.Contains(subjects, subj) {
		return fmt.Errorf("subjects: %v, %v", subjects, err)
	}
	if vs, err := c.DeleteSubject(subj, false); err != nil || !slices.Equal(vs, []int{1, 2}) {
		return fmt.Errorf("delete: %v, %v", vs, err)
	}
	if _, err := fresh.GetAllVersions(subj); err == nil || !strings.Contains(err.Error(), "40401") {
		return fmt.Errorf("versions of a deleted subject: %v, want 40401", err)
	}
	return nil
}

// User is the record of userV1, as the Avro serializer takes it.
type User struct {
	Name string `avro:"name"`
	Age  int32  `avro:"age"`
}

// checkAvroRoundTrip serializes with a schema the serializer registers
// itself, produces the bytes to a topic, consumes them and deserializes
// them with a client that has cached nothing, so that the deserializer
// looks the schema up by its id.
func checkAvroRoundTrip() error {
	c, err := newClient()
	if err != nil {
		return err
	}
	topic := prefix + "-go-avro"
	ser, err := avrov2.NewSerializer(c, serde.ValueSerde, avrov2.NewSerializerConfig())
	if err != nil {
		return err
	}
	in := User{Name: "ada", Age: 36}
	payload, err := ser.Serialize(topic, &in)
	if err != nil {
		return fmt.Errorf("serialize: %w", err)
	}
	meta, err := c.GetLatestSchemaMetadata(topic + "-value")
	if err != nil {
		return fmt.Errorf("the subject the serializer registered: %w", err)
	}
	if len(payload) < 5 || payload[0] != 0 || int(binary.BigEndian.Uint32(payload[1:5])) != meta.ID {
		return fmt.Errorf("payload % x does not start with magic 0 and schema id %d", payload[:min(len(payload), 5)], meta.ID)
	}
	got, err := throughTopic(topic, payload)
	if err != nil {
		return err
	}
	fresh, err := newClient()
	if err != nil {
		return err
	}
	de, err := avrov2.NewDeserializer(fresh, serde.ValueSerde, avrov2.NewDeserializerConfig())
	if err != nil {
		return err
	}
	var out User
	if err := de.DeserializeInto(topic, got, &out); err != nil {
		return fmt.Errorf("deserialize: %w", err)
	}
	return expect(out == in, "deserialized %+v, produced %+v", out, in)
}

// throughTopic produces value to a new topic of one partition and
// returns the value consumed back.
func throughTopic(topic string, value []byte) ([]byte, error) {
	p, err := kafka.NewProducer(&kafka.ConfigMap{"bootstrap.servers": bootstrap, "acks": "all"})
	if err != nil {
		return nil, err
	}
	defer p.Close()
	delivered := make(chan kafka.Event, 1)
	err = p.Produce(&kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny}, Value: value}, delivered)
	if err != nil {
		return nil, fmt.Errorf("produce: %w", err)
	}
	select {
	case ev := <-delivered:
		if m := ev.(*kafka.Message); m.TopicPartition.Error != nil {
			return nil, fmt.Errorf("produce: %w", m.TopicPartition.Error)
		}
	case <-time.After(30 * time.Second):
		return nil, fmt.Errorf("produce: no delivery report in 30 s")
	}
	cons, err := kafka.NewConsumer(&kafka.ConfigMap{"bootstrap.servers": bootstrap, "group.id": topic + "-group", "auto.offset.reset": "earliest"})
	if err != nil {
		return nil, err
	}
	defer cons.Close()
	if err := cons.Subscribe(topic, nil); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		m, err := cons.ReadMessage(time.Second)
		if err != nil {
			if ke, ok := err.(kafka.Error); ok && ke.IsTimeout() {
				continue
			}
			return nil, fmt.Errorf("consume: %w", err)
		}
		return m.Value, nil
	}
	return nil, fmt.Errorf("consume: nothing in 30 s")
}

const (
	address = `{"type":"record","name":"Address","namespace":"compat","fields":[{"name":"city","type":"string"}]}`
	person  = `{"type":"record","name":"Person","namespace":"compat","fields":[{"name":"name","type":"string"},{"name":"home","type":"compat.Address"}]}`
)

// Address and Person are the records of the schemas above.
type Address struct {
	City string `avro:"city"`
}

type Person struct {
	Name string  `avro:"name"`
	Home Address `avro:"home"`
}

// checkAvroReferences registers a schema that names a type of another
// subject through references; the serializer uses it as the subject's
// latest version, resolving the reference through the registry, and a
// deserializer that has cached nothing resolves it from the schema id.
func checkAvroReferences() error {
	c, err := newClient()
	if err != nil {
		return err
	}
	topic := prefix + "-go-refs"
	addrSubj := topic + "-address"
	if _, err := c.Register(addrSubj, schemaregistry.SchemaInfo{Schema: address}, false); err != nil {
		return fmt.Errorf("register the referenced schema: %w", err)
	}
	refs := []schemaregistry.Reference{{Name: "compat.Address", Subject: addrSubj, Version: 1}}
	id, err := c.Register(topic+"-value", schemaregistry.SchemaInfo{Schema: person, References: refs}, false)
	if err != nil {
		return fmt.Errorf("register with references: %w", err)
	}
	fresh, err := newClient()
	if err != nil {
		return err
	}
	info, err := fresh.GetBySubjectAndID(topic+"-value", id)
	if err != nil || !reflect.DeepEqual(info.References, refs) {
		return fmt.Errorf("references read back: %+v, %v", info.References, err)
	}
	conf := avrov2.NewSerializerConfig()
	conf.AutoRegisterSchemas = false
	conf.UseLatestVersion = true
	ser, err := avrov2.NewSerializer(c, serde.ValueSerde, conf)
	if err != nil {
		return err
	}
	in := Person{Name: "grace", Home: Address{City: "Arlington"}}
	payload, err := ser.Serialize(topic, &in)
	if err != nil {
		return fmt.Errorf("serialize: %w", err)
	}
	if !bytes.HasPrefix(payload, []byte{0, byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id)}) {
		return fmt.Errorf("payload % x does not name schema id %d", payload[:min(len(payload), 5)], id)
	}
	de, err := avrov2.NewDeserializer(fresh, serde.ValueSerde, avrov2.NewDeserializerConfig())
	if err != nil {
		return err
	}
	var out Person
	if err := de.DeserializeInto(topic, payload, &out); err != nil {
		return fmt.Errorf("deserialize: %w", err)
	}
	return expect(out == in, "deserialized %+v, serialized %+v", out, in)
}

// Order is a record of the JSON Schema serializer, whose schema it
// derives from the type and registers.
type Order struct {
	ID   int64  `json:"id"`
	Item string `json:"item"`
}

const orderSchema = `{"$schema":"http://json-schema.org/draft-07/schema#","title":"Order","type":"object",` +
	`"properties":{"id":{"type":"integer"},"item":{"type":"string"}},"required":["id","item"],"additionalProperties":false}`

// checkJSONRoundTrip registers a JSON schema, serializes with it as the
// subject's latest version (validating the value: a value the schema does
// not allow is refused) and deserializes with a client that has cached
// nothing.
func checkJSONRoundTrip() error {
	c, err := newClient()
	if err != nil {
		return err
	}
	topic := prefix + "-go-json"
	id, err := c.Register(topic+"-value", schemaregistry.SchemaInfo{Schema: orderSchema, SchemaType: "JSON"}, false)
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	conf := jsonschema.NewSerializerConfig()
	conf.AutoRegisterSchemas = false
	conf.UseLatestVersion = true
	conf.EnableValidation = true
	ser, err := jsonschema.NewSerializer(c, serde.ValueSerde, conf)
	if err != nil {
		return err
	}
	in := Order{ID: 7, Item: "widget"}
	payload, err := ser.Serialize(topic, &in)
	if err != nil {
		return fmt.Errorf("serialize: %w", err)
	}
	if len(payload) < 5 || payload[0] != 0 || int(binary.BigEndian.Uint32(payload[1:5])) != id {
		return fmt.Errorf("payload %q does not start with magic 0 and schema id %d", payload, id)
	}
	if _, err := ser.Serialize(topic, &map[string]any{"id": "seven"}); err == nil {
		return fmt.Errorf("a value the schema does not allow serialized")
	}
	fresh, err := newClient()
	if err != nil {
		return err
	}
	de, err := jsonschema.NewDeserializer(fresh, serde.ValueSerde, jsonschema.NewDeserializerConfig())
	if err != nil {
		return err
	}
	var out Order
	if err := de.DeserializeInto(topic, payload, &out); err != nil {
		return fmt.Errorf("deserialize: %w", err)
	}
	// (Not with the deserializer's validation: this client version
	// validates the pointer it decodes into, which its validator refuses.)
	return expect(out == in, "deserialized %+v, serialized %+v", out, in)
}
