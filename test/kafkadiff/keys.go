package kafkadiff

import (
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// keyScenario exercises one API key at version v (the other requests of its
// sequence go at their highest common version) and returns what to compare.
type keyScenario func(s *session, v int16) any

// byKey has one scenario per API key Gregor serves; the test runs each at
// the lowest and the highest version both brokers serve. A key Gregor
// advertises without an entry here fails the test.
var byKey = map[int16]keyScenario{
	0:  produceKey,
	1:  fetchKey,
	2:  listOffsetsKey,
	3:  metadataKey,
	8:  offsetCommitKey,
	9:  offsetFetchKey,
	10: findCoordinatorKey,
	11: func(s *session, v int16) any { return classicGroup(s, map[int16]int16{11: v}) },
	12: func(s *session, v int16) any { return classicGroup(s, map[int16]int16{12: v}) },
	13: func(s *session, v int16) any { return classicGroup(s, map[int16]int16{13: v}) },
	14: func(s *session, v int16) any { return classicGroup(s, map[int16]int16{14: v}) },
	15: func(s *session, v int16) any { return classicGroup(s, map[int16]int16{15: v}) },
	16: listGroupsKey,
	18: apiVersionsKey,
	19: createTopicsKey,
	20: deleteTopicsKey,
	21: deleteRecordsKey,
	22: initProducerIDKey,
	23: offsetForLeaderEpochKey,
	24: func(s *session, v int16) any { return transactionFlow(s, map[int16]int16{24: v}) },
	25: func(s *session, v int16) any { return transactionFlow(s, map[int16]int16{25: v}) },
	26: func(s *session, v int16) any { return transactionFlow(s, map[int16]int16{26: v}) },
	28: func(s *session, v int16) any { return transactionFlow(s, map[int16]int16{28: v}) },
	29: func(s *session, v int16) any { return aclFlow(s, map[int16]int16{29: v}) },
	30: func(s *session, v int16) any { return aclFlow(s, map[int16]int16{30: v}) },
	31: func(s *session, v int16) any { return aclFlow(s, map[int16]int16{31: v}) },
	32: describeConfigsKey,
	33: alterConfigsKey,
	34: alterReplicaLogDirsKey,
	35: describeLogDirsKey,
	37: createPartitionsKey,
	38: createDelegationTokenKey,
	39: renewDelegationTokenKey,
	40: expireDelegationTokenKey,
	41: describeDelegationTokenKey,
	42: deleteGroupsKey,
	44: incrementalAlterConfigsKey,
	48: describeClientQuotasKey,
	49: alterClientQuotasKey,
	47: offsetDeleteKey,
	57: updateFeaturesKey,
	60: describeClusterKey,
	61: func(s *session, v int16) any { return transactionFlow(s, map[int16]int16{61: v}) },
	64: unregisterBrokerKey,
	65: func(s *session, v int16) any { return transactionFlow(s, map[int16]int16{65: v}) },
	66: func(s *session, v int16) any { return transactionFlow(s, map[int16]int16{66: v}) },
	68: func(s *session, v int16) any { return consumerGroup(s, map[int16]int16{68: v}) },
	69: func(s *session, v int16) any { return consumerGroup(s, map[int16]int16{69: v}) },
	75: describeTopicPartitionsKey,
}

func produceKey(s *session, v int16) any {
	topic := s.name("t")
	s.createTopic(topic, 1)
	return []any{s.produce(v, topic, 0, batch(3, 10)), s.produce(v, topic, 0, batch(2, 10))}
}

func fetchKey(s *session, v int16) any {
	topic := s.produced("t", 3)
	return s.fetch(v, topic, 0, 0)
}

func (s *session) fetch(v int16, topic string, partition int32, offset int64) *kmsg.FetchResponse {
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID, req.MaxWaitMillis, req.MinBytes, req.MaxBytes = -1, 100, 1, 1<<20
	req.SessionEpoch = -1
	t := kmsg.NewFetchRequestTopic()
	t.Topic = topic
	if v >= 13 {
		t.TopicID = s.topicID(topic)
	}
	p := kmsg.NewFetchRequestTopicPartition()
	p.Partition, p.FetchOffset, p.PartitionMaxBytes, p.CurrentLeaderEpoch = partition, offset, 1<<20, -1
	p.LogStartOffset = -1
	t.Partitions = append(t.Partitions, p)
	req.Topics = append(req.Topics, t)
	resp := s.do(req, v).(*kmsg.FetchResponse)
	if v >= 13 { // the answer names the topic by id only (masked): name it
		for i := range resp.Topics {
			resp.Topics[i].Topic = topic
		}
	}
	return resp
}

func listOffsetsKey(s *session, v int16) any {
	topic := s.produced("t", 3)
	var out []any
	for _, ts := range []int64{-2, -1, -3, baseTime + 1} {
		if ts == -3 && v < 7 {
			continue
		}
		out = append(out, listOffsetAt(s, v, topic, ts))
	}
	return out
}

func metadataKey(s *session, v int16) any {
	topic := s.name("t")
	s.createTopic(topic, 2)
	req := kmsg.NewPtrMetadataRequest()
	t := kmsg.NewMetadataRequestTopic()
	t.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, t)
	resp := s.do(req, v).(*kmsg.MetadataResponse)
	return map[string]any{"Topics": resp.Topics, "Brokers": len(resp.Brokers), "ControllerSet": resp.ControllerID >= 0 || v == 0,
		"ClusterAuthorizedOperations": resp.AuthorizedOperations}
}

func commit(s *session, v int16, group, topic string, offset int64) *kmsg.OffsetCommitResponse {
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Group, req.Generation, req.RetentionTimeMillis = group, -1, -1
	t := kmsg.NewOffsetCommitRequestTopic()
	t.Topic = topic
	if v >= 10 {
		t.TopicID = s.topicID(topic)
	}
	p := kmsg.NewOffsetCommitRequestTopicPartition()
	p.Partition, p.Offset, p.LeaderEpoch, p.Metadata = 0, offset, -1, kmsg.StringPtr("meta")
	t.Partitions = append(t.Partitions, p)
	req.Topics = append(req.Topics, t)
	return s.do(req, v).(*kmsg.OffsetCommitResponse)
}

func offsetCommitKey(s *session, v int16) any {
	topic := s.produced("t", 3)
	return commit(s, v, s.name("g"), topic, 2)
}

func fetchOffsets(s *session, v int16, group, topic string) kmsg.Response {
	req := kmsg.NewPtrOffsetFetchRequest()
	if v >= 8 {
		g := kmsg.NewOffsetFetchRequestGroup()
		g.Group = group
		gt := kmsg.NewOffsetFetchRequestGroupTopic()
		gt.Topic, gt.Partitions = topic, []int32{0, 1}
		if v >= 10 {
			gt.TopicID = s.topicID(topic)
		}
		g.Topics = append(g.Topics, gt)
		req.Groups = append(req.Groups, g)
	} else {
		req.Group = group
		t := kmsg.NewOffsetFetchRequestTopic()
		t.Topic, t.Partitions = topic, []int32{0, 1}
		req.Topics = append(req.Topics, t)
	}
	resp := s.do(req, v).(*kmsg.OffsetFetchResponse)
	for i := range resp.Groups {
		for j := range resp.Groups[i].Topics {
			resp.Groups[i].Topics[j].Topic = topic
		}
	}
	return resp
}

func offsetFetchKey(s *session, v int16) any {
	topic := s.produced("t", 3)
	commit(s, s.max(8), s.name("g"), topic, 2)
	return fetchOffsets(s, v, s.name("g"), topic)
}

func findCoordinatorKey(s *session, v int16) any {
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.CoordinatorKey, req.CoordinatorKeys = s.name("g"), []string{s.name("g")}
	return s.do(req, v)
}

func listGroupsKey(s *session, v int16) any {
	topic := s.produced("t", 1)
	commit(s, s.max(8), s.name("g"), topic, 1)
	resp := s.do(kmsg.NewPtrListGroupsRequest(), v).(*kmsg.ListGroupsResponse)
	resp.Groups = slices.DeleteFunc(resp.Groups, func(g kmsg.ListGroupsResponseGroup) bool {
		return !strings.HasPrefix(g.Group, s.prefix)
	})
	return resp
}

// apiVersionsKey compares the ranges of the keys Gregor advertises, and
// the features.
func apiVersionsKey(s *session, v int16) any {
	req := kmsg.NewPtrApiVersionsRequest()
	req.ClientSoftwareName, req.ClientSoftwareVersion = "kafkadiff", "1.0"
	resp := s.do(req, v).(*kmsg.ApiVersionsResponse)
	resp.ApiKeys = slices.DeleteFunc(resp.ApiKeys, func(k kmsg.ApiVersionsResponseApiKey) bool {
		_, ok := s.common[k.ApiKey]
		return !ok
	})
	return resp
}

func createTopicsKey(s *session, v int16) any {
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 10000
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic, t.NumPartitions, t.ReplicationFactor = s.name("t"), 3, 1
	c := kmsg.NewCreateTopicsRequestTopicConfig()
	c.Name, c.Value = "retention.ms", kmsg.StringPtr("3600000")
	t.Configs = append(t.Configs, c)
	req.Topics = append(req.Topics, t)
	validate := *req
	validate.ValidateOnly = true
	validate.Topics = []kmsg.CreateTopicsRequestTopic{t}
	validate.Topics[0].Topic = s.name("t2")
	out := []any{s.do(&validate, v), s.do(req, v)}
	return append(out, s.do(req, v)) // exists
}

func deleteTopicsKey(s *session, v int16) any {
	topic := s.name("t")
	s.createTopic(topic, 1)
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.TimeoutMillis = 10000
	req.TopicNames = []string{topic}
	t := kmsg.NewDeleteTopicsRequestTopic()
	t.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, t)
	return s.do(req, v)
}

func deleteRecordsKey(s *session, v int16) any {
	topic := s.produced("t", 5)
	req := kmsg.NewPtrDeleteRecordsRequest()
	req.TimeoutMillis = 10000
	t := kmsg.NewDeleteRecordsRequestTopic()
	t.Topic = topic
	p := kmsg.NewDeleteRecordsRequestTopicPartition()
	p.Partition, p.Offset = 0, 2
	t.Partitions = append(t.Partitions, p)
	req.Topics = append(req.Topics, t)
	return []any{s.do(req, v), listOffset(s, topic, -2)}
}

func listOffset(s *session, topic string, ts int64) kmsg.Response {
	return listOffsetAt(s, s.max(2), topic, ts)
}

func listOffsetAt(s *session, v int16, topic string, ts int64) kmsg.Response {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	t := kmsg.NewListOffsetsRequestTopic()
	t.Topic = topic
	p := kmsg.NewListOffsetsRequestTopicPartition()
	p.Partition, p.Timestamp, p.CurrentLeaderEpoch = 0, ts, -1
	t.Partitions = append(t.Partitions, p)
	req.Topics = append(req.Topics, t)
	return s.do(req, v)
}

func initProducerIDKey(s *session, v int16) any {
	req := kmsg.NewPtrInitProducerIDRequest()
	req.ProducerID, req.ProducerEpoch = -1, -1
	// Kafka answers COORDINATOR_LOAD_IN_PROGRESS while its first block of
	// producer ids is on its way from the controller; a client retries.
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp := s.do(req, v)
		if r, ok := resp.(*kmsg.InitProducerIDResponse); !ok || r.ErrorCode != 14 || time.Now().After(deadline) {
			return resp
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func offsetForLeaderEpochKey(s *session, v int16) any {
	topic := s.produced("t", 3)
	req := kmsg.NewPtrOffsetForLeaderEpochRequest()
	req.ReplicaID = -1
	t := kmsg.NewOffsetForLeaderEpochRequestTopic()
	t.Topic = topic
	var out []any
	for _, epoch := range []int32{0, 5} { // the current epoch, and one above it
		p := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
		p.Partition, p.CurrentLeaderEpoch, p.LeaderEpoch = 0, -1, epoch
		t.Partitions = []kmsg.OffsetForLeaderEpochRequestTopicPartition{p}
		req.Topics = []kmsg.OffsetForLeaderEpochRequestTopic{t}
		out = append(out, s.do(req, v))
	}
	return out
}

// topicConfigNames are the topic configs the config scenarios describe.
var topicConfigNames = []string{"retention.ms", "cleanup.policy", "segment.bytes", "segment.ms", "max.message.bytes",
	"min.insync.replicas", "compression.type", "message.timestamp.type"}

func describeTopicConfigs(s *session, v int16, topic string) kmsg.Response {
	req := kmsg.NewPtrDescribeConfigsRequest()
	req.IncludeSynonyms, req.IncludeDocumentation = true, true
	r := kmsg.NewDescribeConfigsRequestResource()
	r.ResourceType, r.ResourceName, r.ConfigNames = kmsg.ConfigResourceTypeTopic, topic, topicConfigNames
	req.Resources = append(req.Resources, r)
	return s.do(req, v)
}

func describeConfigsKey(s *session, v int16) any {
	topic := s.name("t")
	s.createTopic(topic, 1, "retention.ms", "3600000")
	return describeTopicConfigs(s, v, topic)
}

func alterConfigsKey(s *session, v int16) any {
	topic := s.name("t")
	s.createTopic(topic, 1, "retention.ms", "3600000")
	req := kmsg.NewPtrAlterConfigsRequest()
	r := kmsg.NewAlterConfigsRequestResource()
	r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeTopic, topic
	c := kmsg.NewAlterConfigsRequestResourceConfig()
	c.Name, c.Value = "cleanup.policy", kmsg.StringPtr("compact")
	r.Configs = append(r.Configs, c)
	req.Resources = append(req.Resources, r)
	return []any{s.do(req, v), describeAltered(s, topic)}
}

// describeAltered describes the topic's configs once the alteration to
// cleanup.policy=compact shows: Kafka applies config changes through its
// metadata log, a moment after answering.
func describeAltered(s *session, topic string) kmsg.Response {
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp := describeTopicConfigs(s, s.max(32), topic).(*kmsg.DescribeConfigsResponse)
		for _, c := range resp.Resources[0].Configs {
			if c.Name == "cleanup.policy" && c.Value != nil && *c.Value == "compact" || time.Now().After(deadline) {
				return resp
			}
		}
	}
}

func describeLogDirsKey(s *session, v int16) any {
	topic := s.produced("t", 3)
	req := kmsg.NewPtrDescribeLogDirsRequest()
	t := kmsg.NewDescribeLogDirsRequestTopic()
	t.Topic, t.Partitions = topic, []int32{0}
	req.Topics = append(req.Topics, t)
	return s.do(req, v)
}

// alterReplicaLogDirsKey asks each broker to move a replica to the log
// dir it is in (nothing to do), to a dir it does not have, and replicas
// of a partition and a topic the cluster lacks: the reference broker has
// one log dir, so no replica really moves (internal/node's
// TestAlterReplicaLogDirs moves one on Gregor).
func alterReplicaLogDirsKey(s *session, v int16) any {
	topic := s.produced("t", 1)
	dirs := s.do(kmsg.NewPtrDescribeLogDirsRequest(), s.max(35)).(*kmsg.DescribeLogDirsResponse)
	if len(dirs.Dirs) != 1 {
		return map[string]any{"LogDirs": len(dirs.Dirs)}
	}
	own := dirs.Dirs[0].Dir
	var out []any
	for _, c := range []struct {
		dir, topic string
		partition  int32
	}{{own, topic, 0}, {"/no/such/dir", topic, 0}, {own, topic, 5}, {own, s.name("missing"), 0}} {
		req := kmsg.NewPtrAlterReplicaLogDirsRequest()
		d := kmsg.NewAlterReplicaLogDirsRequestDir()
		d.Dir = c.dir
		t := kmsg.NewAlterReplicaLogDirsRequestDirTopic()
		t.Topic, t.Partitions = c.topic, []int32{c.partition}
		d.Topics = append(d.Topics, t)
		req.Dirs = append(req.Dirs, d)
		out = append(out, s.do(req, v))
	}
	return out
}

func createPartitionsKey(s *session, v int16) any {
	topic := s.name("t")
	s.createTopic(topic, 1)
	req := kmsg.NewPtrCreatePartitionsRequest()
	req.TimeoutMillis = 10000
	t := kmsg.NewCreatePartitionsRequestTopic()
	t.Topic, t.Count = topic, 3
	req.Topics = append(req.Topics, t)
	return []any{s.do(req, v), s.do(req, v)}
}

func deleteGroupsKey(s *session, v int16) any {
	topic := s.produced("t", 1)
	commit(s, s.max(8), s.name("g"), topic, 1)
	req := kmsg.NewPtrDeleteGroupsRequest()
	req.Groups = []string{s.name("g"), s.name("missing")}
	return s.do(req, v)
}

func incrementalAlterConfigsKey(s *session, v int16) any {
	topic := s.name("t")
	s.createTopic(topic, 1, "retention.ms", "3600000")
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	r := kmsg.NewIncrementalAlterConfigsRequestResource()
	r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeTopic, topic
	set := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
	set.Name, set.Value, set.Op = "cleanup.policy", kmsg.StringPtr("compact"), kmsg.IncrementalAlterConfigOpSet
	del := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
	del.Name, del.Op = "retention.ms", kmsg.IncrementalAlterConfigOpDelete
	r.Configs = append(r.Configs, set, del)
	req.Resources = append(req.Resources, r)
	return []any{s.do(req, v), describeAltered(s, topic)}
}

func offsetDeleteKey(s *session, v int16) any {
	topic := s.produced("t", 1)
	commit(s, s.max(8), s.name("g"), topic, 1)
	req := kmsg.NewPtrOffsetDeleteRequest()
	req.Group = s.name("g")
	t := kmsg.NewOffsetDeleteRequestTopic()
	t.Topic, t.Partitions = topic, []kmsg.OffsetDeleteRequestTopicPartition{{Partition: 0}}
	req.Topics = append(req.Topics, t)
	return []any{s.do(req, v), fetchOffsets(s, s.max(9), s.name("g"), topic)}
}

func describeClusterKey(s *session, v int16) any {
	req := kmsg.NewPtrDescribeClusterRequest()
	req.EndpointType = 1
	resp := s.do(req, v).(*kmsg.DescribeClusterResponse)
	return map[string]any{"ErrorCode": resp.ErrorCode, "EndpointType": resp.EndpointType, "Brokers": len(resp.Brokers),
		"ClusterAuthorizedOperations": resp.ClusterAuthorizedOperations}
}

// unregisterBrokerKey unregisters brokers neither cluster has (each
// reference broker is its cluster's only one, and stays registered).
func unregisterBrokerKey(s *session, v int16) any {
	var out []any
	for _, id := range []int32{99, -1} {
		req := kmsg.NewPtrUnregisterBrokerRequest()
		req.BrokerID = id
		out = append(out, s.do(req, v))
	}
	return out
}

// The delegation token keys: on the PLAINTEXT listener both brokers refuse
// every token request (DELEGATION_TOKEN_REQUEST_NOT_ALLOWED), with the
// fields Kafka fills in then; tokens themselves need a SASL listener and
// are covered by Gregor's own tests (internal/node/token_test.go).
func createDelegationTokenKey(s *session, v int16) any {
	req := kmsg.NewPtrCreateDelegationTokenRequest()
	req.MaxLifetimeMillis = -1
	return s.do(req, v)
}

func renewDelegationTokenKey(s *session, v int16) any {
	req := kmsg.NewPtrRenewDelegationTokenRequest()
	req.HMAC, req.RenewTimeMillis = []byte("not a token"), -1
	return s.do(req, v)
}

func expireDelegationTokenKey(s *session, v int16) any {
	req := kmsg.NewPtrExpireDelegationTokenRequest()
	req.HMAC, req.ExpiryPeriodMillis = []byte("not a token"), -1
	return s.do(req, v)
}

func describeDelegationTokenKey(s *session, v int16) any {
	return s.do(kmsg.NewPtrDescribeDelegationTokenRequest(), v)
}

// describeTopicPartitionsKey pages through two topics two partitions at a
// time, with an unknown and an invalid name among those asked, then asks
// with a cursor whose topic is not named and one whose partition is
// negative.
func describeTopicPartitionsKey(s *session, v int16) any {
	a, b := s.name("a"), s.name("b")
	s.createTopic(a, 3)
	s.createTopic(b, 2)
	ask := func(limit int32, cursor *kmsg.DescribeTopicPartitionsRequestCursor, names ...string) *kmsg.DescribeTopicPartitionsResponse {
		req := kmsg.NewPtrDescribeTopicPartitionsRequest()
		req.ResponsePartitionLimit, req.Cursor = limit, cursor
		for _, n := range names {
			t := kmsg.NewDescribeTopicPartitionsRequestTopic()
			t.Topic = n
			req.Topics = append(req.Topics, t)
		}
		return s.do(req, v).(*kmsg.DescribeTopicPartitionsResponse)
	}
	names := []string{b, a, s.name("missing"), "bad/name", a}
	var out []any
	var cursor *kmsg.DescribeTopicPartitionsRequestCursor
	for range 5 {
		resp := ask(2, cursor, names...)
		out = append(out, resp)
		if resp.NextCursor == nil {
			break
		}
		cursor = &kmsg.DescribeTopicPartitionsRequestCursor{Topic: resp.NextCursor.Topic, Partition: resp.NextCursor.Partition}
	}
	out = append(out, ask(2000, &kmsg.DescribeTopicPartitionsRequestCursor{Topic: s.name("other"), Partition: 0}, a, b))
	out = append(out, ask(2000, &kmsg.DescribeTopicPartitionsRequestCursor{Topic: a, Partition: -1}, a))
	return out
}
