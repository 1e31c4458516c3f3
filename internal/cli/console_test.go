package cli

import (
	"context"
	"encoding/binary"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/node/nodetest"
)

// murmur2 is Kafka's Utils.murmur2 (the 32-bit MurmurHash2 with seed
// 0x9747b28c), written from the algorithm for an independent check of
// where the producer puts keyed records.
func murmur2(data []byte) int32 {
	const m, r = 0x5bd1e995, 24
	h := uint32(0x9747b28c) ^ uint32(len(data))
	n := len(data) &^ 3
	for i := 0; i < n; i += 4 {
		k := binary.LittleEndian.Uint32(data[i:])
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	switch tail := data[n:]; len(tail) {
	case 3:
		h ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(tail[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

// kafkaPartition is Kafka's default partition for a keyed record:
// toPositive(murmur2(key)) % numPartitions.
func kafkaPartition(key []byte, numPartitions int) int32 {
	return int32(int(murmur2(key)&0x7fffffff) % numPartitions)
}

func TestMurmur2MatchesKafka(t *testing.T) {
	// The test's murmur2 reproduces the values in Kafka's UtilsTest.
	for in, want := range map[string]int32{
		"21":                         -973932308,
		"foobar":                     -790332482,
		"a-little-bit-long-string":   -985981536,
		"a-little-bit-longer-string": -1486304829,
		"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
		"abc": 479470107,
	} {
		if got := murmur2([]byte(in)); got != want {
			t.Errorf("murmur2(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestConsoleProduceThenConsumeKeyed(t *testing.T) {
	// Keyed lines produced by console-producer come back from
	// console-consumer --from-beginning with print.key, and the consumer
	// stops at --max-messages and reports the count as Kafka does.
	addr := startBroker(t)
	topic := uniqueTopic(t)
	createTopic(t, addr, topic, 3)
	var lines []string
	for i := range 30 {
		lines = append(lines, fmt.Sprintf("key%d:value %d", i%7, i))
	}
	mustGregor(t, strings.Join(lines, "\n")+"\n", "console-producer", "--bootstrap-server", addr,
		"--topic", topic, "--property", "parse.key=true", "--property", "key.separator=:",
		"--producer-property", "acks=all", "--producer-property", "linger.ms=1")

	r := gregor(t, "", "console-consumer", "--bootstrap-server", addr, "--topic", topic,
		"--from-beginning", "--formatter-property", "print.key=true", "--formatter-property", "key.separator=:",
		"--max-messages", "30")
	if r.err != nil {
		t.Fatalf("consume: %v\n%s", r.err, r.stderr)
	}
	got := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	slices.Sort(got)
	slices.Sort(lines)
	if !slices.Equal(got, lines) {
		t.Errorf("consumed\n%q\nwant\n%q", got, lines)
	}
	if !strings.Contains(r.stderr, "Processed a total of 30 messages\n") {
		t.Errorf("stderr %q", r.stderr)
	}
}

func TestKeyedRecordsLandOnKafkaPartition(t *testing.T) {
	// console-producer partitions keyed records as Java's default
	// partitioner: each key's records are on partition
	// toPositive(murmur2(key)) % 7, found by fetching every partition.
	addr := startBroker(t)
	topic := uniqueTopic(t)
	const partitions, records = 7, 200
	createTopic(t, addr, topic, partitions)
	var in strings.Builder
	for i := range records {
		fmt.Fprintf(&in, "user-%d\t%d\n", i, i)
	}
	mustGregor(t, in.String(), "console-producer", "--bootstrap-server", addr, "--topic", topic,
		"--property", "parse.key=true")

	landed := fetchAll(t, addr, topic, records)
	used := map[int32]bool{}
	for _, r := range landed {
		want := kafkaPartition(r.Key, partitions)
		if r.Partition != want {
			t.Errorf("key %s on partition %d, Kafka picks %d", r.Key, r.Partition, want)
		}
		used[r.Partition] = true
	}
	if len(used) < partitions {
		t.Errorf("only %d of %d partitions used", len(used), partitions)
	}
}

// fetchAll reads n records of topic, from the start of every partition,
// with a plain kgo client.
func fetchAll(t *testing.T, addr, topic string, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	if len(out) != n {
		t.Fatalf("fetched %d records, want %d", len(out), n)
	}
	return out
}

func TestConsoleConsumerPrintsKafkaFields(t *testing.T) {
	// print.timestamp, print.partition, print.offset, print.headers and
	// print.key come out in Kafka's order and spelling.
	addr := startBroker(t)
	topic := uniqueTopic(t)
	createTopic(t, addr, topic, 1)
	mustGregor(t, "a\tone\nb\ttwo\n", "console-producer", "--bootstrap-server", addr,
		"--topic", topic, "--property", "parse.key=true", "--sync")
	out := mustGregor(t, "", "console-consumer", "--bootstrap-server", addr, "--topic", topic,
		"--partition", "0", "--offset", "earliest", "--max-messages", "2",
		"--formatter-property", "print.timestamp=true", "--formatter-property", "print.partition=true",
		"--formatter-property", "print.offset=true", "--formatter-property", "print.headers=true",
		"--formatter-property", "print.key=true")
	want := regexp.MustCompile(`^CreateTime:\d{13}\tPartition:0\tOffset:0\tNO_HEADERS\ta\tone\n` +
		`CreateTime:\d{13}\tPartition:0\tOffset:1\tNO_HEADERS\tb\ttwo\n$`)
	if !want.MatchString(out) {
		t.Errorf("got %q", out)
	}
	out = mustGregor(t, "", "console-consumer", "--bootstrap-server", addr, "--topic", topic,
		"--partition", "0", "--offset", "1", "--max-messages", "1")
	if out != "two\n" {
		t.Errorf("--offset 1: %q", out)
	}
}

func TestRecordFormatter(t *testing.T) {
	// Null keys and values print null.literal; headers print k:v pairs.
	f, err := newRecordFormatter(props{"print.key": "true", "print.headers": "true", "key.separator": "|", "null.literal": "NULL"})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	p := newPrinter(&b)
	f.write(p, &kgo.Record{Value: []byte("v"), Headers: []kgo.RecordHeader{{Key: "h1", Value: []byte("x")}, {Key: "h2"}}})
	f.write(p, &kgo.Record{Key: []byte("k")})
	p.flush()
	if want := "h1:x,h2:NULL|NULL|v\nNO_HEADERS|k|NULL\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestConsoleConsumerIdleTimeout(t *testing.T) {
	// With --timeout-ms, an idle topic ends the consumer cleanly and soon.
	addr := startBroker(t)
	topic := uniqueTopic(t)
	createTopic(t, addr, topic, 2)
	r := gregor(t, "", "console-consumer", "--bootstrap-server", addr, "--topic", topic,
		"--from-beginning", "--timeout-ms", "500")
	if r.err != nil || r.stdout != "" || r.stderr != "Processed a total of 0 messages\n" {
		t.Errorf("got %q %q %v", r.stdout, r.stderr, r.err)
	}
	if r.elapsed > 5*time.Second {
		t.Errorf("took %v", r.elapsed)
	}
}

func TestUnknownTopicIsNamed(t *testing.T) {
	// Consuming or describing a topic the cluster lacks fails naming it.
	addr := startBroker(t)
	topic := uniqueTopic(t)
	want := "Topic '" + topic + "' does not exist as expected"
	for _, args := range [][]string{
		{"console-consumer", "--bootstrap-server", addr, "--topic", topic},
		{"consumer-perf-test", "--bootstrap-server", addr, "--topic", topic, "--num-records", "1"},
		{"topics", "--bootstrap-server", addr, "--describe", "--topic", topic},
	} {
		if r := gregor(t, "", args...); r.err == nil || r.err.Error() != want {
			t.Errorf("%s: %v, want %q", args[0], r.err, want)
		}
	}
}

func TestConsoleProducerUnknownTopic(t *testing.T) {
	// Without auto-creation, producing to a missing topic fails at once
	// with its name instead of retrying for the delivery timeout.
	if externalBroker() {
		t.Skip("the broker may auto-create topics")
	}
	addr := nodetest.Start(t, "", map[string]string{"auto.create.topics.enable": "false"}).Addr
	r := gregor(t, "x\n", "console-producer", "--bootstrap-server", addr, "--topic", "missing")
	if want := "Topic 'missing' does not exist as expected"; r.err == nil || r.err.Error() != want {
		t.Errorf("got %v, want %q", r.err, want)
	}
}

func TestConsoleProducerRejectsLineWithoutSeparator(t *testing.T) {
	// parse.key without a separator on a line is an error naming the line,
	// unless ignore.error is set.
	addr := startBroker(t)
	topic := uniqueTopic(t)
	createTopic(t, addr, topic, 1)
	r := gregor(t, "k:v\nnokey\n", "console-producer", "--bootstrap-server", addr, "--topic", topic,
		"--property", "parse.key=true", "--property", "key.separator=:")
	if r.err == nil || !strings.Contains(r.err.Error(), "line number 2") {
		t.Errorf("got %v", r.err)
	}
}

func TestConsoleConsumerGroup(t *testing.T) {
	// With --group the consumer joins the group and commits: a second run
	// in the same group starts after what the first one printed.
	addr := startBroker(t)
	topic, group := uniqueTopic(t), uniqueTopic(t)
	createTopic(t, addr, topic, 1)
	mustGregor(t, "1\n2\n3\n4\n", "console-producer", "--bootstrap-server", addr, "--topic", topic)
	args := []string{"console-consumer", "--bootstrap-server", addr, "--topic", topic,
		"--group", group, "--from-beginning", "--max-messages", "2"}
	if out := mustGregor(t, "", args...); out != "1\n2\n" {
		t.Fatalf("first run: %q", out)
	}
	if out := mustGregor(t, "", args...); out != "3\n4\n" {
		t.Errorf("second run: %q", out)
	}
}

func TestConsoleConsumerGroupCommitsOnExit(t *testing.T) {
	// A group consumer commits what it printed when it exits, so the group
	// shows no lag; --from-beginning then only applies to partitions
	// without a committed offset, and a new group without it starts at
	// the end.
	addr := startBroker(t)
	topic, group := uniqueTopic(t), uniqueTopic(t)+"-group"
	createTopic(t, addr, topic, 1)
	mustGregor(t, "a\nb\nc\n", "console-producer", "--bootstrap-server", addr, "--topic", topic)
	consume := func(group string, extra ...string) string {
		args := append([]string{"console-consumer", "--bootstrap-server", addr, "--topic", topic, "--group", group}, extra...)
		return mustGregor(t, "", args...)
	}
	if out := consume(group, "--from-beginning", "--max-messages", "3"); out != "a\nb\nc\n" {
		t.Fatalf("first run: %q", out)
	}
	if got := committedOffsets(t, addr, group, topic); got[0] != 3 {
		t.Fatalf("committed %v after printing 3 records, want 3", got)
	}
	r := groups(t, addr, "--describe", "--group", group)
	if rows := table(t, r.stdout); r.err != nil || len(rows) != 1 || rows[0]["LAG"] != "0" || rows[0]["CURRENT-OFFSET"] != "3" {
		t.Errorf("describe after the run: %v %q", r.err, r.stdout)
	}

	mustGregor(t, "d\ne\n", "console-producer", "--bootstrap-server", addr, "--topic", topic)
	if out := consume(group, "--from-beginning", "--max-messages", "2"); out != "d\ne\n" {
		t.Errorf("second run with --from-beginning: %q, want only what was not committed", out)
	}
	if got := committedOffsets(t, addr, group, topic); got[0] != 5 {
		t.Errorf("committed %v after the second run, want 5", got)
	}
	fresh := group + "-fresh"
	if out := consume(fresh, "--timeout-ms", "1000"); out != "" {
		t.Errorf("new group without --from-beginning printed %q", out)
	}
}

func TestConsoleConsumerGroupFlagConflicts(t *testing.T) {
	// Conflicting group ids, or --from-beginning with another reset
	// policy, are refused before connecting, as Kafka refuses them.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--group", "a", "--consumer-property", "group.id=b"}, "do not match. Detected group ids: 'a', 'b'"},
		{[]string{"--group", "a", "--consumer-property", "group.id=a"}, "127.0.0.1:1"},
		{[]string{"--from-beginning", "--consumer-property", "auto.offset.reset=latest"},
			"can't simultaneously specify --from-beginning and 'auto.offset.reset=latest'"},
		{[]string{"--consumer-property", "auto.offset.reset=soon"}, `invalid value "soon" for configuration auto.offset.reset`},
		{[]string{"--group", "a", "--partition", "0"}, "options group and partition cannot be specified together"},
	} {
		args := append([]string{"console-consumer", "--bootstrap-server", "127.0.0.1:1", "--topic", "t"}, tc.args...)
		r := gregor(t, "", args...)
		if r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error containing %q", tc.args, r.err, tc.want)
		}
	}
}
