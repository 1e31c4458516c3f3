package main

import (
	"encoding/binary"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gregor/internal/record"
	"gregor/internal/storage"
)

// dumpFixture writes a log of three batches (a gzip batch of two records,
// an idempotent producer's batch with a header, a commit marker), closes
// it and returns its directory.
func dumpFixture(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "t-0")
	now := func() time.Time { return time.UnixMilli(1_700_000_000_000) }
	cfg := storage.DefaultConfig()
	cfg.IndexIntervalBytes = 1 // index every batch
	l, err := storage.Open(dir, cfg, now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	batches := []record.BatchSpec{
		{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Codec: record.CodecGzip, Records: []record.Record{
			{Timestamp: 1000, Key: []byte("k1"), Value: []byte("hello")},
			{Timestamp: 1001, Value: []byte("world")}}},
		{ProducerID: 7, ProducerEpoch: 2, BaseSequence: 5, Transactional: true, Records: []record.Record{
			{Timestamp: 1002, Key: []byte("k2"), Value: nil, Headers: []record.Header{{Key: "h1", Value: []byte("x")}, {Key: "h2"}}}}},
	}
	for _, spec := range batches {
		b, err := record.Build(spec)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := l.Append(b, 3); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := l.Append(record.BuildMarker(7, 2, record.Marker{Commit: true, CoordinatorEpoch: 4}, 1003), 3); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDumpLog proves that dump-log prints a segment as kafka-dump-log.sh
// does: a batch line per batch (offsets, count, sequences, producer,
// epoch, flags, position, timestamp, size, codec, CRC, validity) and, with
// --print-data-log, a record line per record with key and payload.
func TestDumpLog(t *testing.T) {
	dir := dumpFixture(t)
	logFile := filepath.Join(dir, "00000000000000000000.log")
	out, errOut, err := execute(newRootCommand(), "dump-log", "--files", logFile, "--print-data-log")
	if err != nil || errOut != "" {
		t.Fatalf("dump-log: %v, stderr %q", err, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	want := []string{
		"Dumping " + logFile,
		"Log starting offset: 0",
		"baseOffset: 0 lastOffset: 1 count: 2 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 3 isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty position: 0 CreateTime: 1001 size: ",
		"| offset: 0 CreateTime: 1000 keySize: 2 valueSize: 5 sequence: -1 headerKeys: [] key: k1 payload: hello",
		"| offset: 1 CreateTime: 1001 keySize: -1 valueSize: 5 sequence: -1 headerKeys: [] payload: world",
		"baseOffset: 2 lastOffset: 2 count: 1 baseSequence: 5 lastSequence: 5 producerId: 7 producerEpoch: 2 partitionLeaderEpoch: 3 isTransactional: true isControl: false deleteHorizonMs: OptionalLong.empty position: ",
		"| offset: 2 CreateTime: 1002 keySize: 2 valueSize: -1 sequence: 5 headerKeys: [h1,h2] key: k2",
		"baseOffset: 3 lastOffset: 3 count: 1 baseSequence: -1 lastSequence: -1 producerId: 7 producerEpoch: 2 partitionLeaderEpoch: 3 isTransactional: true isControl: true deleteHorizonMs: OptionalLong.empty position: ",
		"| offset: 3 CreateTime: 1003 keySize: 4 valueSize: 6 sequence: -1 headerKeys: [] endTxnMarker: COMMIT coordinatorEpoch: 4",
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i := range want {
		if !strings.HasPrefix(lines[i], want[i]) {
			t.Errorf("line %d:\n got %s\nwant %s...", i, lines[i], want[i])
		}
	}
	for _, i := range []int{2, 5, 7} {
		if !strings.Contains(lines[i], " magic: 2 ") || !strings.HasSuffix(lines[i], " isvalid: true") {
			t.Errorf("line %d lacks magic or validity: %s", i, lines[i])
		}
	}
	if !strings.Contains(lines[2], "compresscodec: gzip crc: ") || !strings.Contains(lines[5], "compresscodec: none") {
		t.Errorf("codecs: %s / %s", lines[2], lines[5])
	}
}

// TestDumpLogCorrupt proves that a damaged batch is shown with isvalid:
// false and its stored CRC, and that a torn tail is reported as invalid
// bytes at the end, as Kafka's tool does.
func TestDumpLogCorrupt(t *testing.T) {
	dir := dumpFixture(t)
	logFile := filepath.Join(dir, "00000000000000000000.log")
	data, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := record.FrameLength(data)
	data[first+record.HeaderSize+2] ^= 0xff // the second batch's records
	data = append(data, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0)
	if err := os.WriteFile(logFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := execute(newRootCommand(), "dump-log", "--files", logFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 6 || !strings.HasSuffix(lines[2], "isvalid: true") || !strings.HasSuffix(lines[3], "isvalid: false") ||
		lines[5] != "Found 12 invalid bytes at the end of 00000000000000000000.log" {
		t.Fatalf("dump of a damaged log:\n%s", out)
	}
	// Kafka's tool dies on the damaged batch's records; this one goes on
	// and exits non-zero.
	out, errOut, err := execute(newRootCommand(), "dump-log", "--files", logFile, "--deep-iteration")
	if err == nil || !strings.Contains(errOut, "records of the batch at position ") ||
		!strings.Contains(out, "endTxnMarker: COMMIT") {
		t.Fatalf("deep iteration over damage: %v\nstdout %s\nstderr %s", err, out, errOut)
	}
}

// TestDumpIndexes proves the dumps of .index and .timeindex, the sanity check,
// and that --verify-index-only prints no entries and reports mismatches.
func TestDumpIndexes(t *testing.T) {
	dir := dumpFixture(t)
	index := filepath.Join(dir, "00000000000000000000.index")
	out, errOut, err := execute(newRootCommand(), "dump-log", "--files", index)
	if err != nil || errOut != "" {
		t.Fatalf("%v %s", err, errOut)
	}
	if !strings.Contains(out, "offset: 2 position: ") || !strings.HasPrefix(out, "Dumping "+index+"\n") {
		t.Fatalf("index dump:\n%s", out)
	}
	timeIndex := filepath.Join(dir, "00000000000000000000.timeindex")
	out, errOut, err = execute(newRootCommand(), "dump-log", "--files", timeIndex)
	if err != nil || errOut != "" || !strings.Contains(out, "timestamp: 1001 offset: 1\n") {
		t.Fatalf("time index dump: %v %s\n%s", err, errOut, out)
	}
	out, errOut, err = execute(newRootCommand(), "dump-log", "--files", index+","+timeIndex, "--index-sanity-check")
	if err != nil || !strings.Contains(out, index+" passed sanity check.") || !strings.Contains(out, timeIndex+" passed sanity check.") {
		t.Fatalf("sanity check: %v %s\n%s", err, errOut, out)
	}
	// An index entry pointing at a batch with another last offset.
	data, _ := os.ReadFile(index)
	data[3]++ // first entry's relative offset
	os.WriteFile(index, data, 0o644)
	out, errOut, err = execute(newRootCommand(), "dump-log", "--files", index, "--verify-index-only")
	abs, _ := filepath.Abs(index)
	if err != nil || strings.Contains(out, "position:") || !strings.Contains(errOut, "Mismatches in :"+abs+"\n  Index offset: ") {
		t.Fatalf("verify: %v\nstdout %s\nstderr %s", err, out, errOut)
	}
}

// TestJavaString proves that keys and payloads that are not UTF-8 print
// as Java's String decoding prints them: one U+FFFD per maximal subpart.
func TestJavaString(t *testing.T) {
	for in, want := range map[string]string{
		"plain":            "plain",
		"\xff":             "\uFFFD",
		"a\xe2\x82b":       "a\uFFFDb",
		"\xe2\x82":         "\uFFFD",
		"\xed\xa0\x80":     "\uFFFD", // an encoded surrogate: one, as the JDK reads it
		"\xed\xa0A":        "\uFFFDA",
		"\xf0\x9f\x98":     "\uFFFD",
		"\xf0\x9f\x98\x80": "\U0001F600",
		"\xc0\xaf":         "\uFFFD\uFFFD",
		"\xf4\x90\x80\x80": "\uFFFD\uFFFD\uFFFD\uFFFD",
	} {
		if got := javaString([]byte(in)); got != want {
			t.Errorf("javaString(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDumpTxnIndex proves the dump of an aborted-transaction index, in
// Kafka's format and Kafka's words.
func TestDumpTxnIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "00000000000000000000.txnindex")
	var data []byte
	for _, e := range [][4]int64{{7, 10, 15, 10}, {8, 20, 31, 20}} {
		data = binary.BigEndian.AppendUint16(data, 0)
		for _, v := range e {
			data = binary.BigEndian.AppendUint64(data, uint64(v))
		}
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := execute(newRootCommand(), "dump-log", "--files", path)
	want := "Dumping " + path + "\n" +
		"version: 0 producerId: 7 firstOffset: 10 lastOffset: 15 lastStableOffset: 10\n" +
		"version: 0 producerId: 8 firstOffset: 20 lastOffset: 31 lastStableOffset: 20\n"
	if err != nil || errOut != "" || out != want {
		t.Fatalf("txn index dump: %v %s\n%s", err, errOut, out)
	}
}
