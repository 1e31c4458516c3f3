package controller

import (
	"cmp"
	"maps"
	"slices"
)

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}

// withoutID returns a copy of ids without id, nil when nothing is left.
func withoutID(ids []int32, id int32) []int32 {
	out := slices.DeleteFunc(slices.Clone(ids), func(r int32) bool { return r == id })
	if len(out) == 0 {
		return nil
	}
	return out
}
