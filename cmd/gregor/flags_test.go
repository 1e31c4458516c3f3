package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"gregor/internal/cli"
)

// kafkaCommand finds the Gregor command standing for a Kafka tool, with its
// help and version flags added as cobra adds them when it runs.
func kafkaCommand(t *testing.T, root *cobra.Command, path string) *cobra.Command {
	t.Helper()
	cmd, _, err := root.Find(strings.Fields(path))
	if err != nil || cmd.CommandPath() != "gregor "+path {
		t.Fatalf("no command %q (found %v, %v)", path, cmd.CommandPath(), err)
	}
	cmd.InitDefaultHelpFlag()
	cmd.InitDefaultVersionFlag()
	return cmd
}

// TestKafkaFlagsAcceptedOrRefused proves that every flag of every Kafka
// tool Gregor ships is a flag of Gregor's command: a new Kafka flag (added
// to cli.KafkaFlags) fails here until it is implemented or refused.
func TestKafkaFlagsAcceptedOrRefused(t *testing.T) {
	root := newRootCommand()
	for path, flags := range cli.KafkaFlags {
		cmd := kafkaCommand(t, root, path)
		var missing []string
		for _, name := range flags {
			if cmd.Flags().Lookup(name) == nil {
				missing = append(missing, "--"+name)
			}
		}
		if len(missing) > 0 {
			slices.Sort(missing)
			t.Errorf("gregor %s neither takes nor refuses Kafka's %s", path, strings.Join(missing, " "))
		}
	}
}

// TestRefusedFlagsSayNotSupported proves that using a refused flag is an
// error saying it is not supported, before the tool connects anywhere.
func TestRefusedFlagsSayNotSupported(t *testing.T) {
	refused := 0
	for path, flags := range cli.KafkaFlags {
		for _, name := range flags {
			root := newRootCommand()
			cmd := kafkaCommand(t, root, path)
			if !cli.IsRefused(cmd, name) {
				continue
			}
			refused++
			args := append(strings.Fields(path), requiredArgs[path]...)
			args = append(args, "--"+name)
			if cmd.Flags().Lookup(name).Value.Type() != "bool" {
				args = append(args, "x")
			}
			_, _, err := execute(root, args...)
			if err == nil || !strings.Contains(err.Error(), "--"+name+" is not supported") {
				t.Errorf("gregor %s: error %v, want one saying it is not supported", strings.Join(args, " "), err)
			}
		}
	}
	if refused == 0 {
		t.Fatal("no refused flag was tried")
	}
}

// requiredArgs lets a command line pass cobra's required-flag checks; the
// address is one nothing listens on, so no test here reaches a broker.
var requiredArgs = map[string][]string{
	"topics":                        {"--bootstrap-server", "127.0.0.1:1", "--list"},
	"dump-log":                      {"--files", "00000000000000000000.log"},
	"configs":                       {"--bootstrap-server", "127.0.0.1:1", "--describe", "--entity-type", "topics"},
	"consumer-groups":               {"--bootstrap-server", "127.0.0.1:1", "--list"},
	"console-producer":              {"--bootstrap-server", "127.0.0.1:1", "--topic", "t"},
	"console-consumer":              {"--bootstrap-server", "127.0.0.1:1", "--topic", "t"},
	"producer-perf-test":            {"--topic", "t", "--num-records", "1", "--record-size", "1", "--throughput", "-1", "--producer-props", "bootstrap.servers=127.0.0.1:1"},
	"consumer-perf-test":            {"--bootstrap-server", "127.0.0.1:1", "--topic", "t", "--num-records", "1"},
	"metadata-quorum":               {"--bootstrap-server", "127.0.0.1:1"},
	"storage format":                {"--cluster-id", "AAAAAAAAAAAAAAAAAAAAAA", "--config", "/nonexistent"},
	"reassign-partitions":           {"--bootstrap-server", "127.0.0.1:1", "--list"},
	"acls":                          {"--bootstrap-server", "127.0.0.1:1", "--list"},
	"features feature-dependencies": {"--feature", "group.version=1"},
}

// TestBareCommandsAnswer proves that every command and subcommand but the
// server, run with no arguments, answers at once, never panics: a tool
// that is only a parent of subcommands names them.
func TestBareCommandsAnswer(t *testing.T) {
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		for _, sub := range c.Commands() {
			if p := append(slices.Clone(path), sub.Name()); sub.Name() != "server" && sub.Name() != "help" {
				paths = append(paths, p)
				walk(sub, p)
			}
		}
	}
	walk(newRootCommand(), nil)
	for _, path := range paths {
		done := make(chan error, 1)
		go func() {
			_, _, err := execute(newRootCommand(), path...)
			done <- err
		}()
		select {
		case err := <-done:
			if strings.Join(path, " ") == "metadata-quorum" && (err == nil || err.Error() != "a command is required: add-controller, describe, remove-controller") {
				t.Errorf("gregor metadata-quorum: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("gregor %s did not answer in 10s", strings.Join(path, " "))
		}
	}
	if len(paths) < 20 {
		t.Fatalf("walked only %v", paths)
	}
}

// TestEveryToolIsDiffed proves that every command standing for a Kafka tool
// (every command but server, version, help and completion, and each of
// their subcommands) has its Kafka flags in cli.KafkaFlags and a Kafka class
// to diff them against in kafkaToolClasses: a tool added later without them
// fails here instead of escaping the flag diff.
func TestEveryToolIsDiffed(t *testing.T) {
	own := map[string]bool{"server": true, "version": true, "help": true, "completion": true}
	var walk func(c *cobra.Command, path string)
	walk = func(c *cobra.Command, path string) {
		for _, sub := range c.Commands() {
			p := strings.TrimSpace(path + " " + sub.Name())
			if path == "" && own[sub.Name()] {
				continue
			}
			if _, ok := cli.KafkaFlags[p]; !ok {
				t.Errorf("gregor %s has no row in cli.KafkaFlags", p)
			}
			if _, ok := kafkaToolClasses[p]; !ok {
				t.Errorf("gregor %s has no Kafka class in kafkaToolClasses", p)
			}
			walk(sub, p)
		}
	}
	walk(newRootCommand(), "")
	for p := range cli.KafkaFlags {
		if _, ok := kafkaToolClasses[p]; !ok {
			t.Errorf("cli.KafkaFlags[%q] has no Kafka class to diff against", p)
		}
	}
}
