package main

import (
	"strings"
	"testing"
)

// TestVersion proves that --version and the version subcommand print the
// same one line, naming the version, the revision and the Kafka protocol.
func TestVersion(t *testing.T) {
	flag, _, err := execute(newRootCommand(), "--version")
	if err != nil {
		t.Fatal(err)
	}
	sub, _, err := execute(newRootCommand(), "version")
	if err != nil {
		t.Fatal(err)
	}
	if flag != sub {
		t.Errorf("--version printed %q, version printed %q", flag, sub)
	}
	for _, want := range []string{"gregor ", "revision ", "Kafka protocol 4.2"} {
		if !strings.Contains(flag, want) {
			t.Errorf("--version printed %q, want it to contain %q", flag, want)
		}
	}
	if strings.Count(flag, "\n") != 1 {
		t.Errorf("--version printed %q, want one line", flag)
	}
}
