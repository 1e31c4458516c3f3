package metadata

import (
	"maps"
	"slices"
)

// TypeScramCredential sets (Credential non-nil) or removes a user's SCRAM
// credential for one mechanism (Kafka's UserScramCredentialRecord and
// RemoveUserScramCredentialRecord).
const TypeScramCredential RecordType = "scram_credential"

// ScramCredentialRecord sets or removes one user's credential for one
// mechanism. Only the salted, iterated derivatives of the password are
// kept (RFC 5802's StoredKey and ServerKey), never the password.
type ScramCredentialRecord struct {
	User       string           `json:"user"`
	Mechanism  string           `json:"mechanism"` // SCRAM-SHA-256 or SCRAM-SHA-512
	Credential *ScramCredential `json:"credential,omitempty"`
}

// ScramCredential is what a server keeps of a SCRAM password.
type ScramCredential struct {
	Salt       []byte `json:"salt"`
	StoredKey  []byte `json:"stored_key"`
	ServerKey  []byte `json:"server_key"`
	Iterations int32  `json:"iterations"`
}

// ScramKey names one credential: a user and a mechanism.
type ScramKey struct {
	User      string
	Mechanism string
}

// ScramCredential returns the credential of user for mechanism.
func (img *Image) ScramCredential(user, mechanism string) (ScramCredential, bool) {
	c, ok := img.scram[ScramKey{user, mechanism}]
	return c, ok
}

// ScramCredentials returns the key of every credential, sorted by user
// then mechanism.
func (img *Image) ScramCredentials() []ScramKey {
	return slices.SortedFunc(maps.Keys(img.scram), func(a, b ScramKey) int {
		if a.User != b.User {
			return cmpString(a.User, b.User)
		}
		return cmpString(a.Mechanism, b.Mechanism)
	})
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (img *Image) applyScramCredential(r ScramCredentialRecord) {
	if img.scram == nil {
		img.scram = map[ScramKey]ScramCredential{}
	}
	k := ScramKey{r.User, r.Mechanism}
	if r.Credential == nil {
		delete(img.scram, k)
		return
	}
	img.scram[k] = *r.Credential
}
