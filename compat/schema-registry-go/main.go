// Command schema-registry-go checks Gregor's schema registry with an
// existing Go registry client: the registry package of
// github.com/hamba/avro/v2 (a Confluent Schema Registry client, and its
// Decoder of Confluent's wire format), with franz-go's producer and
// consumer for the round trip through a topic. Usage: schema-registry-go
// checks|matrix, with COMPAT_SCHEMA_REGISTRY (the registry's URL),
// COMPAT_BOOTSTRAP and COMPAT_PREFIX; it prints "PASS schema-registry-go
// CHECK" or "FAIL schema-registry-go CHECK: REASON" per check.
//
// hamba's client speaks Avro only: its requests carry no schemaType and it
// parses every schema it gets back as Avro, so JSON Schema and Protobuf are
// not checked here (the schema-registry runner checks them with
// confluent-kafka-python).
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/hamba/avro/v2/registry"
	"github.com/twmb/franz-go/pkg/kgo"
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
	case "decode-refs":
		// The deserializing side of checkAvroReferences, in a process of
		// its own so that no Avro name is known beforehand.
		if err := decodeReferences(os.Args[2:]); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		return
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
}

// check runs one check, bounded in time, and prints its outcome.
func check(name string, fn func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("panic: %v", p)
			}
		}()
		done <- fn(ctx)
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(65 * time.Second):
		err = fmt.Errorf("timed out after 65 s")
	}
	if err != nil {
		fmt.Printf("FAIL %s %s: %s\n", client, name, strings.ReplaceAll(err.Error(), "\n", " "))
		return
	}
	fmt.Printf("PASS %s %s\n", client, name)
}

// newClient returns a registry client with its own, empty, cache of
// schemas by id.
func newClient() (*registry.Client, error) {
	return registry.NewClient(registryURL)
}

// registryError returns err's registry error code and HTTP status, or
// zeros when err is not an error the registry answered.
func registryError(err error) (code, status int) {
	var re registry.Error
	if errors.As(err, &re) {
		return re.Code, re.StatusCode
	}
	return 0, 0
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

// sameSchema reports whether the Avro schema s is the schema of text.
func sameSchema(s avro.Schema, text string) bool {
	want, err := avro.Parse(text)
	return err == nil && s != nil && s.Fingerprint() == want.Fingerprint()
}

// checkClientAPI registers, looks up, tests compatibility and deletes
// through the client's API.
func checkClientAPI(ctx context.Context) error {
	c, err := newClient()
	if err != nil {
		return err
	}
	subj := prefix + "-go-api-value"
	id, _, err := c.CreateSchema(ctx, subj, userV1)
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	fresh, err := newClient()
	if err != nil {
		return err
	}
	if got, _, err := fresh.IsRegistered(ctx, subj, userV1); err != nil || got != id {
		return fmt.Errorf("lookup by schema: id %d, %v; registered %d", got, err, id)
	}
	if _, _, err := fresh.IsRegistered(ctx, subj, userV2); err == nil {
		return fmt.Errorf("lookup of a schema not registered: found")
	} else if code, st := registryError(err); code != 40403 || st != 404 {
		return fmt.Errorf("lookup of a schema not registered: %v (code %d, status %d), want 40403", err, code, st)
	}
	if s, err := fresh.GetSchema(ctx, id); err != nil || !sameSchema(s, userV1) {
		return fmt.Errorf("schema by id %d: %v, %v", id, s, err)
	}
	if _, err := fresh.GetSchema(ctx, id+1000000); err == nil {
		return fmt.Errorf("an unknown id found")
	} else if code, _ := registryError(err); code != 40403 {
		return fmt.Errorf("an unknown id: %v (code %d), want 40403", err, code)
	}
	info, err := fresh.GetLatestSchemaInfo(ctx, subj)
	if err != nil || info.Version != 1 || info.ID != id || !sameSchema(info.Schema, userV1) {
		return fmt.Errorf("latest: %+v, %v", info, err)
	}
	// The subject's level is seen through its effect: hamba's
	// GetCompatibilityLevel reads a "compatibility" field, where Confluent's
	// registry (and Gregor's) answers GET /config/{subject} with
	// "compatibilityLevel".
	if err := c.SetCompatibilityLevel(ctx, subj, registry.NoneCL); err != nil {
		return fmt.Errorf("set NONE: %w", err)
	}
	if ok, err := c.IsCompatible(ctx, subj, userV3); err != nil || !ok {
		return fmt.Errorf("v3 against v1 with NONE: compatible %v, %v", ok, err)
	}
	if err := c.SetCompatibilityLevel(ctx, subj, registry.BackwardCL); err != nil {
		return fmt.Errorf("set BACKWARD: %w", err)
	}
	if ok, err := c.IsCompatible(ctx, subj, userV2); err != nil || !ok {
		return fmt.Errorf("v2 against v1: compatible %v, %v", ok, err)
	}
	if ok, err := c.IsCompatible(ctx, subj, userV3); err != nil || ok {
		return fmt.Errorf("v3 against v1: compatible %v, %v", ok, err)
	}
	if _, _, err := c.CreateSchema(ctx, subj, userV3); err == nil {
		return fmt.Errorf("an incompatible version registered")
	} else if code, st := registryError(err); code != 409 || st != 409 {
		return fmt.Errorf("an incompatible version: %v (code %d, status %d), want 409", err, code, st)
	}
	if _, _, err := c.CreateSchema(ctx, subj, `{"type":"record","name":"Bad","fields":[{"name":"x","type":"nosuch"}]}`); err == nil {
		return fmt.Errorf("an invalid schema registered")
	} else if code, _ := registryError(err); code != 42201 {
		return fmt.Errorf("an invalid schema: %v (code %d), want 42201", err, code)
	}
	id2, _, err := c.CreateSchema(ctx, subj, userV2)
	if err != nil || id2 == id {
		return fmt.Errorf("register v2: id %d, %v", id2, err)
	}
	if vs, err := fresh.GetVersions(ctx, subj); err != nil || !slices.Equal(vs, []int{1, 2}) {
		return fmt.Errorf("versions: %v, %v", vs, err)
	}
	if info, err := fresh.GetSchemaInfo(ctx, subj, 2); err != nil || info.ID != id2 || info.Version != 2 || !sameSchema(info.Schema, userV2) {
		return fmt.Errorf("version 2: %+v, %v", info, err)
	}
	if s, err := fresh.GetSchemaByVersion(ctx, subj, 1); err != nil || !sameSchema(s, userV1) {
		return fmt.Errorf("version 1: %v, %v", s, err)
	}
	subjects, err := fresh.GetSubjects(ctx)
	if err != nil || !slices.Contains(subjects, subj) {
		return fmt.Errorf("subjects: %v, %v", subjects, err)
	}
	if vs, err := c.DeleteSubject(ctx, subj); err != nil || !slices.Equal(vs, []int{1, 2}) {
		return fmt.Errorf("delete: %v, %v", vs, err)
	}
	if _, err := fresh.GetVersions(ctx, subj); err == nil {
		return fmt.Errorf("versions of a deleted subject found")
	} else if code, st := registryError(err); code != 40401 || st != 404 {
		return fmt.Errorf("versions of a deleted subject: %v (code %d, status %d), want 40401", err, code, st)
	}
	return nil
}

// User is the record of userV1.
type User struct {
	Name string `avro:"name"`
	Age  int32  `avro:"age"`
}

// serialize registers text under subject and returns v in Confluent's
// wire format: magic byte 0, the schema id in 4 bytes big-endian, the
// Avro binary encoding.
func serialize(ctx context.Context, c *registry.Client, subject, text string, v any, refs ...registry.SchemaReference) ([]byte, int, error) {
	id, schema, err := c.CreateSchema(ctx, subject, text, refs...)
	if err != nil {
		return nil, 0, fmt.Errorf("register: %w", err)
	}
	body, err := avro.Marshal(schema, v)
	if err != nil {
		return nil, 0, fmt.Errorf("encode: %w", err)
	}
	out := make([]byte, 5, 5+len(body))
	binary.BigEndian.PutUint32(out[1:], uint32(id))
	return append(out, body...), id, nil
}

// checkAvroRoundTrip serializes with a schema registered under the
// topic's subject, produces the bytes to a topic, consumes them and
// decodes them with hamba's Decoder on a client that has cached nothing,
// so that it looks the schema up by the id in the payload.
func checkAvroRoundTrip(ctx context.Context) error {
	c, err := newClient()
	if err != nil {
		return err
	}
	topic := prefix + "-go-avro"
	in := User{Name: "ada", Age: 36}
	payload, id, err := serialize(ctx, c, topic+"-value", userV1, &in)
	if err != nil {
		return err
	}
	if info, err := c.GetLatestSchemaInfo(ctx, topic+"-value"); err != nil || info.ID != id {
		return fmt.Errorf("the subject's latest version: %+v, %v; registered id %d", info, err, id)
	}
	got, err := throughTopic(ctx, topic, payload)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, payload) {
		return fmt.Errorf("consumed % x, produced % x", got, payload)
	}
	fresh, err := newClient()
	if err != nil {
		return err
	}
	var out User
	if err := registry.NewDecoder(fresh).Decode(ctx, got, &out); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	if out != in {
		return fmt.Errorf("decoded %+v, produced %+v", out, in)
	}
	// A payload naming an id the registry does not hold is refused.
	bad := slices.Clone(got)
	binary.BigEndian.PutUint32(bad[1:5], uint32(id+1000000))
	if err := registry.NewDecoder(fresh).Decode(ctx, bad, &out); err == nil {
		return fmt.Errorf("a payload with an unknown schema id decoded")
	} else if code, _ := registryError(err); code != 40403 {
		return fmt.Errorf("a payload with an unknown schema id: %v (code %d), want 40403", err, code)
	}
	return nil
}

// throughTopic produces value to a topic (created by the broker on first
// use) and returns the value consumed back from its start.
func throughTopic(ctx context.Context, topic string, value []byte) ([]byte, error) {
	p, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.AllowAutoTopicCreation())
	if err != nil {
		return nil, err
	}
	defer p.Close()
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := p.ProduceSync(pctx, &kgo.Record{Topic: topic, Value: value}).FirstErr(); err != nil {
		return nil, fmt.Errorf("produce: %w", err)
	}
	cons, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.ConsumerGroup(topic+"-group"),
		kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return nil, err
	}
	defer cons.Close()
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		fs := cons.PollFetches(cctx)
		if cctx.Err() != nil {
			return nil, fmt.Errorf("consume: nothing in 30 s")
		}
		if errs := fs.Errors(); len(errs) > 0 {
			return nil, fmt.Errorf("consume: %v", errs[0].Err)
		}
		if recs := fs.Records(); len(recs) > 0 {
			return recs[0].Value, nil
		}
	}
}

// The Avro schemas of the references check: Person names Address, a
// type of another subject. Their namespace is made per run, so that the
// decoding process can only know Address from the registry.
const (
	addressTmpl = `{"type":"record","name":"Address","namespace":"NS","fields":[{"name":"city","type":"string"}]}`
	personTmpl  = `{"type":"record","name":"Person","namespace":"NS","fields":[{"name":"name","type":"string"},{"name":"home","type":"NS.Address"}]}`
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
// subject through references, looks it up by schema and references,
// checks a compatible and an incompatible change of the reference, and
// has another process, which has parsed no schema, decode a payload of
// it: hamba's client does not follow references itself (it parses what
// the registry returns with the Avro names it already knows), so that
// process fetches the referenced subject version first, as the client's
// users do, and must fail to decode without it.
func checkAvroReferences(ctx context.Context) error {
	c, err := newClient()
	if err != nil {
		return err
	}
	topic := prefix + "-go-refs"
	ns := "compat.r" + strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, prefix)
	address := strings.ReplaceAll(addressTmpl, "NS", ns)
	person := strings.ReplaceAll(personTmpl, "NS", ns)
	addrSubj := topic + "-address"
	if _, _, err := c.CreateSchema(ctx, addrSubj, address); err != nil {
		return fmt.Errorf("register the referenced schema: %w", err)
	}
	refs := []registry.SchemaReference{{Name: ns + ".Address", Subject: addrSubj, Version: 1}}
	if _, _, err := c.CreateSchema(ctx, topic+"-value", person); err == nil {
		return fmt.Errorf("a schema naming an unknown type registered without references")
	} else if code, _ := registryError(err); code != 42201 {
		return fmt.Errorf("a schema without its references: %v (code %d), want 42201", err, code)
	}
	in := Person{Name: "grace", Home: Address{City: "Arlington"}}
	payload, id, err := serialize(ctx, c, topic+"-value", person, &in, refs...)
	if err != nil {
		return fmt.Errorf("with references: %w", err)
	}
	fresh, err := newClient()
	if err != nil {
		return err
	}
	if got, _, err := fresh.IsRegisteredWithRefs(ctx, topic+"-value", person, refs...); err != nil || got != id {
		return fmt.Errorf("lookup by schema and references: id %d, %v; registered %d", got, err, id)
	}
	// Address v2 adds a field with a default; v3 drops the city a reader
	// of Person v1 needs.
	address2 := strings.Replace(address, `"type":"string"}]`, `"type":"string"},{"name":"zip","type":"string","default":""}]`, 1)
	address3 := strings.Replace(address, `"name":"city"`, `"name":"street"`, 1)
	if _, _, err := c.CreateSchema(ctx, addrSubj, address2); err != nil {
		return fmt.Errorf("register Address v2: %w", err)
	}
	if err := c.SetCompatibilityLevel(ctx, addrSubj, registry.NoneCL); err != nil {
		return fmt.Errorf("set NONE on the referenced subject: %w", err)
	}
	if _, _, err := c.CreateSchema(ctx, addrSubj, address3); err != nil {
		return fmt.Errorf("register Address v3: %w", err)
	}
	if err := c.SetCompatibilityLevel(ctx, topic+"-value", registry.BackwardCL); err != nil {
		return fmt.Errorf("set BACKWARD: %w", err)
	}
	ref := func(v int) registry.SchemaReference {
		return registry.SchemaReference{Name: ns + ".Address", Subject: addrSubj, Version: v}
	}
	if ok, err := c.IsCompatibleWithRefs(ctx, topic+"-value", person, ref(2)); err != nil || !ok {
		return fmt.Errorf("Person with Address v2: compatible %v, %v", ok, err)
	}
	if ok, err := c.IsCompatibleWithRefs(ctx, topic+"-value", person, ref(3)); err != nil || ok {
		return fmt.Errorf("Person with Address v3: compatible %v, %v", ok, err)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, exe, "decode-refs", hex.EncodeToString(payload), addrSubj, "1",
		in.Name, in.Home.City).CombinedOutput()
	if err != nil {
		return fmt.Errorf("decoding process: %v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// decodeReferences is the decoding process of checkAvroReferences: args
// are the payload in hex, the referenced subject and version, and the
// name and city the payload must hold.
func decodeReferences(args []string) error {
	if len(args) != 5 {
		return fmt.Errorf("decode-refs: want 5 arguments, got %d", len(args))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	payload, err := hex.DecodeString(args[0])
	if err != nil {
		return err
	}
	var version int
	if _, err := fmt.Sscan(args[2], &version); err != nil {
		return err
	}
	c, err := newClient()
	if err != nil {
		return err
	}
	var out Person
	if err := registry.NewDecoder(c).Decode(ctx, payload, &out); err == nil {
		return fmt.Errorf("decoded %+v without the referenced schema: is it the schema registered with references?", out)
	}
	if _, err := c.GetSchemaInfo(ctx, args[1], version); err != nil {
		return fmt.Errorf("the referenced subject version: %w", err)
	}
	if err := registry.NewDecoder(c).Decode(ctx, payload, &out); err != nil {
		return fmt.Errorf("decode after fetching the reference: %w", err)
	}
	return expect(out.Name == args[3] && out.Home.City == args[4], "decoded %+v, want %s of %s", out, args[3], args[4])
}
