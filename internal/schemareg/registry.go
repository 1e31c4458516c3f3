package schemareg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"gregor/internal/schema"
)

// Config is what a Registry needs.
type Config struct {
	// Bootstrap is a PLAINTEXT listener of the node (host:port): the
	// registry is a Kafka client of its own node.
	Bootstrap string
	// Formats are the schema formats served; AVRO among them is the
	// default type.
	Formats []schema.Format
	// RequestTimeout bounds one request, including a write's wait for the
	// log; zero means 30 s.
	RequestTimeout time.Duration
	// Authenticate, if set, wraps the REST API served (HTTP basic
	// authentication, say).
	Authenticate func(http.Handler) http.Handler
	Logger       *slog.Logger
}

// Registry is a Confluent-compatible schema registry whose state is the
// replay of _schemas. It is safe for concurrent use: readers share mu;
// writes are serialized by writeMu and change the state only by
// appending to the log and waiting for the reader to apply the records.
type Registry struct {
	cfg     Config
	formats map[schema.Type]schema.Format
	log     *kafkaLog
	ready   chan struct{} // closed once the state has caught up with the log at start

	writeMu sync.Mutex // serializes writes: one id and version assigner per node

	mu      sync.RWMutex // guards the fields below
	st      *state
	applied int64         // the offset after the last record applied
	changed chan struct{} // closed and replaced whenever applied moves

	parsed sync.Map // schema id -> cachedParse: filled on use

	generation atomic.Int64 // applied, readable without mu: see Generation
}

// New returns a registry; Run brings it up.
func New(cfg Config) *Registry {
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	r := &Registry{cfg: cfg, formats: map[schema.Type]schema.Format{}, ready: make(chan struct{}),
		st: newState(), changed: make(chan struct{})}
	for _, f := range cfg.Formats {
		r.formats[f.Type()] = f
	}
	return r
}

// Run connects to the node, replays _schemas and follows it until ctx
// ends. Failures to connect are retried: the
// registry answers 50002 until it is ready; they never stop the node.
func (r *Registry) Run(ctx context.Context) error {
	log, err := r.open(ctx)
	if err != nil {
		return nil // ctx ended
	}
	defer log.close()
	r.log = log
	caughtUp := make(chan struct{})
	go func() {
		defer close(caughtUp)
		r.catchUpAtStart(ctx)
	}()
	log.read(ctx, r.cfg.Logger, r.apply)
	<-caughtUp
	return nil
}

// open connects, retrying with backoff until it succeeds or ctx ends.
func (r *Registry) open(ctx context.Context) (*kafkaLog, error) {
	backoff := 100 * time.Millisecond
	for {
		octx, cancel := context.WithTimeout(ctx, 10*time.Second)
		log, err := openLog(octx, r.cfg.Bootstrap, r.cfg.Logger)
		cancel()
		if err == nil {
			return log, nil
		}
		r.cfg.Logger.Warn("schema registry: cannot open _schemas; retrying", "err", err, "backoff", backoff)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// catchUpAtStart waits until the records present at start are applied,
// then marks the registry ready.
func (r *Registry) catchUpAtStart(ctx context.Context) {
	for ctx.Err() == nil {
		end, err := r.log.end(ctx)
		if err == nil && r.waitApplied(ctx, end) == nil {
			r.cfg.Logger.Info("schema registry ready", "topic", Topic, "records", end)
			close(r.ready)
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// apply applies one record read from the log.
func (r *Registry) apply(offset int64, key, value []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if key != nil {
		r.st.apply(key, value)
	}
	r.applied = offset + 1
	r.generation.Store(r.applied)
	close(r.changed)
	r.changed = make(chan struct{})
}

// waitApplied waits until the records before offset are applied.
func (r *Registry) waitApplied(ctx context.Context, offset int64) error {
	for {
		r.mu.RLock()
		applied, changed := r.applied, r.changed
		r.mu.RUnlock()
		if applied >= offset {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("waiting for _schemas offset %d: %w", offset, errTimeout)
		}
	}
}

// waitReady waits until the registry has caught up at start.
func (r *Registry) waitReady(ctx context.Context) error {
	select {
	case <-r.ready:
		return nil
	case <-ctx.Done():
		return errorf(codeOperationTimeout, "Schema registry is not ready: _schemas is still being read")
	}
}

// read runs fn on the state under the read lock.
func (r *Registry) read(ctx context.Context, fn func(st *state) (any, error)) (any, error) {
	if err := r.waitReady(ctx); err != nil {
		return nil, err
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return fn(r.st)
}

// write runs a write. It makes this node the writer of _schemas
// (fencing any other), catches up with the log (so that the state holds
// every write another node made before), lets build compute the records
// and the answer from the state, appends the records in a transaction
// and answers once the reader has applied them. A write the log refuses
// (another node fenced this one in the meantime, say) is tried again after
// a random backoff until the request's time is up.
func (r *Registry) write(ctx context.Context, build func(st *state) ([]record, any, error)) (any, error) {
	if err := r.waitReady(ctx); err != nil {
		return nil, err
	}
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	backoff := 5 * time.Millisecond
	for {
		answer, err := r.writeOnce(ctx, build)
		var e *Error
		if err == nil || errors.As(err, &e) {
			return answer, err // done, or the request's own error rather than the log's
		}
		r.cfg.Logger.Debug("schema registry: write failed; fencing and trying again", "err", err, "backoff", backoff)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %w", errTimeout, err)
		case <-time.After(backoff/2 + rand.N(backoff)):
		}
		backoff = min(2*backoff, 500*time.Millisecond)
	}
}

func (r *Registry) writeOnce(ctx context.Context, build func(st *state) ([]record, any, error)) (any, error) {
	if err := r.log.ensureTopic(ctx); err != nil {
		return nil, err
	}
	if err := r.log.fence(ctx); err != nil {
		return nil, err
	}
	end, err := r.log.end(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.waitApplied(ctx, end); err != nil {
		return nil, err
	}
	r.mu.RLock()
	recs, answer, err := build(r.st)
	r.mu.RUnlock()
	if err != nil || len(recs) == 0 {
		return answer, err
	}
	last, err := r.log.append(ctx, recs)
	if err != nil {
		return nil, err
	}
	return answer, r.waitApplied(ctx, last+1)
}

// parsedOfLocked returns the parsed schema of id, parsing it once; the
// caller holds mu.
func (r *Registry) parsedOfLocked(st *state, id int) (schema.Parsed, error) {
	s := st.ids[id]
	if s == nil {
		return nil, schemaNotFound()
	}
	if c, ok := r.parsed.Load(id); ok && c.(cachedParse).stored == s {
		return c.(cachedParse).parsed, nil
	}
	p, err := r.parseLocked(st, s.Type, s.Schema, s.References)
	if err != nil {
		return nil, err
	}
	r.parsed.Store(id, cachedParse{stored: s, parsed: p})
	return p, nil
}

// cachedParse is an entry of Registry.parsed: the parse of stored, valid
// while the id still names that stored schema (an import may give a
// hard-deleted id to another).
type cachedParse struct {
	stored *stored
	parsed schema.Parsed
}

// parseLocked parses text of type typ with its references resolved from
// the state; the caller holds mu.
func (r *Registry) parseLocked(st *state, typ schema.Type, text string, refs []schema.Reference) (schema.Parsed, error) {
	if typ == "" {
		typ = schema.Avro
	}
	f := r.formats[typ]
	if f == nil {
		return nil, errorf(codeInvalidSchema, "Invalid schema type %s", typ)
	}
	deps := map[string]string{}
	if err := collectDeps(st, refs, deps, 0); err != nil {
		return nil, err
	}
	p, err := f.Parse(text, deps)
	if err != nil {
		return nil, errorf(codeInvalidSchema, "Invalid schema %s, details: %v", text, err)
	}
	return p, nil
}

// maxReferenceDepth bounds how deep references may nest.
const maxReferenceDepth = 32

// collectDeps adds the text of each reference, and of what it
// references, to deps.
func collectDeps(st *state, refs []schema.Reference, deps map[string]string, depth int) error {
	if depth > maxReferenceDepth {
		return errorf(codeInvalidSchema, "Invalid schema: references nest deeper than %d", maxReferenceDepth)
	}
	for _, ref := range refs {
		if _, done := deps[ref.Name]; done {
			continue
		}
		v := findVersion(st, ref.Subject, ref.Version, true)
		if v == nil {
			return errorf(codeInvalidSchema, "Invalid schema: reference %q to subject %q version %d not found", ref.Name, ref.Subject, ref.Version)
		}
		s := st.ids[v.ID]
		deps[ref.Name] = s.Schema
		if err := collectDeps(st, s.References, deps, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// findVersion returns subject's version n (-1: the latest), nil if none.
func findVersion(st *state, subj string, n int, deleted bool) *version {
	vs := st.versionsOf(subj, deleted)
	if len(vs) == 0 {
		return nil
	}
	if n == -1 {
		return vs[len(vs)-1]
	}
	for _, v := range vs {
		if v.Version == n {
			return v
		}
	}
	return nil
}
