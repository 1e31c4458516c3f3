"""kafka-python runner (Debian's python3-kafka). Usage: kafka_python_runner.py checks|matrix."""

import logging
import sys
import time

import kafka.codec
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import TopicAlreadyExistsError

from compatlib import (
    BOOTSTRAP,
    CODECS,
    CheckFailed,
    Runner,
    check_keyed_read,
    check_matrix_read,
    expect,
    keyed_records,
    manifest_add,
    manifest_entries,
    matrix_records,
    matrix_topic,
    wait_until,
)

CLIENT = "kafka-python"
r = Runner(CLIENT)

# The Python module each codec needs; Debian's python3-kafka depends on none.
CODEC_MODULES = {
    "gzip": (lambda: True, "gzip (standard library)"),
    "snappy": (kafka.codec.has_snappy, "python3-snappy"),
    "lz4": (kafka.codec.has_lz4, "python3-lz4"),
    "zstd": (kafka.codec.has_zstd, "python3-zstandard"),
}


def require_codec(codec):
    available, package = CODEC_MODULES[codec]
    if not available():
        raise CheckFailed(f"kafka-python cannot use {codec}: {package} is not installed "
                          "(Debian's python3-kafka does not depend on it)")


def admin():
    return KafkaAdminClient(bootstrap_servers=[BOOTSTRAP], client_id="compat-kafka-python")


def create_topic(name, partitions, configs=None):
    a = admin()
    try:
        resp = a.create_topics([NewTopic(name, partitions, 1, topic_configs=configs or {})])
        for topic, code, *_ in resp.topic_errors:
            expect(code == 0, f"create {topic}: error code {code}")
    finally:
        a.close()


def read_partitions(topic, partitions, want, timeout=15):
    """Reads from the start of the given partitions by assignment (no group)
    until want records arrived: (partition, offset, key, value, headers)."""
    c = KafkaConsumer(bootstrap_servers=[BOOTSTRAP], enable_auto_commit=False, group_id=None)
    try:
        c.assign([TopicPartition(topic, p) for p in partitions])
        c.seek_to_beginning()
        got, deadline = [], time.time() + timeout
        while len(got) < want and time.time() < deadline:
            for tp, records in c.poll(timeout_ms=500).items():
                got += [(m.partition, m.offset, m.key, m.value, m.headers) for m in records]
        # A short extra poll catches records beyond the expected count.
        if len(got) >= want:
            for tp, records in c.poll(timeout_ms=300).items():
                got += [(m.partition, m.offset, m.key, m.value, m.headers) for m in records]
        return got
    finally:
        c.close()


# --- checks -------------------------------------------------------------------


def check_tutorial_produce():
    """The tutorial's producer, on a topic that does not exist yet (auto-created)."""
    topic = r.topic("tutorial")
    producer = KafkaProducer(bootstrap_servers=[BOOTSTRAP])
    future = producer.send(topic, b"Hello, Kafka!")
    producer.flush()
    meta = future.get(timeout=10)
    producer.close()
    expect((meta.partition, meta.offset) == (0, 0), f"delivered at {meta.partition}/{meta.offset}, want 0/0")
    got = read_partitions(topic, [0], 1)
    expect([(g[1], g[3]) for g in got] == [(0, b"Hello, Kafka!")], f"read back {got!r}")


def check_tutorial_consume_group():
    """The tutorial's consumer: group 'my-group', earliest, iterating."""
    topic = r.topic("tutorial-group")
    create_topic(topic, 1)
    producer = KafkaProducer(bootstrap_servers=[BOOTSTRAP])
    producer.send(topic, b"Hello, Kafka!")
    producer.flush()
    producer.close()
    consumer = KafkaConsumer(topic, group_id="my-group", bootstrap_servers=[BOOTSTRAP],
                             auto_offset_reset="earliest", consumer_timeout_ms=10000)
    try:
        got = [message.value for message in consumer]
        expect(got == [b"Hello, Kafka!"], f"iterated {got!r}")
        committed = consumer.committed(TopicPartition(topic, 0))
        expect(committed == 1, f"committed offset {committed}, want 1")
    finally:
        consumer.close()


def check_keyed():
    topic = r.topic("keyed")
    create_topic(topic, 3)
    producer = KafkaProducer(bootstrap_servers=[BOOTSTRAP], acks="all")
    futures = [producer.send(topic, key=k, value=v, headers=h) for k, v, h in keyed_records(CLIENT)]
    producer.flush()
    for f in futures:
        f.get(timeout=10)
    producer.close()
    check_keyed_read(read_partitions(topic, [0, 1, 2], len(futures)), CLIENT)


def check_offsets():
    """beginning/end offsets, seek to an offset, and offsets by timestamp."""
    topic = r.topic("offsets")
    create_topic(topic, 1)
    producer = KafkaProducer(bootstrap_servers=[BOOTSTRAP])
    base = int(time.time() * 1000) - 10000
    for i in range(10):
        producer.send(topic, value=b"v%d" % i, partition=0, timestamp_ms=base + i * 1000)
    producer.flush()
    producer.close()
    tp = TopicPartition(topic, 0)
    c = KafkaConsumer(bootstrap_servers=[BOOTSTRAP], enable_auto_commit=False, group_id=None)
    try:
        expect(c.beginning_offsets([tp]) == {tp: 0}, f"beginning {c.beginning_offsets([tp])}")
        expect(c.end_offsets([tp]) == {tp: 10}, f"end {c.end_offsets([tp])}")
        found = c.offsets_for_times({tp: base + 4500})[tp]
        expect(found is not None and found.offset == 5, f"offsets_for_times: {found}, want offset 5")
        c.assign([tp])
        c.seek(tp, 7)
        got, deadline = [], time.time() + 10
        while len(got) < 3 and time.time() < deadline:
            for _, records in c.poll(timeout_ms=500).items():
                got += [(m.offset, m.value) for m in records]
        expect(got == [(7, b"v7"), (8, b"v8"), (9, b"v9")], f"after seek(7): {got!r}")
    finally:
        c.close()


def check_admin():
    """create_topics (with a config), list_topics, describe_configs, delete_topics."""
    names = [r.topic("admin-a"), r.topic("admin-b")]
    a = admin()
    try:
        resp = a.create_topics([NewTopic(names[0], 2, 1),
                                NewTopic(names[1], 4, 1, topic_configs={"retention.ms": "3600000"})])
        for topic, code, *_ in resp.topic_errors:
            expect(code == 0, f"create {topic}: error code {code}")
        wait_until(lambda: set(names) <= set(a.list_topics()), 10, "list_topics to show the new topics")
        try:
            a.create_topics([NewTopic(names[0], 2, 1)])
            raise CheckFailed(f"creating {names[0]} twice succeeded")
        except TopicAlreadyExistsError:
            pass
        configs = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, names[1])])
        entries = {e[0]: e[1] for e in configs[0].resources[0][4]}
        expect(entries.get("retention.ms") == "3600000", f"retention.ms = {entries.get('retention.ms')!r}")
        c = KafkaConsumer(bootstrap_servers=[BOOTSTRAP], group_id=None)
        expect(c.partitions_for_topic(names[1]) == {0, 1, 2, 3}, f"partitions {c.partitions_for_topic(names[1])}")
        c.close()
        resp = a.delete_topics(names)
        for topic, code in resp.topic_error_codes:
            expect(code == 0, f"delete {topic}: error code {code}")
        wait_until(lambda: not set(names) & set(a.list_topics()), 10, "list_topics to drop the deleted topics")
    finally:
        a.close()


def check_codec(codec):
    require_codec(codec)
    topic = matrix_topic(CLIENT, codec)
    create_topic(topic, 1)
    producer = KafkaProducer(bootstrap_servers=[BOOTSTRAP], compression_type=codec, linger_ms=50, acks="all")
    futures = [producer.send(topic, key=k, value=v, headers=h, partition=0)
               for k, v, h in matrix_records(CLIENT, codec)]
    producer.flush()
    for f in futures:
        f.get(timeout=10)
    producer.close()
    got = read_partitions(topic, [0], len(futures))
    check_matrix_read([g[1:] for g in got], CLIENT, codec)
    manifest_add(CLIENT, codec)


def check_matrix_topic(topic, producer, codec):
    require_codec(codec)
    got = read_partitions(topic, [0], 20)
    check_matrix_read([g[1:] for g in got], producer, codec)


def main(phase):
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if phase == "checks":
        r.check("tutorial-produce", check_tutorial_produce)
        r.check("tutorial-consume-group", check_tutorial_consume_group, timeout=20)
        r.check("keyed-produce-consume", check_keyed)
        r.check("offsets", check_offsets)
        r.check("admin-create-list-delete", check_admin)
        for codec in CODECS:
            r.check(f"codec-{codec}", lambda codec=codec: check_codec(codec))
    elif phase == "matrix":
        for topic, producer, codec in manifest_entries():
            if producer != CLIENT:
                r.check(f"matrix-{producer}-{codec}", lambda t=topic, p=producer, c=codec: check_matrix_topic(t, p, c))
    else:
        sys.exit(f"usage: {sys.argv[0]} checks|matrix")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
