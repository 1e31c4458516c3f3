package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
)

// TestMetadataQuorumOutput proves that describe --status and --replication
// print kafka-metadata-quorum.sh's lines and table for a quorum of three.
func TestMetadataQuorumOutput(t *testing.T) {
	voter := func(id int32, leo, fetch, caught int64) kmsg.DescribeQuorumResponseTopicPartitionReplicaState {
		return kmsg.DescribeQuorumResponseTopicPartitionReplicaState{ReplicaID: id, LogEndOffset: leo, LastFetchTimestamp: fetch, LastCaughtUpTimestamp: caught}
	}
	q := kmsg.DescribeQuorumResponseTopicPartition{LeaderID: 2, LeaderEpoch: 5, HighWatermark: 40,
		CurrentVoters: []kmsg.DescribeQuorumResponseTopicPartitionReplicaState{voter(1, 38, 1000, 900), voter(2, 40, 1200, 1200), voter(3, 40, 1100, 1100)}}
	nodes := []kmsg.DescribeQuorumResponseNode{{NodeID: 1, Listeners: []kmsg.DescribeQuorumResponseNodeListener{{Name: "CONTROLLER", Host: "localhost", Port: 9093}}}}
	var out bytes.Buffer
	printQuorumStatus(&out, "abc", q, nodes)
	want := `ClusterId:              abc
LeaderId:               2
LeaderEpoch:            5
HighWatermark:          40
MaxFollowerLag:         2
MaxFollowerLagTimeMs:   300
CurrentVoters:          [{"id": 1, "endpoints": ["CONTROLLER://localhost:9093"]}, {"id": 2}, {"id": 3}]
CurrentObservers:       []
`
	if out.String() != want {
		t.Fatalf("--status printed\n%s\nwant\n%s", out.String(), want)
	}
	out.Reset()
	printReplication(&out, q, true, time.UnixMilli(1500))
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	wantLines := []string{
		"NodeId\tDirectoryId           \tLogEndOffset\tLag\tLastFetchTimestamp\tLastCaughtUpTimestamp\tStatus  \t",
		"2     \tAAAAAAAAAAAAAAAAAAAAAA\t40          \t0  \t300 ms ago        \t300 ms ago           \tLeader  \t",
		"1     \tAAAAAAAAAAAAAAAAAAAAAA\t38          \t2  \t500 ms ago        \t600 ms ago           \tFollower\t",
		"3     \tAAAAAAAAAAAAAAAAAAAAAA\t40          \t0  \t400 ms ago        \t400 ms ago           \tFollower\t",
	}
	if strings.Join(lines, "\n") != strings.Join(wantLines, "\n") {
		t.Fatalf("--replication printed\n%q\nwant\n%q", lines, wantLines)
	}
}

// TestMetadataQuorumSplitCluster proves describe on a cluster of three
// controller-only and two broker-only nodes, through a broker
// (--bootstrap-server) and through the controllers (--bootstrap-controller):
// the controllers are the voters and the brokers the observers, with the
// cluster's id; both flags together, or neither, are refused.
func TestMetadataQuorumSplitCluster(t *testing.T) {
	c := nodetest.StartSplitCluster(t, 3, 2, nil)
	c.WaitLeader(10 * time.Second)
	controllers := c.Nodes[0].Addr + "," + c.Nodes[1].Addr
	for _, flags := range [][]string{{"--bootstrap-server", c.Nodes[3].Addr}, {"--bootstrap-controller", controllers}} {
		args := append(append([]string{"metadata-quorum"}, flags...), "describe", "--status")
		out := eventually(t, `CurrentObservers:       [{"id": 4}, {"id": 5}]`, args...)
		if !strings.Contains(out, "ClusterId:              "+c.ClusterID) || !strings.Contains(out, `CurrentVoters:          [{"id": 1, "endpoints": ["CONTROLLER://127.0.0.1:`) {
			t.Fatalf("%v --status printed:\n%s", flags, out)
		}
		args = append(append([]string{"metadata-quorum"}, flags...), "describe", "--replication")
		out = eventually(t, "Observer", args...)
		if strings.Count(out, "Observer") != 2 || strings.Count(out, "Follower") != 2 || strings.Count(out, "Leader") != 1 {
			t.Fatalf("%v --replication printed:\n%s", flags, out)
		}
	}
	for _, args := range [][]string{
		{"metadata-quorum", "describe", "--status"},
		{"metadata-quorum", "--bootstrap-server", c.Nodes[3].Addr, "--bootstrap-controller", controllers, "describe", "--status"},
	} {
		if r := gregor(t, "", args...); r.err == nil {
			t.Fatalf("gregor %v succeeded:\n%s", args, r.stdout)
		}
	}
}

// TestMetadataQuorumSASLController proves describe --status through a
// SASL_PLAINTEXT controller listener (--bootstrap-controller) with the
// login of --command-config, as kafka-metadata-quorum.sh takes it, and
// that the same call without the login fails.
func TestMetadataQuorumSASLController(t *testing.T) {
	c := nodetest.StartSplitCluster(t, 1, 1, map[string]string{
		"listener.security.protocol.map":                   "PLAINTEXT:PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
		"sasl.mechanism.controller.protocol":               "PLAIN",
		"listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
		"listener.name.controller.plain.sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required ` +
			`username="admin" password="admin-secret" user_admin="admin-secret";`,
	})
	c.WaitLeader(10 * time.Second)
	admin := writeProps(t, t.TempDir(), "admin.properties", "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"+
		`sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret";`)
	out := eventually(t, `CurrentObservers:       [{"id": 2}]`,
		"metadata-quorum", "--bootstrap-controller", c.Nodes[0].Addr, "--command-config", admin, "describe", "--status")
	if !strings.Contains(out, "ClusterId:              "+c.ClusterID) {
		t.Fatalf("--status printed:\n%s", out)
	}
	if r := gregor(t, "", "metadata-quorum", "--bootstrap-controller", c.Nodes[0].Addr, "describe", "--status"); r.err == nil {
		t.Fatalf("describe without a login succeeded:\n%s", r.stdout)
	}
}
