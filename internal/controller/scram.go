package controller

import (
	"errors"

	"gregor/internal/metadata"
)

// SCRAM credentials (AlterUserScramCredentials): each user's change is
// applied or refused on its own; a user changed twice in one request is
// refused.

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

// alterScramCredentials checks the changes as Kafka's controller does,
// the deletions first, then the upsertions: a user's first refused change
// is the user's answer, and its later changes are not looked at; a change
// of a user whose earlier change passed refuses both
// (DUPLICATE_RESOURCE). Every item answers its user's result, and the
// records are those of the users whose one change passed.
func alterScramCredentials(img *metadata.Image, req AlterScramCredentialsRequest) ([]metadata.Record, AlterScramCredentialsResponse) {
	refused, passed := map[string]error{}, map[string]bool{}
	check := func(user string, err error) {
		switch {
		case refused[user] != nil:
		case passed[user]:
			delete(passed, user)
			refused[user] = errAlteredTwice
		case err != nil:
			refused[user] = err
		default:
			passed[user] = true
		}
	}
	for _, d := range req.Deletions {
		check(d.User, checkScramDeletion(img, d))
	}
	for _, u := range req.Upsertions {
		check(u.User, checkScramUpsertion(u))
	}
	var recs []metadata.Record
	var resp AlterScramCredentialsResponse
	answer := func(rec metadata.ScramCredentialRecord) {
		if passed[rec.User] {
			recs = append(recs, metadata.Record{Type: metadata.TypeScramCredential, Scram: &rec})
		}
		resp.Errs = append(resp.Errs, refused[rec.User])
	}
	for _, u := range req.Upsertions {
		answer(u)
	}
	for _, d := range req.Deletions {
		answer(metadata.ScramCredentialRecord{User: d.User, Mechanism: d.Mechanism})
	}
	return recs, resp
}

// errAlteredTwice reads as Kafka's message.
var errAlteredTwice = kafkaErrorf(ErrDuplicateResource, "A user credential cannot be altered twice in the same request")

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
