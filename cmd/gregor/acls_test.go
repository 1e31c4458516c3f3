package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gregor/internal/node/nodetest"
)

// TestACLsTool proves `gregor acls` over a SASL_PLAINTEXT listener, reached
// through --command-config as Kafka's tools read it: --add prints what it
// adds and the resource's ACLs in kafka-acls.sh's format, --list shows
// them, --remove --force removes them.
func TestACLsTool(t *testing.T) {
	n := nodetest.Start(t, "", map[string]string{
		"listeners":                      "SASL_PLAINTEXT://127.0.0.1:0",
		"listener.security.protocol.map": "SASL_PLAINTEXT:SASL_PLAINTEXT",
		"inter.broker.listener.name":     "SASL_PLAINTEXT",
		"sasl.enabled.mechanisms":        "PLAIN",
		"sasl.jaas.config":               `org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret";`,
		"authorizer.class.name":          "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"super.users":                    "User:admin",
	})
	props := filepath.Join(t.TempDir(), "client.properties")
	body := "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n" +
		`sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret";` + "\n"
	if err := os.WriteFile(props, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		out, err := gregorCLI(t, append([]string{"acls", "--bootstrap-server", n.Addr, "--command-config", props}, args...)...)
		if err != nil {
			t.Fatalf("acls %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	pattern := "ResourcePattern(resourceType=TOPIC, name=orders, patternType=PREFIXED)"
	entry := "(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)"
	want := "Adding ACLs for resource `" + pattern + "`: \n \t" + entry + "\n\n" // Kafka 4.2's AclCommand
	if out := run("--add", "--allow-principal", "User:alice", "--operation", "Read", "--topic", "orders", "--resource-pattern-type", "prefixed"); out != want {
		t.Errorf("add:\n%q\nwant\n%q", out, want)
	}
	if out := run("--list", "--topic", "orders.eu", "--resource-pattern-type", "match"); out != "Current ACLs for resource `"+pattern+"`:\n\t"+entry+"\n\n" {
		t.Errorf("list MATCH orders.eu: %q", out)
	}
	if out := run("--list", "--principal", "User:alice"); out != "ACLs for principal `User:alice`\nCurrent ACLs for resource `"+pattern+"`:\n\t"+entry+"\n\n" {
		t.Errorf("list --principal: %q", out)
	}
	if out := run("--remove", "--force", "--topic", "orders", "--resource-pattern-type", "prefixed"); out != "" {
		t.Errorf("remove: %q", out)
	}
	if out := run("--list"); out != "" {
		t.Errorf("list after remove: %q", out)
	}
	if _, err := gregorCLI(t, "acls", "--bootstrap-server", n.Addr, "--list"); err == nil {
		t.Error("a client without credentials listed ACLs on a SASL listener")
	}
}
