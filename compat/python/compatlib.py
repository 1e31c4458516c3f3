"""Shared parts of the Python runners: result lines, time bounds, topic names,
the codec matrix records and the checks on what a consumer read back.

A runner is run as "runner.py checks" or "runner.py matrix" by compat/run with
COMPAT_BOOTSTRAP, COMPAT_PREFIX and COMPAT_MANIFEST in its environment.
"""

import os
import sys
import multiprocessing
import time
import traceback

BOOTSTRAP = os.environ.get("COMPAT_BOOTSTRAP", "127.0.0.1:9092")
PREFIX = os.environ.get("COMPAT_PREFIX", "compat")
MANIFEST = os.environ.get("COMPAT_MANIFEST", "")

CODECS = ["gzip", "snappy", "lz4", "zstd"]
MATRIX_RECORDS = 20
_MATRIX_PAD = "0123456789" * 10


class CheckFailed(Exception):
    """A check saw something other than what it expected."""


def expect(cond, message):
    if not cond:
        raise CheckFailed(message)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


class Runner:
    """Runs named checks and prints one result line per check on standard
    output. Each check runs in a child process that is killed when its time is
    up, so a client stuck in a retry loop cannot outlive its check."""

    def __init__(self, client):
        self.client = client

    def topic(self, name):
        """A topic name no other runner or check uses."""
        return f"{PREFIX}-{self.client}-{name}"

    def check(self, name, fn, timeout=30):
        log(f"-- {name}")
        ctx = multiprocessing.get_context("fork")
        reader, writer = ctx.Pipe(duplex=False)

        def run():
            try:
                fn()
                writer.send(None)
            except BaseException as e:  # any failure is the check's result
                log(traceback.format_exc())
                writer.send(f"{type(e).__name__}: {e}")

        child = ctx.Process(target=run, name=name, daemon=True)
        child.start()
        writer.close()
        if reader.poll(timeout):
            try:
                error = reader.recv()
            except EOFError:
                error = "the check's process died"
        else:
            error = f"timed out after {timeout}s"
        child.kill()
        child.join()
        if error is None:
            self._print("PASS", name)
        else:
            self._print("FAIL", name, error)

    def _print(self, kind, name, reason=None):
        line = f"{kind} {self.client} {name}"
        if reason is not None:
            line += ": " + " ".join(str(reason).split())[:300]
        print(line, flush=True)


def wait_until(fn, timeout, what, interval=0.2):
    """Calls fn until it returns a true value or timeout seconds pass."""
    deadline = time.time() + timeout
    while True:
        got = fn()
        if got:
            return got
        if time.time() > deadline:
            raise CheckFailed(f"timed out waiting for {what}")
        time.sleep(interval)


# --- the codec matrix -------------------------------------------------------


def matrix_topic(producer, codec):
    return f"{PREFIX}-matrix-{producer}-{codec}"


def matrix_records(producer, codec):
    """The records every matrix producer writes to partition 0 of its topic,
    in order: (key, value, headers)."""
    return [
        (
            f"key-{i}".encode(),
            f"{producer}/{codec}/{i}/{_MATRIX_PAD}".encode(),
            [("producer", producer.encode())],
        )
        for i in range(MATRIX_RECORDS)
    ]


def manifest_add(producer, codec):
    with open(MANIFEST, "a") as f:
        f.write(f"{matrix_topic(producer, codec)} {producer} {codec}\n")


def manifest_entries():
    """(topic, producer, codec) for every matrix topic written in this run."""
    with open(MANIFEST) as f:
        return [tuple(line.split()) for line in f if line.strip()]


def check_matrix_read(got, producer, codec):
    """got: (offset, key, value, headers) read from partition 0 from the start."""
    want = matrix_records(producer, codec)
    expect(len(got) == len(want), f"read {len(got)} records, want {len(want)}")
    for i, ((offset, key, value, headers), (wkey, wvalue, wheaders)) in enumerate(zip(got, want)):
        expect(offset == i, f"record {i} at offset {offset}")
        expect(key == wkey, f"offset {i}: key {key!r}, want {wkey!r}")
        expect(value == wvalue, f"offset {i}: value {value[:40]!r}..., want {wvalue[:40]!r}...")
        expect(list(headers or []) == wheaders, f"offset {i}: headers {headers!r}, want {wheaders!r}")


# --- keyed records ----------------------------------------------------------

KEYED_RECORDS = 30
KEYED_KEYS = 5


def keyed_records(client):
    """30 records over 5 keys, each with a header: (key, value, headers)."""
    return [
        (f"key-{i % KEYED_KEYS}".encode(), f"value-{i}".encode(), [("origin", client.encode())])
        for i in range(KEYED_RECORDS)
    ]


def check_keyed_read(got, client):
    """got: (partition, offset, key, value, headers), in read order. Each key is
    in one partition; each partition holds its records in produce order at
    offsets 0, 1, 2...; every record is there once, with its header."""
    want = {v: (k, h) for k, v, h in keyed_records(client)}
    expect(len(got) == len(want), f"read {len(got)} records, want {len(want)}")
    key_partition, next_offset, last_index, seen = {}, {}, {}, set()
    for partition, offset, key, value, headers in got:
        expect(value in want, f"unexpected value {value!r}")
        expect(value not in seen, f"{value!r} read twice")
        seen.add(value)
        wkey, wheaders = want[value]
        expect(key == wkey, f"{value!r} under key {key!r}, want {wkey!r}")
        expect(list(headers or []) == wheaders, f"{value!r}: headers {headers!r}, want {wheaders!r}")
        expect(key_partition.setdefault(key, partition) == partition,
               f"key {key!r} in partitions {key_partition[key]} and {partition}")
        expect(offset == next_offset.get(partition, 0),
               f"partition {partition}: offset {offset}, want {next_offset.get(partition, 0)}")
        next_offset[partition] = offset + 1
        index = int(value.split(b"-")[1])
        expect(index > last_index.get(partition, -1),
               f"partition {partition}: {value!r} after value-{last_index.get(partition)}")
        last_index[partition] = index
