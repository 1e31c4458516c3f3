package storage

import (
	"os"
	"path/filepath"
	"testing"

	"gregor/internal/kafka"
)

// TestManagerReopenWithCheckpoint proves that a cleanly closed Manager reopens every partition with its data, topic id and recovery point.
func TestManagerReopenWithCheckpoint(t *testing.T) {
	dirs := []string{filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")}
	m, err := OpenManager(dirs, smallConfig(), fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	id := kafka.NewTopicID()
	for p := range int32(4) {
		l, err := m.Create("my-topic", p, id, smallConfig())
		if err != nil {
			t.Fatal(err)
		}
		fill(t, l, int(p)+1)
	}
	if err := m.Delete("my-topic", 3); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dirs[0], "old-0.abc-delete"), 0o755)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m, err = OpenManager(dirs, smallConfig(), fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if len(m.Logs()) != 3 {
		t.Fatalf("%d logs after reopen", len(m.Logs()))
	}
	for p := range int32(3) {
		l, ok := m.Get("my-topic", p)
		if !ok || l.LogEndOffset() != int64(3*(p+1)) || l.RecoveryPoint() != l.LogEndOffset() {
			t.Fatalf("partition %d: leo %d rp %d", p, l.LogEndOffset(), l.RecoveryPoint())
		}
		if got, ok := m.TopicID("my-topic", p); !ok || got != id {
			t.Fatalf("partition %d: topic id %v", p, got)
		}
	}
	if _, err := os.Stat(filepath.Join(dirs[0], "old-0.abc-delete")); err == nil {
		t.Fatal("-delete dir left behind")
	}
}
