package schemareg

import (
	"context"
	"encoding/json"
	"errors"
	"gregor/internal/httpserve"
	"gregor/internal/schema"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ContentType is the media type of every answer, as Confluent's.
const ContentType = "application/vnd.schemaregistry.v1+json"

// maxBodyBytes bounds a request body: schemas are text, and Confluent's
// own limit on a schema is far below this.
const maxBodyBytes = 16 << 20

// Handler returns the registry's REST API.
func (r *Registry) Handler() http.Handler {
	mux := http.NewServeMux()
	routes := map[string]func(http.ResponseWriter, *http.Request) (any, error){
		"GET /{$}":                                                func(http.ResponseWriter, *http.Request) (any, error) { return struct{}{}, nil },
		"GET /subjects":                                           r.getSubjects,
		"GET /subjects/{subject}/versions":                        r.getVersions,
		"POST /subjects/{subject}/versions":                       r.postVersion,
		"GET /subjects/{subject}/versions/{version}":              r.getVersion,
		"GET /subjects/{subject}/versions/{version}/schema":       r.getVersionSchema,
		"GET /subjects/{subject}/versions/{version}/referencedby": r.getReferencedBy,
		"DELETE /subjects/{subject}/versions/{version}":           r.deleteVersion,
		"POST /subjects/{subject}":                                r.postLookup,
		"DELETE /subjects/{subject}":                              r.deleteSubject,
		"GET /schemas/ids/{id}":                                   r.getSchemaByID,
		"GET /schemas/ids/{id}/schema":                            r.getSchemaTextByID,
		"GET /schemas/ids/{id}/subjects":                          r.getSubjectsByID,
		"GET /schemas/ids/{id}/versions":                          r.getVersionsByID,
		"GET /schemas/types":                                      r.getTypes,
		"GET /schemas":                                            r.getSchemas,
		"GET /contexts":                                           func(http.ResponseWriter, *http.Request) (any, error) { return []string{"."}, nil },
		"GET /config":                                             r.getConfig,
		"PUT /config":                                             r.putConfig,
		"DELETE /config":                                          r.deleteConfig,
		"GET /config/{subject}":                                   r.getConfig,
		"PUT /config/{subject}":                                   r.putConfig,
		"DELETE /config/{subject}":                                r.deleteConfig,
		"GET /mode":                                               r.getMode,
		"PUT /mode":                                               r.putMode,
		"DELETE /mode":                                            r.deleteMode,
		"GET /mode/{subject}":                                     r.getMode,
		"PUT /mode/{subject}":                                     r.putMode,
		"DELETE /mode/{subject}":                                  r.deleteMode,
		"POST /compatibility/subjects/{subject}/versions/{version}": r.postCompatibility,
		"POST /compatibility/subjects/{subject}/versions":           r.postCompatibility,
	}
	for pattern, fn := range routes {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, req *http.Request) { r.serve(w, req, fn) })
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) { unrouted(mux, w, req) })
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !r.serveCachedByID(w, req) {
			mux.ServeHTTP(w, req)
		}
	})
}

// idsPath is the prefix of GET /schemas/ids/{id}.
const idsPath = "/schemas/ids/"

// contentTypeHeader is the Content-Type header value of every answer;
// net/http only reads header values, so answers share it.
var contentTypeHeader = []string{ContentType}

// serveCachedByID answers GET /schemas/ids/{id}, without a query, for a
// schema the registry holds, with the answer made when the schema was
// read from _schemas, and reports whether it did. It is the lookup every
// deserializer makes for an id it has not seen, so it takes no timer,
// context, routing or header formatting; any other request (an unknown
// id, a registry still reading _schemas) takes the routed path, which
// answers it as before.
func (r *Registry) serveCachedByID(w http.ResponseWriter, req *http.Request) bool {
	if req.Method != http.MethodGet || req.URL.RawQuery != "" || !strings.HasPrefix(req.URL.Path, idsPath) {
		return false
	}
	id, ok := digitsID(req.URL.Path[len(idsPath):])
	if !ok {
		return false
	}
	select {
	case <-r.ready:
	default:
		return false
	}
	r.mu.RLock()
	s := r.st.ids[id]
	r.mu.RUnlock()
	if s == nil {
		return false
	}
	h := w.Header()
	h["Content-Type"] = contentTypeHeader
	h["Content-Length"] = s.byIDLength
	w.Write(s.byID)
	return true
}

// digitsID parses an id of at most 9 decimal digits (so within int32),
// the form of every id the registry assigns.
func digitsID(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// unrouted answers a request no route takes, in Confluent's shape: 405
// if the path has a route for another method, else 404.
func unrouted(mux *http.ServeMux, w http.ResponseWriter, req *http.Request) {
	code := http.StatusNotFound
	for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
		other := req.Clone(req.Context())
		other.Method = m
		if _, pattern := mux.Handler(other); pattern != "/" {
			code = http.StatusMethodNotAllowed
			break
		}
	}
	writeError(w, &Error{Code: code, Message: "HTTP " + strconv.Itoa(code) + " " + http.StatusText(code)})
}

// serve runs one endpoint under the request timeout and writes its
// answer (a string is written as it is: the raw schema endpoints).
func (r *Registry) serve(w http.ResponseWriter, req *http.Request, fn func(http.ResponseWriter, *http.Request) (any, error)) {
	ctx, cancel := context.WithTimeout(req.Context(), r.cfg.RequestTimeout)
	defer cancel()
	req = req.WithContext(ctx)
	req.Body = http.MaxBytesReader(w, req.Body, maxBodyBytes)
	answer, err := fn(w, req)
	if err != nil {
		e := asError(err)
		if e.Code >= 50000 {
			r.cfg.Logger.Warn("schema registry request failed", "method", req.Method, "path", req.URL.Path, "err", err)
		}
		writeError(w, e)
		return
	}
	if raw, ok := answer.(rawText); ok {
		w.Header().Set("Content-Type", ContentType)
		w.Write(raw)
		return
	}
	body, _ := json.Marshal(answer)
	w.Header().Set("Content-Type", ContentType)
	w.Write(body)
}

// rawText is an answer written as it is.
type rawText []byte

func writeError(w http.ResponseWriter, e *Error) {
	body, _ := json.Marshal(map[string]any{"error_code": e.Code, "message": e.Message})
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(httpStatus(e))
	w.Write(body)
}

func boolParam(req *http.Request, name string) bool {
	v, _ := strconv.ParseBool(req.URL.Query().Get(name))
	return v
}

// versionParam parses {version}: "latest" or -1 is the latest (-1), else
// a positive int32.
func versionParam(req *http.Request) (int, error) {
	s := req.PathValue("version")
	if s == "latest" {
		return -1, nil
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || (n < 1 && n != -1) {
		return 0, errorf(codeInvalidVersion, "The specified version '%s' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"", s)
	}
	return int(n), nil
}

// decodeBody decodes the JSON body into v.
func decodeBody(req *http.Request, v any) error {
	if err := json.NewDecoder(req.Body).Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return errorf(http.StatusRequestEntityTooLarge, "Request body larger than %d bytes", maxBodyBytes)
		}
		return errorf(http.StatusBadRequest, "Unparseable request body: %v", err)
	}
	return nil
}

func schemaBody(req *http.Request) (SchemaRequest, error) {
	var body SchemaRequest
	if err := decodeBody(req, &body); err != nil {
		return body, err
	}
	if body.Schema == "" {
		return body, errorf(codeInvalidSchema, "Empty schema")
	}
	return body, nil
}

func (r *Registry) getSubjects(_ http.ResponseWriter, req *http.Request) (any, error) {
	deleted, prefix := boolParam(req, "deleted"), req.URL.Query().Get("subjectPrefix")
	return r.read(req.Context(), func(st *state) (any, error) {
		out := []string{}
		for _, s := range st.subjectNames(deleted) {
			if strings.HasPrefix(s, prefix) {
				out = append(out, s)
			}
		}
		return out, nil
	})
}

func (r *Registry) getVersions(_ http.ResponseWriter, req *http.Request) (any, error) {
	subj, deleted := req.PathValue("subject"), boolParam(req, "deleted")
	return r.read(req.Context(), func(st *state) (any, error) {
		vs := st.versionsOf(subj, deleted)
		if len(vs) == 0 {
			return nil, subjectNotFound(subj)
		}
		return versionNumbers(vs), nil
	})
}

func (r *Registry) postVersion(_ http.ResponseWriter, req *http.Request) (any, error) {
	body, err := schemaBody(req)
	if err != nil {
		return nil, err
	}
	id, err := r.Register(req.Context(), req.PathValue("subject"), body, boolParam(req, "normalize"))
	if err != nil {
		return nil, err
	}
	return map[string]int{"id": id}, nil
}

func (r *Registry) versionOf(req *http.Request) (SubjectVersion, error) {
	n, err := versionParam(req)
	if err != nil {
		return SubjectVersion{}, err
	}
	return r.Version(req.Context(), req.PathValue("subject"), n, boolParam(req, "deleted"))
}

func (r *Registry) getVersion(_ http.ResponseWriter, req *http.Request) (any, error) {
	return r.versionOf(req)
}

func (r *Registry) getVersionSchema(_ http.ResponseWriter, req *http.Request) (any, error) {
	v, err := r.versionOf(req)
	return rawText(v.Schema), err
}

func (r *Registry) getReferencedBy(_ http.ResponseWriter, req *http.Request) (any, error) {
	v, err := r.versionOf(req)
	if err != nil {
		return nil, err
	}
	return r.read(req.Context(), func(st *state) (any, error) {
		ids := st.referencedBy(v.Subject, v.Version)
		if ids == nil {
			ids = []int{}
		}
		return ids, nil
	})
}

func (r *Registry) deleteVersion(_ http.ResponseWriter, req *http.Request) (any, error) {
	n, err := versionParam(req)
	if err != nil {
		return nil, err
	}
	return r.DeleteVersion(req.Context(), req.PathValue("subject"), n, boolParam(req, "permanent"))
}

func (r *Registry) postLookup(_ http.ResponseWriter, req *http.Request) (any, error) {
	body, err := schemaBody(req)
	if err != nil {
		return nil, err
	}
	return r.Lookup(req.Context(), req.PathValue("subject"), body, boolParam(req, "normalize"), boolParam(req, "deleted"))
}

func (r *Registry) deleteSubject(_ http.ResponseWriter, req *http.Request) (any, error) {
	return r.DeleteSubject(req.Context(), req.PathValue("subject"), boolParam(req, "permanent"))
}

// SchemaByID is what GET /schemas/ids/{id} answers.
type SchemaByID struct {
	Schema     string            `json:"schema"`
	SchemaType string            `json:"schemaType,omitempty"`
	References []schemaReference `json:"references,omitempty"`
}

type schemaReference = struct {
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Version int    `json:"version"`
}

// SchemaByID returns the schema with id.
func (r *Registry) SchemaByID(ctx context.Context, id int) (SchemaByID, error) {
	answer, err := r.read(ctx, func(st *state) (any, error) {
		s := st.ids[id]
		if s == nil {
			return nil, errorf(codeSchemaNotFound, "Schema %d not found", id)
		}
		out := SchemaByID{Schema: s.Schema, SchemaType: string(omitAvro(s.Type))}
		for _, ref := range s.References {
			out.References = append(out.References, schemaReference(ref))
		}
		return out, nil
	})
	if err != nil {
		return SchemaByID{}, err
	}
	return answer.(SchemaByID), nil
}

func idParam(req *http.Request) (int, error) {
	s := req.PathValue("id")
	id, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, errorf(codeSchemaNotFound, "Schema %s not found", s)
	}
	return int(id), nil
}

func (r *Registry) getSchemaByID(_ http.ResponseWriter, req *http.Request) (any, error) {
	id, err := idParam(req)
	if err != nil {
		return nil, err
	}
	return r.read(req.Context(), func(st *state) (any, error) {
		if s := st.ids[id]; s != nil {
			return rawText(s.byID), nil
		}
		return nil, errorf(codeSchemaNotFound, "Schema %d not found", id)
	})
}

func (r *Registry) getSchemaTextByID(_ http.ResponseWriter, req *http.Request) (any, error) {
	id, err := idParam(req)
	if err != nil {
		return nil, err
	}
	s, err := r.SchemaByID(req.Context(), id)
	return rawText(s.Schema), err
}

func (r *Registry) versionsByID(req *http.Request) ([]*version, error) {
	id, err := idParam(req)
	if err != nil {
		return nil, err
	}
	deleted := boolParam(req, "deleted")
	answer, err := r.read(req.Context(), func(st *state) (any, error) {
		if st.ids[id] == nil {
			return nil, errorf(codeSchemaNotFound, "Schema %d not found", id)
		}
		return st.versionsOfID(id, deleted), nil
	})
	if err != nil {
		return nil, err
	}
	return answer.([]*version), nil
}

func (r *Registry) getSubjectsByID(_ http.ResponseWriter, req *http.Request) (any, error) {
	vs, err := r.versionsByID(req)
	out := []string{}
	for _, v := range vs {
		if !slices.Contains(out, v.Subject) {
			out = append(out, v.Subject)
		}
	}
	return out, err
}

func (r *Registry) getVersionsByID(_ http.ResponseWriter, req *http.Request) (any, error) {
	vs, err := r.versionsByID(req)
	type subjectVersion struct {
		Subject string `json:"subject"`
		Version int    `json:"version"`
	}
	out := []subjectVersion{}
	for _, v := range vs {
		out = append(out, subjectVersion{v.Subject, v.Version})
	}
	return out, err
}

// getSchemas lists the versions of every subject (with subjectPrefix,
// those of the subjects it begins; with latestOnly, each subject's latest;
// with deleted, soft-deleted ones too).
func (r *Registry) getSchemas(_ http.ResponseWriter, req *http.Request) (any, error) {
	prefix, deleted, latestOnly := req.URL.Query().Get("subjectPrefix"), boolParam(req, "deleted"), boolParam(req, "latestOnly")
	return r.read(req.Context(), func(st *state) (any, error) {
		out := []SubjectVersion{}
		for _, subj := range st.subjectNames(deleted) {
			if !strings.HasPrefix(subj, prefix) {
				continue
			}
			vs := st.versionsOf(subj, deleted)
			if latestOnly {
				vs = vs[len(vs)-1:]
			}
			for _, v := range vs {
				out = append(out, subjectVersion(st, v))
			}
		}
		return out, nil
	})
}

func (r *Registry) getTypes(http.ResponseWriter, *http.Request) (any, error) {
	out := []string{}
	for _, t := range []schema.Type{schema.JSON, schema.Protobuf, schema.Avro} { // Confluent's order
		if _, ok := r.formats[t]; ok {
			out = append(out, string(t))
		}
	}
	return out, nil
}

func (r *Registry) getConfig(_ http.ResponseWriter, req *http.Request) (any, error) {
	subj := req.PathValue("subject")
	return r.read(req.Context(), func(st *state) (any, error) {
		level, ok := st.levels[subj]
		switch {
		case subj == "" || (!ok && boolParam(req, "defaultToGlobal")):
			level = st.level("")
		case !ok:
			return nil, errorf(codeSubjectLevelConfigUnset, "Subject '%s' does not have subject-level compatibility configured", subj)
		}
		return map[string]string{"compatibilityLevel": level}, nil
	})
}

func (r *Registry) putConfig(_ http.ResponseWriter, req *http.Request) (any, error) {
	var body struct {
		Compatibility      string `json:"compatibility"`
		CompatibilityLevel string `json:"compatibilityLevel"`
	}
	if err := decodeBody(req, &body); err != nil {
		return nil, err
	}
	level := strings.ToUpper(body.Compatibility)
	if level == "" {
		level = strings.ToUpper(body.CompatibilityLevel)
	}
	if !slices.Contains(Levels, level) {
		return nil, errorf(codeInvalidCompatibility, "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive")
	}
	if _, err := r.SetLevel(req.Context(), req.PathValue("subject"), level); err != nil {
		return nil, err
	}
	return map[string]string{"compatibility": level}, nil
}

func (r *Registry) deleteConfig(_ http.ResponseWriter, req *http.Request) (any, error) {
	prev, err := r.SetLevel(req.Context(), req.PathValue("subject"), "")
	if err != nil {
		return nil, err
	}
	return map[string]string{"compatibilityLevel": prev}, nil
}

func (r *Registry) getMode(_ http.ResponseWriter, req *http.Request) (any, error) {
	subj := req.PathValue("subject")
	return r.read(req.Context(), func(st *state) (any, error) {
		mode, ok := st.modes[subj]
		switch {
		case subj == "" || (!ok && boolParam(req, "defaultToGlobal")):
			mode = st.mode("")
		case !ok:
			return nil, errorf(codeSubjectLevelModeUnset, "Subject '%s' does not have subject-level mode configured", subj)
		}
		return map[string]string{"mode": mode}, nil
	})
}

func (r *Registry) putMode(_ http.ResponseWriter, req *http.Request) (any, error) {
	var body struct {
		Mode string `json:"mode"`
	}
	if err := decodeBody(req, &body); err != nil {
		return nil, err
	}
	mode := strings.ToUpper(body.Mode)
	if !slices.Contains(Modes, mode) {
		return nil, errorf(codeInvalidMode, "Invalid mode. Valid values are READWRITE, READONLY, READONLY_OVERRIDE, IMPORT")
	}
	if _, err := r.SetMode(req.Context(), req.PathValue("subject"), mode); err != nil {
		return nil, err
	}
	return map[string]string{"mode": mode}, nil
}

func (r *Registry) deleteMode(_ http.ResponseWriter, req *http.Request) (any, error) {
	prev, err := r.SetMode(req.Context(), req.PathValue("subject"), "")
	if err != nil {
		return nil, err
	}
	return map[string]string{"mode": prev}, nil
}

func (r *Registry) postCompatibility(_ http.ResponseWriter, req *http.Request) (any, error) {
	n := 0
	if req.PathValue("version") != "" {
		var err error
		if n, err = versionParam(req); err != nil {
			return nil, err
		}
	}
	body, err := schemaBody(req)
	if err != nil {
		return nil, err
	}
	verbose := boolParam(req, "verbose")
	msgs, err := r.CheckCompatibility(req.Context(), req.PathValue("subject"), n, body, boolParam(req, "normalize"), verbose)
	if err != nil {
		return nil, err
	}
	answer := map[string]any{"is_compatible": len(msgs) == 0}
	if verbose {
		if msgs == nil {
			msgs = []string{}
		}
		answer["messages"] = msgs
	}
	return answer, nil
}

// shutdownTimeout bounds how long Serve waits for requests in flight.
const shutdownTimeout = 2 * time.Second

// Serve serves the REST API on ln until ctx is done.
func (r *Registry) Serve(ctx context.Context, ln net.Listener) error {
	handler := r.Handler()
	if r.cfg.Authenticate != nil {
		handler = r.cfg.Authenticate(handler)
	}
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: r.cfg.RequestTimeout + 10*time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(r.cfg.Logger.Handler(), slog.LevelDebug)}
	return httpserve.Serve(ctx, hs, ln, shutdownTimeout)
}
