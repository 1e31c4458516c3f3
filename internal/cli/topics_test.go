package cli

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestTopicsLifecycle(t *testing.T) {
	// create, list, describe, alter and delete behave and print as
	// kafka-topics.sh does, including its errors and the if-(not-)exists
	// escapes.
	addr := startBroker(t)
	topic := uniqueTopic(t)
	base := []string{"topics", "--bootstrap-server", addr}
	run := func(args ...string) result { return gregor(t, "", append(slices.Clone(base), args...)...) }

	r := run("--create", "--topic", topic, "--partitions", "3", "--replication-factor", "1", "--config", "retention.ms=86400000")
	if r.err != nil || r.stdout != "Created topic "+topic+".\n" {
		t.Fatalf("create: %q, %v", r.stdout, r.err)
	}
	r = run("--create", "--topic", topic, "--partitions", "3")
	if r.err == nil || r.err.Error() != "Topic '"+topic+"' already exists." {
		t.Errorf("second create: %v", r.err)
	}
	if r = run("--create", "--topic", topic, "--if-not-exists"); r.err != nil {
		t.Errorf("create --if-not-exists: %v", r.err)
	}

	if r = run("--list"); !slices.Contains(strings.Split(r.stdout, "\n"), topic) {
		t.Errorf("list %q lacks %s (err %v)", r.stdout, topic, r.err)
	}

	r = run("--describe", "--topic", topic)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	header := regexp.MustCompile(`^Topic: ` + regexp.QuoteMeta(topic) +
		`\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: .*retention.ms=86400000.*$`)
	if r.err != nil || len(lines) != 4 || !header.MatchString(lines[0]) {
		t.Fatalf("describe: %q, %v", r.stdout, r.err)
	}
	partition := regexp.MustCompile(`^\tTopic: ` + regexp.QuoteMeta(topic) +
		`\tPartition: (\d)\tLeader: \d+\tReplicas: \d+\tIsr: \d+\tElr: \tLastKnownElr: $`)
	for i, line := range lines[1:] {
		m := partition.FindStringSubmatch(line)
		if m == nil || m[1] != string(rune('0'+i)) {
			t.Errorf("partition line %d: %q", i, line)
		}
	}

	if r = run("--alter", "--topic", topic, "--partitions", "5"); r.err != nil {
		t.Fatalf("alter: %v", r.err)
	}
	if r = run("--describe", "--topic", topic); !strings.Contains(r.stdout, "PartitionCount: 5\t") {
		t.Errorf("after alter: %q", r.stdout)
	}
	if r = run("--alter", "--topic", topic, "--partitions", "2"); r.err == nil || !strings.Contains(r.err.Error(), "can only be increased") {
		t.Errorf("shrinking alter: %v", r.err)
	}

	if r = run("--delete", "--topic", topic); r.err != nil {
		t.Fatalf("delete: %v", r.err)
	}
	if r = run("--list"); slices.Contains(strings.Split(r.stdout, "\n"), topic) {
		t.Errorf("list after delete still has %s", topic)
	}
	notFound := "Topic '" + topic + "' does not exist as expected"
	for _, action := range []string{"--delete", "--describe"} {
		if r = run(action, "--topic", topic); r.err == nil || r.err.Error() != notFound {
			t.Errorf("%s of a missing topic: %v, want %q", action, r.err, notFound)
		}
		if r = run(action, "--topic", topic, "--if-exists"); r.err != nil {
			t.Errorf("%s --if-exists: %v", action, r.err)
		}
	}
}

func TestTopicsNeedsOneAction(t *testing.T) {
	// Zero or two actions are rejected before connecting.
	for _, args := range [][]string{{}, {"--list", "--describe"}} {
		r := gregor(t, "", append([]string{"topics", "--bootstrap-server", "127.0.0.1:1"}, args...)...)
		if r.err == nil || !strings.Contains(r.err.Error(), "exactly one action") {
			t.Errorf("%v: %v", args, r.err)
		}
	}
}

func TestTopicsListExcludeInternal(t *testing.T) {
	// --exclude-internal hides topics whose names start with "__".
	addr := startBroker(t)
	internal, plain := "__"+uniqueTopic(t), uniqueTopic(t)
	createTopic(t, addr, internal, 1)
	createTopic(t, addr, plain, 1)
	all := strings.Split(mustGregor(t, "", "topics", "--bootstrap-server", addr, "--list"), "\n")
	if !slices.Contains(all, internal) || !slices.Contains(all, plain) {
		t.Errorf("--list: %q", all)
	}
	some := strings.Split(mustGregor(t, "", "topics", "--bootstrap-server", addr, "--list", "--exclude-internal"), "\n")
	if slices.Contains(some, internal) || !slices.Contains(some, plain) {
		t.Errorf("--list --exclude-internal: %q", some)
	}
}
