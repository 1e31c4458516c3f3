package restproxy

import (
	"context"
	"net/http"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// explicitPartition marks, as a record's Context, a record whose Partition
// the request chose; the others are partitioned as the Java producer does.
var explicitPartition = context.WithValue(context.Background(), explicitKey{}, true)

type explicitKey struct{}

// partitioner honours a partition the request chose and otherwise hashes
// the key with murmur2, sticky for records without a key, as Kafka's
// default partitioner (and so Confluent's proxy) does.
type partitioner struct{ keyed kgo.Partitioner }

func (p partitioner) ForTopic(topic string) kgo.TopicPartitioner {
	return &topicPartitioner{keyed: p.keyed.ForTopic(topic)}
}

type topicPartitioner struct{ keyed kgo.TopicPartitioner }

func (t *topicPartitioner) RequiresConsistency(r *kgo.Record) bool {
	return r.Context == explicitPartition || t.keyed.RequiresConsistency(r)
}

func (t *topicPartitioner) Partition(r *kgo.Record, n int) int {
	if r.Context == explicitPartition {
		return int(r.Partition)
	}
	return t.keyed.Partition(r, n)
}

// OnNewBatch lets the sticky partitioning of records without a key move on.
func (t *topicPartitioner) OnNewBatch() {
	if o, ok := t.keyed.(kgo.TopicPartitionerOnNewBatch); ok {
		o.OnNewBatch()
	}
}

// topicPartitions returns the number of partitions of topic, or
// errTopicNotFound.
func (p *Proxy) topicPartitions(ctx context.Context, topic string) (int32, error) {
	td, err := p.describeTopic(ctx, topic)
	if err != nil {
		return 0, err
	}
	return int32(len(td.Partitions)), nil
}

// describeTopic returns topic's metadata, or errTopicNotFound.
func (p *Proxy) describeTopic(ctx context.Context, topic string) (kadm.TopicDetail, error) {
	adm, err := p.admin(ctx)
	if err != nil {
		return kadm.TopicDetail{}, err
	}
	md, err := adm.Metadata(fresh(ctx), topic)
	if err != nil {
		return kadm.TopicDetail{}, timeoutOr(ctx, err)
	}
	td, ok := md.Topics[topic]
	if !ok || td.Err != nil {
		if ok && td.Err != nil && !isUnknownTopic(td.Err) {
			return kadm.TopicDetail{}, kafkaError(td.Err)
		}
		return kadm.TopicDetail{}, errTopicNotFound
	}
	return td, nil
}

// timeoutOr reports a request that ran out of time as such.
func timeoutOr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return errorf(http.StatusGatewayTimeout, codeKafkaRetriable, "the request timed out: %v", err)
	}
	return err
}

// produced is the outcome of one record.
type produced struct {
	record *kgo.Record
	err    error
}

// newRecord returns a record of topic; partition < 0 lets the partitioner
// choose.
func newRecord(topic string, partition int32, key, value []byte) *kgo.Record {
	r := &kgo.Record{Topic: topic, Key: key, Value: value}
	if partition >= 0 {
		r.Partition = partition
		r.Context = explicitPartition
	}
	return r
}
