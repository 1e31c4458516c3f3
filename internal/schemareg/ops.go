package schemareg

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gregor/internal/schema"
)

// SchemaRequest is the body of a register, lookup or compatibility
// request.
type SchemaRequest struct {
	Schema     string             `json:"schema"`
	SchemaType schema.Type        `json:"schemaType,omitempty"`
	References []schema.Reference `json:"references,omitempty"`
	// ID and Version are honoured in IMPORT mode only.
	ID      int `json:"id,omitempty"`
	Version int `json:"version,omitempty"`
}

// SubjectVersion is a version as GET /subjects/{s}/versions/{v} answers.
type SubjectVersion struct {
	Subject    string             `json:"subject"`
	Version    int                `json:"version"`
	ID         int                `json:"id"`
	SchemaType schema.Type        `json:"schemaType,omitempty"` // omitted for AVRO
	References []schema.Reference `json:"references,omitempty"`
	Schema     string             `json:"schema"`
}

// Levels are the compatibility levels.
var Levels = []string{"NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"}

// Modes are the registry modes.
var Modes = []string{"READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT"}

func typeOrAvro(t schema.Type) schema.Type {
	if t == "" {
		return schema.Avro
	}
	return t
}

func omitAvro(t schema.Type) schema.Type {
	if t == schema.Avro {
		return ""
	}
	return t
}

func subjectVersion(st *state, v *version) SubjectVersion {
	s := st.ids[v.ID]
	return SubjectVersion{Subject: v.Subject, Version: v.Version, ID: v.ID, SchemaType: omitAvro(s.Type), References: s.References, Schema: s.Schema}
}

// text returns the text p is stored and matched as.
func text(p schema.Parsed, normalize bool) string {
	if normalize {
		return p.Normalized()
	}
	return p.Canonical()
}

// matchLocked finds the version of subj (soft-deleted ones too if
// deleted) that holds the schema req parses to.
func (r *Registry) matchLocked(st *state, subj string, p schema.Parsed, refs []schema.Reference, normalize, deleted bool) *version {
	want := identityKey(p.Type(), text(p, normalize), refs)
	for _, v := range slices.Backward(st.versionsOf(subj, deleted)) {
		s := st.ids[v.ID]
		if identityKey(s.Type, s.Schema, s.References) == want {
			return v
		}
		if normalize && s.Type == p.Type() {
			if q, err := r.parsedOfLocked(st, v.ID); err == nil && q.Normalized() == p.Normalized() && slices.Equal(s.References, refs) {
				return v
			}
		}
	}
	return nil
}

// Register registers req under subj and returns its id.
func (r *Registry) Register(ctx context.Context, subj string, req SchemaRequest, normalize bool) (int, error) {
	answer, err := r.write(ctx, func(st *state) ([]record, any, error) {
		return r.registerLocked(st, subj, req, normalize)
	})
	if err != nil {
		return 0, err
	}
	return answer.(int), nil
}

func (r *Registry) registerLocked(st *state, subj string, req SchemaRequest, normalize bool) ([]record, any, error) {
	mode := st.mode(subj)
	if mode == "READONLY" || mode == "READONLY_OVERRIDE" {
		return nil, nil, errorf(codeOperationNotPermitted, "Subject %s is in read-only mode", subj)
	}
	typ := typeOrAvro(req.SchemaType)
	p, err := r.parseLocked(st, typ, req.Schema, req.References)
	if err != nil {
		return nil, nil, err
	}
	if v := r.matchLocked(st, subj, p, req.References, normalize, false); v != nil {
		return nil, v.ID, nil
	}
	level := st.level(subj)
	if mode == "IMPORT" {
		level = "NONE" // an import copies another registry's history as it was
	}
	if msgs := r.checkLocked(st, subj, level, p, st.versionsOf(subj, false), false); len(msgs) > 0 {
		return nil, nil, errorf(codeIncompatible, "Schema being registered is incompatible with an earlier schema for subject \"%s\", details: [%s]", subj, strings.Join(msgs, ", "))
	}
	stored := text(p, normalize)
	id, ok := st.idOf[identityKey(typ, stored, req.References)]
	switch {
	case mode == "IMPORT" && req.ID > 0:
		if s := st.ids[req.ID]; s != nil && identityKey(s.Type, s.Schema, s.References) != identityKey(typ, stored, req.References) {
			return nil, nil, errorf(codeOperationNotPermitted, "Overwrite new schema with id %d is not permitted.", req.ID)
		}
		id = req.ID
	case !ok:
		id = st.maxID + 1
	}
	next := 1
	if all := st.versionsOf(subj, true); len(all) > 0 {
		next = all[len(all)-1].Version + 1
	}
	if mode == "IMPORT" && req.Version > 0 {
		next = req.Version
	}
	rec := schemaRecord(schemaValue{Subject: subj, Version: next, ID: id, SchemaType: typ, References: req.References, Schema: stored})
	return []record{rec}, id, nil
}

// checkLocked lists why p may not follow olds (oldest first) at level;
// with verbose, each reason names the old version and the level.
func (r *Registry) checkLocked(st *state, subj, level string, p schema.Parsed, olds []*version, verbose bool) []string {
	if level == "NONE" || len(olds) == 0 {
		return nil
	}
	if !strings.HasSuffix(level, "_TRANSITIVE") {
		olds = olds[len(olds)-1:]
	}
	var msgs []string
	for _, old := range slices.Backward(olds) {
		q, err := r.parsedOfLocked(st, old.ID)
		if err != nil {
			msgs = append(msgs, fmt.Sprintf("the old schema (version %d) does not parse: %v", old.Version, err))
			continue
		}
		var found []string
		if q.Type() != p.Type() {
			found = []string{"Incompatible because of different schema type"}
		} else {
			if strings.HasPrefix(level, "BACKWARD") || strings.HasPrefix(level, "FULL") {
				found = append(found, p.CanRead(q)...)
			}
			if strings.HasPrefix(level, "FORWARD") || strings.HasPrefix(level, "FULL") {
				found = append(found, q.CanRead(p)...)
			}
		}
		if len(found) > 0 {
			msgs = append(msgs, found...)
			msgs = append(msgs, fmt.Sprintf("{oldSchemaVersion: %d}", old.Version), fmt.Sprintf("{oldSchema: '%s'}", st.ids[old.ID].Schema))
			if !verbose {
				break
			}
		}
	}
	if len(msgs) > 0 {
		msgs = append(msgs, fmt.Sprintf("{compatibility: '%s'}", level))
	}
	return msgs
}

// Lookup finds the version of subj holding the schema of req.
func (r *Registry) Lookup(ctx context.Context, subj string, req SchemaRequest, normalize, deleted bool) (SubjectVersion, error) {
	answer, err := r.read(ctx, func(st *state) (any, error) {
		if len(st.versionsOf(subj, deleted)) == 0 {
			return nil, subjectNotFound(subj)
		}
		p, err := r.parseLocked(st, typeOrAvro(req.SchemaType), req.Schema, req.References)
		if err != nil {
			return nil, err
		}
		v := r.matchLocked(st, subj, p, req.References, normalize, deleted)
		if v == nil {
			return nil, schemaNotFound()
		}
		return subjectVersion(st, v), nil
	})
	if err != nil {
		return SubjectVersion{}, err
	}
	return answer.(SubjectVersion), nil
}

// CheckCompatibility checks req against subj's version n (0: every
// version the level's transitivity names). It answers the reasons it is
// not compatible, none if it is.
func (r *Registry) CheckCompatibility(ctx context.Context, subj string, n int, req SchemaRequest, normalize, verbose bool) ([]string, error) {
	answer, err := r.read(ctx, func(st *state) (any, error) {
		level := st.level(subj)
		olds := st.versionsOf(subj, false)
		if n != 0 {
			if len(st.versionsOf(subj, true)) == 0 {
				return nil, subjectNotFound(subj)
			}
			v := findVersion(st, subj, n, false)
			if v == nil {
				return nil, versionNotFound(n)
			}
			olds = []*version{v}
			level = strings.TrimSuffix(level, "_TRANSITIVE")
		}
		p, err := r.parseLocked(st, typeOrAvro(req.SchemaType), req.Schema, req.References)
		if err != nil {
			return nil, err
		}
		return r.checkLocked(st, subj, level, p, olds, verbose), nil
	})
	if err != nil {
		return nil, err
	}
	msgs, _ := answer.([]string)
	return msgs, nil
}

// Version returns subject's version n (-1: latest), soft-deleted ones too
// if deleted.
func (r *Registry) Version(ctx context.Context, subj string, n int, deleted bool) (SubjectVersion, error) {
	answer, err := r.read(ctx, func(st *state) (any, error) {
		if len(st.versionsOf(subj, deleted)) == 0 {
			return nil, subjectNotFound(subj)
		}
		v := findVersion(st, subj, n, deleted)
		if v == nil {
			return nil, versionNotFound(n)
		}
		return subjectVersion(st, v), nil
	})
	if err != nil {
		return SubjectVersion{}, err
	}
	return answer.(SubjectVersion), nil
}
