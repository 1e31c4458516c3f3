// Command franz-go is the franz-go runner (kgo, kadm): admin, sync and async
// produce, consumption by assignment and by offset, the idempotent and the
// transactional producer, a consumer group with commits, and every codec.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/compat/internal/suite"
)

const client = "franz-go"

var r = &suite.Runner{Client: client}

func main() {
	suite.Main(checks, matrix)
}

func checks() {
	r.Check("admin-create-list-delete", 30*time.Second, checkAdmin)
	r.Check("produce-sync-keyed", 30*time.Second, checkProduceSync)
	r.Check("produce-async", 30*time.Second, checkProduceAsync)
	r.Check("consume-offsets", 30*time.Second, checkConsumeOffsets)
	r.Check("idempotent-producer", 30*time.Second, checkIdempotent)
	r.Check("transactional-producer", 20*time.Second, checkTransactions)
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
			return readMatrix(ctx, e.Topic, e.Producer, e.Codec)
		})
	}
}

func newClient(opts ...kgo.Opt) (*kgo.Client, error) {
	base := []kgo.Opt{
		kgo.SeedBrokers(suite.Bootstrap()),
		kgo.WithLogger(kgo.BasicLogger(os.Stderr, kgo.LogLevelWarn, nil)),
		kgo.FetchMaxWait(500 * time.Millisecond),
	}
	return kgo.NewClient(append(base, opts...)...)
}

func createTopic(ctx context.Context, topic string, partitions int32, configs map[string]*string) error {
	cl, err := newClient()
	if err != nil {
		return err
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, 1, configs, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	return nil
}

// consume reads from the given partitions and offsets until want records
// arrived (then briefly longer, to catch extra records) or ctx ends.
func consume(ctx context.Context, topic string, offsets map[int32]kgo.Offset, want int, opts ...kgo.Opt) ([]*kgo.Record, error) {
	cl, err := newClient(append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets}))...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	var got []*kgo.Record
	extra := false
	for {
		pollCtx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		fetches := cl.PollFetches(pollCtx)
		cancel()
		var ferr error
		fetches.EachError(func(_ string, _ int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				ferr = err
			}
		})
		if ferr != nil {
			return got, fmt.Errorf("fetch: %w", ferr)
		}
		got = append(got, fetches.Records()...)
		switch {
		case extra:
			return got, nil
		case len(got) >= want:
			extra = true
		case ctx.Err() != nil:
			return got, fmt.Errorf("read %d of %d records: %w", len(got), want, ctx.Err())
		}
	}
}

func fromStart(partitions int32) map[int32]kgo.Offset {
	m := map[int32]kgo.Offset{}
	for p := range partitions {
		m[p] = kgo.NewOffset().AtStart()
	}
	return m
}

func toSuite(recs []*kgo.Record) []suite.Record {
	out := make([]suite.Record, len(recs))
	for i, r := range recs {
		out[i] = suite.Record{Partition: r.Partition, Offset: r.Offset, Key: r.Key, Value: r.Value}
		for _, h := range r.Headers {
			out[i].Headers = append(out[i].Headers, suite.Header{Key: h.Key, Value: string(h.Value)})
		}
	}
	return out
}

func fromSuite(topic string, recs []suite.Record) []*kgo.Record {
	out := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		out[i] = &kgo.Record{Topic: topic, Partition: r.Partition, Key: r.Key, Value: r.Value}
		for _, h := range r.Headers {
			out[i].Headers = append(out[i].Headers, kgo.RecordHeader{Key: h.Key, Value: []byte(h.Value)})
		}
	}
	return out
}

// --- admin -----------------------------------------------------------------------

func checkAdmin(ctx context.Context) error {
	cl, err := newClient()
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	a, b := r.Topic("admin-a"), r.Topic("admin-b")
	retention := "3600000"
	created, err := adm.CreateTopics(ctx, 3, 1, map[string]*string{"retention.ms": &retention}, a, b)
	if err != nil {
		return err
	}
	if err := created.Error(); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	again, err := adm.CreateTopic(ctx, 3, 1, nil, a)
	if err == nil && !errors.Is(again.Err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("creating %s twice: %v, want TOPIC_ALREADY_EXISTS", a, again.Err)
	}
	brokers, err := adm.ListBrokers(ctx)
	if err != nil || len(brokers) != 1 {
		return fmt.Errorf("list brokers: %v (%v), want one", brokers, err)
	}
	id := brokers[0].NodeID
	listed, err := adm.ListTopics(ctx, a, b)
	if err != nil {
		return err
	}
	for _, t := range []string{a, b} {
		d, ok := listed[t]
		if !ok || d.Err != nil || len(d.Partitions) != 3 {
			return fmt.Errorf("list %s: present %v, err %v, %d partitions", t, ok, d.Err, len(d.Partitions))
		}
		for _, p := range d.Partitions {
			if p.Leader != id || fmt.Sprint(p.Replicas) != fmt.Sprint([]int32{id}) || fmt.Sprint(p.ISR) != fmt.Sprint([]int32{id}) {
				return fmt.Errorf("%s/%d: leader %d replicas %v isr %v, want broker %d", t, p.Partition, p.Leader, p.Replicas, p.ISR, id)
			}
		}
	}
	configs, err := adm.DescribeTopicConfigs(ctx, b)
	if err != nil {
		return err
	}
	rc, err := configs.On(b, nil)
	if err != nil {
		return err
	}
	if v := configValue(rc.Configs, "retention.ms"); v != retention {
		return fmt.Errorf("retention.ms = %q, want %q", v, retention)
	}
	deleted, err := adm.DeleteTopics(ctx, a, b)
	if err != nil {
		return err
	}
	if err := deleted.Error(); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	return suite.WaitFor(ctx, "deleted topics to leave the list", func() (bool, error) {
		all, err := adm.ListTopics(ctx)
		return err == nil && !all.Has(a) && !all.Has(b), err
	})
}

func configValue(configs []kadm.Config, name string) string {
	for _, c := range configs {
		if c.Key == name && c.Value != nil {
			return *c.Value
		}
	}
	return ""
}

// --- produce -----------------------------------------------------------------------

func checkProduceSync(ctx context.Context) error {
	topic := r.Topic("keyed")
	if err := createTopic(ctx, topic, 3, nil); err != nil {
		return err
	}
	cl, err := newClient(kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		return err
	}
	defer cl.Close()
	recs := fromSuite(topic, suite.KeyedRecords(client))
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	next := map[int32]int64{}
	for _, rec := range recs { // ProduceSync fills in where each record landed
		if rec.Offset != next[rec.Partition] {
			return fmt.Errorf("%s acknowledged at %d/%d, want offset %d", rec.Value, rec.Partition, rec.Offset, next[rec.Partition])
		}
		next[rec.Partition]++
	}
	got, err := consume(ctx, topic, fromStart(3), len(recs))
	if err != nil {
		return err
	}
	return suite.CheckKeyed(toSuite(got), client)
}

func checkProduceAsync(ctx context.Context) error {
	topic := r.Topic("async")
	if err := createTopic(ctx, topic, 2, nil); err != nil {
		return err
	}
	cl, err := newClient(kgo.ProducerLinger(5 * time.Millisecond))
	if err != nil {
		return err
	}
	defer cl.Close()
	var mu sync.Mutex
	var errs []error
	acked := 0
	for i := range 200 {
		rec := &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, "k%d", i%7), Value: fmt.Appendf(nil, "async-%d", i)}
		cl.Produce(ctx, rec, func(_ *kgo.Record, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			acked++
		})
	}
	if err := cl.Flush(ctx); err != nil {
		return err
	}
	if len(errs) > 0 || acked != 200 {
		return fmt.Errorf("%d of 200 acknowledged, errors: %v", acked, errs)
	}
	got, err := consume(ctx, topic, fromStart(2), 200)
	if err != nil {
		return err
	}
	return suite.CheckOrdered(toSuite(got), 200, "async-%d")
}

// --- offsets --------------------------------------------------------------------

func checkConsumeOffsets(ctx context.Context) error {
	topic := r.Topic("offsets")
	if err := createTopic(ctx, topic, 1, nil); err != nil {
		return err
	}
	cl, err := newClient()
	if err != nil {
		return err
	}
	defer cl.Close()
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	var recs []*kgo.Record
	for i := range 10 {
		recs = append(recs, &kgo.Record{Topic: topic, Value: fmt.Appendf(nil, "v%d", i), Timestamp: base.Add(time.Duration(i) * time.Second)})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return err
	}
	adm := kadm.NewClient(cl)
	start, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return err
	}
	end, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return err
	}
	s, _ := start.Lookup(topic, 0)
	e, _ := end.Lookup(topic, 0)
	if s.Offset != 0 || e.Offset != 10 {
		return fmt.Errorf("start %d end %d, want 0 and 10", s.Offset, e.Offset)
	}
	cases := []struct {
		name  string
		at    kgo.Offset
		first int
	}{
		{"at 6", kgo.NewOffset().At(6), 6},
		{"end-3", kgo.NewOffset().AtEnd().Relative(-3), 7},
		{"after time of record 4.5", kgo.NewOffset().AfterMilli(base.Add(4500 * time.Millisecond).UnixMilli()), 5},
	}
	for _, c := range cases {
		got, err := consume(ctx, topic, map[int32]kgo.Offset{0: c.at}, 10-c.first)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		for i, rec := range got {
			if want := c.first + i; rec.Offset != int64(want) || string(rec.Value) != fmt.Sprintf("v%d", want) {
				return fmt.Errorf("%s: record %d is %d:%s, want %d:v%d", c.name, i, rec.Offset, rec.Value, want, want)
			}
		}
		if len(got) != 10-c.first {
			return fmt.Errorf("%s: read %d records, want %d", c.name, len(got), 10-c.first)
		}
	}
	return nil
}

// --- idempotence and transactions ----------------------------------------------------

// checkIdempotent produces with the (default) idempotent producer in many
// small batches: every record lands once, in order, under the producer id
// the client was given.
func checkIdempotent(ctx context.Context) error {
	topic := r.Topic("idempotent")
	if err := createTopic(ctx, topic, 1, nil); err != nil {
		return err
	}
	cl, err := newClient(kgo.ProducerBatchMaxBytes(1 << 10))
	if err != nil {
		return err
	}
	defer cl.Close()
	var recs []*kgo.Record
	for i := range 300 {
		recs = append(recs, &kgo.Record{Topic: topic, Value: fmt.Appendf(nil, "idem-%d-%0100d", i, 0)})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	id, epoch, err := cl.ProducerID(ctx)
	if err != nil || id < 0 {
		return fmt.Errorf("producer id %d epoch %d: %v", id, epoch, err)
	}
	got, err := consume(ctx, topic, fromStart(1), 300)
	if err != nil {
		return err
	}
	if err := suite.CheckOrdered(toSuite(got), 300, "idem-%d-"); err != nil {
		return err
	}
	for _, rec := range got {
		if rec.ProducerID != id || rec.ProducerEpoch != epoch {
			return fmt.Errorf("offset %d stored with producer %d/%d, want %d/%d", rec.Offset, rec.ProducerID, rec.ProducerEpoch, id, epoch)
		}
	}
	return nil
}

// checkTransactions commits one transaction and aborts another: a
// read_committed consumer sees only the committed records.
func checkTransactions(ctx context.Context) error {
	topic := r.Topic("txn")
	if err := createTopic(ctx, topic, 1, nil); err != nil {
		return err
	}
	cl, err := newClient(kgo.TransactionalID(r.Topic("txn-producer")), kgo.TransactionTimeout(10*time.Second))
	if err != nil {
		return err
	}
	defer cl.Close()
	for _, commit := range []kgo.TransactionEndTry{kgo.TryCommit, kgo.TryAbort} {
		if err := cl.BeginTransaction(); err != nil {
			return err
		}
		for i := range 5 {
			v := fmt.Sprintf("committed-%d", i)
			if commit == kgo.TryAbort {
				v = fmt.Sprintf("aborted-%d", i)
			}
			if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte(v)}).FirstErr(); err != nil {
				return fmt.Errorf("produce in transaction: %w", err)
			}
		}
		if err := cl.EndTransaction(ctx, commit); err != nil {
			return fmt.Errorf("end transaction: %w", err)
		}
	}
	got, err := consume(ctx, topic, fromStart(1), 5, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		return err
	}
	if len(got) != 5 {
		return fmt.Errorf("read_committed read %d records, want 5", len(got))
	}
	for i, rec := range got {
		if string(rec.Value) != fmt.Sprintf("committed-%d", i) {
			return fmt.Errorf("read_committed record %d: %q", i, rec.Value)
		}
	}
	return nil
}

// --- consumer group -----------------------------------------------------------------

// checkGroup consumes with a group member, commits, checks the committed
// offsets, then a new member of the group resumes after them.
func checkGroup(ctx context.Context) error {
	topic, group := r.Topic("group"), r.Topic("group")
	if err := createTopic(ctx, topic, 3, nil); err != nil {
		return err
	}
	produce := func(from, to int) error {
		cl, err := newClient()
		if err != nil {
			return err
		}
		defer cl.Close()
		var recs []*kgo.Record
		for i := from; i < to; i++ {
			recs = append(recs, &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, "g%d", i)})
		}
		return cl.ProduceSync(ctx, recs...).FirstErr()
	}
	member := func(want int) ([]string, error) {
		cl, err := newClient(kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.DisableAutoCommit(),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		if err != nil {
			return nil, err
		}
		defer cl.Close()
		var got []string
		for len(got) < want && ctx.Err() == nil {
			pollCtx, cancel := context.WithTimeout(ctx, time.Second)
			fetches := cl.PollFetches(pollCtx)
			cancel()
			for _, rec := range fetches.Records() {
				got = append(got, string(rec.Value))
			}
		}
		if len(got) < want {
			return got, fmt.Errorf("group member read %d of %d records: %w", len(got), want, ctx.Err())
		}
		return got, cl.CommitUncommittedOffsets(ctx)
	}
	if err := produce(0, 30); err != nil {
		return err
	}
	got, err := member(30)
	if err != nil {
		return err
	}
	if len(got) != 30 {
		return fmt.Errorf("first member read %d records, want 30", len(got))
	}
	cl, err := newClient()
	if err != nil {
		return err
	}
	defer cl.Close()
	committed, err := kadm.NewClient(cl).FetchOffsets(ctx, group)
	if err != nil {
		return fmt.Errorf("fetch committed offsets: %w", err)
	}
	total := int64(0)
	committed.Each(func(o kadm.OffsetResponse) { total += o.At })
	if total != 30 {
		return fmt.Errorf("committed offsets add up to %d, want 30", total)
	}
	if err := produce(30, 40); err != nil {
		return err
	}
	got, err = member(10)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, v := range got {
		var i int
		fmt.Sscanf(v, "g%d", &i)
		if i < 30 || seen[v] {
			return fmt.Errorf("second member read %q: not resumed from the committed offsets", v)
		}
		seen[v] = true
	}
	return nil
}

// --- codecs and the matrix ----------------------------------------------------------

var codecs = map[string]kgo.CompressionCodec{
	"gzip": kgo.GzipCompression(), "snappy": kgo.SnappyCompression(),
	"lz4": kgo.Lz4Compression(), "zstd": kgo.ZstdCompression(),
}

// codecAttrs are the compression bits of a batch's attributes.
var codecAttrs = map[string]uint8{"gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}

func checkCodec(ctx context.Context, codec string) error {
	topic := suite.MatrixTopic(client, codec)
	if err := createTopic(ctx, topic, 1, nil); err != nil {
		return err
	}
	cl, err := newClient(kgo.ProducerBatchCompression(codecs[codec]), kgo.ProducerLinger(50*time.Millisecond))
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := cl.ProduceSync(ctx, fromSuite(topic, suite.MatrixRecords(client, codec))...).FirstErr(); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	if err := readMatrix(ctx, topic, client, codec); err != nil {
		return err
	}
	return suite.AddToManifest(client, codec)
}

// readMatrix reads a matrix topic and checks its records and that the stored
// batches carry the codec: franz-go shows each record's batch attributes, so
// this is where a producer that did not compress is caught.
func readMatrix(ctx context.Context, topic, producer, codec string) error {
	got, err := consume(ctx, topic, fromStart(1), suite.MatrixRecordCount)
	if err != nil {
		return err
	}
	if err := suite.CheckMatrix(toSuite(got), producer, codec); err != nil {
		return err
	}
	for _, rec := range got {
		if c := rec.Attrs.CompressionType(); c != codecAttrs[codec] {
			return fmt.Errorf("offset %d is stored in a batch with compression %d, want %d (%s)", rec.Offset, c, codecAttrs[codec], codec)
		}
	}
	return nil
}
