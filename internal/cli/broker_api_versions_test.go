package cli

import (
	"regexp"
	"strings"
	"testing"
)

// TestBrokerAPIVersionsTool proves broker-api-versions prints Kafka's block
// for the broker: its address and id, then every client API in key order
// with Java's names, the versions served and the newest usable, or
// UNSUPPORTED.
func TestBrokerAPIVersionsTool(t *testing.T) {
	addr := startBroker(t)
	out := mustGregor(t, "", "broker-api-versions", "--bootstrap-server", addr)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if !regexp.MustCompile(`^\S+:\d+ \(id: \d+ rack: \S+ isFenced: false\) -> \($`).MatchString(lines[0]) || lines[len(lines)-1] != ")" {
		t.Fatalf("broker-api-versions printed:\n%s", out)
	}
	api := regexp.MustCompile(`^\t([A-Za-z]+)\((\d+)\): (UNSUPPORTED|\d+( to \d+)? \[usable: \d+\])(,?)$`)
	names := map[string]bool{}
	for i, l := range lines[1 : len(lines)-1] {
		m := api.FindStringSubmatch(l)
		if m == nil || (m[5] == ",") != (i < len(lines)-3) {
			t.Fatalf("line %q", l)
		}
		names[m[1]] = true
	}
	for _, want := range []string{"Produce", "Fetch", "SaslHandshake", "InitProducerId", "DescribeAcls",
		"AlterPartitionReassignments", "DescribeUserScramCredentials", "ApiVersions"} {
		if !names[want] {
			t.Errorf("no %s line in\n%s", want, out)
		}
	}
	if !strings.Contains(out, "\tProduce(0): ") || !strings.Contains(out, "\tApiVersions(18): 0 to ") {
		t.Errorf("printed:\n%s", out)
	}
}
