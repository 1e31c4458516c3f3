package wire

import (
	"sort"

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
	apis map[int16]API
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{apis: make(map[int16]API)} }

// Add registers key at [min, max]. Versions above what kmsg can decode are
// clamped, so the registry never advertises a version we cannot parse.
func (r *Registry) Add(key, min, max int16) {
	if req := kmsg.RequestForKey(key); req != nil && req.MaxVersion() < max {
		max = req.MaxVersion()
	}
	r.apis[key] = API{Key: key, MinVersion: min, MaxVersion: max}
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
	out := make([]API, 0, len(r.apis))
	for _, a := range r.apis {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
