"""confluent-kafka-python runner (Debian's python3-confluent-kafka, on
librdkafka). Usage: confluent_runner.py checks|matrix."""

import logging
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from compatlib import (
    BOOTSTRAP,
    CODECS,
    CheckFailed,
    Runner,
    check_keyed_read,
    check_matrix_read,
    expect,
    keyed_records,
    log,
    manifest_add,
    manifest_entries,
    matrix_records,
    matrix_topic,
    wait_until,
)

CLIENT = "confluent-kafka-python"
r = Runner(CLIENT)


def config(**extra):
    c = {"bootstrap.servers": BOOTSTRAP, "client.id": "compat-confluent", "error_cb": log}
    c.update({k if k == "logger" else k.replace("_", "."): v for k, v in extra.items()})
    return c


def admin():
    return AdminClient(config())


def create_topic(name, partitions, configs=None):
    a = admin()  # the futures need their client alive
    futures = a.create_topics([NewTopic(name, partitions, 1, config=configs or {})], operation_timeout=10)
    futures[name].result(timeout=15)


def produce_all(producer, topic, records, partition=None):
    """Produces (key, value, headers) and waits for every delivery report:
    returns [(partition, offset)] in produce order."""
    reports = [None] * len(records)

    def on_delivery(index):
        def report(err, msg):
            reports[index] = err or (msg.partition(), msg.offset())
        return report

    for i, (key, value, headers) in enumerate(records):
        kwargs = {} if partition is None else {"partition": partition}
        producer.produce(topic, key=key, value=value, headers=headers, on_delivery=on_delivery(i), **kwargs)
        producer.poll(0)
    left = producer.flush(15)
    expect(left == 0, f"{left} messages not delivered after 15s")
    for i, report in enumerate(reports):
        expect(isinstance(report, tuple), f"record {i}: delivery report {report}")
    return reports


def read_assigned(topic, partitions, want, timeout=15):
    """Reads from the start of partitions by assignment: (partition, offset,
    key, value, headers). librdkafka needs a group.id to make a consumer; with
    assign() and no commits the group is never joined."""
    c = Consumer(config(group_id=f"{topic}-reader", enable_auto_commit=False, enable_partition_eof=False))
    try:
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        got, deadline = [], time.time() + timeout
        while time.time() < deadline and len(got) < want:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                raise CheckFailed(f"consume: {m.error()}")
            got.append((m.partition(), m.offset(), m.key(), m.value(), m.headers()))
        m = c.poll(0.3)  # anything past the expected count is a failure
        if m is not None and not m.error():
            got.append((m.partition(), m.offset(), m.key(), m.value(), m.headers()))
        return got
    finally:
        c.close()


def check_delivered_offsets(reports):
    next_offset = {}
    for partition, offset in reports:
        expect(offset == next_offset.get(partition, 0),
               f"delivery report: partition {partition} offset {offset}, want {next_offset.get(partition, 0)}")
        next_offset[partition] = offset + 1


# --- checks -------------------------------------------------------------------


def check_produce_acks_all():
    """Keyed records with headers, acks=all: every delivery report carries the
    next offset of its partition; the watermarks and a read back agree."""
    topic = r.topic("acks-all")
    create_topic(topic, 3)
    p = Producer(config(acks="all", linger_ms=5))
    records = keyed_records(CLIENT)
    reports = produce_all(p, topic, records)
    check_delivered_offsets(reports)
    c = Consumer(config(group_id=f"{topic}-watermarks"))
    total = sum(c.get_watermark_offsets(TopicPartition(topic, part), timeout=5)[1] for part in range(3))
    c.close()
    expect(total == len(records), f"high watermarks add up to {total}, want {len(records)}")
    check_keyed_read(read_assigned(topic, [0, 1, 2], len(records)), CLIENT)


def check_idempotent():
    """enable.idempotence: records arrive once each, in order, at offsets 0..n-1."""
    topic = r.topic("idempotent")
    create_topic(topic, 1)
    p = Producer(config(enable_idempotence=True, linger_ms=2, batch_num_messages=7))
    records = [(b"k%d" % i, b"idem-%d" % i, None) for i in range(100)]
    reports = produce_all(p, topic, records, partition=0)
    expect([o for _, o in reports] == list(range(100)), f"delivered offsets {[o for _, o in reports][:10]}...")
    got = read_assigned(topic, [0], 100)
    expect([(g[1], g[3]) for g in got] == [(i, b"idem-%d" % i) for i in range(100)],
           f"read back {len(got)} records: {[(g[1], g[3]) for g in got[:5]]}...")


def check_group_commit():
    """Group consumer with manual commits: commit() then committed() returns it,
    and a new member of the group resumes from there."""
    topic = r.topic("group")
    group = r.topic("group")
    create_topic(topic, 2)
    p = Producer(config())
    produce_all(p, topic, [(None, b"g%d" % i, None) for i in range(10)], partition=0)
    c = Consumer(config(group_id=group, enable_auto_commit=False, auto_offset_reset="earliest"))
    try:
        c.subscribe([topic])
        got = []
        deadline = time.time() + 20
        while len(got) < 10 and time.time() < deadline:
            m = c.poll(0.5)
            if m is not None and not m.error():
                got.append(m.value())
        expect(sorted(got) == sorted(b"g%d" % i for i in range(10)), f"consumed {got!r}")
        c.commit(offsets=[TopicPartition(topic, 0, 6)], asynchronous=False)
        committed = c.committed([TopicPartition(topic, 0), TopicPartition(topic, 1)], timeout=10)
        expect([(tp.partition, tp.offset) for tp in committed] == [(0, 6), (1, -1001)],
               f"committed {[(tp.partition, tp.offset) for tp in committed]}, want [(0, 6), (1, invalid)]")
    finally:
        c.close()
    c = Consumer(config(group_id=group, enable_auto_commit=False, auto_offset_reset="earliest"))
    try:
        c.subscribe([topic])
        got = []
        deadline = time.time() + 20
        while len(got) < 4 and time.time() < deadline:
            m = c.poll(0.5)
            if m is not None and not m.error():
                got.append((m.offset(), m.value()))
        expect(got == [(i, b"g%d" % i) for i in range(6, 10)], f"resumed at {got!r}, want offsets 6..9")
    finally:
        c.close()


def check_admin():
    """create_topics with a config, list_topics (describe), describe_configs, delete_topics."""
    topic = r.topic("admin")
    a = admin()
    futures = a.create_topics([NewTopic(topic, 3, 1, config={"retention.ms": "3600000"})], operation_timeout=10)
    futures[topic].result(timeout=15)
    futures = a.create_topics([NewTopic(topic, 3, 1)], operation_timeout=10)
    try:
        futures[topic].result(timeout=15)
        raise CheckFailed("creating the topic twice succeeded")
    except KafkaException as e:
        expect(e.args[0].name() == "TOPIC_ALREADY_EXISTS", f"creating twice: {e}")
    cluster = wait_until(lambda: (lambda c: c if topic in c.topics else None)(a.list_topics(topic, timeout=5)),
                         10, "the topic in metadata")
    expect(len(cluster.brokers) == 1, f"brokers {cluster.brokers}, want one")
    broker = next(iter(cluster.brokers))
    meta = cluster.topics[topic]
    expect(meta.error is None, f"metadata error {meta.error}")
    expect(sorted(meta.partitions) == [0, 1, 2], f"partitions {sorted(meta.partitions)}")
    for part in meta.partitions.values():
        expect(part.leader == broker and part.replicas == [broker] and part.isrs == [broker],
               f"partition {part.id}: leader {part.leader} replicas {part.replicas} isrs {part.isrs}, want broker {broker}")
    resource = ConfigResource("topic", topic)
    configs = a.describe_configs([resource])[resource].result(timeout=10)
    expect(configs["retention.ms"].value == "3600000", f"retention.ms = {configs['retention.ms'].value}")
    a.delete_topics([topic], operation_timeout=10)[topic].result(timeout=15)
    wait_until(lambda: topic not in a.list_topics(timeout=5).topics, 10, "the topic to leave metadata")


class LogCapture(logging.Handler):
    """Keeps librdkafka's log lines, which the producer hands over in poll()
    and flush()."""

    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def check_codec(codec):
    topic = matrix_topic(CLIENT, codec)
    create_topic(topic, 1)
    capture = LogCapture()
    logger = logging.getLogger(f"librdkafka-{codec}")
    logger.addHandler(capture)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    p = Producer(config(compression_type=codec, linger_ms=50, acks="all", logger=logger, debug="msg"))
    produce_all(p, topic, matrix_records(CLIENT, codec), partition=0)
    # librdkafka falls back to no compression when it thinks the broker cannot
    # take the codec: the records still arrive, uncompressed. It says so in a
    # notice at most once a day per process, and at debug level "msg" always.
    for line in capture.lines:
        expect("not compressing batch" not in line, f"librdkafka sent the batch uncompressed: {line}")
    check_matrix_read([g[1:] for g in read_assigned(topic, [0], 20)], CLIENT, codec)
    manifest_add(CLIENT, codec)


def check_transactions():
    """init / begin / produce / commit, then read_committed sees the records."""
    topic = r.topic("txn")
    create_topic(topic, 1)
    p = Producer(config(transactional_id=r.topic("txn-producer")))
    p.init_transactions(10)
    p.begin_transaction()
    for i in range(5):
        p.produce(topic, value=b"t%d" % i, partition=0)
    p.commit_transaction(10)
    c = Consumer(config(group_id=f"{topic}-reader", isolation_level="read_committed", enable_auto_commit=False))
    c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    got, deadline = [], time.time() + 10
    while len(got) < 5 and time.time() < deadline:
        m = c.poll(0.5)
        if m is not None and not m.error():
            got.append(m.value())
    c.close()
    expect(got == [b"t%d" % i for i in range(5)], f"read_committed read {got!r}")


def check_matrix_topic(topic, producer, codec):
    check_matrix_read([g[1:] for g in read_assigned(topic, [0], 20)], producer, codec)


def main(phase):
    if phase == "checks":
        r.check("produce-acks-all-delivery-reports", check_produce_acks_all)
        r.check("idempotent-producer", check_idempotent)
        r.check("group-manual-commit", check_group_commit, timeout=25)
        r.check("admin-create-describe-delete", check_admin)
        for codec in CODECS:
            r.check(f"codec-{codec}", lambda codec=codec: check_codec(codec))
        r.check("transactions", check_transactions, timeout=20)
    elif phase == "matrix":
        for topic, producer, codec in manifest_entries():
            if producer != CLIENT:
                r.check(f"matrix-{producer}-{codec}", lambda t=topic, p=producer, c=codec: check_matrix_topic(t, p, c))
    else:
        sys.exit(f"usage: {sys.argv[0]} checks|matrix")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
