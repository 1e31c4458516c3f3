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
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// bootstrapEnv names a running broker to test against instead of kfake,
// e.g. GREGOR_TEST_BOOTSTRAP=127.0.0.1:9092 go test ./internal/cli.
const bootstrapEnv = "GREGOR_TEST_BOOTSTRAP"

// startBroker returns the bootstrap address of a broker for one test: the
// broker named by GREGOR_TEST_BOOTSTRAP when set, else a fresh in-memory
// kfake cluster closed when the test ends.
func startBroker(t *testing.T) string {
	t.Helper()
	if addr := os.Getenv(bootstrapEnv); addr != "" {
		return addr
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
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
		{"consumer-perf-test", "--bootstrap-server", addr, "--topic", "t", "--messages", "1"},
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
		{[]string{"consumer-perf-test", "--bootstrap-server", "127.0.0.1:1", "--topic", "t"}, "messages"},
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

// servesGroups reports whether the broker at addr advertises JoinGroup. A
// broker without consumer groups (gregor before they land) turns the group
// checks into a logged known gap rather than a failure.
func servesGroups(t *testing.T, addr string) bool {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("ApiVersions: %v", err)
	}
	for _, k := range resp.ApiKeys {
		if k.ApiKey == 11 {
			return true
		}
	}
	t.Logf("known gap: the broker at %s does not serve consumer groups yet", addr)
	return false
}
