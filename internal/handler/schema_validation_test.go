package handler

import (
	"context"
	"testing"
)

// countingSource is a SchemaSource that counts its lookups: id 1 is held
// by subject "t-value" from generation 2 on.
type countingSource struct {
	generation int64
	lookups    int
}

func (s *countingSource) Generation() int64 { return s.generation }

func (s *countingSource) CatchUp(context.Context) error { return nil }

func (s *countingSource) SchemaByID(id int32) (SchemaInfo, bool, error) {
	s.lookups++
	if id != 1 || s.generation < 2 {
		return SchemaInfo{}, false, nil
	}
	return SchemaInfo{Subjects: []string{"t-value"}}, true, nil
}

// TestSchemaCache proves the cache answers repeated lookups itself, and
// asks again once the source's generation moves (a schema registered
// after a miss is then found).
func TestSchemaCache(t *testing.T) {
	src := &countingSource{generation: 1}
	var c schemaCache
	for range 3 {
		if _, found, _ := c.lookup(src, 1); found {
			t.Fatal("found before registration")
		}
	}
	if src.lookups != 1 {
		t.Errorf("%d lookups for one id in one generation, want 1", src.lookups)
	}
	src.generation = 2
	if info, found, _ := c.lookup(src, 1); !found || info.Subjects[0] != "t-value" {
		t.Errorf("after the generation moved: found %v %v", found, info)
	}
	if src.lookups != 2 {
		t.Errorf("%d lookups, want 2", src.lookups)
	}
}
