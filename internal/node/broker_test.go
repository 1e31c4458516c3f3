package node_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
	"gregor/internal/record"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newClient(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.RetryTimeout(10 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func createTopic(t *testing.T, addr, topic string, partitions int32, configs map[string]*string, opts ...kgo.Opt) {
	t.Helper()
	adm := kadm.NewClient(newClient(t, addr, opts...))
	resp, err := adm.CreateTopics(testContext(t), partitions, 1, configs, topic)
	if err != nil {
		t.Fatal(err)
	}
	if err := resp[topic].Err; err != nil {
		t.Fatalf("create %s: %v", topic, err)
	}
}

// produceSync produces n records "<prefix>-i" with key "k<i%keys>" and acks.
func produceSync(t *testing.T, cl *kgo.Client, topic, prefix string, n, keys int) []*kgo.Record {
	t.Helper()
	var recs []*kgo.Record
	for i := 0; i < n; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Key: []byte("k" + strconv.Itoa(i%keys)), Value: []byte(fmt.Sprintf("%s-%d", prefix, i))})
	}
	if err := cl.ProduceSync(testContext(t), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	return recs
}

// consumeAll reads n records from the start of topic.
func consumeAll(t *testing.T, addr, topic string, n int, opts ...kgo.Opt) []*kgo.Record {
	t.Helper()
	cl := newClient(t, addr, append([]kgo.Opt{kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}, opts...)...)
	ctx := testContext(t)
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d records before timeout", len(out), n)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", topic, p, err) })
		out = append(out, fs.Records()...)
	}
	return out
}

// TestProduceConsumeRoundTrip proves that records produced with every acks
// setting and every codec come back in order per partition, with keys,
// values, headers and offsets intact.
func TestProduceConsumeRoundTrip(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	for _, tc := range []struct {
		name string
		opts []kgo.Opt
	}{
		{"acks-all-idempotent", nil},
		{"acks-1", []kgo.Opt{kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite()}},
		{"gzip", []kgo.Opt{kgo.ProducerBatchCompression(kgo.GzipCompression())}},
		{"snappy", []kgo.Opt{kgo.ProducerBatchCompression(kgo.SnappyCompression())}},
		{"lz4", []kgo.Opt{kgo.ProducerBatchCompression(kgo.Lz4Compression())}},
		{"zstd", []kgo.Opt{kgo.ProducerBatchCompression(kgo.ZstdCompression())}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			topic := "rt-" + tc.name
			createTopic(t, n.Addr, topic, 3, nil)
			cl := newClient(t, n.Addr, tc.opts...)
			sent := produceSync(t, cl, topic, tc.name, 300, 7)
			got := consumeAll(t, n.Addr, topic, len(sent))
			checkSameRecords(t, sent, got)
		})
	}
}

// checkSameRecords checks got holds exactly the sent records, each
// partition's in produce order with consecutive offsets.
func checkSameRecords(t *testing.T, sent, got []*kgo.Record) {
	t.Helper()
	if len(got) != len(sent) {
		t.Fatalf("got %d records, sent %d", len(got), len(sent))
	}
	byValue := map[string]*kgo.Record{}
	for _, r := range sent {
		byValue[string(r.Value)] = r
	}
	next := map[int32]int64{}
	for _, r := range got {
		s, ok := byValue[string(r.Value)]
		if !ok {
			t.Fatalf("unexpected record %q", r.Value)
		}
		delete(byValue, string(r.Value))
		if string(s.Key) != string(r.Key) || s.Partition != r.Partition || s.Offset != r.Offset {
			t.Fatalf("record %q: key %q p%d o%d, sent key %q p%d acked o%d", r.Value, r.Key, r.Partition, r.Offset, s.Key, s.Partition, s.Offset)
		}
		if r.Offset != next[r.Partition] {
			t.Fatalf("partition %d: offset %d, want %d", r.Partition, r.Offset, next[r.Partition])
		}
		next[r.Partition]++
	}
}

// TestAcksZero proves fire-and-forget produce stores records although no
// response is sent.
func TestAcksZero(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	createTopic(t, n.Addr, "acks0", 1, nil)
	cl := newClient(t, n.Addr, kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite())
	for i := 0; i < 50; i++ {
		cl.Produce(context.Background(), &kgo.Record{Topic: "acks0", Value: []byte(strconv.Itoa(i))}, nil)
	}
	if err := cl.Flush(testContext(t)); err != nil {
		t.Fatal(err)
	}
	got := consumeAll(t, n.Addr, "acks0", 50)
	for i, r := range got {
		if string(r.Value) != strconv.Itoa(i) {
			t.Fatalf("record %d = %q", i, r.Value)
		}
	}
}

// TestRestartKeepsTopicsAndRecords proves topics, configs and records
// survive a clean restart, and that offsets continue where they stopped.
func TestRestartKeepsTopicsAndRecords(t *testing.T) {
	dir := t.TempDir()
	n := nodetest.Start(t, dir, nil)
	retention := "123456"
	createTopic(t, n.Addr, "durable", 2, map[string]*string{"retention.ms": &retention})
	first := produceSync(t, newClient(t, n.Addr), "durable", "a", 100, 5)
	n.Shutdown()

	n = nodetest.Start(t, dir, nil)
	adm := kadm.NewClient(newClient(t, n.Addr))
	cfgs, err := adm.DescribeTopicConfigs(testContext(t), "durable")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := cfgs.On("durable", nil)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range rc.Configs {
		if c.Key == "retention.ms" {
			found = c.MaybeValue() == retention && c.Source == kmsg.ConfigSourceDynamicTopicConfig
		}
	}
	if !found {
		t.Fatalf("retention.ms override lost: %+v", rc.Configs)
	}
	second := produceSync(t, newClient(t, n.Addr), "durable", "b", 100, 5)
	checkSameRecords(t, append(first, second...), consumeAll(t, n.Addr, "durable", 200))
}

// TestIdempotentRetryAfterRestart proves producer state survives a restart:
// a batch re-sent with the same producer id and sequence is recognised as a
// duplicate, not written twice.
func TestIdempotentRetryAfterRestart(t *testing.T) {
	dir := t.TempDir()
	n := nodetest.Start(t, dir, nil)
	createTopic(t, n.Addr, "idem", 1, nil)
	cl := newClient(t, n.Addr)
	pid := initProducerID(t, cl)
	if off := rawProduce(t, cl, "idem", pid, 0, 0, 3); off != 0 {
		t.Fatalf("first batch at %d", off)
	}
	n.Shutdown()
	n = nodetest.Start(t, dir, nil)
	cl = newClient(t, n.Addr)
	if off := rawProduce(t, cl, "idem", pid, 0, 0, 3); off != 0 {
		t.Fatalf("duplicate answered offset %d, want 0", off)
	}
	if off := rawProduce(t, cl, "idem", pid, 0, 3, 2); off != 3 {
		t.Fatalf("next batch at %d, want 3", off)
	}
	if code := rawProduceCode(t, cl, "idem", pid, 0, 9, 1); code != kerr.OutOfOrderSequenceNumber.Code {
		t.Fatalf("gap answered %d", code)
	}
	if off := rawProduce(t, cl, "idem", pid, 1, 0, 1); off != 5 {
		t.Fatalf("new epoch's first batch at %d, want 5", off)
	}
	if code := rawProduceCode(t, cl, "idem", pid, 0, 5, 1); code != kerr.InvalidProducerEpoch.Code {
		t.Fatalf("fenced epoch answered %d", code)
	}
	if got := len(consumeAll(t, n.Addr, "idem", 6)); got != 6 {
		t.Fatalf("log holds %d records", got)
	}
}

func initProducerID(t *testing.T, cl *kgo.Client) int64 {
	req := kmsg.NewPtrInitProducerIDRequest()
	resp, err := req.RequestWith(testContext(t), cl)
	if err != nil || resp.ErrorCode != 0 {
		t.Fatalf("InitProducerId: %v %v", err, resp)
	}
	return resp.ProducerID
}

func rawProduce(t *testing.T, cl *kgo.Client, topic string, pid int64, epoch int16, seq int32, n int) int64 {
	t.Helper()
	resp := rawProduceResp(t, cl, topic, pid, epoch, seq, n)
	if resp.ErrorCode != 0 {
		t.Fatalf("produce: %v", kerr.ErrorForCode(resp.ErrorCode))
	}
	return resp.BaseOffset
}

func rawProduceCode(t *testing.T, cl *kgo.Client, topic string, pid int64, epoch int16, seq int32, n int) int16 {
	return rawProduceResp(t, cl, topic, pid, epoch, seq, n).ErrorCode
}

func rawProduceResp(t *testing.T, cl *kgo.Client, topic string, pid int64, epoch int16, seq int32, n int) kmsg.ProduceResponseTopicPartition {
	t.Helper()
	spec := record.BatchSpec{ProducerID: pid, ProducerEpoch: epoch, BaseSequence: seq}
	for i := 0; i < n; i++ {
		spec.Records = append(spec.Records, record.Record{Timestamp: time.Now().UnixMilli(), Value: []byte("v")})
	}
	raw, err := record.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	return produceRaw(t, cl, topic, raw)
}

// produceRaw sends raw as partition 0's records with acks=-1.
func produceRaw(t *testing.T, cl *kgo.Client, topic string, raw []byte) kmsg.ProduceResponseTopicPartition {
	t.Helper()
	req := kmsg.NewPtrProduceRequest()
	req.Acks, req.TimeoutMillis = -1, 5000
	req.Topics = []kmsg.ProduceRequestTopic{{Topic: topic, TopicID: topicID(t, cl, topic), Partitions: []kmsg.ProduceRequestTopicPartition{{Partition: 0, Records: raw}}}}
	resp, err := req.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	return resp.Topics[0].Partitions[0]
}

// TestAdminOperations proves the admin APIs a Kafka tool uses: create with
// configs, list, describe, create partitions, delete, and their errors.
func TestAdminOperations(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	ctx := testContext(t)
	adm := kadm.NewClient(newClient(t, n.Addr))
	if _, err := adm.CreateTopic(ctx, 3, 1, nil, "admin-a"); err != nil {
		t.Fatal(err)
	}
	resp, _ := adm.CreateTopic(ctx, 3, 1, nil, "admin-a")
	if !errors.Is(resp.Err, kerr.TopicAlreadyExists) {
		t.Fatalf("duplicate create: %v", resp.Err)
	}
	for name, want := range map[string]error{"bad name!": kerr.InvalidTopicException, "": kerr.InvalidTopicException} {
		resp, _ := adm.CreateTopic(ctx, 1, 1, nil, name)
		if !errors.Is(resp.Err, want) {
			t.Errorf("create %q: %v, want %v", name, resp.Err, want)
		}
	}
	resp, _ = adm.CreateTopic(ctx, 1, 3, nil, "rf3")
	if !errors.Is(resp.Err, kerr.InvalidReplicationFactor) {
		t.Fatalf("rf 3 on one broker: %v", resp.Err)
	}
	resp, _ = adm.CreateTopic(ctx, 20000, 1, nil, "huge")
	if !errors.Is(resp.Err, kerr.PolicyViolation) {
		t.Fatalf("20,000 partitions: %v", resp.Err)
	}
	resp, _ = adm.CreateTopic(ctx, 0, 1, nil, "p0")
	if !errors.Is(resp.Err, kerr.InvalidPartitions) {
		t.Fatalf("0 partitions: %v", resp.Err)
	}
	bad := "nope"
	resp, _ = adm.CreateTopic(ctx, 1, 1, map[string]*string{"cleanup.policy": &bad}, "badcfg")
	if !errors.Is(resp.Err, kerr.InvalidConfig) {
		t.Fatalf("bad config: %v", resp.Err)
	}
	details, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !details.Has("admin-a") || len(details["admin-a"].Partitions) != 3 || details["admin-a"].ID == [16]byte{} {
		t.Fatalf("list: %+v", details)
	}
	if _, err := adm.UpdatePartitions(ctx, 5, "admin-a"); err != nil {
		t.Fatal(err)
	}
	cp, _ := adm.UpdatePartitions(ctx, 2, "admin-a")
	if !errors.Is(cp["admin-a"].Err, kerr.InvalidPartitions) {
		t.Fatalf("shrink: %v", cp["admin-a"].Err)
	}
	details, _ = adm.ListTopics(ctx, "admin-a")
	if len(details["admin-a"].Partitions) != 5 {
		t.Fatalf("after grow: %d partitions", len(details["admin-a"].Partitions))
	}
	produceSync(t, newClient(t, n.Addr), "admin-a", "x", 20, 20)
	dr, err := adm.DeleteTopics(ctx, "admin-a")
	if err != nil || dr["admin-a"].Err != nil {
		t.Fatalf("delete: %v %v", err, dr)
	}
	dr, _ = adm.DeleteTopics(ctx, "admin-a")
	if !errors.Is(dr["admin-a"].Err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("second delete: %v", dr["admin-a"].Err)
	}
	// Re-creating a deleted topic starts empty.
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "admin-a"); err != nil {
		t.Fatal(err)
	}
	ends, err := adm.ListEndOffsets(ctx, "admin-a")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := ends.Lookup("admin-a", 0); o.Offset != 0 {
		t.Fatalf("recreated topic ends at %d", o.Offset)
	}
	meta, err := adm.BrokerMetadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Cluster != n.ClusterID || len(meta.Brokers) != 1 || meta.Controller != 1 {
		t.Fatalf("broker metadata: %+v", meta)
	}
	dc := kmsg.NewPtrDescribeClusterRequest()
	dcResp, err := dc.RequestWith(ctx, newClient(t, n.Addr))
	if err != nil || dcResp.ClusterID != n.ClusterID || len(dcResp.Brokers) != 1 || dcResp.ControllerID != 1 {
		t.Fatalf("describe cluster: %v %+v", err, dcResp)
	}
}

// TestListOffsetsAndDeleteRecords proves earliest, latest, by-timestamp and
// max-timestamp lookups, and that DeleteRecords moves the log start offset
// so that reads below it answer OFFSET_OUT_OF_RANGE.
func TestListOffsetsAndDeleteRecords(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	createTopic(t, n.Addr, "lo", 1, nil)
	cl := newClient(t, n.Addr, kgo.DefaultProduceTopic("lo"))
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	for i := 0; i < 10; i++ {
		ts := base.Add(time.Duration(i) * time.Minute)
		if i == 7 {
			ts = base.Add(30 * time.Minute) // the largest timestamp
		}
		if err := cl.ProduceSync(testContext(t), &kgo.Record{Value: []byte{byte(i)}, Timestamp: ts}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	ctx := testContext(t)
	adm := kadm.NewClient(cl)
	lookup := func(l kadm.ListedOffsets, err error) kadm.ListedOffset {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		o, _ := l.Lookup("lo", 0)
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		return o
	}
	if o := lookup(adm.ListStartOffsets(ctx, "lo")); o.Offset != 0 {
		t.Fatalf("start %d", o.Offset)
	}
	if o := lookup(adm.ListEndOffsets(ctx, "lo")); o.Offset != 10 {
		t.Fatalf("end %d", o.Offset)
	}
	if o := lookup(adm.ListOffsetsAfterMilli(ctx, base.Add(150*time.Second).UnixMilli(), "lo")); o.Offset != 3 {
		t.Fatalf("after 2.5min: %d", o.Offset)
	}
	if o := lookup(adm.ListOffsetsAfterMilli(ctx, time.Now().Add(time.Hour).UnixMilli(), "lo")); o.Offset != 10 {
		t.Fatalf("after the future: %d (kadm maps 'none' to the end offset)", o.Offset)
	}
	maxReq := kmsg.NewPtrListOffsetsRequest()
	maxReq.Topics = []kmsg.ListOffsetsRequestTopic{{Topic: "lo", Partitions: []kmsg.ListOffsetsRequestTopicPartition{{Partition: 0, Timestamp: -3, CurrentLeaderEpoch: -1}}}}
	maxResp, err := maxReq.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if p := maxResp.Topics[0].Partitions[0]; p.Offset != 7 || p.Timestamp != base.Add(30*time.Minute).UnixMilli() {
		t.Fatalf("max timestamp: offset %d ts %d", p.Offset, p.Timestamp)
	}
	os := kadm.Offsets{}
	os.Add(kadm.Offset{Topic: "lo", Partition: 0, At: 4})
	del, err := adm.DeleteRecords(ctx, os)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := del.Lookup("lo", 0); d.Err != nil || d.LowWatermark != 4 {
		t.Fatalf("delete records: %+v", d)
	}
	if o := lookup(adm.ListStartOffsets(ctx, "lo")); o.Offset != 4 {
		t.Fatalf("start after delete %d", o.Offset)
	}
	fetch := kmsg.NewPtrFetchRequest()
	fetch.MaxBytes = 1 << 20
	fetch.Topics = []kmsg.FetchRequestTopic{{Topic: "lo", TopicID: topicID(t, cl, "lo"), Partitions: []kmsg.FetchRequestTopicPartition{{Partition: 0, FetchOffset: 1, PartitionMaxBytes: 1 << 20, CurrentLeaderEpoch: -1}}}}
	fresp, err := fetch.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if code := fresp.Topics[0].Partitions[0].ErrorCode; code != kerr.OffsetOutOfRange.Code {
		t.Fatalf("fetch below log start: code %d", code)
	}
}

// TestMetadataAutoCreate proves auto.create.topics.enable creates a topic
// on first metadata request and produce, and that turning it off answers
// UNKNOWN_TOPIC_OR_PARTITION.
func TestMetadataAutoCreate(t *testing.T) {
	n := nodetest.Start(t, "", map[string]string{"num.partitions": "4"})
	cl := newClient(t, n.Addr, kgo.AllowAutoTopicCreation())
	produceSync(t, cl, "auto", "x", 10, 3)
	details, err := kadm.NewClient(cl).ListTopics(testContext(t), "auto")
	if err != nil || len(details["auto"].Partitions) != 4 {
		t.Fatalf("auto-created topic: %v %+v", err, details)
	}

	off := nodetest.Start(t, "", map[string]string{"auto.create.topics.enable": "false"})
	req := kmsg.NewPtrMetadataRequest()
	name := "missing"
	req.Topics = []kmsg.MetadataRequestTopic{{Topic: &name}}
	req.AllowAutoTopicCreation = true
	resp, err := req.RequestWith(testContext(t), newClient(t, off.Addr))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Topics[0].ErrorCode != kerr.UnknownTopicOrPartition.Code {
		t.Fatalf("code %d", resp.Topics[0].ErrorCode)
	}
}

// TestMessageTooLarge proves a batch above max.message.bytes is refused
// with MESSAGE_TOO_LARGE and nothing is written.
func TestMessageTooLarge(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	big := "2000"
	createTopic(t, n.Addr, "small", 1, map[string]*string{"max.message.bytes": &big})
	cl := newClient(t, n.Addr, kgo.ProducerBatchMaxBytes(1<<20), kgo.RecordRetries(1))
	err := cl.ProduceSync(testContext(t), &kgo.Record{Topic: "small", Value: randomBytes(5000)}).FirstErr()
	if !errors.Is(err, kerr.MessageTooLarge) {
		t.Fatalf("err = %v", err)
	}
	ends, _ := kadm.NewClient(cl).ListEndOffsets(testContext(t), "small")
	if o, _ := ends.Lookup("small", 0); o.Offset != 0 {
		t.Fatalf("end offset %d after refused batch", o.Offset)
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// topicID looks up a topic's id: kgo sends the newest versions, which name
// topics by id.
func topicID(t *testing.T, cl *kgo.Client, topic string) [16]byte {
	t.Helper()
	details, err := kadm.NewClient(cl).ListTopics(testContext(t), topic)
	if err != nil || !details.Has(topic) {
		t.Fatalf("topic %s: %v", topic, err)
	}
	return details[topic].ID
}

// TestCorruptProduceRefused proves that batches failing validation are
// answered with the Java broker's codes and never stored: a flipped byte
// (CORRUPT_MESSAGE), an old message format (INVALID_RECORD),
// a truncated batch and an empty record set.
func TestCorruptProduceRefused(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	createTopic(t, n.Addr, "bad", 1, nil)
	cl := newClient(t, n.Addr)
	good, err := record.Build(record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
		Records: []record.Record{{Timestamp: time.Now().UnixMilli(), Value: []byte("payload")}}})
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)-2] ^= 0xff
	oldMagic := append([]byte(nil), good...)
	oldMagic[16] = 1
	for name, tc := range map[string]struct {
		raw  []byte
		want *kerr.Error
	}{
		"crc":       {flipped, kerr.CorruptMessage},
		"magic":     {oldMagic, kerr.InvalidRecord},
		"truncated": {good[:len(good)-3], kerr.CorruptMessage},
		"empty":     {[]byte{}, kerr.InvalidRecord},
	} {
		if p := produceRaw(t, cl, "bad", tc.raw); p.ErrorCode != tc.want.Code {
			t.Errorf("%s: answered %v, want %v", name, kerr.ErrorForCode(p.ErrorCode), tc.want)
		}
	}
	ends, _ := kadm.NewClient(cl).ListEndOffsets(testContext(t), "bad")
	if o, _ := ends.Lookup("bad", 0); o.Offset != 0 {
		t.Fatalf("end offset %d after refused batches", o.Offset)
	}
}
