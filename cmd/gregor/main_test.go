package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"gregor/internal/cli"
	"gregor/internal/config"
	"gregor/internal/kafka"
	"gregor/internal/node"
	"gregor/internal/storage"
)

// execute runs cmd with args and returns its stdout, stderr and error.
func execute(cmd *cobra.Command, args ...string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// writeConfig writes a server.properties with the given log dirs and returns its path.
func writeConfig(t *testing.T, extra string, logDirs ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "server.properties")
	body := fmt.Sprintf("node.id=3\nlog.dirs=%s\n%s", strings.Join(logDirs, ","), extra)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRandomUUID proves random-uuid prints a parseable Kafka UUID, different each time.
func TestRandomUUID(t *testing.T) {
	a, _, err := execute(newRootCommand(), "storage", "random-uuid")
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := execute(newRootCommand(), "storage", "random-uuid")
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if _, err := kafka.ParseTopicID(a); err != nil || len(a) != 22 || a == b {
		t.Errorf("random-uuid printed %q then %q (parse error %v)", a, b, err)
	}
}

// TestStorageFormat proves format writes meta.properties with the cluster id, node id and a distinct directory id per dir.
func TestStorageFormat(t *testing.T) {
	dirA, dirB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	cfgPath := writeConfig(t, "", dirA, dirB)
	clusterID := kafka.NewTopicID().String()
	out, _, err := execute(newRootCommand(), "storage", "format", "-t", clusterID, "-c", cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Formatting metadata directory "+dirA+" with metadata.version") ||
		!strings.Contains(out, "Formatting data directory "+dirB+" with metadata.version") {
		t.Errorf("output:\n%s", out)
	}
	var dirIDs []string
	for _, dir := range []string{dirA, dirB} {
		m, err := storage.ReadMetaProperties(dir)
		if err != nil {
			t.Fatal(err)
		}
		if m.ClusterID != clusterID || m.NodeID != 3 {
			t.Errorf("%s: %+v", dir, m)
		}
		if _, err := kafka.ParseTopicID(m.DirectoryID); err != nil || slices.Contains(dirIDs, m.DirectoryID) {
			t.Errorf("%s: directory id %q invalid or repeated", dir, m.DirectoryID)
		}
		dirIDs = append(dirIDs, m.DirectoryID)
	}
}

// TestStorageFormatTwice proves an already formatted dir is refused, by name, unless --ignore-formatted, which formats only the others.
func TestStorageFormatTwice(t *testing.T) {
	dirA := filepath.Join(t.TempDir(), "a")
	first := kafka.NewTopicID().String()
	if _, _, err := execute(newRootCommand(), "storage", "format", "-t", first, "-c", writeConfig(t, "", dirA)); err != nil {
		t.Fatal(err)
	}
	dirB := filepath.Join(t.TempDir(), "b")
	cfgPath := writeConfig(t, "", dirA, dirB)
	second := kafka.NewTopicID().String()
	_, _, err := execute(newRootCommand(), "storage", "format", "-t", second, "-c", cfgPath)
	if err == nil || !strings.Contains(err.Error(), dirA) || !strings.Contains(err.Error(), "already formatted") {
		t.Fatalf("second format: got %v, want an error naming %s", err, dirA)
	}
	if _, err := storage.ReadMetaProperties(dirB); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused format must write nothing, but %s: %v", dirB, err)
	}
	if _, _, err := execute(newRootCommand(), "storage", "format", "-t", second, "-c", cfgPath, "--ignore-formatted"); err != nil {
		t.Fatal(err)
	}
	a, _ := storage.ReadMetaProperties(dirA)
	b, _ := storage.ReadMetaProperties(dirB)
	if a.ClusterID != first || b.ClusterID != second {
		t.Errorf("cluster ids: %s kept %q, %s got %q", dirA, a.ClusterID, dirB, b.ClusterID)
	}
	out, _, err := execute(newRootCommand(), "storage", "format", "-t", second, "-c", cfgPath, "-g")
	if err != nil || !strings.Contains(out, "already formatted") {
		t.Errorf("all formatted: %q, %v", out, err)
	}
}

// TestStorageFormatRejects proves a bad cluster id, a missing flag or a bad config stops format before it writes anything.
func TestStorageFormatRejects(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	good := writeConfig(t, "", dir)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-t", "not-a-uuid", "-c", good}, `cluster id "not-a-uuid" is not valid`},
		{[]string{"-t", "AAAAAAAAAAAAAAAAAAAAAAAA", "-c", good}, "is not valid"},
		{[]string{"-c", good}, `"cluster-id" not set`},
		{[]string{"-t", kafka.NewTopicID().String()}, `"config" not set`},
		{[]string{"-t", kafka.NewTopicID().String(), "-c", writeConfig(t, "num.partitions=zero\n", dir)}, `invalid value "zero" for num.partitions`},
	}
	for _, tt := range tests {
		_, _, err := execute(newRootCommand(), append([]string{"storage", "format"}, tt.args...)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: got %v, want %q", tt.args, err, tt.want)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s was created by a rejected format", dir)
	}
}

// serverRun records what the server command passes to node.Run.
type serverRun struct {
	cfg    *config.Config
	called bool
}

func (r *serverRun) run(ctx context.Context, cfg *config.Config, logger *slog.Logger) error {
	r.cfg, r.called = cfg, true
	return ctx.Err()
}

// TestServerDefaults proves "gregor server" with no flags runs one node on localhost:9092 in ./gregor-data, able to host internal topics alone.
func TestServerDefaults(t *testing.T) {
	var r serverRun
	if _, _, err := execute(newServerCommandWith(r.run)); err != nil {
		t.Fatal(err)
	}
	c := r.cfg
	if c == nil || c.Listeners[0] != (config.Listener{Name: "PLAINTEXT", Host: "localhost", Port: 9092}) ||
		!slices.Equal(c.LogDirs, []string{"./gregor-data"}) || !slices.Equal(c.ProcessRoles, []string{"broker", "controller"}) {
		t.Fatalf("config: %+v", c)
	}
	if c.OffsetsTopicReplicationFactor != 1 || c.Values["transaction.state.log.replication.factor"] != "1" {
		t.Errorf("dev mode: offsets RF %d, txn RF %s", c.OffsetsTopicReplicationFactor, c.Values["transaction.state.log.replication.factor"])
	}
}

// TestServerConfigAndOverrides proves the file (flag or argument) is read and overrides win over it.
func TestServerConfigAndOverrides(t *testing.T) {
	cfgPath := writeConfig(t, "num.partitions=3\n", t.TempDir())
	for _, args := range [][]string{{"--config", cfgPath}, {cfgPath}} {
		var r serverRun
		if _, _, err := execute(newServerCommandWith(r.run), append(args, "--override", "num.partitions=8")...); err != nil {
			t.Fatal(err)
		}
		if r.cfg.NodeID != 3 || r.cfg.NumPartitions != 8 || r.cfg.OffsetsTopicReplicationFactor != 3 {
			t.Errorf("%v: node %d partitions %d offsets RF %d", args, r.cfg.NodeID, r.cfg.NumPartitions, r.cfg.OffsetsTopicReplicationFactor)
		}
	}
}

// TestServerMetadataLogDirFailure proves a node stopped by its metadata
// log dir's failure makes the command fail (a non-zero exit) without
// printing again the line the node logged.
func TestServerMetadataLogDirFailure(t *testing.T) {
	failed := func(context.Context, *config.Config, *slog.Logger) error {
		return fmt.Errorf("%w (meta): write: input/output error", node.ErrMetadataLogDirFailed)
	}
	_, _, err := execute(newServerCommandWith(failed))
	if err == nil || !cli.Reported(err) {
		t.Fatalf("got %v, want a reported error", err)
	}
	var r serverRun
	if _, _, err := execute(newServerCommandWith(func(ctx context.Context, cfg *config.Config, l *slog.Logger) error {
		r.run(ctx, cfg, l)
		return errors.New("other")
	})); err == nil || cli.Reported(err) {
		t.Fatalf("another error: %v, want it printed by main", err)
	}
}

// TestServerBadOverride proves an invalid value fails with an error naming the key, before the node starts.
func TestServerBadOverride(t *testing.T) {
	var r serverRun
	_, _, err := execute(newServerCommandWith(r.run), "--override", "log.segment.bytes=abc")
	if err == nil || err.Error() != `invalid value "abc" for log.segment.bytes: not an integer` {
		t.Errorf("got %v", err)
	}
	if r.called {
		t.Error("node ran despite an invalid config")
	}
	if _, _, err := execute(newServerCommandWith(r.run), "--override", "nonsense"); err == nil || !strings.Contains(err.Error(), "expected key=value") {
		t.Errorf("malformed override: got %v", err)
	}
	if _, _, err := execute(newServerCommandWith(r.run), "--log-level", "loud"); err == nil || !strings.Contains(err.Error(), "--log-level") {
		t.Errorf("bad log level: got %v", err)
	}
}

// TestServerUnknownOverrideWarns proves an unknown key is logged as a warning and the node still starts.
func TestServerUnknownOverrideWarns(t *testing.T) {
	var r serverRun
	_, stderr, err := execute(newServerCommandWith(r.run), "--override", "no.such.key=1")
	if err != nil {
		t.Fatal(err)
	}
	if !r.called || !strings.Contains(stderr, "level=WARN") || !strings.Contains(stderr, "no.such.key") {
		t.Errorf("called %v, stderr %q", r.called, stderr)
	}
}

// TestRootCommand proves the binary's root lists its subcommands.
func TestRootCommand(t *testing.T) {
	root := newRootCommand()
	if !root.SilenceUsage || root.Short != "Gregor: a Kafka-compatible event streaming platform in one binary" {
		t.Errorf("root: %+v", root)
	}
	for _, name := range []string{"server", "storage", "topics", "consumer-groups"} {
		if c, _, err := root.Find([]string{name}); err != nil || c.Name() != name {
			t.Errorf("subcommand %s: %v", name, err)
		}
	}
}

// TestHelpNamesShippedConfigs proves that every sample configuration a
// command's help names is shipped under config/ and loads without an error
// or a warning.
func TestHelpNamesShippedConfigs(t *testing.T) {
	named := regexp.MustCompile(`config/[\w./-]+\.properties`)
	seen := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, p := range named.FindAllString(c.Long+"\n"+c.Example, -1) {
			seen[p] = true
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCommand())
	for _, want := range []string{"config/server.properties", "config/cluster/node1.properties", "config/cluster-split/controller1.properties"} {
		if !seen[want] {
			t.Errorf("no command's help names %s", want)
		}
	}
	for p := range seen {
		cfg, warnings, err := config.Load(filepath.Join("..", "..", p), nil)
		if err != nil || cfg == nil || len(warnings) > 0 {
			t.Errorf("%s: %v, warnings %q", p, err, warnings)
		}
	}
}
