package cli

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/node/nodetest"
	"gregor/internal/testutil/freeport"
)

// TestClusterTool proves gregor cluster as kafka-cluster.sh: cluster-id and
// list-endpoints through the broker listener and through the controller
// listener, in ClusterTool's layout; unregister of an unknown broker fails
// with Kafka's words for BROKER_ID_NOT_REGISTERED, and of the running node (through the
// controller listener) takes its leadership until it registers again; the
// connection flags are checked as argparse checks them.
func TestClusterTool(t *testing.T) {
	ports, err := freeport.Get(1)
	if err != nil {
		t.Fatal(err)
	}
	controller := fmt.Sprintf("127.0.0.1:%d", ports[0])
	n := nodetest.Start(t, "", map[string]string{
		"listeners":                 "PLAINTEXT://127.0.0.1:0,CONTROLLER://" + controller,
		"controller.listener.names": "CONTROLLER",
	})
	broker := n.Addr
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	meta, err := kadm.NewClient(cl).Metadata(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, flags := range [][]string{{"--bootstrap-server", broker}, {"-C", controller}} {
		out := mustGregor(t, "", append([]string{"cluster", "cluster-id"}, flags...)...)
		if out != "Cluster ID: "+meta.Cluster+"\n" {
			t.Errorf("cluster-id %v printed %q", flags, out)
		}
	}
	host, port, _ := strings.Cut(broker, ":")
	want := fmt.Sprintf("ID         HOST%s PORT       RACK       STATE      ENDPOINT_TYPE  \n", strings.Repeat(" ", len(host)-4)) +
		fmt.Sprintf("1          %s %-10s null       unfenced   broker         \n", host, port)
	if out := mustGregor(t, "", "cluster", "list-endpoints", "--bootstrap-server", broker, "--include-fenced-brokers"); out != want {
		t.Errorf("list-endpoints through the broker:\n%q\nwant\n%q", out, want)
	}
	_, cport, _ := strings.Cut(controller, ":")
	want = fmt.Sprintf("ID         HOST%s PORT       RACK       ENDPOINT_TYPE  \n", strings.Repeat(" ", len(host)-4)) +
		fmt.Sprintf("1          %s %-10s null       controller     \n", host, cport)
	if out := mustGregor(t, "", "cluster", "list-endpoints", "--bootstrap-controller", controller); out != want {
		t.Errorf("list-endpoints through the controller:\n%q\nwant\n%q", out, want)
	}
	if r := gregor(t, "", "cluster", "unregister", "-b", broker, "--id", "7"); r.err == nil || r.err.Error() != "Broker ID 7 is not currently registered" {
		t.Errorf("unregister of an unknown broker: %v, printed %q", r.err, r.stdout)
	}
	// The node unregistered while it runs leaves its leadership and
	// registers again at its next heartbeat, leading again in a later epoch.
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(t.Context(), 1, 1, nil, "u"); err != nil {
		t.Fatal(err)
	}
	if out := mustGregor(t, "", "cluster", "unregister", "-C", controller, "--id", "1"); out != "Broker 1 is no longer registered.\n" {
		t.Errorf("unregister printed %q", out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		topics, err := adm.ListTopics(t.Context(), "u")
		p := topics["u"].Partitions[0]
		if err == nil && p.Leader == 1 && p.LeaderEpoch >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after unregistering the running node: partition %+v, %v", p, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := cl.ProduceSync(t.Context(), &kgo.Record{Topic: "u", Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatalf("produce after registering again: %v", err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"cluster", "cluster-id"}, "one of the arguments --bootstrap-server --bootstrap-controller is required"},
		{[]string{"cluster", "cluster-id", "-b", broker, "-C", controller}, "argument --bootstrap-controller: not allowed with argument --bootstrap-server"},
		{[]string{"cluster", "unregister", "-b", broker}, `required flag(s) "id" not set`},
		{[]string{"cluster", "unregister", "-b", broker, "--id", "x"}, `--id: expected an integer from -2147483648 to 2147483647, got "x"`},
	} {
		if r := gregor(t, "", tc.args...); r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, r.err, tc.want)
		}
	}
}

// TestClusterListFencedBrokers proves list-endpoints --include-fenced-brokers
// on a cluster with a broker down: once fenced it is listed, as fenced,
// only with the flag (DescribeCluster v2's IncludeFencedBrokers); once
// unregistered (gregor cluster unregister) it is not listed at all.
func TestClusterListFencedBrokers(t *testing.T) {
	c := nodetest.StartCluster(t, 3, map[string]string{
		"broker.session.timeout.ms":    "2000",
		"broker.heartbeat.interval.ms": "200",
	})
	c.WaitLeader(10 * time.Second)
	c.Kill(2)
	addr := c.Nodes[0].Addr
	out := eventually(t, "fenced     broker", "cluster", "list-endpoints", "--bootstrap-server", addr, "--include-fenced-brokers")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[3], "3 ") || !strings.Contains(lines[3], " fenced ") ||
		!strings.Contains(lines[1], " unfenced ") || !strings.Contains(lines[2], " unfenced ") {
		t.Errorf("with fenced brokers:\n%s", out)
	}
	out = mustGregor(t, "", "cluster", "list-endpoints", "--bootstrap-server", addr)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 3 || strings.Contains(out, " fenced ") {
		t.Errorf("without fenced brokers:\n%s", out)
	}
	if out := mustGregor(t, "", "cluster", "unregister", "--bootstrap-server", addr, "--id", "3"); out != "Broker 3 is no longer registered.\n" {
		t.Errorf("unregister printed %q", out)
	}
	// The node answering may apply the change a moment after the controller.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		out = mustGregor(t, "", "cluster", "list-endpoints", "--bootstrap-server", addr, "--include-fenced-brokers")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) == 3 && !strings.Contains(out, "\n3 ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after unregistering broker 3:\n%s", out)
		}
	}
}
