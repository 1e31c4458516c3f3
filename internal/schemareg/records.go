package schemareg

import (
	"encoding/json"
	"fmt"

	"gregor/internal/schema"
)

// The records of _schemas, in Confluent's JSON shapes. A key names what
// its value sets; a null value (a tombstone) removes it.

// Key types of _schemas records.
const (
	keySchema        = "SCHEMA"
	keyConfig        = "CONFIG"
	keyMode          = "MODE"
	keyDeleteSubject = "DELETE_SUBJECT"
	keyNoop          = "NOOP"
)

// recordKey is the key of a _schemas record. Subject is null in the
// global CONFIG and MODE keys.
type recordKey struct {
	KeyType string  `json:"keytype"`
	Subject *string `json:"subject,omitempty"`
	Version int     `json:"version,omitempty"`
	Magic   int     `json:"magic"`
}

// schemaValue is the value of a SCHEMA key: one version of a subject.
type schemaValue struct {
	Subject    string             `json:"subject"`
	Version    int                `json:"version"`
	ID         int                `json:"id"`
	SchemaType schema.Type        `json:"schemaType,omitempty"` // absent: AVRO
	References []schema.Reference `json:"references,omitempty"`
	Schema     string             `json:"schema"`
	Deleted    bool               `json:"deleted"`
}

// configValue is the value of a CONFIG key.
type configValue struct {
	CompatibilityLevel string `json:"compatibilityLevel"`
}

// modeValue is the value of a MODE key.
type modeValue struct {
	Mode string `json:"mode"`
}

// deleteSubjectValue is the value of a DELETE_SUBJECT key: the subject's
// versions up to Version were soft-deleted.
type deleteSubjectValue struct {
	Subject string `json:"subject"`
	Version int    `json:"version"`
}

// record is one _schemas record as bytes; a nil value is a tombstone.
type record struct{ key, value []byte }

func subjectPtr(s string) *string { return &s }

func schemaRecord(v schemaValue) record {
	if v.SchemaType == schema.Avro {
		v.SchemaType = ""
	}
	return mustRecord(recordKey{KeyType: keySchema, Subject: subjectPtr(v.Subject), Version: v.Version, Magic: 1}, v)
}

func schemaTombstone(subject string, version int) record {
	return mustRecord(recordKey{KeyType: keySchema, Subject: subjectPtr(subject), Version: version, Magic: 1}, nil)
}

// configRecord sets the level of subject ("" is global); an empty level
// is a tombstone.
func configRecord(subject, level string) record {
	k := recordKey{KeyType: keyConfig}
	if subject != "" {
		k.Subject = subjectPtr(subject)
	}
	if level == "" {
		return mustRecord(k, nil)
	}
	return mustRecord(k, configValue{CompatibilityLevel: level})
}

func modeRecord(subject, mode string) record {
	k := recordKey{KeyType: keyMode}
	if subject != "" {
		k.Subject = subjectPtr(subject)
	}
	if mode == "" {
		return mustRecord(k, nil)
	}
	return mustRecord(k, modeValue{Mode: mode})
}

func deleteSubjectRecord(subject string, version int) record {
	return mustRecord(recordKey{KeyType: keyDeleteSubject, Subject: subjectPtr(subject)}, deleteSubjectValue{Subject: subject, Version: version})
}

func mustRecord(key any, value any) record {
	k, err := json.Marshal(key)
	if err != nil {
		panic(fmt.Sprintf("schemareg: key %v does not marshal: %v", key, err))
	}
	if value == nil {
		return record{key: k}
	}
	v, err := json.Marshal(value)
	if err != nil {
		panic(fmt.Sprintf("schemareg: value %v does not marshal: %v", value, err))
	}
	return record{key: k, value: v}
}
