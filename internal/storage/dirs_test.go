package storage

import (
	"testing"

	"gregor/internal/kafka"
	"gregor/internal/record"
)

// TestLogDirsGroupsLogsByDir proves that LogDirs lists every configured
// dir, the empty one too, each with exactly the logs placed in it, whose
// Size counts the bytes appended.
func TestLogDirsGroupsLogsByDir(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	m, err := OpenManager(dirs, smallConfig(), fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for p := range int32(2) {
		l, err := m.Create("t", p, [16]byte{1}, smallConfig())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := record.Build(record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
			Records: []record.Record{{Value: []byte("v")}}})
		if _, _, err := l.Append(b, 0); err != nil {
			t.Fatal(err)
		}
	}
	got := m.LogDirs()
	if len(got) != 3 {
		t.Fatalf("%d dirs, want 3", len(got))
	}
	seen := map[kafka.TopicPartition]string{}
	for i, d := range got {
		if d.Dir != dirs[i] {
			t.Fatalf("dir %d is %s, want %s", i, d.Dir, dirs[i])
		}
		for tp, l := range d.Logs {
			if l.Size() == 0 {
				t.Errorf("%v: size 0 after an append", tp)
			}
			seen[tp] = d.Dir
		}
	}
	if len(seen) != 2 || seen[kafka.TopicPartition{Topic: "t", Partition: 0}] == seen[kafka.TopicPartition{Topic: "t", Partition: 1}] {
		t.Fatalf("logs by dir: %v (want the two partitions in two different dirs)", seen)
	}
}
