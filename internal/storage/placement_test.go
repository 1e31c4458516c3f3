package storage

import (
	"path/filepath"
	"strings"
	"testing"

	"gregor/internal/kafka"
)

// TestCreatePlacesInLeastLoadedDir proves that new partitions go to the
// log dir holding the fewest, counting those opened at start, created and
// deleted.
func TestCreatePlacesInLeastLoadedDir(t *testing.T) {
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	m, err := OpenManager([]string{a, b}, smallConfig(), fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	inDir := func() map[string]int {
		n := map[string]int{}
		for p := range int32(100) {
			if l, ok := m.Get("t", p); ok {
				n[filepath.Dir(l.Dir())]++
			}
		}
		return n
	}
	for p := range int32(10) {
		if _, err := m.Create("t", p, kafka.NewTopicID(), smallConfig()); err != nil {
			t.Fatal(err)
		}
	}
	if n := inDir(); n[a] != 5 || n[b] != 5 {
		t.Fatalf("10 partitions placed %v, want 5 in each dir", n)
	}
	var fromA []int32
	for p := range int32(10) {
		if l, _ := m.Get("t", p); strings.HasPrefix(l.Dir(), a+string(filepath.Separator)) && len(fromA) < 3 {
			fromA = append(fromA, p)
		}
	}
	for _, p := range fromA {
		if err := m.Delete("t", p); err != nil {
			t.Fatal(err)
		}
	}
	for p := int32(10); p < 13; p++ {
		if _, err := m.Create("t", p, kafka.NewTopicID(), smallConfig()); err != nil {
			t.Fatal(err)
		}
	}
	if n := inDir(); n[a] != 5 || n[b] != 5 {
		t.Fatalf("after 3 deleted from %s and 3 created: %v, want 5 in each dir", a, n)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	m, err = OpenManager([]string{a, b}, smallConfig(), fixedClock(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Delete("t", 11); err != nil { // one of those now in a
		t.Fatal(err)
	}
	if _, err := m.Create("t", 20, kafka.NewTopicID(), smallConfig()); err != nil {
		t.Fatal(err)
	}
	if l, _ := m.Get("t", 20); !strings.HasPrefix(l.Dir(), a+string(filepath.Separator)) {
		t.Fatalf("after a restart and a delete from %s, the next partition went to %s", a, l.Dir())
	}
}
