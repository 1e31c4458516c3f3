package controller

import (
	"errors"

	"gregor/internal/metadata"
)

// SCRAM credentials (AlterUserScramCredentials): each upsertion and
// deletion is one item, applied or refused on its own.

// Errors of a SCRAM credential change, as Kafka's
// AlterUserScramCredentials answers them.
var (
	ErrResourceNotFound       = errors.New("resource not found")
	ErrDuplicateResource      = errors.New("duplicate resource")
	ErrUnsupportedMechanism   = errors.New("unsupported SASL mechanism")
	ErrUnacceptableCredential = errors.New("unacceptable credential")
)

// ScramMechanisms are the mechanisms a credential may be for.
var ScramMechanisms = []string{"SCRAM-SHA-256", "SCRAM-SHA-512"}

// Kafka's bounds on a credential's iterations.
const (
	MinScramIterations = 4096
	MaxScramIterations = 16384
)

// AlterScramCredentialsRequest sets and removes users' SCRAM credentials.
// The credentials are already salted and iterated: the password never
// reaches the controller.
type AlterScramCredentialsRequest struct {
	Upsertions []metadata.ScramCredentialRecord // Credential set
	Deletions  []metadata.ScramKey
}

// AlterScramCredentialsResponse has one error per upsertion, then one per
// deletion, in request order.
type AlterScramCredentialsResponse struct{ Errs []error }

func (AlterScramCredentialsRequest) isRequest()   {}
func (AlterScramCredentialsResponse) isResponse() {}

// alterScramCredentials checks each change and returns the records of
// those that pass. A user named twice in one request fails every change
// naming it, as in Kafka.
func alterScramCredentials(img *metadata.Image, req AlterScramCredentialsRequest) ([]metadata.Record, AlterScramCredentialsResponse) {
	named := map[string]int{}
	for _, u := range req.Upsertions {
		named[u.User]++
	}
	for _, d := range req.Deletions {
		named[d.User]++
	}
	var recs []metadata.Record
	var resp AlterScramCredentialsResponse
	add := func(rec metadata.ScramCredentialRecord, err error) {
		if named[rec.User] > 1 {
			err = ErrDuplicateResource // first, as Kafka checks
		}
		if err == nil {
			recs = append(recs, metadata.Record{Type: metadata.TypeScramCredential, Scram: &rec})
		}
		resp.Errs = append(resp.Errs, err)
	}
	for _, u := range req.Upsertions {
		add(u, checkScramUpsertion(u))
	}
	for _, d := range req.Deletions {
		add(metadata.ScramCredentialRecord{User: d.User, Mechanism: d.Mechanism}, checkScramDeletion(img, d))
	}
	return recs, resp
}

func checkScramUpsertion(u metadata.ScramCredentialRecord) error {
	switch {
	case u.User == "":
		return ErrUnacceptableCredential
	case !isScramMechanism(u.Mechanism):
		return ErrUnsupportedMechanism
	case u.Credential == nil || u.Credential.Iterations < MinScramIterations || u.Credential.Iterations > MaxScramIterations:
		return ErrUnacceptableCredential
	}
	return nil
}

func checkScramDeletion(img *metadata.Image, d metadata.ScramKey) error {
	switch {
	case d.User == "":
		return ErrUnacceptableCredential
	case !isScramMechanism(d.Mechanism):
		return ErrUnsupportedMechanism
	}
	if _, ok := img.ScramCredential(d.User, d.Mechanism); !ok {
		return ErrResourceNotFound
	}
	return nil
}

func isScramMechanism(m string) bool {
	for _, s := range ScramMechanisms {
		if s == m {
			return true
		}
	}
	return false
}
