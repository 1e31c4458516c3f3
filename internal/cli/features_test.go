package cli

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
)

// TestFeatureLevelsMatchApiVersions proves the levels the storage and
// features tools print are those a running node advertises in ApiVersions.
func TestFeatureLevelsMatchApiVersions(t *testing.T) {
	n := nodetest.Start(t, "", nil)
	cl, err := kgo.NewClient(kgo.SeedBrokers(n.Addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(context.Background(), cl)
	if err != nil {
		t.Fatal(err)
	}
	advertised := map[string][2]int16{}
	for _, f := range resp.SupportedFeatures {
		advertised[f.Name] = [2]int16{f.MinVersion, f.MaxVersion}
	}
	finalized := map[string]int16{}
	for _, f := range resp.FinalizedFeatures {
		finalized[f.Name] = f.MaxVersionLevel
	}
	if finalized["metadata.version"] != metadataVersionLevel {
		t.Errorf("finalized metadata.version %d, storage prints %d", finalized["metadata.version"], metadataVersionLevel)
	}
	for _, f := range releaseFeatures {
		if finalized[f.name] != f.level { // a feature finalized at 0 is not listed, as in Kafka
			t.Errorf("finalized %s %d, storage prints %d", f.name, finalized[f.name], f.level)
		}
	}
	for name, levels := range servedLevels {
		r, ok := advertised[name]
		if !ok || levels[0] != r[0] || levels[len(levels)-1] != r[1] {
			t.Errorf("%s: advertised %v (%v), storage serves %v", name, r, ok, levels)
		}
	}
	if len(advertised) != len(servedLevels) {
		t.Errorf("advertised %v, storage knows %v", advertised, servedLevels)
	}
}

// TestFeaturesTool proves features describe prints Kafka's line per
// supported feature, sorted, with metadata.version levels named, and that
// upgrade, downgrade and disable change transaction.version as
// kafka-features.sh does, refusing what Gregor cannot change.
func TestFeaturesTool(t *testing.T) {
	addr := startBroker(t)
	out := mustGregor(t, "", "features", "--bootstrap-server", addr, "describe")
	want := regexp.MustCompile(`^Feature: group.version\tSupportedMinVersion: 0\tSupportedMaxVersion: 1\tFinalizedVersionLevel: 1\tEpoch: (\d+)
Feature: kraft.version\tSupportedMinVersion: 0\tSupportedMaxVersion: 0\tFinalizedVersionLevel: 0\tEpoch: (\d+)
Feature: metadata.version\tSupportedMinVersion: 3.3-IV3\tSupportedMaxVersion: 4.2-IV1\tFinalizedVersionLevel: 4.2-IV1\tEpoch: (\d+)
Feature: transaction.version\tSupportedMinVersion: 0\tSupportedMaxVersion: 2\tFinalizedVersionLevel: 2\tEpoch: (\d+)
$`)
	if !want.MatchString(out) {
		t.Errorf("describe printed:\n%s", out)
	}
	out = mustGregor(t, "", "features", "--bootstrap-server", addr, "feature-dependencies", "--feature", "metadata.version=21")
	if out != "metadata.version=21 (3.9-IV0) has no dependencies.\n" {
		t.Errorf("feature-dependencies printed %q", out)
	}
	for _, c := range []struct {
		args []string
		out  string
	}{
		{[]string{"downgrade", "--feature", "transaction.version=1", "--dry-run"}, "transaction.version can be downgraded to 1.\n"},
		{[]string{"downgrade", "--feature", "transaction.version=1"}, "transaction.version was downgraded to 1.\n"},
		{[]string{"disable", "--feature", "transaction.version"}, "transaction.version was disabled.\n"},
		{[]string{"upgrade", "--feature", "transaction.version=2"}, "transaction.version was upgraded to 2.\n"},
	} {
		if out := mustGregor(t, "", append([]string{"features", "--bootstrap-server", addr}, c.args...)...); out != c.out {
			t.Errorf("features %v printed %q, want %q", c.args, out, c.out)
		}
	}
	if out := mustGregor(t, "", "features", "--bootstrap-server", addr, "describe"); !strings.Contains(out, "Feature: transaction.version\tSupportedMinVersion: 0\tSupportedMaxVersion: 2\tFinalizedVersionLevel: 2\t") {
		t.Errorf("describe after the upgrade printed:\n%s", out)
	}
	for _, c := range []struct {
		args []string
		out  string
	}{
		{[]string{"upgrade", "--feature", "transaction.version=3"}, "Could not upgrade transaction.version to 3. "},
		{[]string{"upgrade", "--feature", "group.version=0"}, ""},
		{[]string{"downgrade", "--feature", "group.version=0"}, "Could not downgrade group.version to 0. "},
		{[]string{"upgrade", "--feature", "foo.version=1"}, "Could not upgrade foo.version to 1. "},
		{[]string{"upgrade", "--release-version", "4.2"}, ""},
	} {
		r := gregor(t, "", append([]string{"features", "--bootstrap-server", addr}, c.args...)...)
		if r.err == nil || !strings.HasPrefix(r.stdout, c.out) {
			t.Errorf("features %v: %v, printed %q", c.args, r.err, r.stdout)
		}
	}
}
