package cli

import (
	"strings"
	"testing"
)

func TestKafka41FlagNamesAreAliases(t *testing.T) {
	// Kafka 4.1's --command-property and --command-config (KIP-1147) feed
	// the same option as the names they replace: a bad value given through
	// the new name is refused as the old name's would be.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"console-producer", "--topic", "t", "--command-property", "acks=7"}, `invalid value "7" for configuration acks`},
		{[]string{"console-consumer", "--topic", "t", "--group", "a", "--command-property", "group.id=b"}, "Detected group ids: 'a', 'b'"},
		{[]string{"console-consumer", "--topic", "t", "--group", "a", "--consumer-property", "group.id=a", "--command-property", "group.id=b"},
			"Detected group ids: 'a', 'b'"},
		{[]string{"consumer-perf-test", "--topic", "t", "--messages", "1", "--command-property", "fetch.max.bytes=abc"},
			`invalid value "abc" for configuration fetch.max.bytes`},
		{[]string{"leader-election", "--election-type", "preferred", "--all-topic-partitions", "--command-config", "/nonexistent.properties"},
			"/nonexistent.properties"},
	} {
		args := append([]string{tc.args[0], "--bootstrap-server", "127.0.0.1:1"}, tc.args[1:]...)
		r := gregor(t, "", args...)
		if r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error containing %q", tc.args, r.err, tc.want)
		}
	}
}

func TestProducerPerfTestCommandProperty(t *testing.T) {
	// producer-perf-test takes Kafka 4.1's "--command-property k=v k=v"
	// form as it takes --producer-props, bootstrap servers included.
	addr := startBroker(t)
	topic := uniqueTopic(t)
	createTopic(t, addr, topic, 1)
	out := mustGregor(t, "", "producer-perf-test", "--topic", topic, "--num-records", "100",
		"--record-size", "10", "--throughput", "-1", "--command-property", "bootstrap.servers="+addr, "acks=all")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if m := producerTotalLine.FindStringSubmatch(lines[len(lines)-1]); m == nil || m[1] != "100" {
		t.Fatalf("summary %q", out)
	}
	fetchAll(t, addr, topic, 100)
}
