// Command sarama is the IBM/sarama runner: cluster admin, the sync and async
// producers (at sarama's default protocol version and at Kafka 4.0's), the
// idempotent producer, partition consumers by offset, a consumer group with
// commits, and every codec.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"gregor/compat/internal/suite"
)

const client = "sarama"

var r = &suite.Runner{Client: client}

func main() {
	sarama.Logger = log.New(os.Stderr, "[sarama] ", log.Ltime)
	suite.Main(checks, matrix)
}

func checks() {
	r.Check("admin-create-list-delete", 30*time.Second, checkAdmin)
	r.Check("sync-producer-keyed", 30*time.Second, func(ctx context.Context) error { return checkSyncProducer(ctx, sarama.DefaultVersion, "keyed") })
	r.Check("sync-producer-keyed-kafka-4.0", 30*time.Second, func(ctx context.Context) error { return checkSyncProducer(ctx, sarama.V4_0_0_0, "keyed-v4") })
	r.Check("async-producer", 30*time.Second, checkAsyncProducer)
	r.Check("idempotent-producer", 30*time.Second, checkIdempotent)
	r.Check("transactional-producer", 20*time.Second, checkTransactions)
	r.Check("consume-offsets", 30*time.Second, checkOffsets)
	r.Check("group-consume-commit", 30*time.Second, checkGroup)
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
			got, err := consume(ctx, config(), e.Topic, []int32{0}, sarama.OffsetOldest, suite.MatrixRecordCount)
			if err != nil {
				return err
			}
			return suite.CheckMatrix(got, e.Producer, e.Codec)
		})
	}
}

func config() *sarama.Config {
	c := sarama.NewConfig()
	c.ClientID = "compat-sarama"
	c.Producer.Return.Successes = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Metadata.AllowAutoTopicCreation = false
	c.Consumer.MaxWaitTime = 500 * time.Millisecond
	return c
}

func brokers() []string { return []string{suite.Bootstrap()} }

func createTopic(topic string, partitions int32) error {
	adm, err := sarama.NewClusterAdmin(brokers(), config())
	if err != nil {
		return err
	}
	defer adm.Close()
	if err := adm.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1}, false); err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	return nil
}

// consume reads the given partitions from offset until want records arrived
// (then briefly longer, to catch extra records), in partition order.
func consume(ctx context.Context, cfg *sarama.Config, topic string, partitions []int32, offset int64, want int) ([]suite.Record, error) {
	c, err := sarama.NewConsumer(brokers(), cfg)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	msgs := make(chan *sarama.ConsumerMessage)
	errs := make(chan error, len(partitions))
	for _, p := range partitions {
		pc, err := c.ConsumePartition(topic, p, offset)
		if err != nil {
			return nil, fmt.Errorf("consume partition %d: %w", p, err)
		}
		defer pc.AsyncClose()
		go func() {
			for {
				select {
				case m, ok := <-pc.Messages():
					if !ok {
						return
					}
					select {
					case msgs <- m:
					case <-ctx.Done():
						return
					}
				case e, ok := <-pc.Errors():
					if ok {
						errs <- e
					}
					return
				}
			}
		}()
	}
	var got []suite.Record
	var grace <-chan time.Time
	for {
		select {
		case m := <-msgs:
			got = append(got, toSuite(m))
			if len(got) == want {
				grace = time.After(300 * time.Millisecond)
			}
		case e := <-errs:
			return got, fmt.Errorf("consume: %w", e)
		case <-grace:
			return suite.SortedByPartition(got), nil
		case <-ctx.Done():
			return got, fmt.Errorf("read %d of %d records: %w", len(got), want, ctx.Err())
		}
	}
}

func toSuite(m *sarama.ConsumerMessage) suite.Record {
	rec := suite.Record{Partition: m.Partition, Offset: m.Offset, Key: m.Key, Value: m.Value}
	for _, h := range m.Headers {
		rec.Headers = append(rec.Headers, suite.Header{Key: string(h.Key), Value: string(h.Value)})
	}
	return rec
}

func toMessage(topic string, rec suite.Record) *sarama.ProducerMessage {
	m := &sarama.ProducerMessage{Topic: topic, Key: sarama.ByteEncoder(rec.Key), Value: sarama.ByteEncoder(rec.Value), Partition: rec.Partition}
	for _, h := range rec.Headers {
		m.Headers = append(m.Headers, sarama.RecordHeader{Key: []byte(h.Key), Value: []byte(h.Value)})
	}
	return m
}

// --- admin -------------------------------------------------------------------

func checkAdmin(ctx context.Context) error {
	adm, err := sarama.NewClusterAdmin(brokers(), config())
	if err != nil {
		return err
	}
	defer adm.Close()
	topic := r.Topic("admin")
	retention := "3600000"
	detail := &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 1, ConfigEntries: map[string]*string{"retention.ms": &retention}}
	if err := adm.CreateTopic(topic, detail, false); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	if err := adm.CreateTopic(topic, detail, false); !errors.Is(err, sarama.ErrTopicAlreadyExists) {
		return fmt.Errorf("creating twice: %v, want TOPIC_ALREADY_EXISTS", err)
	}
	topics, err := adm.ListTopics()
	if err != nil {
		return fmt.Errorf("list: %w", err)
	}
	d, ok := topics[topic]
	if !ok || d.NumPartitions != 3 {
		return fmt.Errorf("list: present %v with %d partitions", ok, d.NumPartitions)
	}
	if v := d.ConfigEntries["retention.ms"]; v == nil || *v != retention {
		return fmt.Errorf("list: retention.ms = %v", v)
	}
	cluster, _, err := adm.DescribeCluster()
	if err != nil || len(cluster) != 1 {
		return fmt.Errorf("describe cluster: %d brokers, want one (%v)", len(cluster), err)
	}
	id := cluster[0].ID()
	meta, err := adm.DescribeTopics([]string{topic})
	if err != nil || len(meta) != 1 || len(meta[0].Partitions) != 3 {
		return fmt.Errorf("describe: %v %v", meta, err)
	}
	for _, p := range meta[0].Partitions {
		if p.Leader != id || fmt.Sprint(p.Replicas) != fmt.Sprint([]int32{id}) || fmt.Sprint(p.Isr) != fmt.Sprint([]int32{id}) {
			return fmt.Errorf("describe partition %d: leader %d replicas %v isr %v, want broker %d", p.ID, p.Leader, p.Replicas, p.Isr, id)
		}
	}
	if err := adm.DeleteTopic(topic); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	return suite.WaitFor(ctx, "the deleted topic to leave the list", func() (bool, error) {
		topics, err := adm.ListTopics()
		_, present := topics[topic]
		return err == nil && !present, err
	})
}

// --- producers ------------------------------------------------------------------

func checkSyncProducer(ctx context.Context, version sarama.KafkaVersion, name string) error {
	topic := r.Topic(name)
	if err := createTopic(topic, 3); err != nil {
		return err
	}
	cfg := config()
	cfg.Version = version
	p, err := sarama.NewSyncProducer(brokers(), cfg)
	if err != nil {
		return err
	}
	defer p.Close()
	var msgs []*sarama.ProducerMessage
	for _, rec := range suite.KeyedRecords(client) {
		msgs = append(msgs, toMessage(topic, rec))
	}
	next := map[int32]int64{}
	for _, m := range msgs { // one at a time: each answer carries the next offset
		part, off, err := p.SendMessage(m)
		if err != nil {
			return fmt.Errorf("send: %w", err)
		}
		if off != next[part] {
			return fmt.Errorf("message acknowledged at %d/%d, want offset %d", part, off, next[part])
		}
		next[part]++
	}
	got, err := consume(ctx, cfg, topic, []int32{0, 1, 2}, sarama.OffsetOldest, len(msgs))
	if err != nil {
		return err
	}
	return suite.CheckKeyed(got, client)
}

func checkAsyncProducer(ctx context.Context) error {
	topic := r.Topic("async")
	if err := createTopic(topic, 2); err != nil {
		return err
	}
	cfg := config()
	cfg.Producer.Flush.Frequency = 5 * time.Millisecond
	p, err := sarama.NewAsyncProducer(brokers(), cfg)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	var errs []error
	acked := map[int32][]int64{}
	wg.Add(2)
	go func() {
		defer wg.Done()
		for m := range p.Successes() {
			acked[m.Partition] = append(acked[m.Partition], m.Offset)
		}
	}()
	go func() {
		defer wg.Done()
		for e := range p.Errors() {
			errs = append(errs, e)
		}
	}()
	for i := range 200 {
		p.Input() <- &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(fmt.Sprintf("k%d", i%7)), Value: sarama.StringEncoder(fmt.Sprintf("async-%d", i))}
	}
	p.AsyncClose()
	wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("%d errors, first: %v", len(errs), errs[0])
	}
	total := 0
	for part, offsets := range acked {
		for i, off := range offsets {
			if off != int64(i) {
				return fmt.Errorf("partition %d: acknowledgement %d at offset %d", part, i, off)
			}
		}
		total += len(offsets)
	}
	if total != 200 {
		return fmt.Errorf("%d of 200 acknowledged", total)
	}
	got, err := consume(ctx, cfg, topic, []int32{0, 1}, sarama.OffsetOldest, 200)
	if err != nil {
		return err
	}
	return suite.CheckOrdered(got, 200, "async-%d")
}

func checkIdempotent(ctx context.Context) error {
	topic := r.Topic("idempotent")
	if err := createTopic(topic, 1); err != nil {
		return err
	}
	cfg := config()
	cfg.Producer.Idempotent = true
	cfg.Net.MaxOpenRequests = 1
	cfg.Producer.Flush.Messages = 10
	p, err := sarama.NewSyncProducer(brokers(), cfg)
	if err != nil {
		return err
	}
	defer p.Close()
	var msgs []*sarama.ProducerMessage
	for i := range 100 {
		msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder(fmt.Sprintf("idem-%d", i))})
	}
	if err := p.SendMessages(msgs); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	for i, m := range msgs {
		if m.Offset != int64(i) {
			return fmt.Errorf("message %d acknowledged at offset %d", i, m.Offset)
		}
	}
	got, err := consume(ctx, cfg, topic, []int32{0}, sarama.OffsetOldest, 100)
	if err != nil {
		return err
	}
	return suite.CheckOrdered(got, 100, "idem-%d")
}

// checkTransactions commits one transaction and aborts another: a
// read_committed partition consumer sees only the committed records.
func checkTransactions(ctx context.Context) error {
	topic := r.Topic("txn")
	if err := createTopic(topic, 1); err != nil {
		return err
	}
	cfg := config()
	cfg.Producer.Idempotent = true
	cfg.Producer.Transaction.ID = r.Topic("txn-producer")
	cfg.Net.MaxOpenRequests = 1
	p, err := sarama.NewSyncProducer(brokers(), cfg)
	if err != nil {
		return err
	}
	defer p.Close()
	for _, outcome := range []string{"committed", "aborted"} {
		if err := p.BeginTxn(); err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		for i := range 5 {
			if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder(fmt.Sprintf("%s-%d", outcome, i))}); err != nil {
				return fmt.Errorf("send in transaction: %w", err)
			}
		}
		end := p.CommitTxn
		if outcome == "aborted" {
			end = p.AbortTxn
		}
		if err := end(); err != nil {
			return fmt.Errorf("end transaction: %w", err)
		}
	}
	cfg = config()
	cfg.Consumer.IsolationLevel = sarama.ReadCommitted
	got, err := consume(ctx, cfg, topic, []int32{0}, sarama.OffsetOldest, 5)
	if err != nil {
		return err
	}
	for i, rec := range got {
		if string(rec.Value) != fmt.Sprintf("committed-%d", i) {
			return fmt.Errorf("read_committed record %d: %q", i, rec.Value)
		}
	}
	if len(got) != 5 {
		return fmt.Errorf("read_committed read %d records, want 5", len(got))
	}
	return nil
}

// --- offsets -----------------------------------------------------------------------

func checkOffsets(ctx context.Context) error {
	topic := r.Topic("offsets")
	if err := createTopic(topic, 1); err != nil {
		return err
	}
	cfg := config()
	p, err := sarama.NewSyncProducer(brokers(), cfg)
	if err != nil {
		return err
	}
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	for i := range 10 {
		m := &sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder(fmt.Sprintf("v%d", i)), Timestamp: base.Add(time.Duration(i) * time.Second)}
		if _, _, err := p.SendMessage(m); err != nil {
			p.Close()
			return err
		}
	}
	p.Close()
	cl, err := sarama.NewClient(brokers(), cfg)
	if err != nil {
		return err
	}
	defer cl.Close()
	oldest, err1 := cl.GetOffset(topic, 0, sarama.OffsetOldest)
	newest, err2 := cl.GetOffset(topic, 0, sarama.OffsetNewest)
	byTime, err3 := cl.GetOffset(topic, 0, base.Add(4500*time.Millisecond).UnixMilli())
	if err := errors.Join(err1, err2, err3); err != nil {
		return err
	}
	if oldest != 0 || newest != 10 || byTime != 5 {
		return fmt.Errorf("oldest %d newest %d by time %d, want 0, 10 and 5", oldest, newest, byTime)
	}
	got, err := consume(ctx, cfg, topic, []int32{0}, 6, 4)
	if err != nil {
		return err
	}
	for i, rec := range got {
		if rec.Offset != int64(6+i) || string(rec.Value) != fmt.Sprintf("v%d", 6+i) {
			return fmt.Errorf("from offset 6, record %d is %d:%s", i, rec.Offset, rec.Value)
		}
	}
	if len(got) != 4 {
		return fmt.Errorf("from offset 6: %d records, want 4", len(got))
	}
	return nil
}

// --- consumer group -------------------------------------------------------------------

type groupHandler struct {
	mu   sync.Mutex
	got  []string
	want int
	done chan struct{}
}

func (h *groupHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *groupHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *groupHandler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for m := range c.Messages() {
		s.MarkMessage(m, "") // before counting, so that all counted are marked
		h.mu.Lock()
		h.got = append(h.got, string(m.Value))
		if len(h.got) == h.want {
			s.Commit() // auto-commit is off: commit the marked offsets now
			close(h.done)
		}
		h.mu.Unlock()
	}
	return nil
}

// checkGroup consumes with a group member, commits, checks the committed
// offsets, then a new member of the group resumes after them.
func checkGroup(ctx context.Context) error {
	topic, group := r.Topic("group"), r.Topic("group")
	if err := createTopic(topic, 3); err != nil {
		return err
	}
	produce := func(from, to int) error {
		p, err := sarama.NewSyncProducer(brokers(), config())
		if err != nil {
			return err
		}
		defer p.Close()
		for i := from; i < to; i++ {
			if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(fmt.Sprintf("k%d", i)), Value: sarama.StringEncoder(fmt.Sprintf("g%d", i))}); err != nil {
				return err
			}
		}
		return nil
	}
	member := func(want int) ([]string, error) {
		cfg := config()
		cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
		cfg.Consumer.Offsets.AutoCommit.Enable = false
		g, err := sarama.NewConsumerGroup(brokers(), group, cfg)
		if err != nil {
			return nil, err
		}
		h := &groupHandler{want: want, done: make(chan struct{})}
		mctx, cancel := context.WithCancel(ctx)
		errc := make(chan error, 1)
		go func() {
			for mctx.Err() == nil {
				if err := g.Consume(mctx, []string{topic}, h); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
		select {
		case <-h.done:
		case err = <-errc:
		case <-ctx.Done():
			err = ctx.Err()
		}
		cancel() // ends the session
		select {
		case cerr := <-errc:
			if err == nil {
				err = cerr
			}
		case <-time.After(5 * time.Second):
			return h.got, fmt.Errorf("group member did not stop after read %d of %d: %w", len(h.got), want, err)
		}
		if cerr := g.Close(); err == nil {
			err = cerr
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if err != nil {
			return h.got, fmt.Errorf("group member read %d of %d: %w", len(h.got), want, err)
		}
		return h.got, nil
	}
	if err := produce(0, 30); err != nil {
		return err
	}
	if _, err := member(30); err != nil {
		return err
	}
	adm, err := sarama.NewClusterAdmin(brokers(), config())
	if err != nil {
		return err
	}
	defer adm.Close()
	offsets, err := adm.ListConsumerGroupOffsets(group, map[string][]int32{topic: {0, 1, 2}})
	if err != nil {
		return fmt.Errorf("committed offsets: %w", err)
	}
	total := int64(0)
	for _, b := range offsets.Blocks[topic] {
		total += b.Offset
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
		var i int
		fmt.Sscanf(v, "g%d", &i)
		if i < 30 {
			return fmt.Errorf("second member read %q: not resumed from the committed offsets", v)
		}
	}
	return nil
}

// --- codecs ---------------------------------------------------------------------------

var codecs = map[string]sarama.CompressionCodec{
	"gzip": sarama.CompressionGZIP, "snappy": sarama.CompressionSnappy,
	"lz4": sarama.CompressionLZ4, "zstd": sarama.CompressionZSTD,
}

func checkCodec(ctx context.Context, codec string) error {
	topic := suite.MatrixTopic(client, codec)
	if err := createTopic(topic, 1); err != nil {
		return err
	}
	cfg := config()
	cfg.Producer.Compression = codecs[codec]
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	cfg.Producer.Flush.Messages = suite.MatrixRecordCount
	cfg.Producer.Flush.Frequency = 50 * time.Millisecond
	p, err := sarama.NewSyncProducer(brokers(), cfg)
	if err != nil {
		return err
	}
	defer p.Close()
	var msgs []*sarama.ProducerMessage
	for _, rec := range suite.MatrixRecords(client, codec) {
		msgs = append(msgs, toMessage(topic, rec))
	}
	if err := p.SendMessages(msgs); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	got, err := consume(ctx, cfg, topic, []int32{0}, sarama.OffsetOldest, suite.MatrixRecordCount)
	if err != nil {
		return err
	}
	if err := suite.CheckMatrix(got, client, codec); err != nil {
		return err
	}
	return suite.AddToManifest(client, codec)
}
