package cli

import (
	"maps"
	"regexp"
	"strings"
	"testing"
)

func TestParseAddConfig(t *testing.T) {
	// --add-config splits at commas outside brackets and strips the
	// brackets, as kafka-configs.sh does.
	for _, tc := range []struct {
		in   string
		want map[string]string
	}{
		{"retention.ms=1000", map[string]string{"retention.ms": "1000"}},
		{"a=1,b=[x,y],c = 3", map[string]string{"a": "1", "b": "x,y", "c": "3"}},
		{"cleanup.policy=[compact,delete],", map[string]string{"cleanup.policy": "compact,delete"}},
		{"ssl.endpoint.identification.algorithm=", map[string]string{"ssl.endpoint.identification.algorithm": ""}},
		{"k=[a=b]", map[string]string{"k": "a=b"}},
	} {
		got, err := parseAddConfig(tc.in)
		if err != nil || !maps.Equal(got, tc.want) {
			t.Errorf("%q: %v %v, want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"novalue", "a=b=c", "a=1,,b=2"} {
		if _, err := parseAddConfig(bad); err == nil || !strings.HasPrefix(err.Error(), "Invalid entity config") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestConfigsArgs(t *testing.T) {
	// Bad command lines fail before connecting, with kafka-configs.sh's
	// messages.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--entity-type", "topics"}, "Command must include exactly one action: --describe, --alter"},
		{[]string{"--describe", "--alter", "--entity-type", "topics"}, "Command must include exactly one action"},
		{[]string{"--describe", "--topic", "t", "--add-config", "a=1"}, `Option "[describe]" can't be used with option "[add-config]"`},
		{[]string{"--describe"}, "At least one entity type must be specified"},
		{[]string{"--describe", "--entity-type", "tables"}, "Invalid entity type tables, the entity type must be one of broker-loggers, topics, clients, users, brokers, ips, client-metrics, groups"},
		{[]string{"--describe", "--entity-type", "client-metrics"}, "entity type client-metrics is not supported yet"},
		{[]string{"--alter", "--entity-type", "groups", "--add-config", "consumer.session.timeout.ms=50000"}, "An entity name must be specified with --alter of groups"},
		{[]string{"--describe", "--entity-type", "groups", "--entity-default"}, "--entity-default must not be specified with --describe of groups"},
		{[]string{"--describe", "--entity-type", "ips", "--entity-name", "not-an-ip"}, "The entity name for ips must be a valid IP or resolvable host, but it is: not-an-ip"},
		{[]string{"--describe", "--entity-type", "users", "--entity-type", "ips"}, "Only 'users' and 'clients' entity types may be specified together"},
		{[]string{"--describe", "--entity-type", "users", "--entity-type", "topics"}, "Only 'users' and 'clients' entity types may be specified together"},
		{[]string{"--describe", "--entity-type", "users", "--entity-name", "a", "--entity-name", "b"}, "More entity names specified than entity types"},
		{[]string{"--alter", "--entity-type", "users", "--add-config", "producer_byte_rate=1"}, "An entity-name or default entity must be specified with --alter of users, clients, brokers or ips"},
		{[]string{"--alter", "--entity-type", "users", "--entity-type", "clients", "--entity-name", "a", "--add-config", "producer_byte_rate=1"}, "An entity name must be specified for every entity type"},
		{[]string{"--alter", "--user", "a", "--client", "c"}, "At least one of --add-config"},
		{[]string{"--alter", "--user", "a", "--entity-name", "b", "--add-config", "producer_byte_rate=1"}, "--entity-{type,name,default} should not be used"},
		{[]string{"--describe", "--entity-type", "topics", "--entity-type", "topics"}, "Duplicate entity type(s) specified: topics"},
		{[]string{"--describe", "--entity-type", "topics", "--topic", "t"}, "Duplicate entity type(s) specified: topics"},
		{[]string{"--describe", "--entity-type", "brokers", "--topic", "t"}, "Only 'users' and 'clients' entity types may be specified together"},
		{[]string{"--describe", "--entity-name", "t", "--topic", "t"}, "--entity-{type,name,default} should not be used in conjunction with specific entity flags"},
		{[]string{"--describe", "--entity-type", "brokers", "--entity-name", "one"}, "The entity name for brokers must be a valid integer broker id, but it is: one"},
		{[]string{"--describe", "--entity-type", "topics", "--entity-default"}, "--entity-default must not be specified with --describe of topics"},
		{[]string{"--alter", "--entity-type", "topics", "--add-config", "a=1"}, "An entity name must be specified with --alter of topics"},
		{[]string{"--alter", "--entity-type", "brokers", "--add-config", "a=1"}, "An entity-name or default entity must be specified with --alter of users, clients, brokers or ips"},
		{[]string{"--alter", "--topic", "t"}, "At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter"},
		{[]string{"--alter", "--topic", "t", "--add-config", "a=1", "--add-config-file", "f"}, "Only one of --add-config or --add-config-file must be specified"},
		{[]string{"--alter", "--broker-defaults", "--entity-name", "1", "--add-config", "a=1"}, "--entity-{type,name,default} should not be used"},
	} {
		r := gregor(t, "", append([]string{"configs", "--bootstrap-server", "127.0.0.1:1"}, tc.args...)...)
		if r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, r.err, tc.want)
		}
	}
}

func TestConfigsTopicLifecycle(t *testing.T) {
	// --alter sets and deletes topic configs, with the bracket list
	// syntax, and --describe prints the dynamic ones as kafka-configs.sh
	// does. (kfake orders synonyms its own way; cmd/gregor checks them
	// exactly against a real node.)
	addr := startBroker(t)
	topic := uniqueTopic(t)
	createTopic(t, addr, topic, 1)
	base := []string{"configs", "--bootstrap-server", addr, "--entity-type", "topics", "--entity-name", topic}
	run := func(args ...string) string { return mustGregor(t, "", append(append([]string{}, base...), args...)...) }

	out := run("--alter", "--add-config", "retention.ms=86400000,cleanup.policy=[compact,delete]")
	if out != "Completed updating config for topic "+topic+".\n" {
		t.Fatalf("alter: %q", out)
	}
	lines := strings.Split(strings.TrimSuffix(run("--describe"), "\n"), "\n")
	want := []*regexp.Regexp{
		regexp.MustCompile(`^Dynamic configs for topic ` + regexp.QuoteMeta(topic) + ` are:$`),
		regexp.MustCompile(`^  cleanup\.policy=compact,delete sensitive=false synonyms=\{.*\}$`),
		regexp.MustCompile(`^  retention\.ms=86400000 sensitive=false synonyms=\{.*\}$`),
	}
	if len(lines) != len(want) {
		t.Fatalf("describe: %q", lines)
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d: %q does not match %s", i, lines[i], re)
		}
	}

	if out := run("--alter", "--delete-config", "retention.ms,cleanup.policy"); out != "Completed updating config for topic "+topic+".\n" {
		t.Fatalf("delete: %q", out)
	}
	if out := run("--describe"); out != "Dynamic configs for topic "+topic+" are:\n" {
		t.Errorf("describe after delete: %q", out)
	}
	if out := run("--describe", "--all"); !strings.Contains(out, "All configs for topic "+topic+" are:\n") || !strings.Contains(out, "\n  retention.ms=") {
		t.Errorf("describe --all: %q", out)
	}

	missing := uniqueTopic(t)
	out = mustGregor(t, "", "configs", "--bootstrap-server", addr, "--describe", "--topic", missing)
	if out != "The topic '"+missing+"' doesn't exist and doesn't have dynamic config.\n" {
		t.Errorf("describe of a missing topic: %q", out)
	}
}

func TestConfigsGroups(t *testing.T) {
	// --alter sets and deletes a group's configs (the group need not
	// exist), --describe of every group lists it while it has configs, and
	// deleting a config the group does not set fails as in kafka-configs.sh.
	addr := startBroker(t)
	group := uniqueTopic(t)
	run := func(args ...string) string {
		return mustGregor(t, "", append([]string{"configs", "--bootstrap-server", addr}, args...)...)
	}
	if out := run("--alter", "--group", group, "--add-config", "consumer.heartbeat.interval.ms=6000,consumer.session.timeout.ms=50000"); out != "Completed updating config for group "+group+".\n" {
		t.Fatalf("alter: %q", out)
	}
	want := "Dynamic configs for group " + group + " are:\n" +
		"  consumer.heartbeat.interval.ms=6000 sensitive=false synonyms={DYNAMIC_GROUP_CONFIG:consumer.heartbeat.interval.ms=6000}\n" +
		"  consumer.session.timeout.ms=50000 sensitive=false synonyms={DYNAMIC_GROUP_CONFIG:consumer.session.timeout.ms=50000}\n"
	if out := run("--describe", "--entity-type", "groups", "--entity-name", group); out != want {
		t.Fatalf("describe: %q, want %q", out, want)
	}
	if out := run("--describe", "--entity-type", "groups"); !strings.Contains(out, want) {
		t.Fatalf("describe of every group: %q lacks %q", out, want)
	}
	r := gregor(t, "", "configs", "--bootstrap-server", addr, "--alter", "--group", group, "--delete-config", "consumer.heartbeat.interval.ms,share.isolation.level")
	if r.err == nil || r.err.Error() != "Invalid config(s): share.isolation.level" {
		t.Fatalf("delete of a config the group does not set: %v", r.err)
	}
	r = gregor(t, "", "configs", "--bootstrap-server", addr, "--alter", "--group", group, "--add-config", "consumer.session.timeout.ms=1000")
	if r.err == nil || !strings.Contains(r.err.Error(), "consumer.session.timeout.ms must be greater than or equal to group.consumer.min.session.timeout.ms") {
		t.Fatalf("a session timeout below the broker's minimum: %v", r.err)
	}
	run("--alter", "--group", group, "--delete-config", "consumer.heartbeat.interval.ms,consumer.session.timeout.ms")
	if out := run("--describe", "--group", group); out != "The group '"+group+"' doesn't exist and doesn't have dynamic config.\n" {
		t.Fatalf("describe after deleting every config: %q", out)
	}
}

func TestConfigsBrokerLoggers(t *testing.T) {
	// A broker's loggers, described and changed at run time as
	// kafka-configs.sh --entity-type broker-loggers does.
	if externalBroker() {
		t.Skip("changes the levels of a broker the test does not own")
	}
	addr := startBroker(t)
	run := func(args ...string) string {
		return mustGregor(t, "", append([]string{"configs", "--bootstrap-server", addr}, args...)...)
	}
	if out := run("--alter", "--entity-type", "broker-loggers", "--entity-name", "1", "--add-config", "gregor.replica=DEBUG"); out != "Completed updating config for broker-logger 1.\n" {
		t.Fatalf("alter: %q", out)
	}
	out := run("--describe", "--broker-logger", "1")
	if !strings.HasPrefix(out, "Dynamic configs for broker-logger 1 are:\n") ||
		!strings.Contains(out, "\n  gregor.replica=DEBUG sensitive=false synonyms={}\n") || !strings.Contains(out, "\n  root=") {
		t.Fatalf("describe: %q", out)
	}
	r := gregor(t, "", "configs", "--bootstrap-server", addr, "--alter", "--broker-logger", "1", "--add-config", "kafka.server=DEBUG", "--delete-config", "gregor.nothing")
	if r.err == nil || r.err.Error() != "Invalid broker logger(s): gregor.nothing,kafka.server" {
		t.Fatalf("unknown loggers: %v", r.err)
	}
	r = gregor(t, "", "configs", "--bootstrap-server", addr, "--describe", "--entity-type", "broker-loggers")
	if r.err == nil || r.err.Error() != "An entity name must be specified with --describe of broker-loggers" {
		t.Fatalf("describe without a broker: %v", r.err)
	}
	run("--alter", "--broker-logger", "1", "--delete-config", "gregor.replica")
	if out := run("--describe", "--broker-logger", "1"); strings.Contains(out, "gregor.replica=DEBUG") {
		t.Fatalf("after delete: %q", out)
	}
}
