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
// the commands changing levels are refused with the reason.
func TestFeaturesTool(t *testing.T) {
	addr := startBroker(t)
	out := mustGregor(t, "", "features", "--bootstrap-server", addr, "describe")
	want := regexp.MustCompile(`^Feature: group.version\tSupportedMinVersion: 0\tSupportedMaxVersion: 1\tFinalizedVersionLevel: 1\tEpoch: (\d+)
Feature: kraft.version\tSupportedMinVersion: 0\tSupportedMaxVersion: 0\tFinalizedVersionLevel: 0\tEpoch: (\d+)
Feature: metadata.version\tSupportedMinVersion: 3.3-IV3\tSupportedMaxVersion: 4.2-IV1\tFinalizedVersionLevel: 4.2-IV1\tEpoch: (\d+)
$`)
	if !want.MatchString(out) {
		t.Errorf("describe printed:\n%s", out)
	}
	out = mustGregor(t, "", "features", "--bootstrap-server", addr, "feature-dependencies", "--feature", "metadata.version=21")
	if out != "metadata.version=21 (3.9-IV0) has no dependencies.\n" {
		t.Errorf("feature-dependencies printed %q", out)
	}
	for _, args := range [][]string{{"upgrade", "--release-version", "4.2"}, {"downgrade"}, {"disable", "--feature", "group.version"}} {
		r := gregor(t, "", append([]string{"features", "--bootstrap-server", addr}, args...)...)
		if r.err == nil || !strings.Contains(r.err.Error(), "not supported") || !strings.Contains(r.err.Error(), "fixed feature levels") {
			t.Errorf("features %v: %v", args, r.err)
		}
	}
}
