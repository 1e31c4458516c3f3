package controller

import (
	"errors"
	"testing"

	"gregor/internal/metadata"
)

// TestAlterScramCredentials proves the checks of a SCRAM credential change
// (mechanism, iterations, a user named twice, deleting what is not there),
// that a user's first refused change is its answer, the deletions looked
// at before the upsertions, as in Kafka, and that a credential set by one
// request is found, and deleted, by the next.
func TestAlterScramCredentials(t *testing.T) {
	cred := &metadata.ScramCredential{Salt: []byte("s"), StoredKey: []byte("k"), ServerKey: []byte("v"), Iterations: 4096}
	up := func(user, mech string, iterations int32) metadata.ScramCredentialRecord {
		c := *cred
		c.Iterations = iterations
		return metadata.ScramCredentialRecord{User: user, Mechanism: mech, Credential: &c}
	}
	img := metadata.Empty()
	recs, resp := alterScramCredentials(img, AlterScramCredentialsRequest{
		Upsertions: []metadata.ScramCredentialRecord{
			up("alice", "SCRAM-SHA-256", 4096), up("bob", "SCRAM-SHA-1", 4096), up("carol", "SCRAM-SHA-512", 100),
			up("dave", "SCRAM-SHA-512", 8192), up("frank", "SCRAM-SHA-256", 4096), up("frank", "SCRAM-SHA-512", 4096),
			up("gina", "SCRAM-SHA-256", 100), up("gina", "SCRAM-SHA-512", 4096),
		},
		Deletions: []metadata.ScramKey{{User: "dave", Mechanism: "SCRAM-SHA-256"}, {User: "erin", Mechanism: "SCRAM-SHA-256"}},
	})
	want := []error{nil, ErrUnsupportedMechanism, ErrUnacceptableCredential, ErrResourceNotFound,
		ErrDuplicateResource, ErrDuplicateResource, ErrUnacceptableCredential, ErrUnacceptableCredential,
		ErrResourceNotFound, ErrResourceNotFound}
	if len(resp.Errs) != len(want) {
		t.Fatalf("%d results, want %d", len(resp.Errs), len(want))
	}
	for i, err := range resp.Errs {
		if !errors.Is(err, want[i]) {
			t.Errorf("item %d: %v, want %v", i, err, want[i])
		}
	}
	img, err := img.Apply(recs)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := img.ScramCredential("alice", "SCRAM-SHA-256"); !ok || len(img.ScramCredentials()) != 1 {
		t.Fatalf("credentials after the change: %v", img.ScramCredentials())
	}
	recs, resp = alterScramCredentials(img, AlterScramCredentialsRequest{Deletions: []metadata.ScramKey{{User: "alice", Mechanism: "SCRAM-SHA-256"}}})
	if resp.Errs[0] != nil {
		t.Fatal(resp.Errs[0])
	}
	if img, _ = img.Apply(recs); len(img.ScramCredentials()) != 0 {
		t.Fatalf("after deletion: %v", img.ScramCredentials())
	}
}
