package node_test

import (
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"gregor/internal/controller"
	"gregor/internal/kafka"
	"gregor/internal/metadata"
	"gregor/internal/node/nodetest"
	"gregor/internal/record"
	"gregor/internal/storage"
)

// TestBrokersComeFromRegistration proves that a metadata log written before
// broker registrations existed still loads, that the node registers itself
// on start, and that a restart replaces the registration (its new
// ephemeral port is the one clients see) rather than adding a broker.
func TestBrokersComeFromRegistration(t *testing.T) {
	dir := t.TempDir()
	writeOldMetadataLog(t, filepath.Join(dir, "__cluster_metadata-0"))
	for range 2 {
		n := nodetest.Start(t, dir, nil)
		adm := kadm.NewClient(newClient(t, n.Addr))
		meta, err := adm.Metadata(testContext(t))
		if err != nil {
			t.Fatal(err)
		}
		host, port, _ := net.SplitHostPort(n.Addr)
		b := meta.Brokers
		if len(b) != 1 || b[0].NodeID != 1 || b[0].Host != host || strconv.Itoa(int(b[0].Port)) != port {
			t.Fatalf("brokers %+v, want node 1 at %s", b, n.Addr)
		}
		if d, ok := meta.Topics["old"]; !ok || len(d.Partitions) != 1 || d.Partitions[0].Leader != 1 {
			t.Fatalf("topic of the old log: %+v", meta.Topics["old"])
		}
		produceSync(t, newClient(t, n.Addr), "old", "r", 3, 1)
		n.Shutdown()
	}
}

// writeOldMetadataLog writes, as a node before broker registrations did, a
// metadata log holding one topic with one partition on node 1.
func writeOldMetadataLog(t *testing.T, dir string) {
	t.Helper()
	l, err := storage.Open(dir, storage.DefaultConfig(), time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	id := kafka.NewTopicID()
	recs := []metadata.Record{
		{Type: metadata.TypeTopic, Topic: &metadata.TopicRecord{Name: "old", ID: id}},
		{Type: metadata.TypePartition, Partition: &metadata.PartitionRecord{TopicID: id, Replicas: []int32{1}, ISR: []int32{1}, Leader: 1}},
	}
	spec := record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1}
	for _, r := range recs {
		spec.Records = append(spec.Records, record.Record{Timestamp: time.Now().UnixMilli(), Value: r.Encode()})
	}
	b, err := record.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Append(b, 1); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestReplacedRegistrationIsLeftAlone proves that a node whose
// registration another process took over (a second process with the same
// node.id) stops heartbeating rather than taking it back at every
// heartbeat, while an unregistered node (nobody else's registration in its
// place) registers again.
func TestReplacedRegistrationIsLeftAlone(t *testing.T) {
	n := nodetest.Start(t, "", map[string]string{"broker.heartbeat.interval.ms": "100"})
	ctx := testContext(t)
	mine, _ := n.Image().Broker(1)

	if _, err := n.Controller().Submit(ctx, controller.UnregisterBrokerRequest{ID: 1}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the unregistered node to register again", func() bool {
		b, ok := n.Image().Broker(1)
		return ok && b.IncarnationID == mine.IncarnationID && b.Epoch > mine.Epoch
	})

	other := metadata.Broker{ID: 1, IncarnationID: kafka.NewTopicID(), Endpoints: mine.Endpoints}
	if _, err := n.Controller().Submit(ctx, controller.RegisterBrokerRequest{Broker: other}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // ten heartbeat intervals
	if b, _ := n.Image().Broker(1); b.IncarnationID != other.IncarnationID {
		t.Fatalf("the node took its registration back from the other process: %+v", b)
	}
}
