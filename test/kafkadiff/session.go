package kafkadiff

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/record"
)

// session is one scenario run against one broker: its connection, the
// name prefix of everything the scenario creates (the same on both
// brokers, unique per run so that a long-lived reference broker starts
// clean), and the versions the brokers have in common.
type session struct {
	addr   string
	prefix string
	conn   *conn
	common map[int16]versionRange // keys Gregor advertises, at the versions both serve
}

type versionRange struct{ min, max int16 }

// abort carries a transport failure out of a scenario: the scenario's
// value is then the failure, compared like any other.
type abort struct{ err error }

// do sends req at version v and returns the answer; a closed connection
// or another transport failure ends the scenario.
func (s *session) do(req kmsg.Request, v int16) kmsg.Response {
	if s.conn == nil {
		c, err := dial(s.addr)
		if err != nil {
			panic(abort{err})
		}
		s.conn = c
	}
	resp, err := s.conn.roundTrip(req, v)
	if err != nil {
		s.conn.Close()
		s.conn = nil
		panic(abort{err})
	}
	return resp
}

// max is the highest version of key both brokers serve.
func (s *session) max(key int16) int16 { return s.common[key].max }

// name is a topic or group name unique to this run and scenario.
func (s *session) name(suffix string) string { return s.prefix + "-" + suffix }

// run runs fn and returns its normalized value, or the transport failure.
func (s *session) run(fn func(*session) any) (out any) {
	defer func() {
		if s.conn != nil {
			s.conn.Close()
		}
		if r := recover(); r != nil {
			a, ok := r.(abort)
			if !ok {
				panic(r)
			}
			out = map[string]any{"transport": transportError(a.err)}
		}
	}()
	return normalize(fn(s))
}

func transportError(err error) string {
	if errors.Is(err, errClosed) {
		return "connection closed"
	}
	return err.Error()
}

// createTopic creates a topic with the given partitions (replication 1) and
// configs and waits until every partition has a leader.
func (s *session) createTopic(name string, partitions int32, configs ...string) *kmsg.CreateTopicsResponse {
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 10000
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic, t.NumPartitions, t.ReplicationFactor = name, partitions, 1
	for i := 0; i+1 < len(configs); i += 2 {
		c := kmsg.NewCreateTopicsRequestTopicConfig()
		c.Name, c.Value = configs[i], kmsg.StringPtr(configs[i+1])
		t.Configs = append(t.Configs, c)
	}
	req.Topics = append(req.Topics, t)
	resp := s.do(req, s.max(19)).(*kmsg.CreateTopicsResponse)
	if resp.Topics[0].ErrorCode == 0 {
		s.waitLeaders(name, partitions)
	}
	return resp
}

// waitLeaders polls until the topic's n partitions are served: Metadata
// names their leaders and ListOffsets answers for each without error
// (Kafka's metadata can name a leader a moment before it serves).
func (s *session) waitLeaders(topic string, n int32) {
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if m := s.metadata(topic); len(m.Topics) == 1 && m.Topics[0].ErrorCode == 0 && ledPartitions(m.Topics[0]) == n && s.served(topic, n) {
			return
		}
	}
	panic(abort{fmt.Errorf("topic %s: not served after 15s", topic)})
}

func (s *session) served(topic string, n int32) bool {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	t := kmsg.NewListOffsetsRequestTopic()
	t.Topic = topic
	for i := range n {
		p := kmsg.NewListOffsetsRequestTopicPartition()
		p.Partition, p.Timestamp, p.CurrentLeaderEpoch = i, -1, -1
		t.Partitions = append(t.Partitions, p)
	}
	req.Topics = append(req.Topics, t)
	for _, rt := range s.do(req, s.max(2)).(*kmsg.ListOffsetsResponse).Topics {
		for _, p := range rt.Partitions {
			if p.ErrorCode != 0 {
				return false
			}
		}
	}
	return true
}

func ledPartitions(t kmsg.MetadataResponseTopic) int32 {
	var n int32
	for _, p := range t.Partitions {
		if p.ErrorCode == 0 && p.Leader >= 0 {
			n++
		}
	}
	return n
}

func (s *session) metadata(topics ...string) *kmsg.MetadataResponse {
	req := kmsg.NewPtrMetadataRequest()
	for _, name := range topics {
		t := kmsg.NewMetadataRequestTopic()
		t.Topic = kmsg.StringPtr(name)
		req.Topics = append(req.Topics, t)
	}
	return s.do(req, s.max(3)).(*kmsg.MetadataResponse)
}

// topicID is the topic's id, from Metadata.
func (s *session) topicID(topic string) [16]byte {
	m := s.metadata(topic)
	if len(m.Topics) != 1 {
		panic(abort{fmt.Errorf("metadata for %s: %d topics", topic, len(m.Topics))})
	}
	return m.Topics[0].TopicID
}

// batch is a plain (non-idempotent) batch of n records with fixed
// timestamps, so that both brokers store the same bytes.
func batch(n int, valueSize int) []byte {
	return idempotentBatch(n, valueSize, -1, -1, -1)
}

// baseTime is the first record's timestamp: fixed, recent enough for any
// timestamp bound a topic may have.
var baseTime = time.Now().Truncate(time.Hour).UnixMilli()

// batchAt is a plain batch of n records from timestamp ts.
func batchAt(ts int64, n int) []byte {
	return build(record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1}, n, 10, ts)
}

func idempotentBatch(n, valueSize int, producerID int64, epoch int16, sequence int32) []byte {
	return build(record.BatchSpec{ProducerID: producerID, ProducerEpoch: epoch, BaseSequence: sequence}, n, valueSize, baseTime)
}

func build(spec record.BatchSpec, n, valueSize int, ts int64) []byte {
	for i := range n {
		spec.Records = append(spec.Records, record.Record{
			Timestamp: ts + int64(i),
			Key:       []byte(fmt.Sprintf("key-%d", i)),
			Value:     []byte(strings.Repeat("v", valueSize)),
			Headers:   []record.Header{{Key: "h", Value: []byte("x")}},
		})
	}
	b, err := record.Build(spec)
	if err != nil {
		panic(err)
	}
	return b
}

// produce sends one batch to one partition with acks=all at version v.
func (s *session) produce(v int16, topic string, partition int32, b []byte) *kmsg.ProduceResponse {
	req := kmsg.NewPtrProduceRequest()
	req.Acks, req.TimeoutMillis = -1, 10000
	t := kmsg.NewProduceRequestTopic()
	t.Topic = topic
	if v >= 13 {
		t.TopicID = s.topicID(topic)
	}
	p := kmsg.NewProduceRequestTopicPartition()
	p.Partition, p.Records = partition, b
	t.Partitions = append(t.Partitions, p)
	req.Topics = append(req.Topics, t)
	return s.do(req, v).(*kmsg.ProduceResponse)
}

// produced creates a one-partition topic holding n records.
func (s *session) produced(suffix string, n int, configs ...string) string {
	topic := s.name(suffix)
	s.createTopic(topic, 1, configs...)
	resp := s.produce(s.max(0), topic, 0, batch(n, 10))
	if code := resp.Topics[0].Partitions[0].ErrorCode; code != 0 {
		panic(abort{fmt.Errorf("produce to %s: error %d", topic, code)})
	}
	return topic
}

// warmUp waits until the group coordinator answers for every
// __consumer_offsets partition: a fresh broker loads them for a moment after
// start, and a client retries the NOT_COORDINATOR and
// COORDINATOR_LOAD_IN_PROGRESS it gets meanwhile, which the scenarios do not.
func warmUp(addr, run string, common map[int16]versionRange) error {
	s := &session{addr: addr, prefix: run + "-warmup", common: common}
	var err error
	failure := s.run(func(s *session) any {
		topic := s.produced("t", 1)
		for i := range 200 { // reaches each of the 50 partitions
			if err = s.commitUntilServed(fmt.Sprintf("%s-g%d", s.prefix, i), topic); err != nil {
				return nil
			}
		}
		return nil
	})
	if failure != nil {
		return fmt.Errorf("warm-up: %v", failure)
	}
	return err
}

func (s *session) commitUntilServed(group, topic string) error {
	find := kmsg.NewPtrFindCoordinatorRequest()
	find.CoordinatorKey = group // a client asks first; Gregor creates __consumer_offsets then
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		s.do(find, 1)
		code := commit(s, 2, group, topic, 0).Topics[0].Partitions[0].ErrorCode
		switch code {
		case 0:
			return nil
		case 14, 15, 16: // loading, not available, not coordinator
		default:
			return fmt.Errorf("warm-up commit for %s: error %d", group, code)
		}
	}
	return fmt.Errorf("warm-up commit for %s: the coordinator did not answer within 60s", group)
}
