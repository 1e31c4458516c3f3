package wire

import (
	"cmp"
	"slices"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// API is one registered Kafka API: the versions served and the function
// that serves them. ApiVersions is answered from the registry, so a key is
// advertised exactly when it is registered.
type API struct {
	Key        int16
	MinVersion int16
	MaxVersion int16
}

// Registry is the set of APIs a listener serves. It is built once at start-up
// and read-only afterwards, so it is safe for concurrent use.
type Registry struct {
	apis   map[int16]API
	sorted []API // apis by key, kept by Add: ApiVersions lists them on every connection
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{apis: make(map[int16]API)} }

// Add registers key at [min, max]. Versions above what kmsg can decode are
// clamped, so the registry never advertises a version we cannot parse.
func (r *Registry) Add(key, min, max int16) {
	if req := kmsg.RequestForKey(key); req != nil && req.MaxVersion() < max {
		max = req.MaxVersion()
	}
	a := API{Key: key, MinVersion: min, MaxVersion: max}
	r.apis[key] = a
	i, found := slices.BinarySearchFunc(r.sorted, key, func(a API, key int16) int { return cmp.Compare(a.Key, key) })
	if found {
		r.sorted[i] = a
	} else {
		r.sorted = slices.Insert(r.sorted, i, a)
	}
}

// Lookup returns the registration of key.
func (r *Registry) Lookup(key int16) (API, bool) {
	a, ok := r.apis[key]
	return a, ok
}

// Supports reports whether key is registered at version.
func (r *Registry) Supports(key, version int16) bool {
	a, ok := r.apis[key]
	return ok && version >= a.MinVersion && version <= a.MaxVersion
}

// APIs returns every registration, sorted by key.
func (r *Registry) APIs() []API {
	return slices.Clone(r.sorted)
}
