package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"gregor/internal/cli"
	"gregor/internal/storage"
)

// TestStorageInfo proves storage info prints Kafka's report of the log
// directories: missing and unformatted ones as problems (exit 1), then the
// directories and the metadata once formatted, and a cluster id that
// differs between directories as a problem.
func TestStorageInfo(t *testing.T) {
	root := t.TempDir()
	dirA, dirB := filepath.Join(root, "a"), filepath.Join(root, "b")
	cfgPath := writeConfig(t, "", dirA, dirB)

	out, _, err := execute(newRootCommand(), "storage", "info", "-c", cfgPath)
	want := fmt.Sprintf("Found problems:\n  %s does not exist\n  %s does not exist\n\n", dirA, dirB)
	if out != want || err == nil || !cli.Reported(err) {
		t.Fatalf("before format: %q (%v), want %q and a printed error", out, err, want)
	}

	clusterID := "MkU3OEVBNTcwNTJENDM2Qg"
	if _, _, err := execute(newRootCommand(), "storage", "format", "-t", clusterID, "-c", cfgPath); err != nil {
		t.Fatal(err)
	}
	metaA, _ := storage.ReadMetaProperties(dirA)
	out, _, err = execute(newRootCommand(), "storage", "info", "-c", cfgPath)
	want = fmt.Sprintf("Found log directories:\n  %s\n  %s\n\nFound metadata: {cluster.id=%s, directory.id=%s, node.id=3, version=1}\n\n",
		dirA, dirB, clusterID, metaA.DirectoryID)
	if out != want || err != nil {
		t.Fatalf("after format: %q (%v), want %q", out, err, want)
	}

	other := storage.MetaProperties{ClusterID: "AAAAAAAAAAAAAAAAAAAAAA", NodeID: 3}
	if err := storage.WriteMetaProperties(dirB, other); err != nil {
		t.Fatal(err)
	}
	out, _, err = execute(newRootCommand(), "storage", "info", "-c", cfgPath)
	if !strings.HasSuffix(out, "Found problem:\n  Mismatched cluster IDs between storage directories.\n\n") || err == nil {
		t.Errorf("mismatched cluster ids: %q (%v)", out, err)
	}
}

// TestStorageFeatureCommands proves version-mapping and
// feature-dependencies print Kafka's lines for the levels Gregor serves,
// and refuse others by name.
func TestStorageFeatureCommands(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // stdout, or the error
	}{
		{[]string{"version-mapping"}, "metadata.version=29 (4.2-IV1)\nkraft.version=0\ntransaction.version=2\ngroup.version=1\n"},
		{[]string{"version-mapping", "-r", "4.2"}, "metadata.version=29 (4.2)\nkraft.version=0\ntransaction.version=2\ngroup.version=1\n"},
		{[]string{"version-mapping", "--release-version", "3.9-IV0"}, "unknown release version '3.9-IV0'"},
		{[]string{"feature-dependencies", "-f", "metadata.version=29", "--feature", "group.version=1"},
			"metadata.version=29 (4.2-IV1) has no dependencies.\ngroup.version=1 has no dependencies.\n"},
		{[]string{"feature-dependencies", "-f", "metadata.version=7", "-f", "metadata.version=21", "-f", "metadata.version=28"},
			"metadata.version=7 (3.3-IV3) has no dependencies.\nmetadata.version=21 (3.9-IV0) has no dependencies.\nmetadata.version=28 (4.2-IV0) has no dependencies.\n"},
		{[]string{"feature-dependencies", "-f", "metadata.version=6"}, "Unknown metadata.version 6"},
		{[]string{"feature-dependencies", "-f", "metadata.version=30"}, "Unknown metadata.version 30"},
		{[]string{"feature-dependencies", "-f", "kraft.version=1"}, "Feature level 1 is not supported for feature kraft.version"},
		{[]string{"feature-dependencies", "-f", "transaction.version=2"}, "transaction.version=2 has no dependencies.\n"},
		{[]string{"feature-dependencies", "-f", "transaction.version=3"}, "Feature level 3 is not supported for feature transaction.version"},
		{[]string{"feature-dependencies", "-f", "share.version=1"}, "feature share.version is not supported"},
		{[]string{"feature-dependencies", "-f", "colour.version=1"}, "Unknown feature: colour.version"},
		{[]string{"feature-dependencies", "-f", "group.version=x"}, "Invalid version format: x for feature group.version"},
		{[]string{"feature-dependencies", "-f", "group.version"}, "expected NAME=LEVEL"},
	} {
		out, _, err := execute(newRootCommand(), append([]string{"storage"}, tc.args...)...)
		if !strings.Contains(out+fmt.Sprint(err), tc.want) {
			t.Errorf("%v: %q (%v), want %q", tc.args, out, err, tc.want)
		}
	}
}
