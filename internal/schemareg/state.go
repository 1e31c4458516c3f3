package schemareg

import (
	"encoding/json"
	"slices"
	"sort"
	"strconv"

	"gregor/internal/schema"
)

// state is the registry's content, built only by applying _schemas
// records in offset order (apply). It is not safe for concurrent use:
// Registry guards it.
type state struct {
	subjects map[string]*subject
	// ids maps a schema id to what it names; an id stays while any
	// version (soft-deleted or not) holds it.
	ids map[int]*stored
	// idOf maps identityKey(...) of every schema seen to its id, so that
	// the same schema gets the same id in every subject.
	idOf        map[string]int
	maxID       int
	globalLevel string // "" is the default, BACKWARD
	levels      map[string]string
	globalMode  string // "" is READWRITE
	modes       map[string]string
}

// subject is one subject's versions.
type subject struct {
	versions map[int]*version
}

// version is one version of a subject.
type version struct {
	Subject string
	Version int
	ID      int
	Deleted bool
}

// stored is a schema as registered: its text, type and references.
type stored struct {
	Type       schema.Type
	Schema     string
	References []schema.Reference
	// byID is the answer to GET /schemas/ids/{id}, made once, and
	// byIDLength its Content-Length header value.
	byID       []byte
	byIDLength []string
}

func newState() *state {
	return &state{subjects: map[string]*subject{}, ids: map[int]*stored{}, idOf: map[string]int{},
		levels: map[string]string{}, modes: map[string]string{}}
}

// identityKey is what makes two registrations the same schema; no
// references and an empty list are the same.
func identityKey(typ schema.Type, text string, refs []schema.Reference) string {
	if len(refs) == 0 {
		return string(typ) + "\x00" + text + "\x00"
	}
	r, _ := json.Marshal(refs)
	return string(typ) + "\x00" + text + "\x00" + string(r)
}

// apply applies one _schemas record. Records it does not understand are
// skipped, as Confluent's registry skips them.
func (s *state) apply(key, value []byte) {
	var k recordKey
	if json.Unmarshal(key, &k) != nil {
		return
	}
	subj := ""
	if k.Subject != nil {
		subj = *k.Subject
	}
	switch k.KeyType {
	case keySchema:
		s.applySchema(subj, k.Version, value)
	case keyConfig:
		var v configValue
		if value != nil && json.Unmarshal(value, &v) != nil {
			return
		}
		setOrDelete(&s.globalLevel, s.levels, k.Subject, v.CompatibilityLevel)
	case keyMode:
		var v modeValue
		if value != nil && json.Unmarshal(value, &v) != nil {
			return
		}
		setOrDelete(&s.globalMode, s.modes, k.Subject, v.Mode)
	case keyDeleteSubject:
		var v deleteSubjectValue
		if value == nil || json.Unmarshal(value, &v) != nil {
			return
		}
		if sub := s.subjects[subj]; sub != nil {
			for n, ver := range sub.versions {
				if n <= v.Version {
					ver.Deleted = true
				}
			}
		}
	}
}

// setOrDelete sets the global value (subject nil) or the subject's; an
// empty value removes it.
func setOrDelete(global *string, bySubject map[string]string, subject *string, v string) {
	switch {
	case subject == nil:
		*global = v
	case v == "":
		delete(bySubject, *subject)
	default:
		bySubject[*subject] = v
	}
}

func (s *state) applySchema(subj string, n int, value []byte) {
	if value == nil {
		s.removeVersion(subj, n)
		return
	}
	var v schemaValue
	if json.Unmarshal(value, &v) != nil {
		return
	}
	if v.SchemaType == "" {
		v.SchemaType = schema.Avro
	}
	key := identityKey(v.SchemaType, v.Schema, v.References)
	if _, ok := s.ids[v.ID]; !ok {
		s.ids[v.ID] = newStored(v.SchemaType, v.Schema, v.References)
	}
	s.idOf[key] = v.ID
	s.maxID = max(s.maxID, v.ID)
	sub := s.subjects[subj]
	if sub == nil {
		sub = &subject{versions: map[int]*version{}}
		s.subjects[subj] = sub
	}
	sub.versions[n] = &version{Subject: subj, Version: n, ID: v.ID, Deleted: v.Deleted}
}

// removeVersion applies a hard delete; an id no version holds any more is
// dropped from the id index (its identity stays, so the same schema
// registered again gets its old id back).
func (s *state) removeVersion(subj string, n int) {
	sub := s.subjects[subj]
	if sub == nil {
		return
	}
	v := sub.versions[n]
	delete(sub.versions, n)
	if len(sub.versions) == 0 {
		delete(s.subjects, subj)
	}
	if v != nil && len(s.versionsOfID(v.ID, true)) == 0 {
		delete(s.ids, v.ID)
	}
}

// versionsOf returns the subject's versions in order, soft-deleted ones
// too if deleted.
func (s *state) versionsOf(subj string, deleted bool) []*version {
	sub := s.subjects[subj]
	if sub == nil {
		return nil
	}
	out := make([]*version, 0, len(sub.versions))
	for _, v := range sub.versions {
		if deleted || !v.Deleted {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out
}

// subjectNames returns the subjects with a live version (or any, if
// deleted), sorted.
func (s *state) subjectNames(deleted bool) []string {
	var out []string
	for name := range s.subjects {
		if len(s.versionsOf(name, deleted)) > 0 {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// versionsOfID returns the versions that hold id, by subject then version.
func (s *state) versionsOfID(id int, deleted bool) []*version {
	var out []*version
	for _, name := range s.subjectNames(true) {
		for _, v := range s.versionsOf(name, deleted) {
			if v.ID == id {
				out = append(out, v)
			}
		}
	}
	return out
}

// referencedBy returns the ids of live versions whose schema references
// subject's version n.
func (s *state) referencedBy(subj string, n int) []int {
	var out []int
	for _, name := range s.subjectNames(false) {
		for _, v := range s.versionsOf(name, false) {
			for _, r := range s.ids[v.ID].References {
				if r.Subject == subj && r.Version == n && !slices.Contains(out, v.ID) {
					out = append(out, v.ID)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// level returns the compatibility level in effect for subj.
func (s *state) level(subj string) string {
	if l, ok := s.levels[subj]; ok {
		return l
	}
	if s.globalLevel != "" {
		return s.globalLevel
	}
	return "BACKWARD"
}

// mode returns the mode in effect for subj.
func (s *state) mode(subj string) string {
	if m, ok := s.modes[subj]; ok {
		return m
	}
	if s.globalMode != "" {
		return s.globalMode
	}
	return "READWRITE"
}

func newStored(typ schema.Type, text string, refs []schema.Reference) *stored {
	answer := struct {
		Schema     string             `json:"schema"`
		SchemaType schema.Type        `json:"schemaType,omitempty"`
		References []schema.Reference `json:"references,omitempty"`
	}{text, typ, refs}
	if typ == schema.Avro {
		answer.SchemaType = ""
	}
	byID, _ := json.Marshal(answer)
	return &stored{Type: typ, Schema: text, References: refs, byID: byID, byIDLength: []string{strconv.Itoa(len(byID))}}
}
