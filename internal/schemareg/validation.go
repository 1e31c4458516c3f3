package schemareg

import (
	"context"
	"errors"
	"slices"

	"gregor/internal/schema"
)

// What broker-side schema validation asks of the registry: by schema id,
// the parsed schema and the subjects that hold it. The broker caches the
// answers and keeps them while Generation stays the same.

// ErrNotReady is returned before the registry has read _schemas to the
// end it found at start.
var ErrNotReady = errors.New("schema registry is not ready: _schemas is still being read")

// SchemaUse is a schema as validation needs it.
type SchemaUse struct {
	// Parsed is the schema, nil if it no longer parses (ParseErr says
	// why: a reference hard-deleted, say).
	Parsed   schema.Parsed
	ParseErr error
	// Subjects are the subjects with a version (not soft-deleted) of
	// the schema, sorted.
	Subjects []string
}

// Generation changes whenever a record of _schemas is applied, so that
// what SchemaUse answers can change only when Generation does. It takes
// no lock.
func (r *Registry) Generation() int64 { return r.generation.Load() }

// SchemaUse returns the schema with id; found is false if no schema has
// that id (or it is held only by soft-deleted versions). It does not
// wait: before the registry is ready it returns ErrNotReady.
func (r *Registry) SchemaUse(id int) (use SchemaUse, found bool, err error) {
	select {
	case <-r.ready:
	default:
		return SchemaUse{}, false, ErrNotReady
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.st.ids[id] == nil {
		return SchemaUse{}, false, nil
	}
	for _, v := range r.st.versionsOfID(id, false) {
		if !slices.Contains(use.Subjects, v.Subject) {
			use.Subjects = append(use.Subjects, v.Subject)
		}
	}
	if len(use.Subjects) == 0 {
		return SchemaUse{}, false, nil
	}
	slices.Sort(use.Subjects)
	use.Parsed, use.ParseErr = r.parsedOfLocked(r.st, id)
	return use, true, nil
}

// CatchUp waits until the registry has applied every record of _schemas
// written before the call, so that a schema registered on another node
// just before is found; for at most ctx's time.
func (r *Registry) CatchUp(ctx context.Context) error {
	select {
	case <-r.ready:
	default:
		return ErrNotReady
	}
	end, err := r.log.end(ctx)
	if err != nil {
		return err
	}
	return r.waitApplied(ctx, end)
}

// Parsed returns the parsed schema with id, waiting (for at most ctx's
// time) until the registry is ready.
func (r *Registry) Parsed(ctx context.Context, id int) (schema.Parsed, error) {
	answer, err := r.read(ctx, func(st *state) (any, error) {
		if st.ids[id] == nil {
			return nil, errorf(codeSchemaNotFound, "Schema %d not found", id)
		}
		return r.parsedOfLocked(st, id)
	})
	if err != nil {
		return nil, err
	}
	return answer.(schema.Parsed), nil
}
