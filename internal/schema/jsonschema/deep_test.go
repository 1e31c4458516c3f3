package jsonschema

import (
	"strings"
	"testing"
	"time"
)

// TestDeepCombinationsBounded proves that nested combinations, whose
// naive comparison is exponential, compare quickly and correctly.
func TestDeepCombinationsBounded(t *testing.T) {
	nest := func(leaf1, leaf2 string) string {
		s := `{"type":"` + leaf1 + `"}`
		for i := 0; i < 12; i++ {
			s = `{"anyOf":[` + s + `,` + strings.Replace(s, leaf1, leaf2, 1) + `]}`
		}
		return s
	}
	a := mustParse(t, nest("string", "number"), nil)
	b := mustParse(t, nest("string", "boolean"), nil)
	start := time.Now()
	if got := a.CanRead(a); len(got) != 0 {
		t.Errorf("CanRead(self) = %q", got)
	}
	if got := b.CanRead(a); len(got) == 0 {
		t.Errorf("CanRead(changed leaves) reports nothing")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("comparisons took %v", d)
	}
}
