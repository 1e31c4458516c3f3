package node_test

import (
	"path/filepath"
	"testing"
	"time"

	"gregor/internal/node/nodetest"
)

// TestMetadataSnapshotConfigs proves that Kafka's snapshot settings reach
// the metadata log: with metadata.log.max.record.bytes.between.snapshots
// at 1, creating a topic leaves a checkpoint of the metadata in
// __cluster_metadata-0, which a restart loads.
func TestMetadataSnapshotConfigs(t *testing.T) {
	dir := t.TempDir()
	props := map[string]string{"metadata.log.max.record.bytes.between.snapshots": "1", "metadata.log.max.snapshot.interval.ms": "0"}
	n := nodetest.Start(t, dir, props)
	checkpoints := func() []string {
		cps, _ := filepath.Glob(filepath.Join(dir, "__cluster_metadata-0", "*.checkpoint"))
		return cps
	}
	before := checkpoints()
	createTopic(t, n.Addr, "snapshotted", 1, nil)
	waitFor(t, "a new metadata checkpoint", func() bool {
		cps := checkpoints()
		return len(cps) == 1 && (len(before) == 0 || cps[0] != before[0])
	})
	n.Shutdown()
	n = nodetest.Start(t, dir, props)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok := n.Image().Topic("snapshotted"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the restarted node does not know the topic")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
