package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"gregor/internal/node/nodetest"
)

// gregorCLI runs "gregor args..." in-process with a deadline and returns
// its stdout and error.
func gregorCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCommand()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	return out.String(), err
}

// TestConfigsTool proves `gregor configs` against a real node prints what
// kafka-configs.sh prints, with Kafka's sources and synonyms, for topic
// overrides, the broker cluster default and a broker's own configs, and
// reports the broker's refusals.
func TestConfigsTool(t *testing.T) {
	n := nodetest.Start(t, "", map[string]string{"log.retention.hours": "24"})
	run := func(args ...string) string {
		t.Helper()
		out, err := gregorCLI(t, append([]string{"configs", "--bootstrap-server", n.Addr}, args...)...)
		if err != nil {
			t.Fatalf("configs %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	if _, err := gregorCLI(t, "topics", "--bootstrap-server", n.Addr, "--create", "--topic", "orders"); err != nil {
		t.Fatal(err)
	}

	if out := run("--alter", "--entity-type", "brokers", "--entity-default", "--add-config", "message.max.bytes=3000"); out != "Completed updating default config for brokers in the cluster.\n" {
		t.Fatalf("alter default: %q", out)
	}
	want := "Default configs for brokers in the cluster are:\n" +
		"  message.max.bytes=3000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:message.max.bytes=3000}\n"
	if out := run("--describe", "--entity-type", "brokers", "--entity-default"); out != want {
		t.Errorf("describe default:\n%s\nwant:\n%s", out, want)
	}

	if out := run("--alter", "--topic", "orders", "--add-config", "cleanup.policy=[compact,delete],retention.ms=1000"); out != "Completed updating config for topic orders.\n" {
		t.Fatalf("alter topic: %q", out)
	}
	want = "Dynamic configs for topic orders are:\n" +
		"  cleanup.policy=compact,delete sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact,delete, DEFAULT_CONFIG:log.cleanup.policy=delete}\n" +
		"  retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000, STATIC_BROKER_CONFIG:log.retention.hours=24}\n"
	if out := run("--describe", "--entity-type", "topics", "--entity-name", "orders"); out != want {
		t.Errorf("describe topic:\n%s\nwant:\n%s", out, want)
	}
	all := run("--describe", "--entity-type", "topics", "--entity-name", "orders", "--all")
	for _, line := range []string{
		"All configs for topic orders are:",
		"  max.message.bytes=3000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:message.max.bytes=3000, DEFAULT_CONFIG:message.max.bytes=1048588}",
		"  segment.ms=604800000 sensitive=false synonyms={}", // as Kafka 4.2: log.roll.ms, the first synonym, has no default
	} {
		if !strings.Contains(all, line+"\n") {
			t.Errorf("describe --all lacks %q:\n%s", line, all)
		}
	}

	if out := run("--alter", "--broker", "1", "--add-config", "log.retention.ms=60000"); out != "Completed updating config for broker 1.\n" {
		t.Fatalf("alter broker: %q", out)
	}
	want = "Dynamic configs for broker 1 are:\n" +
		"  log.retention.ms=60000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:log.retention.ms=60000, STATIC_BROKER_CONFIG:log.retention.hours=24, DEFAULT_CONFIG:log.retention.hours=168}\n"
	if out := run("--describe", "--broker", "1"); out != want {
		t.Errorf("describe broker:\n%s\nwant:\n%s", out, want)
	}
	if out := run("--describe", "--entity-type", "brokers"); !strings.HasPrefix(out, want+"Default configs for brokers in the cluster are:\n") {
		t.Errorf("describe every broker:\n%s", out)
	}

	_, err := gregorCLI(t, "configs", "--bootstrap-server", n.Addr, "--alter", "--broker", "1", "--add-config", "num.partitions=3")
	if err == nil || err.Error() != "cannot update config for broker '1': Cannot update these configs dynamically: Set(num.partitions)" {
		t.Errorf("read-only broker key: %v", err)
	}
	_, err = gregorCLI(t, "configs", "--bootstrap-server", n.Addr, "--alter", "--topic", "orders", "--add-config", "retention.ms=soon")
	if err == nil || !strings.Contains(err.Error(), "Invalid value soon for configuration retention.ms") {
		t.Errorf("bad topic value: %v", err)
	}
	if out := run("--alter", "--broker-defaults", "--delete-config", "message.max.bytes"); out != "Completed updating default config for brokers in the cluster.\n" {
		t.Fatalf("delete default: %q", out)
	}
	if out := run("--describe", "--broker-defaults"); out != "Default configs for brokers in the cluster are:\n" {
		t.Errorf("describe default after delete: %q", out)
	}
}
