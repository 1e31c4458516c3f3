package schemareg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Topic is the compacted topic the registry keeps its records in, as
// Confluent's registry does (kafkastore.topic's default).
const Topic = "_schemas"

// kafkaLog is _schemas partition 0 through a Kafka client of the node:
// appends with acks=all, and a reader from the start. Safe for
// concurrent use.
type kafkaLog struct {
	client *kgo.Client
	admin  *kadm.Client
}

// openLog connects to bootstrap and creates _schemas if it is missing
// (one partition, compacted, replicated to min(3, brokers) nodes).
func openLog(ctx context.Context, bootstrap string) (*kafkaLog, error) {
	client, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.ClientID("gregor-schema-registry"),
		kgo.DefaultProduceTopic(Topic), kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(0),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{Topic: {0: kgo.NewOffset().AtStart()}}))
	if err != nil {
		return nil, err
	}
	l := &kafkaLog{client: client, admin: kadm.NewClient(client)}
	if err := l.ensureTopic(ctx); err != nil {
		client.Close()
		return nil, err
	}
	return l, nil
}

func (l *kafkaLog) close() { l.client.Close() }

func (l *kafkaLog) ensureTopic(ctx context.Context) error {
	if exists, err := l.topicExists(ctx); err != nil || exists {
		return err
	}
	brokers, err := l.admin.BrokerMetadata(ctx)
	if err != nil {
		return err
	}
	rf := int16(min(3, len(brokers.Brokers)))
	cleanup := "compact"
	resp, createErr := l.admin.CreateTopic(ctx, 1, rf, map[string]*string{"cleanup.policy": &cleanup}, Topic)
	if createErr == nil {
		createErr = resp.Err
	}
	if createErr == nil {
		return nil
	}
	if exists, err := l.topicExists(ctx); err != nil || exists {
		return err // created, by us or by another node
	}
	return fmt.Errorf("create %s: %w", Topic, createErr)
}

func (l *kafkaLog) topicExists(ctx context.Context) (bool, error) {
	topics, err := l.admin.ListTopics(ctx, Topic)
	if err != nil {
		return false, err
	}
	d, ok := topics[Topic]
	return ok && d.Err == nil && len(d.Partitions) > 0, nil
}

// append writes recs to partition 0 in order and returns the offset of
// the last.
func (l *kafkaLog) append(ctx context.Context, recs []record) (int64, error) {
	krs := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		krs[i] = &kgo.Record{Key: r.key, Value: r.value, Partition: 0}
	}
	results := l.client.ProduceSync(ctx, krs...)
	if err := results.FirstErr(); err != nil {
		return 0, err
	}
	return krs[len(krs)-1].Offset, nil
}

// end returns the log end offset of partition 0.
func (l *kafkaLog) end(ctx context.Context) (int64, error) {
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
		fetches.EachRecord(func(r *kgo.Record) { apply(r.Offset, r.Key, r.Value) })
	}
}
