package schemareg

import (
	"context"
)

// DeleteSubject soft-deletes subj (hard-deletes it if permanent, which
// needs a soft delete first) and returns the versions deleted.
func (r *Registry) DeleteSubject(ctx context.Context, subj string, permanent bool) ([]int, error) {
	answer, err := r.write(ctx, func(st *state) ([]record, any, error) {
		if err := r.checkWritable(st, subj); err != nil {
			return nil, nil, err
		}
		live, all := st.versionsOf(subj, false), st.versionsOf(subj, true)
		if len(all) == 0 {
			return nil, nil, subjectNotFound(subj)
		}
		if permanent {
			if len(live) > 0 {
				return nil, nil, errorf(codeSubjectNotSoftDeleted, "Subject '%s' was not deleted first before being permanently deleted", subj)
			}
			return hardDeleteSubject(st, subj, all), versionNumbers(all), nil
		}
		if len(live) == 0 {
			return nil, nil, errorf(codeSubjectSoftDeleted, "Subject '%s' was soft deleted.Set permanent=true to delete permanently", subj)
		}
		for _, v := range live {
			if err := checkNotReferenced(st, v); err != nil {
				return nil, nil, err
			}
		}
		var recs []record
		for _, v := range live {
			recs = append(recs, deletedSchemaRecord(st, v))
		}
		recs = append(recs, deleteSubjectRecord(subj, live[len(live)-1].Version))
		return recs, versionNumbers(live), nil
	})
	if err != nil {
		return nil, err
	}
	return answer.([]int), nil
}

func hardDeleteSubject(st *state, subj string, all []*version) []record {
	var recs []record
	for _, v := range all {
		recs = append(recs, schemaTombstone(subj, v.Version))
	}
	if _, ok := st.levels[subj]; ok {
		recs = append(recs, configRecord(subj, ""))
	}
	if _, ok := st.modes[subj]; ok {
		recs = append(recs, modeRecord(subj, ""))
	}
	return recs
}

// DeleteVersion soft-deletes subj's version n (-1: the latest live one),
// or hard-deletes a soft-deleted one if permanent; it returns the
// version deleted.
func (r *Registry) DeleteVersion(ctx context.Context, subj string, n int, permanent bool) (int, error) {
	answer, err := r.write(ctx, func(st *state) ([]record, any, error) {
		if err := r.checkWritable(st, subj); err != nil {
			return nil, nil, err
		}
		if len(st.versionsOf(subj, true)) == 0 {
			return nil, nil, subjectNotFound(subj)
		}
		v := findVersion(st, subj, n, n != -1)
		if v == nil {
			return nil, nil, versionNotFound(n)
		}
		if permanent {
			if !v.Deleted {
				return nil, nil, errorf(codeVersionNotSoftDeleted, "Subject '%s' Version %d was not deleted first before being permanently deleted", subj, v.Version)
			}
			return []record{schemaTombstone(subj, v.Version)}, v.Version, nil
		}
		if v.Deleted {
			return nil, nil, errorf(codeVersionSoftDeleted, "Subject '%s' Version %d was soft deleted. Set permanent=true to delete permanently", subj, v.Version)
		}
		if err := checkNotReferenced(st, v); err != nil {
			return nil, nil, err
		}
		return []record{deletedSchemaRecord(st, v)}, v.Version, nil
	})
	if err != nil {
		return 0, err
	}
	return answer.(int), nil
}

func deletedSchemaRecord(st *state, v *version) record {
	s := st.ids[v.ID]
	return schemaRecord(schemaValue{Subject: v.Subject, Version: v.Version, ID: v.ID, SchemaType: s.Type,
		References: s.References, Schema: s.Schema, Deleted: true})
}

func checkNotReferenced(st *state, v *version) error {
	if ids := st.referencedBy(v.Subject, v.Version); len(ids) > 0 {
		return errorf(codeReferenceExists, "One or more references exist to the schema {subject=%s,version=%d}: ids %v", v.Subject, v.Version, ids)
	}
	return nil
}

func (r *Registry) checkWritable(st *state, subj string) error {
	if m := st.mode(subj); m == "READONLY" || m == "READONLY_OVERRIDE" {
		return errorf(codeOperationNotPermitted, "Subject %s is in read-only mode", subj)
	}
	return nil
}

func versionNumbers(vs []*version) []int {
	out := make([]int, len(vs))
	for i, v := range vs {
		out[i] = v.Version
	}
	return out
}

// SetLevel sets subj's compatibility level ("" subject: the global one);
// an empty level removes it and answers the level it had.
func (r *Registry) SetLevel(ctx context.Context, subj, level string) (string, error) {
	answer, err := r.write(ctx, func(st *state) ([]record, any, error) {
		if level != "" {
			return []record{configRecord(subj, level)}, level, nil
		}
		prev, ok := st.levels[subj]
		if subj == "" {
			prev, ok = st.level(""), true
		}
		if !ok {
			return nil, nil, subjectNotFound(subj)
		}
		return []record{configRecord(subj, "")}, prev, nil
	})
	if err != nil {
		return "", err
	}
	return answer.(string), nil
}

// SetMode sets subj's mode ("" subject: the global one); an empty mode
// removes it and answers the mode it had.
func (r *Registry) SetMode(ctx context.Context, subj, mode string) (string, error) {
	answer, err := r.write(ctx, func(st *state) ([]record, any, error) {
		if mode != "" {
			if mode == "IMPORT" && subj == "" && len(st.subjectNames(true)) > 0 {
				return nil, nil, errorf(codeOperationNotPermitted, "Cannot import since found existing subjects")
			}
			return []record{modeRecord(subj, mode)}, mode, nil
		}
		prev, ok := st.modes[subj]
		if subj == "" {
			prev, ok = st.mode(""), true
		}
		if !ok {
			return nil, nil, subjectNotFound(subj)
		}
		return []record{modeRecord(subj, "")}, prev, nil
	})
	if err != nil {
		return "", err
	}
	return answer.(string), nil
}
