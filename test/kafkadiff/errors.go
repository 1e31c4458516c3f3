package kafkadiff

import (
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/record"
)

// errorScenarios are the error paths a client can hit, each at the highest
// version both brokers serve unless it is about versions.
var errorScenarios = map[string]func(s *session) any{
	"transaction-version-2": transactionV2Flow,
	"metadata-unknown-topic": func(s *session) any {
		req := kmsg.NewPtrMetadataRequest()
		t := kmsg.NewMetadataRequestTopic()
		t.Topic = kmsg.StringPtr(s.name("missing"))
		req.Topics = append(req.Topics, t)
		return s.do(req, s.max(3)).(*kmsg.MetadataResponse).Topics
	},
	"produce-unknown-topic": func(s *session) any {
		return s.produce(s.max(0), s.name("missing"), 0, batch(1, 10))
	},
	"produce-unknown-partition": func(s *session) any {
		topic := s.name("t")
		s.createTopic(topic, 1)
		return s.produce(s.max(0), topic, 5, batch(1, 10))
	},
	"fetch-offset-out-of-range": func(s *session) any {
		return s.fetch(s.max(1), s.produced("t", 3), 0, 10)
	},
	"list-offsets-unknown-partition": func(s *session) any {
		topic := s.produced("t", 1)
		req := kmsg.NewPtrListOffsetsRequest()
		req.ReplicaID = -1
		t := kmsg.NewListOffsetsRequestTopic()
		t.Topic = topic
		p := kmsg.NewListOffsetsRequestTopicPartition()
		p.Partition, p.Timestamp, p.CurrentLeaderEpoch = 3, -1, -1
		t.Partitions = append(t.Partitions, p)
		req.Topics = append(req.Topics, t)
		return s.do(req, s.max(2))
	},
	"produce-message-too-large": func(s *session) any {
		topic := s.name("t")
		s.createTopic(topic, 1, "max.message.bytes", "1000")
		return s.produce(s.max(0), topic, 0, batch(1, 2000))
	},
	"produce-invalid-timestamp": func(s *session) any {
		topic := s.name("t")
		s.createTopic(topic, 1, "message.timestamp.before.max.ms", "60000")
		return s.produce(s.max(0), topic, 0, batchAt(1000, 1)) // 1970: far before the bound
	},
	"create-topics-invalid-replication-factor": func(s *session) any {
		return createOne(s, s.name("t"), 1, 3)
	},
	"create-topics-invalid-partitions": func(s *session) any {
		return createOne(s, s.name("t"), 0, 1)
	},
	"create-topics-bad-name": func(s *session) any {
		return []any{createOne(s, s.name("a/b"), 1, 1), createOne(s, strings.Repeat("x", 250), 1, 1),
			createOne(s, "..", 1, 1)}
	},
	"create-topics-invalid-config": func(s *session) any {
		req := createRequest(s.name("t"), 1, 1)
		c := kmsg.NewCreateTopicsRequestTopicConfig()
		c.Name, c.Value = "retention.ms", kmsg.StringPtr("abc")
		req.Topics[0].Configs = append(req.Topics[0].Configs, c)
		return s.do(req, s.max(19))
	},
	"create-partitions-fewer": func(s *session) any {
		topic := s.name("t")
		s.createTopic(topic, 2)
		req := kmsg.NewPtrCreatePartitionsRequest()
		req.TimeoutMillis = 10000
		t := kmsg.NewCreatePartitionsRequestTopic()
		t.Topic, t.Count = topic, 1
		req.Topics = append(req.Topics, t)
		return s.do(req, s.max(37))
	},
	"produce-internal-topic": func(s *session) any {
		commit(s, s.max(8), s.name("g"), s.produced("t", 1), 1) // so that __consumer_offsets exists
		return s.produce(s.max(0), "__consumer_offsets", 0, batch(1, 10))
	},
	"unsupported-version-metadata": func(s *session) any {
		req := kmsg.NewPtrMetadataRequest()
		return s.do(req, 99)
	},
	"unsupported-version-api-versions": func(s *session) any {
		req := kmsg.NewPtrApiVersionsRequest()
		req.ClientSoftwareName, req.ClientSoftwareVersion = "kafkadiff", "1.0"
		resp := s.do(req, 99).(*kmsg.ApiVersionsResponse)
		return map[string]any{"ErrorCode": resp.ErrorCode, "Keys": len(resp.ApiKeys)}
	},
	"unsupported-version-produce-v2": func(s *session) any {
		return s.produce(2, s.produced("t", 1), 0, batch(1, 10))
	},
	"heartbeat-stale-generation": func(s *session) any {
		return staleMember(s, func(hb *kmsg.HeartbeatRequest) { hb.Generation++ })
	},
	"heartbeat-unknown-member": func(s *session) any {
		return staleMember(s, func(hb *kmsg.HeartbeatRequest) { hb.MemberID = "unknown-member" })
	},
	"offset-commit-stale-generation": func(s *session) any {
		topic := s.produced("t", 1)
		group := s.name("g")
		join := joinGroup(s, s.max(11), group, "")
		join = joinGroup(s, s.max(11), group, join.MemberID)
		req := kmsg.NewPtrOffsetCommitRequest()
		req.Group, req.Generation, req.MemberID = group, join.Generation+1, join.MemberID
		t := kmsg.NewOffsetCommitRequestTopic()
		t.Topic, t.TopicID = topic, s.topicID(topic)
		p := kmsg.NewOffsetCommitRequestTopicPartition()
		p.Partition, p.Offset, p.LeaderEpoch = 0, 1, -1
		t.Partitions = append(t.Partitions, p)
		req.Topics = append(req.Topics, t)
		return s.do(req, s.max(8))
	},
	"consumer-heartbeat-stale-epoch": func(s *session) any {
		topic := s.name("t")
		s.createTopic(topic, 1)
		req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
		req.Group, req.MemberEpoch, req.RebalanceTimeoutMillis = s.name("g"), 0, 10000
		req.MemberID = "kafkadiff-member-000002"
		req.SubscribedTopicNames, req.Topics = []string{topic}, []kmsg.ConsumerGroupHeartbeatRequestTopic{}
		first := s.do(req, s.max(68)).(*kmsg.ConsumerGroupHeartbeatResponse)
		req.MemberEpoch = first.MemberEpoch + 5
		return s.do(req, s.max(68))
	},
	"produce-unknown-producer-id": func(s *session) any {
		topic := s.name("t")
		s.createTopic(topic, 1)
		return []any{s.produce(s.max(0), topic, 0, idempotentBatch(1, 10, 987654321, 0, 5))}
	},
	"produce-duplicate-sequence": func(s *session) any {
		topic := s.name("t")
		s.createTopic(topic, 1)
		init := kmsg.NewPtrInitProducerIDRequest()
		init.ProducerID, init.ProducerEpoch = -1, -1
		id := s.do(init, s.max(22)).(*kmsg.InitProducerIDResponse)
		for tries := 0; id.ErrorCode != 0 && tries < 50; tries++ { // a broker just started may not have producer ids yet
			time.Sleep(100 * time.Millisecond)
			id = s.do(init, s.max(22)).(*kmsg.InitProducerIDResponse)
		}
		b := idempotentBatch(3, 10, id.ProducerID, id.ProducerEpoch, 0)
		next := idempotentBatch(1, 10, id.ProducerID, id.ProducerEpoch, 3)
		gap := idempotentBatch(1, 10, id.ProducerID, id.ProducerEpoch, 9)
		return []any{s.produce(s.max(0), topic, 0, b), s.produce(s.max(0), topic, 0, b),
			s.produce(s.max(0), topic, 0, next), s.produce(s.max(0), topic, 0, gap)}
	},
	"produce-transactional-without-id": func(s *session) any {
		topic := s.name("t")
		s.createTopic(topic, 1)
		b := build(record.BatchSpec{ProducerID: 123456, ProducerEpoch: 0, BaseSequence: 0, Transactional: true}, 1, 10, baseTime)
		return s.produce(s.max(0), topic, 0, b)
	},
	"delete-records-beyond-high-watermark": func(s *session) any {
		topic := s.produced("t", 2)
		req := kmsg.NewPtrDeleteRecordsRequest()
		req.TimeoutMillis = 10000
		t := kmsg.NewDeleteRecordsRequestTopic()
		t.Topic = topic
		p := kmsg.NewDeleteRecordsRequestTopicPartition()
		p.Partition, p.Offset = 0, 10
		t.Partitions = append(t.Partitions, p)
		req.Topics = append(req.Topics, t)
		return s.do(req, s.max(21))
	},
	"describe-configs-unknown-topic": func(s *session) any {
		return describeTopicConfigs(s, s.max(32), s.name("missing"))
	},
	"list-offsets-special-timestamps": func(s *session) any {
		// -4 earliest local, -5 latest tiered, -6 earliest pending upload,
		// one a partition: with no tiered storage, the log start, then no
		// offset twice.
		topic := s.name("t")
		s.createTopic(topic, 3)
		for p := range int32(3) {
			s.produce(s.max(0), topic, p, batch(2, 10))
		}
		req := kmsg.NewPtrListOffsetsRequest()
		req.ReplicaID = -1
		t := kmsg.NewListOffsetsRequestTopic()
		t.Topic = topic
		for i, ts := range []int64{-4, -5, -6} {
			p := kmsg.NewListOffsetsRequestTopicPartition()
			p.Partition, p.Timestamp, p.CurrentLeaderEpoch = int32(i), ts, -1
			t.Partitions = append(t.Partitions, p)
		}
		req.Topics = append(req.Topics, t)
		return s.do(req, s.max(2))
	},
	"list-transactions-filters": func(s *session) any {
		// v2's pattern must match whole ids (none of this run's exist) and
		// must compile (INVALID_REGULAR_EXPRESSION).
		var out []any
		for _, pattern := range []string{s.name("tx") + ".*", "a)|(b"} {
			req := kmsg.NewPtrListTransactionsRequest()
			req.TransactionalIDPattern = kmsg.StringPtr(pattern)
			out = append(out, s.do(req, 2))
		}
		return out
	},
	"delete-topics-unknown": func(s *session) any {
		req := kmsg.NewPtrDeleteTopicsRequest()
		req.TimeoutMillis = 10000
		t := kmsg.NewDeleteTopicsRequestTopic()
		t.Topic = kmsg.StringPtr(s.name("missing"))
		req.Topics, req.TopicNames = append(req.Topics, t), []string{s.name("missing")}
		return s.do(req, s.max(20))
	},
}

func createRequest(name string, partitions int32, replication int16) *kmsg.CreateTopicsRequest {
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 10000
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic, t.NumPartitions, t.ReplicationFactor = name, partitions, replication
	req.Topics = append(req.Topics, t)
	return req
}

func createOne(s *session, name string, partitions int32, replication int16) any {
	return s.do(createRequest(name, partitions, replication), s.max(19))
}

// staleMember joins and syncs one member, then heartbeats with a request
// that change made stale.
func staleMember(s *session, change func(*kmsg.HeartbeatRequest)) any {
	group := s.name("g")
	join := joinGroup(s, s.max(11), group, "")
	join = joinGroup(s, s.max(11), group, join.MemberID)
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.Group, sync.Generation, sync.MemberID = group, join.Generation, join.MemberID
	s.do(sync, s.max(14))
	hb := kmsg.NewPtrHeartbeatRequest()
	hb.Group, hb.Generation, hb.MemberID = group, join.Generation, join.MemberID
	change(hb)
	return s.do(hb, s.max(12))
}
