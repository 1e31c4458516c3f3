package main

import (
	"strings"
	"testing"

	"gregor/internal/node/nodetest"
)

// TestConfigsQuotas proves `gregor configs` for users and clients against
// a real node: it sets, describes and deletes client quotas on users,
// clients, defaults and a user's clients, and SCRAM credentials, printing
// what kafka-configs.sh prints (Java's doubles, the Java client's map
// order), and refuses what kafka-configs.sh refuses, with its messages.
func TestConfigsQuotas(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	run := func(args ...string) (string, error) {
		t.Helper()
		return gregorCLI(t, append([]string{"configs", "--bootstrap-server", n.Addr}, args...)...)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--alter", "--entity-type", "users", "--entity-name", "alice", "--add-config", "producer_byte_rate=1048576,request_percentage=25.5"},
			"Completed updating config for user alice.\n"},
		{[]string{"--alter", "--user-defaults", "--add-config", "consumer_byte_rate=2048"},
			"Completed updating default config for users in the cluster.\n"},
		{[]string{"--alter", "--entity-type", "users", "--entity-name", "alice", "--entity-type", "clients", "--entity-default", "--add-config", "consumer_byte_rate=20000000"},
			"Completed updating config for user alice.\n"},
		{[]string{"--alter", "--client", "app", "--add-config", "producer_byte_rate=500,consumer_byte_rate=600"},
			"Completed updating config for client app.\n"},
		{[]string{"--describe", "--entity-type", "users"},
			"Quota configs for the default user-principal are consumer_byte_rate=2048.0\n" +
				"Quota configs for user-principal 'alice' are producer_byte_rate=1048576.0, request_percentage=25.5\n"},
		{[]string{"--describe", "--entity-type", "users", "--entity-name", "alice", "--entity-type", "clients", "--entity-default"},
			"Quota configs for user-principal 'alice', the default client-id are consumer_byte_rate=2.0E7\n"},
		{[]string{"--describe", "--entity-type", "clients"},
			"Quota configs for client-id 'app' are consumer_byte_rate=600.0, producer_byte_rate=500.0\n"},
		{[]string{"--alter", "--client", "app", "--delete-config", "producer_byte_rate"},
			"Completed updating config for client app.\n"},
		{[]string{"--describe", "--client", "app"},
			"Quota configs for client-id 'app' are consumer_byte_rate=600.0\n"},
		{[]string{"--alter", "--user", "alice", "--add-config", "SCRAM-SHA-256=[iterations=8192,password=alice-secret]"},
			"Completed updating config for user alice.\n"},
		{[]string{"--describe", "--user", "alice"},
			"Quota configs for user-principal 'alice' are producer_byte_rate=1048576.0, request_percentage=25.5\n" +
				"SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192\n"},
		{[]string{"--alter", "--user", "alice", "--delete-config", "SCRAM-SHA-256"},
			"Completed updating config for user alice.\n"},
		{[]string{"--describe", "--entity-type", "clients", "--entity-name", "nobody"}, ""},
		{[]string{"--alter", "--entity-type", "ips", "--entity-name", "10.1.2.3", "--add-config", "connection_creation_rate=10"},
			"Completed updating config for ip 10.1.2.3.\n"},
		{[]string{"--alter", "--ip-defaults", "--add-config", "connection_creation_rate=100"},
			"Completed updating default config for ips in the cluster.\n"},
		{[]string{"--describe", "--ip", "10.1.2.3"},
			"Quota configs for ip '10.1.2.3' are connection_creation_rate=10.0\n"},
	} {
		out, err := run(c.args...)
		if err != nil || out != c.want {
			t.Errorf("configs %s:\n%s(err %v)\nwant:\n%s", strings.Join(c.args, " "), out, err, c.want)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--alter", "--client", "app", "--delete-config", "producer_byte_rate"}, "Invalid config(s): producer_byte_rate"},
		{[]string{"--alter", "--ip", "10.1.2.3", "--add-config", "producer_byte_rate=1"}, "Only connection quota configs can be added for 'ip' using --bootstrap-server. Unexpected config names: producer_byte_rate"},
		{[]string{"--alter", "--client", "app", "--add-config", "bogus=1"}, "Only quota configs can be added for 'clients' using --bootstrap-server. Unexpected config names: Set(bogus)"},
		{[]string{"--alter", "--user", "alice", "--add-config", "bogus=1"}, "Only quota and SCRAM credential configs can be added for 'users'"},
		{[]string{"--alter", "--user", "alice", "--add-config", "producer_byte_rate=abc"}, "Cannot parse quota configuration value for producer_byte_rate: abc"},
		{[]string{"--alter", "--user", "alice", "--add-config", "producer_byte_rate=1.5"}, "producer_byte_rate cannot be a fractional value."},
		{[]string{"--alter", "--user-defaults", "--add-config", "SCRAM-SHA-256=[password=x]"}, "The use of --entity-default or --user-defaults is not allowed with User SCRAM Credentials"},
		{[]string{"--alter", "--user", "alice", "--add-config", "SCRAM-SHA-256=[password=x],producer_byte_rate=1"}, "Cannot alter both quota and SCRAM credential configs simultaneously"},
		{[]string{"--alter", "--user", "alice", "--add-config", "SCRAM-SHA-256=[iterations=100,password=x]"}, "Iterations 100 is less than the minimum 4096 required for SCRAM-SHA-256"},
	} {
		if _, err := run(c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("configs %s: %v, want %q", strings.Join(c.args, " "), err, c.want)
		}
	}
}
