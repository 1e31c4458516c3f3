package node_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/config"
	"gregor/internal/kafka"
	"gregor/internal/node"
	"gregor/internal/node/nodetest"
	"gregor/internal/storage"
	"gregor/internal/testutil/freeport"
)

// TestQuorumBootstrapServers runs the shape of Kafka 4's sample
// configurations, which name the quorum by controller.quorum.bootstrap.servers
// instead of controller.quorum.voters: a combined node whose bootstrap
// server is its own controller listener is the quorum's voter, a
// broker-only node finds the voters by asking that listener (DescribeQuorum
// v2) and joins as an observer, and an acks=all write to a topic with a
// replica on each is acknowledged and read back.
func TestQuorumBootstrapServers(t *testing.T) {
	ports, err := freeport.Get(1)
	if err != nil {
		t.Fatal(err)
	}
	bootstrap := fmt.Sprintf("localhost:%d", ports[0])
	controller := nodetest.Start(t, "", map[string]string{
		"node.id": "1", "process.roles": "broker,controller",
		"listeners":                           fmt.Sprintf("PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:%d", ports[0]),
		"advertised.listeners":                fmt.Sprintf("PLAINTEXT://127.0.0.1:0,CONTROLLER://localhost:%d", ports[0]),
		"controller.listener.names":           "CONTROLLER",
		"controller.quorum.bootstrap.servers": bootstrap,
		"broker.heartbeat.interval.ms":        "200",
	})
	brokerDir := t.TempDir()
	if err := storage.WriteMetaProperties(brokerDir, storage.MetaProperties{ClusterID: controller.Node.ClusterID, NodeID: 2, DirectoryID: kafka.NewTopicID().String()}); err != nil {
		t.Fatal(err)
	}
	broker := nodetest.Start(t, brokerDir, map[string]string{
		"node.id": "2", "process.roles": "broker",
		"controller.listener.names":           "CONTROLLER",
		"controller.quorum.bootstrap.servers": bootstrap,
		"broker.heartbeat.interval.ms":        "200",
	})
	waitFor(t, "both brokers registered", func() bool { return len(controller.Node.Image().Brokers()) == 2 })

	req := kmsg.NewPtrDescribeQuorumRequest()
	req.Topics = []kmsg.DescribeQuorumRequestTopic{{Topic: "__cluster_metadata", Partitions: []kmsg.DescribeQuorumRequestTopicPartition{{Partition: 0}}}}
	waitFor(t, "DescribeQuorum through the broker: voter 1 at its controller listener, observer 2", func() bool {
		resp := seedRequest[*kmsg.DescribeQuorumResponse](t, broker.Addr, req)
		p := resp.Topics[0].Partitions[0]
		return p.ErrorCode == 0 && len(p.CurrentVoters) == 1 && p.CurrentVoters[0].ReplicaID == 1 &&
			len(p.Observers) == 1 && p.Observers[0].ReplicaID == 2 &&
			len(resp.Nodes) == 1 && len(resp.Nodes[0].Listeners) == 1 && resp.Nodes[0].Listeners[0].Port == uint16(ports[0])
	})

	createClusterTopic(t, broker.Addr, "boot", 1, 2)
	cl := newClient(t, broker.Addr, kgo.DefaultProduceTopic("boot"), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err := cl.ProduceSync(testContext(t), &kgo.Record{Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatalf("acks=all produce: %v", err)
	}
	consumer := newClient(t, controller.Addr, kgo.ConsumeTopics("boot"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if fs := consumer.PollFetches(testContext(t)); fs.NumRecords() != 1 || fs.Err() != nil {
		t.Fatalf("read back: %d records, %v", fs.NumRecords(), fs.Err())
	}
}

// TestQuorumBootstrapServersRefusals: a controller named by bootstrap
// servers that are not all itself must have been formatted with its
// voters, and a broker whose bootstrap servers never answer gives up
// when its start is cancelled, naming them.
func TestQuorumBootstrapServersRefusals(t *testing.T) {
	ports, err := freeport.Get(2)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Parse(map[string]string{
		"node.id": "1", "process.roles": "broker,controller", "log.dirs": t.TempDir(),
		"listeners":                           fmt.Sprintf("PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:%d", ports[0]),
		"controller.listener.names":           "CONTROLLER",
		"controller.quorum.bootstrap.servers": fmt.Sprintf("localhost:%d,127.0.0.1:%d", ports[0], ports[1]),
		"http.listeners":                      "", "schema.registry.listeners": "", "rest.proxy.listeners": "",
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := node.Start(context.Background(), cfg, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "--standalone") {
		t.Fatalf("a controller with another bootstrap server, not formatted: %v", err)
	}

	brokerDir := t.TempDir()
	if err := storage.WriteMetaProperties(brokerDir, storage.MetaProperties{ClusterID: kafka.NewTopicID().String(), NodeID: 2}); err != nil {
		t.Fatal(err)
	}
	cfg, _, err = config.Parse(map[string]string{
		"node.id": "2", "process.roles": "broker", "log.dirs": brokerDir,
		"listeners": "PLAINTEXT://127.0.0.1:0", "controller.listener.names": "CONTROLLER",
		"controller.quorum.bootstrap.servers": fmt.Sprintf("127.0.0.1:%d", ports[1]),
		"http.listeners":                      "", "schema.registry.listeners": "", "rest.proxy.listeners": "",
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	if _, err := node.Start(ctx, cfg, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "no voters found") {
		t.Fatalf("a broker whose bootstrap server does not answer: %v", err)
	}
}
