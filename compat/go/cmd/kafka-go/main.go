// Command kafka-go is the segmentio/kafka-go runner: admin through
// kafka.Client, the sync and async Writer, partition Readers and Conn offsets,
// a group Reader with commits, and every codec.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strconv"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"

	"gregor/compat/internal/suite"
)

const client = "kafka-go"

var r = &suite.Runner{Client: client}

func main() {
	suite.Main(checks, matrix)
}

func checks() {
	r.Check("admin-create-list-delete", 30*time.Second, checkAdmin)
	r.Check("writer-sync-keyed", 30*time.Second, checkWriterSync)
	r.Check("writer-async", 30*time.Second, checkWriterAsync)
	r.Check("reader-offsets", 30*time.Second, checkOffsets)
	r.Check("group-reader-commit", 30*time.Second, checkGroup)
	for _, codec := range suite.Codecs {
		r.Check("codec-"+codec, 30*time.Second, func(ctx context.Context) error { return checkCodec(ctx, codec) })
	}
}

func matrix() {
	entries, err := suite.Manifest(client)
	if err != nil {
		r.Check("matrix", time.Second, func(context.Context) error { return err })
		return
	}
	for _, e := range entries {
		r.Check("matrix-"+e.Producer+"-"+e.Codec, 20*time.Second, func(ctx context.Context) error {
			got, err := read(ctx, e.Topic, 0, kafka.FirstOffset, suite.MatrixRecordCount)
			if err != nil {
				return err
			}
			return suite.CheckMatrix(got, e.Producer, e.Codec)
		})
	}
}

func admin() *kafka.Client {
	return &kafka.Client{Addr: kafka.TCP(suite.Bootstrap()), Timeout: 10 * time.Second}
}

func createTopic(ctx context.Context, topic string, partitions int) error {
	resp, err := admin().CreateTopics(ctx, &kafka.CreateTopicsRequest{
		Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1}},
	})
	if err == nil {
		err = resp.Errors[topic]
	}
	if err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	return nil
}

func logger(prefix string) kafka.LoggerFunc {
	return func(format string, args ...any) { log.Printf(prefix+format, args...) }
}

// read reads one partition from offset with a Reader (no group) until want
// records arrived, then briefly longer to catch extra records.
func read(ctx context.Context, topic string, partition int, offset int64, want int) ([]suite.Record, error) {
	rd := kafka.NewReader(kafka.ReaderConfig{
		Brokers: []string{suite.Bootstrap()}, Topic: topic, Partition: partition,
		MaxWait: 200 * time.Millisecond, ErrorLogger: logger("[kafka-go reader] "),
	})
	defer rd.Close()
	if err := rd.SetOffset(offset); err != nil {
		return nil, err
	}
	var got []suite.Record
	for {
		rctx, cancel := ctx, context.CancelFunc(func() {})
		if len(got) >= want {
			rctx, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
		}
		m, err := rd.ReadMessage(rctx)
		cancel()
		if err != nil {
			if len(got) >= want && errors.Is(err, context.DeadlineExceeded) {
				return got, nil
			}
			return got, fmt.Errorf("read %d of %d records: %w", len(got), want, err)
		}
		got = append(got, toSuite(m))
	}
}

func toSuite(m kafka.Message) suite.Record {
	rec := suite.Record{Partition: int32(m.Partition), Offset: m.Offset, Key: m.Key, Value: m.Value}
	for _, h := range m.Headers {
		rec.Headers = append(rec.Headers, suite.Header{Key: h.Key, Value: string(h.Value)})
	}
	return rec
}

func toMessage(rec suite.Record) kafka.Message {
	m := kafka.Message{Key: rec.Key, Value: rec.Value}
	for _, h := range rec.Headers {
		m.Headers = append(m.Headers, kafka.Header{Key: h.Key, Value: []byte(h.Value)})
	}
	return m
}

// --- admin -------------------------------------------------------------------

func checkAdmin(ctx context.Context) error {
	cl := admin()
	topic := r.Topic("admin")
	req := &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
		Topic: topic, NumPartitions: 3, ReplicationFactor: 1,
		ConfigEntries: []kafka.ConfigEntry{{ConfigName: "retention.ms", ConfigValue: "3600000"}},
	}}}
	resp, err := cl.CreateTopics(ctx, req)
	if err == nil {
		err = resp.Errors[topic]
	}
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	resp, err = cl.CreateTopics(ctx, req)
	if err != nil || !errors.Is(resp.Errors[topic], kafka.TopicAlreadyExists) {
		return fmt.Errorf("creating twice: %v %v, want TOPIC_ALREADY_EXISTS", err, resp.Errors[topic])
	}
	meta, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	if len(meta.Topics) != 1 || meta.Topics[0].Error != nil || len(meta.Topics[0].Partitions) != 3 || len(meta.Brokers) != 1 {
		return fmt.Errorf("metadata: brokers %+v topics %+v", meta.Brokers, meta.Topics)
	}
	id := meta.Brokers[0].ID
	for _, p := range meta.Topics[0].Partitions {
		if p.Leader.ID != id || len(p.Replicas) != 1 || p.Replicas[0].ID != id || len(p.Isr) != 1 || p.Isr[0].ID != id {
			return fmt.Errorf("partition %d: leader %d replicas %v isr %v, want broker %d", p.ID, p.Leader.ID, p.Replicas, p.Isr, id)
		}
	}
	configs, err := cl.DescribeConfigs(ctx, &kafka.DescribeConfigsRequest{Resources: []kafka.DescribeConfigRequestResource{{
		ResourceType: kafka.ResourceTypeTopic, ResourceName: topic, ConfigNames: []string{"retention.ms"},
	}}})
	if err != nil || len(configs.Resources) != 1 || configs.Resources[0].Error != nil {
		return fmt.Errorf("describe configs: %v %+v", err, configs)
	}
	value := ""
	for _, e := range configs.Resources[0].ConfigEntries {
		if e.ConfigName == "retention.ms" {
			value = e.ConfigValue
		}
	}
	if value != "3600000" {
		return fmt.Errorf("retention.ms = %q", value)
	}
	all, err := cl.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil || !hasTopic(all.Topics, topic) {
		return fmt.Errorf("metadata of all topics does not list %s (%v)", topic, err)
	}
	deleted, err := cl.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: []string{topic}})
	if err == nil {
		err = deleted.Errors[topic]
	}
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	return suite.WaitFor(ctx, "the deleted topic to leave metadata", func() (bool, error) {
		all, err := cl.Metadata(ctx, &kafka.MetadataRequest{})
		return err == nil && !hasTopic(all.Topics, topic), err
	})
}

func hasTopic(topics []kafka.Topic, name string) bool {
	for _, t := range topics {
		if t.Name == name && t.Error == nil {
			return true
		}
	}
	return false
}

// --- writers -----------------------------------------------------------------------

func checkWriterSync(ctx context.Context) error {
	topic := r.Topic("keyed")
	if err := createTopic(ctx, topic, 3); err != nil {
		return err
	}
	w := &kafka.Writer{
		Addr: kafka.TCP(suite.Bootstrap()), Topic: topic, Balancer: &kafka.Hash{},
		RequiredAcks: kafka.RequireAll, BatchTimeout: 10 * time.Millisecond, ErrorLogger: logger("[kafka-go writer] "),
	}
	var msgs []kafka.Message
	for _, rec := range suite.KeyedRecords(client) {
		msgs = append(msgs, toMessage(rec))
	}
	// One call per message keeps the produce order per partition explicit.
	for _, m := range msgs {
		if err := w.WriteMessages(ctx, m); err != nil {
			w.Close()
			return fmt.Errorf("write: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	var got []suite.Record
	for p := range 3 {
		part, err := readAll(ctx, topic, p)
		if err != nil {
			return err
		}
		got = append(got, part...)
	}
	return suite.CheckKeyed(got, client)
}

// readAll reads a partition from its first to its last offset.
func readAll(ctx context.Context, topic string, partition int) ([]suite.Record, error) {
	conn, err := kafka.DialLeader(ctx, "tcp", suite.Bootstrap(), topic, partition)
	if err != nil {
		return nil, err
	}
	last, err := conn.ReadLastOffset()
	conn.Close()
	if err != nil {
		return nil, err
	}
	if last == 0 {
		return nil, nil
	}
	return read(ctx, topic, partition, kafka.FirstOffset, int(last))
}

func checkWriterAsync(ctx context.Context) error {
	topic := r.Topic("async")
	if err := createTopic(ctx, topic, 2); err != nil {
		return err
	}
	var mu sync.Mutex
	var errs []error
	acked := map[int][]int64{}
	w := &kafka.Writer{
		Addr: kafka.TCP(suite.Bootstrap()), Topic: topic, Balancer: &kafka.Hash{}, Async: true,
		RequiredAcks: kafka.RequireAll, BatchTimeout: 5 * time.Millisecond, ErrorLogger: logger("[kafka-go writer] "),
		Completion: func(messages []kafka.Message, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			for _, m := range messages {
				acked[m.Partition] = append(acked[m.Partition], m.Offset)
			}
		},
	}
	for i := range 200 {
		m := kafka.Message{Key: fmt.Appendf(nil, "k%d", i%7), Value: fmt.Appendf(nil, "async-%d", i)}
		if err := w.WriteMessages(ctx, m); err != nil {
			w.Close()
			return err
		}
	}
	if err := w.Close(); err != nil { // flushes and waits for the completions
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	if len(errs) > 0 {
		return fmt.Errorf("%d failed batches, first: %v", len(errs), errs[0])
	}
	total := 0
	for p, offsets := range acked {
		seen := map[int64]bool{}
		for _, off := range offsets {
			seen[off] = true
		}
		for i := range offsets {
			if !seen[int64(i)] {
				return fmt.Errorf("partition %d: %d acknowledgements, none at offset %d", p, len(offsets), i)
			}
		}
		total += len(offsets)
	}
	if total != 200 {
		return fmt.Errorf("%d of 200 acknowledged", total)
	}
	seen := map[string]bool{}
	for p := range 2 {
		got, err := readAll(ctx, topic, p)
		if err != nil {
			return err
		}
		for i, rec := range got {
			if rec.Offset != int64(i) || seen[string(rec.Value)] {
				return fmt.Errorf("partition %d: %q at offset %d", p, rec.Value, rec.Offset)
			}
			seen[string(rec.Value)] = true
		}
	}
	if len(seen) != 200 {
		return fmt.Errorf("read %d distinct records, want 200", len(seen))
	}
	return nil
}

// --- offsets -----------------------------------------------------------------------

func checkOffsets(ctx context.Context) error {
	topic := r.Topic("offsets")
	if err := createTopic(ctx, topic, 1); err != nil {
		return err
	}
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	w := &kafka.Writer{Addr: kafka.TCP(suite.Bootstrap()), Topic: topic, RequiredAcks: kafka.RequireAll, BatchTimeout: 5 * time.Millisecond}
	for i := range 10 {
		if err := w.WriteMessages(ctx, kafka.Message{Value: fmt.Appendf(nil, "v%d", i), Time: base.Add(time.Duration(i) * time.Second)}); err != nil {
			w.Close()
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	conn, err := kafka.DialLeader(ctx, "tcp", suite.Bootstrap(), topic, 0)
	if err != nil {
		return err
	}
	first, err1 := conn.ReadFirstOffset()
	last, err2 := conn.ReadLastOffset()
	byTime, err3 := conn.ReadOffset(base.Add(4500 * time.Millisecond))
	conn.Close()
	if err := errors.Join(err1, err2, err3); err != nil {
		return err
	}
	if first != 0 || last != 10 || byTime != 5 {
		return fmt.Errorf("first %d last %d by time %d, want 0, 10 and 5", first, last, byTime)
	}
	got, err := read(ctx, topic, 0, 6, 4)
	if err != nil {
		return err
	}
	if len(got) != 4 {
		return fmt.Errorf("from offset 6: %d records, want 4", len(got))
	}
	for i, rec := range got {
		if rec.Offset != int64(6+i) || string(rec.Value) != "v"+strconv.Itoa(6+i) {
			return fmt.Errorf("from offset 6, record %d is %d:%s", i, rec.Offset, rec.Value)
		}
	}
	return nil
}

// --- consumer group -------------------------------------------------------------------

// checkGroup reads with a group Reader, commits, checks the committed offsets,
// then a new Reader in the group resumes after them.
func checkGroup(ctx context.Context) error {
	topic, group := r.Topic("group"), r.Topic("group")
	if err := createTopic(ctx, topic, 3); err != nil {
		return err
	}
	produce := func(from, to int) error {
		w := &kafka.Writer{Addr: kafka.TCP(suite.Bootstrap()), Topic: topic, Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll, BatchTimeout: 5 * time.Millisecond}
		var msgs []kafka.Message
		for i := from; i < to; i++ {
			msgs = append(msgs, kafka.Message{Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, "g%d", i)})
		}
		err := w.WriteMessages(ctx, msgs...)
		return errors.Join(err, w.Close())
	}
	member := func(want int) ([]string, error) {
		rd := kafka.NewReader(kafka.ReaderConfig{
			Brokers: []string{suite.Bootstrap()}, GroupID: group, Topic: topic, StartOffset: kafka.FirstOffset,
			MaxWait: 200 * time.Millisecond, ErrorLogger: logger("[kafka-go group reader] "),
		})
		defer rd.Close()
		var got []string
		for len(got) < want {
			m, err := rd.FetchMessage(ctx)
			if err != nil {
				return got, fmt.Errorf("group reader read %d of %d: %w", len(got), want, err)
			}
			if err := rd.CommitMessages(ctx, m); err != nil {
				return got, fmt.Errorf("commit: %w", err)
			}
			got = append(got, string(m.Value))
		}
		return got, nil
	}
	if err := produce(0, 30); err != nil {
		return err
	}
	if _, err := member(30); err != nil {
		return err
	}
	offsets, err := admin().OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: {0, 1, 2}}})
	if err != nil {
		return fmt.Errorf("committed offsets: %w", err)
	}
	total := int64(0)
	for _, p := range offsets.Topics[topic] {
		total += p.CommittedOffset
	}
	if total != 30 {
		return fmt.Errorf("committed offsets add up to %d, want 30", total)
	}
	if err := produce(30, 40); err != nil {
		return err
	}
	got, err := member(10)
	if err != nil {
		return err
	}
	for _, v := range got {
		if i, _ := strconv.Atoi(v[1:]); i < 30 {
			return fmt.Errorf("second reader read %q: not resumed from the committed offsets", v)
		}
	}
	return nil
}

// --- codecs ---------------------------------------------------------------------------

var codecs = map[string]compress.Compression{
	"gzip": kafka.Gzip, "snappy": kafka.Snappy, "lz4": kafka.Lz4, "zstd": kafka.Zstd,
}

func checkCodec(ctx context.Context, codec string) error {
	topic := suite.MatrixTopic(client, codec)
	if err := createTopic(ctx, topic, 1); err != nil {
		return err
	}
	w := &kafka.Writer{
		Addr: kafka.TCP(suite.Bootstrap()), Topic: topic, Compression: codecs[codec], RequiredAcks: kafka.RequireAll,
		BatchSize: suite.MatrixRecordCount, BatchTimeout: 50 * time.Millisecond, ErrorLogger: logger("[kafka-go writer] "),
	}
	var msgs []kafka.Message
	for _, rec := range suite.MatrixRecords(client, codec) {
		msgs = append(msgs, toMessage(rec))
	}
	err := w.WriteMessages(ctx, msgs...)
	if err = errors.Join(err, w.Close()); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	got, err := read(ctx, topic, 0, kafka.FirstOffset, suite.MatrixRecordCount)
	if err != nil {
		return err
	}
	if err := suite.CheckMatrix(got, client, codec); err != nil {
		return err
	}
	return suite.AddToManifest(client, codec)
}
