package node_test

import (
	"context"
	"encoding/binary"
	"net"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/handler"
	"gregor/internal/node/nodetest"
	"gregor/internal/record"
	"gregor/internal/wire"
)

// seedRequests returns valid requests for every served API, to start the
// fuzzer from inputs that reach deep into the handlers.
func seedRequests(t testing.TB) []kmsg.Request {
	b, err := record.Build(record.BatchSpec{ProducerID: 1, ProducerEpoch: 0, BaseSequence: 0,
		Records: []record.Record{{Timestamp: time.Now().UnixMilli(), Key: []byte("k"), Value: []byte("v")}}})
	if err != nil {
		t.Fatal(err)
	}
	topic := "fuzz"
	produce := kmsg.NewPtrProduceRequest()
	produce.Acks = -1
	produce.Topics = []kmsg.ProduceRequestTopic{{Topic: topic, Partitions: []kmsg.ProduceRequestTopicPartition{{Partition: 0, Records: b}}}}
	fetch := kmsg.NewPtrFetchRequest()
	fetch.MaxWaitMillis, fetch.MinBytes, fetch.MaxBytes = 10, 1, 1<<20
	fetch.Topics = []kmsg.FetchRequestTopic{{Topic: topic, Partitions: []kmsg.FetchRequestTopicPartition{{Partition: 0, PartitionMaxBytes: 1 << 20, CurrentLeaderEpoch: -1}}}}
	meta := kmsg.NewPtrMetadataRequest()
	meta.Topics = []kmsg.MetadataRequestTopic{{Topic: &topic}}
	meta.AllowAutoTopicCreation = true
	create := kmsg.NewPtrCreateTopicsRequest()
	create.Topics = []kmsg.CreateTopicsRequestTopic{{Topic: "fuzz2", NumPartitions: 2, ReplicationFactor: 1}}
	del := kmsg.NewPtrDeleteTopicsRequest()
	del.TopicNames = []string{"fuzz2"}
	del.Topics = []kmsg.DeleteTopicsRequestTopic{{Topic: kmsg.StringPtr("fuzz2")}}
	parts := kmsg.NewPtrCreatePartitionsRequest()
	parts.Topics = []kmsg.CreatePartitionsRequestTopic{{Topic: topic, Count: 3}}
	list := kmsg.NewPtrListOffsetsRequest()
	list.Topics = []kmsg.ListOffsetsRequestTopic{{Topic: topic, Partitions: []kmsg.ListOffsetsRequestTopicPartition{{Partition: 0, Timestamp: -3, CurrentLeaderEpoch: -1}}}}
	delRecs := kmsg.NewPtrDeleteRecordsRequest()
	delRecs.Topics = []kmsg.DeleteRecordsRequestTopic{{Topic: topic, Partitions: []kmsg.DeleteRecordsRequestTopicPartition{{Partition: 0, Offset: 1}}}}
	configs := kmsg.NewPtrDescribeConfigsRequest()
	configs.Resources = []kmsg.DescribeConfigsRequestResource{{ResourceType: kmsg.ConfigResourceTypeTopic, ResourceName: topic}, {ResourceType: kmsg.ConfigResourceTypeBroker, ResourceName: "1"}}
	incremental := kmsg.NewPtrIncrementalAlterConfigsRequest()
	incremental.Resources = []kmsg.IncrementalAlterConfigsRequestResource{
		{ResourceType: kmsg.ConfigResourceTypeTopic, ResourceName: topic, Configs: []kmsg.IncrementalAlterConfigsRequestResourceConfig{{Name: "cleanup.policy", Op: kmsg.IncrementalAlterConfigOpAppend, Value: kmsg.StringPtr("compact")}}},
		{ResourceType: kmsg.ConfigResourceTypeBroker, Configs: []kmsg.IncrementalAlterConfigsRequestResourceConfig{{Name: "message.max.bytes", Value: kmsg.StringPtr("2000000")}}},
	}
	alter := kmsg.NewPtrAlterConfigsRequest()
	alter.ValidateOnly = true
	alter.Resources = []kmsg.AlterConfigsRequestResource{{ResourceType: kmsg.ConfigResourceTypeTopic, ResourceName: topic, Configs: []kmsg.AlterConfigsRequestResourceConfig{{Name: "retention.ms", Value: kmsg.StringPtr("1000")}}}}
	ofle := kmsg.NewPtrOffsetForLeaderEpochRequest()
	ofle.Topics = []kmsg.OffsetForLeaderEpochRequestTopic{{Topic: topic, Partitions: []kmsg.OffsetForLeaderEpochRequestTopicPartition{{Partition: 0, CurrentLeaderEpoch: -1}}}}
	return append([]kmsg.Request{produce, fetch, meta, create, del, parts, list, delRecs, configs, incremental, alter, ofle,
		kmsg.NewPtrApiVersionsRequest(), kmsg.NewPtrDescribeClusterRequest(), kmsg.NewPtrInitProducerIDRequest()},
		groupSeeds(topic)...)
}

// groupSeeds are one request of each group API, for group "fuzz".
func groupSeeds(topic string) []kmsg.Request {
	find := kmsg.NewPtrFindCoordinatorRequest()
	find.CoordinatorKey, find.CoordinatorKeys = "fuzz", []string{"fuzz", "other"}
	join := kmsg.NewPtrJoinGroupRequest()
	join.Group, join.SessionTimeoutMillis, join.RebalanceTimeoutMillis, join.ProtocolType = "fuzz", 10000, 100, "consumer"
	join.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte{0, 0, 0, 0, 0, 1, 0, 4, 'f', 'u', 'z', 'z', 0, 0, 0, 0}}}
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.Group, sync.MemberID, sync.Generation = "fuzz", "m", 1
	sync.GroupAssignment = []kmsg.SyncGroupRequestGroupAssignment{{MemberID: "m", MemberAssignment: []byte{0, 0}}}
	hb := kmsg.NewPtrHeartbeatRequest()
	hb.Group, hb.MemberID, hb.Generation = "fuzz", "m", 1
	leave := kmsg.NewPtrLeaveGroupRequest()
	leave.Group, leave.MemberID = "fuzz", "m"
	leave.Members = []kmsg.LeaveGroupRequestMember{{MemberID: "m"}}
	commit := kmsg.NewPtrOffsetCommitRequest()
	commit.Group, commit.Generation = "fuzz", -1
	commit.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: topic, Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: 0, Offset: 1, LeaderEpoch: -1}}}}
	fetch := kmsg.NewPtrOffsetFetchRequest()
	fetch.Group = "fuzz"
	fetch.Groups = []kmsg.OffsetFetchRequestGroup{{Group: "fuzz"}}
	describe := kmsg.NewPtrDescribeGroupsRequest()
	describe.Groups = []string{"fuzz", "none"}
	deleteGroups := kmsg.NewPtrDeleteGroupsRequest()
	deleteGroups.Groups = []string{"fuzz"}
	offsetDelete := kmsg.NewPtrOffsetDeleteRequest()
	offsetDelete.Group = "fuzz"
	offsetDelete.Topics = []kmsg.OffsetDeleteRequestTopic{{Topic: topic, Partitions: []kmsg.OffsetDeleteRequestTopicPartition{{Partition: 0}}}}
	return []kmsg.Request{find, join, sync, hb, leave, commit, fetch, describe, kmsg.NewPtrListGroupsRequest(), deleteGroups, offsetDelete}
}

// encodeFrame renders req at version v as the bytes of a request frame
// (without the size prefix).
func encodeFrame(req kmsg.Request, v int16) []byte {
	req.SetVersion(v)
	b := binary.BigEndian.AppendUint16(nil, uint16(req.Key()))
	b = binary.BigEndian.AppendUint16(b, uint16(v))
	b = binary.BigEndian.AppendUint32(b, 7)
	b = binary.BigEndian.AppendUint16(b, 1)
	b = append(b, 'f')
	if req.IsFlexible() {
		b = append(b, 0)
	}
	return req.AppendTo(b)
}

// FuzzServe proves that no request the server would accept, however its
// fields are set, makes a handler panic or hang: each frame is decoded as
// the server does and served directly by a live node's handler.
func FuzzServe(f *testing.F) {
	registry := handler.Registry()
	for _, req := range seedRequests(f) {
		a, _ := registry.Lookup(req.Key())
		for v := a.MinVersion; v <= a.MaxVersion; v++ {
			req.SetVersion(v)
			f.Add(encodeFrame(req, v))
		}
	}
	n := nodetest.Start(f, "", nil)
	h := n.Handler()
	session := wire.NewSession("PLAINTEXT", "PLAINTEXT", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50000})
	f.Fuzz(func(t *testing.T, frame []byte) {
		hdr, body, err := wire.ParseRequestHeader(frame)
		if err != nil || !registry.Supports(hdr.Key, hdr.Version) {
			return
		}
		kreq := kmsg.RequestForKey(hdr.Key)
		kreq.SetVersion(hdr.Version)
		if kreq.ReadFrom(body) != nil {
			return
		}
		// JoinGroup and SyncGroup wait for the rest of the group, bounded
		// by the request's context as a closed connection bounds them.
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		req := &wire.Request{Header: hdr, Body: kreq, Session: session}
		done := make(chan error, 1)
		go func() {
			_, err := h.Serve(ctx, req)
			req.Complete(ctx)
			req.Sent()
			done <- err
		}()
		select {
		case <-done:
			// An error closes the connection, which is a valid answer to
			// some requests (an acks=0 produce that fails, as Kafka).
			// Panics and hangs are what this target looks for.
		case <-time.After(3 * time.Second):
			var stacks strings.Builder
			pprof.Lookup("goroutine").WriteTo(&stacks, 2)
			t.Fatalf("%s v%d did not return within 3s of a 300ms deadline:\n%s", kmsg.NameForKey(hdr.Key), hdr.Version, stacks.String())
		}
	})
}
