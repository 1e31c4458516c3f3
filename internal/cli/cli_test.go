package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"gregor/internal/node/nodetest"
)

// bootstrapEnv names a running broker to test against instead of an
// in-process Gregor node, e.g. GREGOR_TEST_BOOTSTRAP=127.0.0.1:9092 go test
// ./internal/cli; .ci/run sets it to test the built binary.
const bootstrapEnv = "GREGOR_TEST_BOOTSTRAP"

// startBroker returns the bootstrap address of a broker for one test: the
// broker named by GREGOR_TEST_BOOTSTRAP when set, else a fresh Gregor node
// started in-process (nodetest.Start), stopped when the test ends, so that
// go test ./... tests the tools against Gregor itself.
//
// Only this test file imports a broker package: the import allow-list
// (internal/node/imports_test.go) checks the CLI's non-test files, which
// stay a pure Kafka client. kfake remains for the tests that need a broken
// or scripted broker (startBrokerWithout, ControlKey).
func startBroker(t *testing.T) string {
	t.Helper()
	if addr := os.Getenv(bootstrapEnv); addr != "" {
		return addr
	}
	return nodetest.Start(t, "", nil).Addr
}

// externalBroker reports whether the tests run against a real broker.
func externalBroker() bool { return os.Getenv(bootstrapEnv) != "" }

var topicSeq atomic.Int64

// uniqueTopic returns a topic name no other test (or earlier run against
// the same external broker) uses.
func uniqueTopic(t *testing.T) string {
	name := regexp.MustCompile(`[^a-zA-Z0-9-]+`).ReplaceAllString(t.Name(), "-")
	return fmt.Sprintf("%s-%d-%d", name, time.Now().UnixNano()%1e9, topicSeq.Add(1))
}

// result is what one command run printed and returned.
type result struct {
	stdout, stderr string
	err            error
	elapsed        time.Duration
}

// gregor runs "gregor args..." in-process, with stdin as standard input.
func gregor(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	root := &cobra.Command{Use: "gregor", SilenceErrors: true, SilenceUsage: true}
	AddCommands(root)
	var stdout, stderr bytes.Buffer
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	root.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	err := root.ExecuteContext(ctx)
	return result{stdout.String(), stderr.String(), err, time.Since(start)}
}

// mustGregor runs a command that must succeed and returns its stdout.
func mustGregor(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	r := gregor(t, stdin, args...)
	if r.err != nil {
		t.Fatalf("gregor %s: %v\nstderr: %s", strings.Join(args, " "), r.err, r.stderr)
	}
	return r.stdout
}

// createTopic creates topic with n partitions through the topics tool.
func createTopic(t *testing.T, addr, topic string, partitions int) {
	t.Helper()
	mustGregor(t, "", "topics", "--bootstrap-server", addr, "--create", "--topic", topic,
		"--partitions", fmt.Sprint(partitions), "--replication-factor", "1")
}

func TestMissingBrokerFailsFast(t *testing.T) {
	// Every tool reports an unreachable bootstrap server promptly and by
	// address, instead of retrying forever.
	const addr = "127.0.0.1:1"
	for _, args := range [][]string{
		{"topics", "--bootstrap-server", addr, "--list"},
		{"console-producer", "--bootstrap-server", addr, "--topic", "t"},
		{"console-consumer", "--bootstrap-server", addr, "--topic", "t"},
		{"producer-perf-test", "--topic", "t", "--num-records", "1", "--record-size", "10",
			"--throughput", "-1", "--producer-props", "bootstrap.servers=" + addr},
		{"consumer-perf-test", "--bootstrap-server", addr, "--topic", "t", "--num-records", "1"},
		{"consumer-groups", "--bootstrap-server", addr, "--list"},
	} {
		t.Run(args[0], func(t *testing.T) {
			r := gregor(t, "x\n", args...)
			if r.err == nil {
				t.Fatal("no error")
			}
			want := "cannot reach bootstrap server 127.0.0.1:1: connection refused"
			if r.err.Error() != want {
				t.Errorf("error %q, want %q", r.err, want)
			}
			if r.elapsed > 10*time.Second {
				t.Errorf("took %v", r.elapsed)
			}
		})
	}
}

func TestMissingRequiredFlags(t *testing.T) {
	// A command line without a required flag fails before connecting and
	// names the flag.
	for _, tc := range []struct {
		args []string
		flag string
	}{
		{[]string{"console-producer", "--bootstrap-server", "127.0.0.1:1"}, "topic"},
		{[]string{"console-consumer", "--bootstrap-server", "127.0.0.1:1"}, "topic"},
		{[]string{"console-producer", "--topic", "t"}, "bootstrap-server"},
		{[]string{"topics", "--list"}, "bootstrap-server"},
		{[]string{"topics", "--bootstrap-server", "127.0.0.1:1", "--create"}, "topic"},
		{[]string{"consumer-perf-test", "--bootstrap-server", "127.0.0.1:1", "--topic", "t"}, "[messages], [num-records]"},
		{[]string{"consumer-perf-test", "--bootstrap-server", "127.0.0.1:1", "--num-records", "1"}, "[topic], [include]"},
		{[]string{"consumer-perf-test", "--bootstrap-server", "127.0.0.1:1", "--topic", "t", "--include", "t", "--num-records", "1"}, "[topic], [include]"},
		{[]string{"producer-perf-test", "--topic", "t", "--num-records", "1", "--record-size", "1", "--throughput", "-1"}, "bootstrap"},
	} {
		r := gregor(t, "", tc.args...)
		if r.err == nil || !strings.Contains(r.err.Error(), tc.flag) {
			t.Errorf("%v: error %v, want one naming %q", tc.args, r.err, tc.flag)
		}
		if r.elapsed > time.Second {
			t.Errorf("%v: took %v; should fail before connecting", tc.args, r.elapsed)
		}
	}
}

func TestParseProps(t *testing.T) {
	// k=v words split at the first '=', so values may contain '='.
	p, err := parseProps([]string{"acks=all", "sasl.jaas.config=a=b", "empty="})
	if err != nil {
		t.Fatal(err)
	}
	want := props{"acks": "all", "sasl.jaas.config": "a=b", "empty": ""}
	if fmt.Sprint(p) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", p, want)
	}
	if _, err := parseProps([]string{"novalue"}); err == nil {
		t.Error("novalue: no error")
	}
}

func TestPropsFile(t *testing.T) {
	// Java properties files: comments, both separators, blank lines.
	path := t.TempDir() + "/client.properties"
	os.WriteFile(path, []byte("# comment\n! also\nclient.id = tool\nacks: 1\n\nlinger.ms=7\n"), 0o600)
	p, err := loadPropsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if p["client.id"] != "tool" || p["acks"] != "1" || p["linger.ms"] != "7" || len(p) != 3 {
		t.Errorf("got %v", p)
	}
}

func TestProducerOptions(t *testing.T) {
	// Unknown properties draw Kafka's warning; bad values and idempotence
	// without acks=all are errors.
	var warn bytes.Buffer
	def := producerDefaults{linger: 5 * time.Millisecond, batchBytes: 16384, acks: "all", idempotent: true}
	if _, err := producerOptions(props{"acks": "all", "linger.ms": "1", "batch.size": "65536",
		"compression.type": "zstd", "client.id": "x", "max.request.size": "1048576",
		"foo.bar": "1"}, def, &warn); err != nil {
		t.Fatal(err)
	}
	if want := "WARN The configuration 'foo.bar' was supplied but isn't a known config.\n"; warn.String() != want {
		t.Errorf("warnings %q, want %q", warn.String(), want)
	}
	for _, bad := range []props{
		{"acks": "2"},
		{"acks": "1", "enable.idempotence": "true"},
		{"linger.ms": "soon"},
		{"compression.type": "brotli"},
	} {
		if _, err := producerOptions(bad, def, &warn); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

// startBrokerWithout starts a kfake cluster that does not advertise the
// given API keys, as a broker without consumer groups.
func startBrokerWithout(t *testing.T, keys ...kmsg.Key) string {
	t.Helper()
	v := kversion.Stable()
	for _, k := range keys {
		v.SetMaxKeyVersion(int16(k), -1)
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.MaxVersions(v))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

func TestGroupToolsWithoutGroupsFailFast(t *testing.T) {
	// Against a broker that does not serve FindCoordinator, every group
	// tool says so at once instead of waiting out its timeout.
	addr := startBrokerWithout(t, kmsg.FindCoordinator)
	topic := uniqueTopic(t)
	createTopic(t, addr, topic, 1)
	want := "the cluster at " + addr + " does not serve consumer groups: it does not advertise FindCoordinator (API key 10)"
	for _, args := range [][]string{
		{"consumer-perf-test", "--bootstrap-server", addr, "--topic", topic, "--num-records", "1", "--group", "g"},
		{"console-consumer", "--bootstrap-server", addr, "--topic", topic, "--group", "g"},
		{"consumer-groups", "--bootstrap-server", addr, "--describe", "--group", "g"},
		{"consumer-groups", "--bootstrap-server", addr, "--reset-offsets", "--group", "g", "--topic", topic, "--to-earliest"},
	} {
		r := gregor(t, "", args...)
		if r.err == nil || r.err.Error() != want {
			t.Errorf("%s: %v, want %q", args[0], r.err, want)
		}
		if r.elapsed > 3*time.Second || r.stdout != "" {
			t.Errorf("%s: took %v, printed %q", args[0], r.elapsed, r.stdout)
		}
	}
}

func TestGroupConsumersReportCoordinatorErrors(t *testing.T) {
	// A FindCoordinator answer that no retry will change fails the group
	// consumers at once, naming the group and Kafka's error.
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	addr := c.ListenAddrs()[0]
	topic := uniqueTopic(t)
	createTopic(t, addr, topic, 1)
	c.ControlKey(int16(kmsg.FindCoordinator), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		resp := req.(*kmsg.FindCoordinatorRequest).ResponseKind().(*kmsg.FindCoordinatorResponse)
		for _, key := range req.(*kmsg.FindCoordinatorRequest).CoordinatorKeys {
			rc := kmsg.NewFindCoordinatorResponseCoordinator()
			rc.Key, rc.ErrorCode, rc.NodeID = key, 30, -1 // GROUP_AUTHORIZATION_FAILED
			resp.Coordinators = append(resp.Coordinators, rc)
		}
		return resp, nil, true
	})
	for _, args := range [][]string{
		{"consumer-perf-test", "--bootstrap-server", addr, "--topic", topic, "--num-records", "1", "--group", "g"},
		{"console-consumer", "--bootstrap-server", addr, "--topic", topic, "--group", "g"},
	} {
		r := gregor(t, "", args...)
		if r.err == nil || !strings.HasPrefix(r.err.Error(), "cannot find the coordinator of group 'g': GROUP_AUTHORIZATION_FAILED") {
			t.Errorf("%s: %v", args[0], r.err)
		}
		if r.elapsed > 3*time.Second {
			t.Errorf("%s: took %v", args[0], r.elapsed)
		}
	}
}
