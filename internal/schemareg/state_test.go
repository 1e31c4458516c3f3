package schemareg

import (
	"fmt"
	"slices"
	"testing"
)

// TestStateReplay proves the state is a function of the records
// replayed: soft deletes, DELETE_SUBJECT, tombstones of versions, configs
// and modes, ids that stay global, and records it does not understand
// skipped.
func TestStateReplay(t *testing.T) {
	schemaRec := func(subj string, version, id int, deleted bool) record {
		return schemaRecord(schemaValue{Subject: subj, Version: version, ID: id, SchemaType: "AVRO", Schema: fmt.Sprintf(`"s%d"`, id), Deleted: deleted})
	}
	for _, tc := range []struct {
		name    string
		records []record
		check   func(t *testing.T, st *state)
	}{
		{"versions and ids", []record{schemaRec("a", 1, 1, false), schemaRec("a", 2, 2, false), schemaRec("b", 1, 1, false)}, func(t *testing.T, st *state) {
			if got := versionNumbers(st.versionsOf("a", false)); !slices.Equal(got, []int{1, 2}) {
				t.Errorf("a: %v", got)
			}
			if got := st.versionsOfID(1, false); len(got) != 2 || got[0].Subject != "a" || got[1].Subject != "b" {
				t.Errorf("id 1 held by %v", got)
			}
			if st.maxID != 2 || st.idOf[identityKey("AVRO", `"s1"`, nil)] != 1 {
				t.Errorf("maxID %d, idOf %v", st.maxID, st.idOf)
			}
		}},
		{"soft delete then tombstone", []record{schemaRec("a", 1, 1, false), schemaRec("a", 1, 1, true), schemaTombstone("a", 1)}, func(t *testing.T, st *state) {
			if len(st.subjects) != 0 || st.ids[1] != nil {
				t.Errorf("subjects %v ids %v", st.subjects, st.ids)
			}
			if st.idOf[identityKey("AVRO", `"s1"`, nil)] != 1 || st.maxID != 1 {
				t.Error("the identity of a hard-deleted schema is forgotten")
			}
		}},
		{"delete subject", []record{schemaRec("a", 1, 1, false), schemaRec("a", 2, 2, false), schemaRec("a", 3, 3, false), deleteSubjectRecord("a", 2)}, func(t *testing.T, st *state) {
			if got := versionNumbers(st.versionsOf("a", false)); !slices.Equal(got, []int{3}) {
				t.Errorf("live: %v", got)
			}
			if got := versionNumbers(st.versionsOf("a", true)); !slices.Equal(got, []int{1, 2, 3}) {
				t.Errorf("all: %v", got)
			}
		}},
		{"configs and modes", []record{configRecord("", "FULL"), configRecord("a", "NONE"), modeRecord("", "READONLY"), modeRecord("b", "IMPORT"), configRecord("a", ""), modeRecord("", "")}, func(t *testing.T, st *state) {
			if st.level("a") != "FULL" || st.level("") != "FULL" || st.mode("b") != "IMPORT" || st.mode("c") != "READWRITE" {
				t.Errorf("levels %q %v, modes %q %v", st.globalLevel, st.levels, st.globalMode, st.modes)
			}
		}},
		{"unknown and malformed records", []record{{key: []byte(`{"keytype":"OTHER","magic":0}`), value: []byte(`{}`)}, {key: []byte(`not json`)},
			{key: []byte(`{"keytype":"SCHEMA","subject":"a","version":1,"magic":1}`), value: []byte(`[`)}, schemaRec("a", 1, 1, false)}, func(t *testing.T, st *state) {
			if got := st.subjectNames(true); !slices.Equal(got, []string{"a"}) {
				t.Errorf("subjects %v", got)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newState()
			for _, r := range tc.records {
				st.apply(r.key, r.value)
			}
			tc.check(t, st)
		})
	}
}
