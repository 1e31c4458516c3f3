"""Schema registry checks with confluent-kafka-python (2.x, PyPI): its
SchemaRegistryClient against Gregor's registry, its AvroSerializer and
AvroDeserializer and its JSONSerializer and JSONDeserializer producing and
consuming through Gregor, broker-side schema validation refusing
records without a registered schema id or taking JSON Schema records by
their title under TopicRecordNameStrategy, and HTTP basic authentication,
and HTTPS with client certificates and bearer tokens, of a registry (a
gregor server of its own, from COMPAT_GREGOR; certificates and tokens made
with the openssl command).

Run as "runner.py checks" (the checks) or "runner.py matrix" (nothing: the
registry takes no part in the codec matrix) with COMPAT_BOOTSTRAP,
COMPAT_PREFIX, COMPAT_SCHEMA_REGISTRY and COMPAT_GREGOR in the environment.
"""

import base64
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

from compatlib import BOOTSTRAP, CheckFailed, Runner, expect, log  # noqa: E402

from confluent_kafka import Consumer, KafkaError, Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402
from confluent_kafka.schema_registry import (Schema, SchemaReference, SchemaRegistryClient,  # noqa: E402
                                             topic_record_subject_name_strategy)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer  # noqa: E402
from confluent_kafka.schema_registry.error import SchemaRegistryError  # noqa: E402
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer  # noqa: E402
from confluent_kafka.serialization import MessageField, SerializationContext  # noqa: E402

REGISTRY = os.environ.get("COMPAT_SCHEMA_REGISTRY", "http://127.0.0.1:8081")
CLIENT = "schema-registry"
runner = Runner(CLIENT)

USER_V1 = json.dumps({"type": "record", "name": "User", "namespace": "compat",
                      "fields": [{"name": "id", "type": "long"}, {"name": "name", "type": "string"}]})
# v2 adds a field with a default: BACKWARD compatible.
USER_V2 = json.dumps({"type": "record", "name": "User", "namespace": "compat",
                      "fields": [{"name": "id", "type": "long"}, {"name": "name", "type": "string"},
                                 {"name": "email", "type": ["null", "string"], "default": None}]})
# v3 adds a field without a default: not BACKWARD compatible.
USER_V3 = json.dumps({"type": "record", "name": "User", "namespace": "compat",
                      "fields": [{"name": "id", "type": "long"}, {"name": "name", "type": "string"},
                                 {"name": "age", "type": "int"}]})


def registry():
    return SchemaRegistryClient({"url": REGISTRY})


def create_topic(name, config=None):
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    for f in admin.create_topics([NewTopic(name, 1, 1, config=config or {})]).values():
        f.result(15)


def produce(topic, values, refused=False):
    """Produces values; with refused, expects every record to fail and
    returns the errors."""
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "acks": "all"})
    errors = []
    for key, value in values:
        producer.produce(topic, key=key, value=value, on_delivery=lambda err, msg: err and errors.append(err))
    expect(producer.flush(15) == 0, "records not delivered within 15 s")
    if refused:
        expect(len(errors) == len(values), f"{len(values) - len(errors)} records delivered, want all refused")
        return errors
    expect(not errors, f"delivery errors: {errors}")


def consume(topic, n):
    consumer = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": topic + "-g", "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    consumer.subscribe([topic])
    out = []
    try:
        for _ in range(200):
            if len(out) >= n:
                break
            msg = consumer.poll(0.2)
            if msg is None:
                continue
            expect(msg.error() is None, f"consume error: {msg.error()}")
            out.append(msg)
    finally:
        consumer.close()
    expect(len(out) == n, f"read {len(out)} records, want {n}")
    return out


def check_serde_round_trip():
    """AvroSerializer registers the schema under <topic>-value, writes
    Confluent's wire format, and AvroDeserializer reads the values back."""
    topic = runner.topic("users")
    create_topic(topic)
    client = registry()
    ser = AvroSerializer(client, USER_V1)
    ctx = SerializationContext(topic, MessageField.VALUE)
    users = [{"id": i, "name": f"user-{i}"} for i in range(10)]
    produce(topic, [(str(u["id"]).encode(), ser(u, ctx)) for u in users])
    latest = client.get_latest_version(topic + "-value")
    expect(latest.version == 1, f"latest version {latest.version}")
    msgs = consume(topic, len(users))
    de = AvroDeserializer(client)
    got = []
    for m in msgs:
        raw = m.value()
        expect(raw[0] == 0, f"magic byte {raw[0]}")
        expect(struct.unpack(">I", raw[1:5])[0] == latest.schema_id, "schema id in the record is not the registered one")
        got.append(de(raw, ctx))
    expect(got == users, f"read {got}")


def check_evolution():
    """A compatible new version gets a new id and both versions' records
    decode; an incompatible one is refused with error code 409."""
    topic = runner.topic("evolve")
    subject = topic + "-value"
    create_topic(topic)
    client = registry()
    ctx = SerializationContext(topic, MessageField.VALUE)
    v1 = AvroSerializer(client, USER_V1)({"id": 1, "name": "a"}, ctx)
    v2 = AvroSerializer(client, USER_V2)({"id": 2, "name": "b", "email": "b@x"}, ctx)
    expect(client.get_versions(subject) == [1, 2], f"versions {client.get_versions(subject)}")
    expect(v1[1:5] != v2[1:5], "both versions have one id")
    produce(topic, [(b"1", v1), (b"2", v2)])
    de = AvroDeserializer(client)
    got = [de(m.value(), ctx) for m in consume(topic, 2)]
    expect(got == [{"id": 1, "name": "a"}, {"id": 2, "name": "b", "email": "b@x"}], f"read {got}")
    expect(not client.test_compatibility(subject, Schema(USER_V3, "AVRO")), "v3 reported compatible")
    try:
        client.register_schema(subject, Schema(USER_V3, "AVRO"))
        raise AssertionError("incompatible schema registered")
    except SchemaRegistryError as e:
        expect(e.http_status_code == 409 and e.error_code == 409, f"got {e.http_status_code} {e.error_code}")
    client.set_compatibility(subject, "NONE")
    expect(client.get_compatibility(subject) == "NONE", "compatibility not NONE")
    client.register_schema(subject, Schema(USER_V3, "AVRO"))
    expect(client.get_versions(subject) == [1, 2, 3], f"versions {client.get_versions(subject)}")


def check_client_api():
    """The client's lookups, ids, deletes and error codes."""
    client = registry()
    subject = runner.topic("api")
    sid = client.register_schema(subject, Schema(USER_V1, "AVRO"))
    again = registry().register_schema(subject, Schema(USER_V1, "AVRO"))
    expect(sid == again, f"re-registration gave id {again}, want {sid}")
    other = registry().register_schema(subject + "-other", Schema(USER_V1, "AVRO"))
    expect(other == sid, "the same schema in another subject has another id")
    found = client.lookup_schema(subject, Schema(USER_V1, "AVRO"))
    expect(found.schema_id == sid and found.version == 1 and found.subject == subject, f"lookup {found}")
    s = registry().get_schema(sid)
    expect(json.loads(s.schema_str) == json.loads(USER_V1), f"schema {s.schema_str}")
    expect(subject in client.get_subjects(), "subject not listed")
    expect(client.get_version(subject, 1).schema_id == sid, "version 1")
    try:
        client.get_latest_version(subject + "-missing")
        raise AssertionError("missing subject found")
    except SchemaRegistryError as e:
        expect(e.http_status_code == 404 and e.error_code == 40401, f"got {e.http_status_code} {e.error_code}")
    expect(client.delete_subject(subject) == [1], "soft delete")
    expect(subject not in client.get_subjects(), "soft-deleted subject still listed")
    expect(client.delete_subject(subject, permanent=True) == [1], "hard delete")
    try:
        registry().get_version(subject, 1)
        raise AssertionError("deleted version found")
    except SchemaRegistryError as e:
        expect(e.error_code == 40401, f"got {e.error_code}")


def check_references():
    """A schema that names a type of another subject through references
    registers, and the client reads the references back."""
    client = registry()
    base = runner.topic("refs")
    address = json.dumps({"type": "record", "name": "Address", "namespace": "compat",
                          "fields": [{"name": "city", "type": "string"}]})
    person = json.dumps({"type": "record", "name": "Person", "namespace": "compat",
                         "fields": [{"name": "home", "type": "compat.Address"}]})
    client.register_schema(base + "-address", Schema(address, "AVRO"))
    refs = [SchemaReference("compat.Address", base + "-address", 1)]
    pid = client.register_schema(base + "-person", Schema(person, "AVRO", refs))
    got = registry().get_schema(pid)
    expect([(r.name, r.subject, r.version) for r in got.references] == [("compat.Address", base + "-address", 1)],
           f"references {got.references}")


def check_references_by_format():
    """JSON Schema ($ref to the reference name) and Protobuf (import of the
    reference name) schemas given as text with references: registered,
    looked up and checked for compatibility with their references, the
    referencing ids listed; a referenced type changed incompatibly is
    refused through the reference."""
    client = registry()
    cases = [
        ("JSON", "address.json",
         json.dumps({"type": "object", "properties": {"city": {"type": "string"}}}),
         json.dumps({"type": "object", "properties": {"city": {"type": "integer"}}}),
         json.dumps({"type": "object", "properties": {"home": {"$ref": "address.json"}}})),
        ("PROTOBUF", "compat/address.proto",
         'syntax = "proto3";\npackage compat;\nmessage Address {\n  string city = 1;\n}\n',
         'syntax = "proto3";\npackage compat;\nmessage Address {\n  int64 city = 1;\n}\n',
         'syntax = "proto3";\npackage compat;\nimport "compat/address.proto";\nmessage Person {\n  Address home = 1;\n}\n'),
    ]
    for typ, name, base, base_v2, main in cases:
        subject = runner.topic("refs-" + typ.lower())
        client.set_compatibility(subject + "-address", "NONE")
        client.register_schema(subject + "-address", Schema(base, typ))
        client.register_schema(subject + "-address", Schema(base_v2, typ))
        refs = [SchemaReference(name, subject + "-address", 1)]
        try:
            client.register_schema(subject, Schema(main, typ))
            raise CheckFailed(f"{typ}: a schema whose reference is not given registered")
        except SchemaRegistryError as e:
            expect(e.error_code == 42201, f"{typ}: without references: {e}")
        sid = client.register_schema(subject, Schema(main, typ, refs))
        found = registry().lookup_schema(subject, Schema(main, typ, refs))
        expect(found.schema_id == sid and found.version == 1, f"{typ}: lookup {found.schema_id} v{found.version}, want {sid} v1")
        expect([(r.name, r.subject, r.version) for r in found.schema.references] == [(name, subject + "-address", 1)],
               f"{typ}: references looked up {found.schema.references}")
        expect(client.get_referenced_by(subject + "-address", 1) == [sid],
               f"{typ}: referenced by {client.get_referenced_by(subject + '-address', 1)}")
        expect(client.test_compatibility(subject, Schema(main, typ, refs)), f"{typ}: the same schema is not compatible")
        changed = [SchemaReference(name, subject + "-address", 2)]
        expect(not client.test_compatibility(subject, Schema(main, typ, changed)),
               f"{typ}: a changed referenced type is compatible")


def check_avro_references_serde():
    """AvroSerializer takes the subject's latest version, a schema with a
    reference, and AvroDeserializer with a client that cached nothing
    resolves the reference from the schema id."""
    client = registry()
    topic = runner.topic("refs-serde")
    address = json.dumps({"type": "record", "name": "Address", "namespace": "compat",
                          "fields": [{"name": "city", "type": "string"}]})
    person = json.dumps({"type": "record", "name": "Person", "namespace": "compat",
                         "fields": [{"name": "name", "type": "string"}, {"name": "home", "type": "compat.Address"}]})
    client.register_schema(topic + "-address", Schema(address, "AVRO"))
    sid = client.register_schema(topic + "-value", Schema(person, "AVRO", [SchemaReference("compat.Address", topic + "-address", 1)]))
    ser = AvroSerializer(client, None, conf={"auto.register.schemas": False, "use.latest.version": True})
    value = {"name": "grace", "home": {"city": "Arlington"}}
    ctx = SerializationContext(topic, MessageField.VALUE)
    data = ser(value, ctx)
    expect(data[0] == 0 and struct.unpack(">I", data[1:5])[0] == sid, f"wire prefix {data[:5].hex()}, want id {sid}")
    got = AvroDeserializer(registry())(data, ctx)
    expect(got == value, f"deserialized {got}, want {value}")


ORDER = json.dumps({"$schema": "http://json-schema.org/draft-07/schema#", "title": "Order", "type": "object",
                    "properties": {"id": {"type": "integer"}, "item": {"type": "string"}},
                    "required": ["id", "item"], "additionalProperties": False})
VALIDATED = {"confluent.value.schema.validation": "true"}


def check_json_serde_validated():
    """JSONSerializer registers a JSON Schema under <topic>-value and
    produces to a topic with broker-side value validation, which takes its
    records; JSONDeserializer reads them back."""
    topic = runner.topic("orders")
    create_topic(topic, VALIDATED)
    client = registry()
    ctx = SerializationContext(topic, MessageField.VALUE)
    ser = JSONSerializer(ORDER, client)
    orders = [{"id": i, "item": f"item-{i}"} for i in range(5)]
    produce(topic, [(None, ser(o, ctx)) for o in orders])
    latest = client.get_latest_version(topic + "-value")
    expect(latest.schema.schema_type == "JSON", f"schema type {latest.schema.schema_type}")
    de = JSONDeserializer(ORDER, schema_registry_client=client)
    got = []
    for m in consume(topic, len(orders)):
        expect(struct.unpack(">I", m.value()[1:5])[0] == latest.schema_id, "schema id in the record is not the registered one")
        got.append(de(m.value(), ctx))
    expect(got == orders, f"read {got}")


def check_validation_refuses():
    """A topic with broker-side value validation refuses, with
    INVALID_RECORD, a record without a schema id, one with an unknown id
    and one with the id of another topic's subject; a topic without
    validation takes the same bytes."""
    topic = runner.topic("checked")
    create_topic(topic, VALIDATED)
    client = registry()
    other = runner.topic("elsewhere")
    other_id = client.register_schema(other + "-value", Schema(ORDER, "JSON"))
    bad = [(None, b'{"id": 1, "item": "no schema id"}'),
           (None, b"\0" + struct.pack(">I", 987654) + b"{}"),
           (None, b"\0" + struct.pack(">I", other_id) + b'{"id": 1, "item": "x"}')]
    for value in bad:
        errors = produce(topic, [value], refused=True)
        expect(errors[0].code() == KafkaError.INVALID_RECORD, f"{value[1][:8]!r}: got {errors[0]}, want INVALID_RECORD")
    plain = runner.topic("unchecked")
    create_topic(plain)
    produce(plain, bad)
    good = JSONSerializer(ORDER, client)({"id": 1, "item": "x"}, SerializationContext(topic, MessageField.VALUE))
    produce(topic, [(None, good)])


def check_json_record_name_strategy():
    """JSONSerializer with the TopicRecordNameStrategy registers the
    schema under <topic>-<title> and produces to a topic validated with
    TopicRecordNameStrategy, which takes its records (a JSON schema's
    record name is its title); the same record is refused on another such
    topic, whose <topic>-<title> subject does not hold the schema."""
    strategy = {"confluent.value.schema.validation": "true",
                "confluent.value.subject.name.strategy": "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy"}
    topic, other = runner.topic("titled"), runner.topic("titled-other")
    create_topic(topic, strategy)
    create_topic(other, strategy)
    client = registry()
    ctx = SerializationContext(topic, MessageField.VALUE)
    ser = JSONSerializer(ORDER, client, conf={"subject.name.strategy": topic_record_subject_name_strategy})
    value = ser({"id": 1, "item": "titled"}, ctx)
    latest = client.get_latest_version(topic + "-Order")
    expect(struct.unpack(">I", value[1:5])[0] == latest.schema_id, "the record's schema id is not the one under <topic>-Order")
    produce(topic, [(None, value)])
    errors = produce(other, [(None, value)], refused=True)
    expect(errors[0].code() == KafkaError.INVALID_RECORD, f"got {errors[0]}, want INVALID_RECORD")


def start_gregor(*overrides):
    """Starts a gregor server of its own (COMPAT_GREGOR) with overrides and
    returns the process, its data dir and its start-up log text."""
    data = tempfile.mkdtemp(prefix="gregor-auth-")
    args = [os.environ["COMPAT_GREGOR"], "server", "--override", "listeners=PLAINTEXT://127.0.0.1:0",
            "--override", "http.listeners=", "--override", "rest.proxy.listeners=",
            "--override", f"log.dirs={data}/data"]
    for o in overrides:
        args += ["--override", o]
    logf = open(os.path.join(data, "server.log"), "w+")
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=logf)
    for _ in range(200):
        logf.seek(0)
        text = logf.read()
        if re.search(r"schema\.registry\.listeners=https?://", text) or proc.poll() is not None:
            return proc, data, text
        time.sleep(0.1)
    return proc, data, text


def check_basic_auth():
    """A gregor server whose registry takes HTTP basic authentication
    (schema.registry.authentication.*): SchemaRegistryClient without
    credentials and with wrong ones gets 401 (error_code 401), a user
    without the role 403, a user with it registers and reads schemas."""
    if not os.environ.get("COMPAT_GREGOR"):
        raise CheckFailed("COMPAT_GREGOR (the gregor binary) is not set")
    users = tempfile.NamedTemporaryFile("w", suffix=".properties", delete=False)
    users.write("alice: secret,admin\nbob: pw,user\n")
    users.close()
    proc, data, text = start_gregor("schema.registry.listeners=http://127.0.0.1:0",
                                    "schema.registry.authentication.method=BASIC",
                                    f"schema.registry.authentication.users.file={users.name}",
                                    "schema.registry.authentication.roles=admin")
    try:
        m = re.search(r"schema\.registry\.listeners=(http://[0-9.]+:[0-9]+)", text)
        expect(m is not None, f"the server did not start: {text[-300:]}")
        url = m.group(1)

        def status_of(conf):
            try:
                SchemaRegistryClient({"url": url, **conf}).get_subjects()
            except SchemaRegistryError as e:
                return e.http_status_code, e.error_code
            return 200, None

        expect(status_of({}) == (401, 401), f"without credentials: {status_of({})}")
        wrong = {"basic.auth.user.info": "alice:nope"}
        expect(status_of(wrong) == (401, 401), f"wrong password: {status_of(wrong)}")
        bob = {"basic.auth.user.info": "bob:pw"}
        expect(status_of(bob) == (403, 403), f"user without the role: {status_of(bob)}")
        alice = SchemaRegistryClient({"url": url, "basic.auth.user.info": "alice:secret"})
        sid = alice.register_schema("secured-value", Schema(USER_V1, "AVRO"))
        expect(alice.get_subjects() == ["secured-value"], f"subjects {alice.get_subjects()}")
        expect(alice.get_schema(sid).schema_str is not None, "schema by id")
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data, ignore_errors=True)
        os.unlink(users.name)


def openssl(*args, stdin=None):
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, check=True).stdout


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_pki(d):
    """Writes a CA, a server key store for 127.0.0.1 and a client
    certificate, in PEM, into d, with the openssl command."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.pem", "-subj", "/CN=compat-ca", "-days", "2")
    with open(f"{d}/san.ext", "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    for name, ext in (("server", ["-extfile", f"{d}/san.ext"]), ("client", [])):
        openssl("req", *ec, "-keyout", f"{d}/{name}.key", "-out", f"{d}/{name}.csr", "-subj", f"/CN={name}")
        openssl("x509", "-req", "-in", f"{d}/{name}.csr", "-CA", f"{d}/ca.pem", "-CAkey", f"{d}/ca.key",
                "-CAcreateserial", "-out", f"{d}/{name}.pem", "-days", "2", *ext)
    with open(f"{d}/keystore.pem", "w") as out:
        for part in ("server.key", "server.pem"):
            out.write(open(f"{d}/{part}").read())


class Issuer:
    """An RS256 token issuer: its JWKS file and tokens signed with openssl."""

    def __init__(self, d):
        self.key = f"{d}/jwt.key"
        openssl("genrsa", "-out", self.key, "2048")
        modulus = openssl("rsa", "-in", self.key, "-noout", "-modulus").decode().strip().split("=", 1)[1]
        jwks = {"keys": [{"kty": "RSA", "kid": "compat", "use": "sig", "alg": "RS256",
                          "n": b64url(bytes.fromhex(modulus)), "e": "AQAB"}]}
        self.jwks = f"{d}/jwks.json"
        with open(self.jwks, "w") as f:
            json.dump(jwks, f)

    def token(self, sub, groups, exp_in=3600):
        now = int(time.time())
        header = b64url(json.dumps({"alg": "RS256", "kid": "compat", "typ": "JWT"}).encode())
        claims = b64url(json.dumps({"sub": sub, "iss": "https://idp.compat", "iat": now, "exp": now + exp_in,
                                    "groups": groups}).encode())
        signed = f"{header}.{claims}".encode()
        return f"{header}.{claims}.{b64url(openssl('dgst', '-sha256', '-sign', self.key, stdin=signed))}"


def check_https_bearer():
    """A gregor server whose registry listens on https:// with a PEM key
    store, requires client certificates (ssl.client.authentication) and
    authenticates bearer tokens against a JWKS: SchemaRegistryClient over
    https without a client certificate cannot connect; with one but no
    token it gets 401 (40101), with an expired token 401 (40101), with a
    holder outside the roles 403 (40301); with a valid token it registers
    and reads schemas, and its AvroSerializer and AvroDeserializer round
    trip a record through the https registry."""
    if not os.environ.get("COMPAT_GREGOR"):
        raise CheckFailed("COMPAT_GREGOR (the gregor binary) is not set")
    d = tempfile.mkdtemp(prefix="gregor-tls-")
    make_pki(d)
    idp = Issuer(d)
    proc, data, text = start_gregor("schema.registry.listeners=https://127.0.0.1:0",
                                    f"schema.registry.ssl.keystore.location={d}/keystore.pem",
                                    "schema.registry.ssl.keystore.type=PEM",
                                    f"schema.registry.ssl.truststore.location={d}/ca.pem",
                                    "schema.registry.ssl.client.authentication=REQUIRED",
                                    "schema.registry.authentication.method=BEARER",
                                    "schema.registry.authentication.roles=registry-admins",
                                    f"schema.registry.oauthbearer.jwks.endpoint.url=file://{idp.jwks}",
                                    "schema.registry.oauthbearer.expected.issuer=https://idp.compat")
    try:
        m = re.search(r"schema\.registry\.listeners=(https://[0-9.]+:[0-9]+)", text)
        expect(m is not None, f"the server did not start with an https registry: {text[-300:]}")
        url = m.group(1)
        tls = {"url": url, "ssl.ca.location": f"{d}/ca.pem"}
        mtls = {**tls, "ssl.certificate.location": f"{d}/client.pem", "ssl.key.location": f"{d}/client.key"}

        def bearer(token):
            return {"bearer.auth.credentials.source": "STATIC_TOKEN", "bearer.auth.token": token,
                    "bearer.auth.logical.cluster": "gregor"}

        def status_of(conf):
            try:
                SchemaRegistryClient(conf).get_subjects()
            except SchemaRegistryError as e:
                return e.http_status_code, e.error_code
            return 200, None

        good = idp.token("alice", ["devs", "registry-admins"])
        try:
            SchemaRegistryClient({**tls, **bearer(good)}).get_subjects()
            raise CheckFailed("served a client without a certificate")
        except SchemaRegistryError as e:
            raise CheckFailed(f"a client without a certificate got an HTTP answer: {e}")
        except CheckFailed:
            raise
        except Exception as e:  # the TLS handshake fails
            log(f"without a client certificate: {type(e).__name__}")
        expect(status_of(mtls) == (401, 40101), f"without a token: {status_of(mtls)}")
        expired = {**mtls, **bearer(idp.token("alice", ["registry-admins"], exp_in=-3600))}
        expect(status_of(expired) == (401, 40101), f"expired token: {status_of(expired)}")
        outsider = {**mtls, **bearer(idp.token("bob", ["devs"]))}
        expect(status_of(outsider) == (403, 40301), f"holder outside the roles: {status_of(outsider)}")

        alice = SchemaRegistryClient({**mtls, **bearer(good)})
        sid = alice.register_schema("tls-value", Schema(USER_V1, "AVRO"))
        expect(alice.get_subjects() == ["tls-value"], f"subjects {alice.get_subjects()}")
        expect(alice.get_schema(sid).schema_str is not None, "schema by id")
        ctx = SerializationContext("tls", MessageField.VALUE)
        value = AvroSerializer(alice, USER_V2)({"id": 7, "name": "ann", "email": None}, ctx)
        expect(value[0] == 0 and struct.unpack(">I", value[1:5])[0] != sid, "the v2 schema was not registered")
        back = AvroDeserializer(alice)(value, ctx)
        expect(back == {"id": 7, "name": "ann", "email": None}, f"round trip gave {back}")
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(d, ignore_errors=True)


def main(phase):
    if phase == "matrix":
        return
    if phase != "checks":
        sys.exit(f"usage: {sys.argv[0]} checks|matrix")
    log(f"registry {REGISTRY}, bootstrap {BOOTSTRAP}")
    runner.check("avro-serde-round-trip", check_serde_round_trip, timeout=60)
    runner.check("avro-evolution", check_evolution, timeout=60)
    runner.check("client-api", check_client_api)
    runner.check("avro-references", check_references)
    runner.check("avro-references-serde", check_avro_references_serde)
    runner.check("references-json-protobuf", check_references_by_format)
    runner.check("json-serde-validated-topic", check_json_serde_validated, timeout=60)
    runner.check("validation-refuses-records", check_validation_refuses, timeout=90)
    runner.check("json-record-name-strategy", check_json_record_name_strategy, timeout=60)
    runner.check("basic-auth", check_basic_auth, timeout=90)
    runner.check("https-bearer", check_https_bearer, timeout=90)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
