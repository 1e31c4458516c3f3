package schemareg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Topic is the compacted topic the registry keeps its records in, as
// Confluent's registry does (kafkastore.topic's default).
const Topic = "_schemas"

// TransactionalID is the transactional id every node's registry writes
// _schemas with: a node that starts writing fences the one that wrote
// before it (see the package comment).
const TransactionalID = "gregor-schema-registry"

// kafkaLog is _schemas partition 0 through Kafka clients of the node: a
// read_committed reader from the start, and a transactional writer. The
// reader and admin parts are safe for concurrent use; the writer's are
// called by one write at a time (Registry.writeMu).
type kafkaLog struct {
	bootstrap string
	client    *kgo.Client // reads, and lists offsets and topics
	admin     *kadm.Client
	// writer produces in transactions; nil until the first write and after
	// a write failed (it may have been fenced).
	writer *kgo.Client
	logger *slog.Logger
	// exists is set once _schemas has been seen to exist (it is never
	// deleted by the registry). Atomic: readers and the writer set it.
	exists atomic.Bool
}

// openLog connects to bootstrap. _schemas is created by the first write
// (ensureTopic), by when the cluster's brokers have registered, so that
// its replication factor counts them.
func openLog(ctx context.Context, bootstrap string, logger *slog.Logger) (*kafkaLog, error) {
	// Control records come through so that the reader's position passes
	// the marker that ends each transaction (see Registry.apply).
	client, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.ClientID("gregor-schema-registry"),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords(),
		// A node that never writes learns that another created _schemas
		// from the periodic metadata refresh.
		kgo.MetadataMaxAge(10*time.Second),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{Topic: {0: kgo.NewOffset().AtStart()}}))
	if err != nil {
		return nil, err
	}
	l := &kafkaLog{bootstrap: bootstrap, client: client, admin: kadm.NewClient(client), logger: logger}
	if _, err := l.admin.BrokerMetadata(ctx); err != nil {
		client.Close()
		return nil, err
	}
	return l, nil
}

func (l *kafkaLog) close() {
	l.dropWriter()
	l.client.Close()
}

// fence makes this node the writer of _schemas: it initializes the
// transactional producer id, which fences every other node's writer and
// aborts its open transaction. After it returns, no record appears in
// _schemas but this writer's until another node fences this one.
func (l *kafkaLog) fence(ctx context.Context) error {
	if l.writer != nil {
		return nil
	}
	w, err := kgo.NewClient(kgo.SeedBrokers(l.bootstrap), kgo.ClientID("gregor-schema-registry"),
		kgo.TransactionalID(TransactionalID), kgo.TransactionTimeout(10*time.Second), kgo.DefaultProduceTopic(Topic),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(0), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		return err
	}
	if _, _, err := w.ProducerID(ctx); err != nil {
		w.Close()
		return fmt.Errorf("initialize the producer id of %s: %w", TransactionalID, err)
	}
	l.writer = w
	return nil
}

// dropWriter closes the writer, if any; the next write fences again.
func (l *kafkaLog) dropWriter() {
	if l.writer != nil {
		l.writer.Close()
		l.writer = nil
	}
}

// ensureTopic creates _schemas (one partition, compacted, replicated to
// min(3, brokers) nodes) unless it exists.
func (l *kafkaLog) ensureTopic(ctx context.Context) error {
	if exists, err := l.topicExists(ctx); err != nil || exists {
		return err
	}
	brokers, err := l.admin.BrokerMetadata(ctx)
	if err != nil {
		return err
	}
	rf := int16(min(3, len(brokers.Brokers)))
	if rf < 3 {
		l.logger.Warn("schema registry: creating _schemas with fewer replicas than 3: fewer brokers are registered", "topic", Topic, "replication.factor", rf)
	}
	cleanup := "compact"
	resp, createErr := l.admin.CreateTopic(ctx, 1, rf, map[string]*string{"cleanup.policy": &cleanup}, Topic)
	if createErr == nil {
		createErr = resp.Err
	}
	if createErr == nil {
		l.client.ForceMetadataRefresh() // the reader starts on it now
		return nil
	}
	if exists, err := l.topicExists(ctx); err != nil || exists {
		return err // created, by us or by another node
	}
	return fmt.Errorf("create %s: %w", Topic, createErr)
}

func (l *kafkaLog) topicExists(ctx context.Context) (bool, error) {
	if l.exists.Load() {
		return true, nil
	}
	topics, err := l.admin.ListTopics(ctx, Topic)
	if err != nil {
		return false, err
	}
	d, ok := topics[Topic]
	exists := ok && d.Err == nil && len(d.Partitions) > 0
	if exists && !l.exists.Swap(true) {
		l.client.ForceMetadataRefresh() // another node created it: read it now
	}
	return exists, nil
}

// append writes recs to partition 0 in one transaction and returns the
// offset of the last record once the transaction is committed. Any
// failure drops the writer: it may have been fenced by another node.
func (l *kafkaLog) append(ctx context.Context, recs []record) (int64, error) {
	if l.writer == nil {
		return 0, errors.New("no writer: fence first")
	}
	last, err := l.appendTxn(ctx, recs)
	if err != nil {
		l.dropWriter()
	}
	return last, err
}

func (l *kafkaLog) appendTxn(ctx context.Context, recs []record) (int64, error) {
	if err := l.writer.BeginTransaction(); err != nil {
		return 0, err
	}
	krs := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		krs[i] = &kgo.Record{Key: r.key, Value: r.value, Partition: 0}
	}
	produceErr := l.writer.ProduceSync(ctx, krs...).FirstErr()
	commit := kgo.TryCommit
	if produceErr != nil {
		commit = kgo.TryAbort
	}
	if err := l.writer.EndTransaction(ctx, commit); err != nil {
		return 0, err
	}
	if produceErr != nil {
		return 0, produceErr
	}
	return krs[len(krs)-1].Offset, nil
}

// end returns the log end offset of partition 0; 0 while _schemas does
// not exist.
func (l *kafkaLog) end(ctx context.Context) (int64, error) {
	if exists, err := l.topicExists(ctx); err != nil || !exists {
		return 0, err
	}
	offsets, err := l.admin.ListEndOffsets(ctx, Topic)
	if err != nil {
		return 0, err
	}
	o, ok := offsets.Lookup(Topic, 0)
	if !ok {
		return 0, fmt.Errorf("%s-0 has no end offset", Topic)
	}
	return o.Offset, o.Err
}

// read calls apply for each record of partition 0 from the start, in
// order, until ctx ends.
func (l *kafkaLog) read(ctx context.Context, logger *slog.Logger, apply func(offset int64, key, value []byte)) {
	for {
		fetches := l.client.PollFetches(ctx)
		if ctx.Err() != nil {
			return
		}
		fetches.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.Canceled) {
				logger.Warn("schema registry: reading _schemas", "topic", topic, "partition", p, "err", err)
			}
		})
		fetches.EachRecord(func(r *kgo.Record) {
			if r.Attrs.IsControl() {
				apply(r.Offset, nil, nil) // a transaction marker: only the position moves
				return
			}
			apply(r.Offset, r.Key, r.Value)
		})
	}
}
