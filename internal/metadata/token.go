package metadata

import (
	"maps"
	"slices"
)

// Delegation tokens (KIP-48), as KRaft keeps them: the token's facts, never
// its HMAC, which every node derives from delegation.token.secret.key and
// the token id (Kafka's DelegationTokenRecord and
// RemoveDelegationTokenRecord).
const (
	TypeDelegationToken       RecordType = "delegation_token"
	TypeRemoveDelegationToken RecordType = "remove_delegation_token"
)

// DelegationToken is one token, both as a record (it creates the token or
// replaces it, as a renewal does) and as the image holds it. Principals
// are written type:name ("User:alice"); times are Unix milliseconds.
type DelegationToken struct {
	ID        string   `json:"id"`
	Owner     string   `json:"owner"`
	Requester string   `json:"requester"`
	Renewers  []string `json:"renewers,omitempty"`
	IssueMs   int64    `json:"issue_ms"`
	// MaxMs bounds ExpiryMs: no renewal takes the token past it.
	MaxMs    int64 `json:"max_ms"`
	ExpiryMs int64 `json:"expiry_ms"`
}

// RemoveDelegationTokenRecord removes a token (expired, or expired early).
type RemoveDelegationTokenRecord struct {
	ID string `json:"id"`
}

// OwnerOrRenewer reports whether principal owns, requested or may renew t:
// who may describe it without an ACL.
func (t DelegationToken) OwnerOrRenewer(principal string) bool {
	return t.Owner == principal || t.Requester == principal || slices.Contains(t.Renewers, principal)
}

// MayRenew reports whether principal may renew or expire t: its owner or
// one of its renewers.
func (t DelegationToken) MayRenew(principal string) bool {
	return t.Owner == principal || slices.Contains(t.Renewers, principal)
}

// DelegationToken returns the token with id.
func (img *Image) DelegationToken(id string) (DelegationToken, bool) {
	t, ok := img.tokens[id]
	return t, ok
}

// DelegationTokens returns every token, sorted by id.
func (img *Image) DelegationTokens() []DelegationToken {
	out := make([]DelegationToken, 0, len(img.tokens))
	for _, id := range slices.Sorted(maps.Keys(img.tokens)) {
		out = append(out, img.tokens[id])
	}
	return out
}

func (img *Image) applyDelegationToken(r Record) {
	if img.tokens == nil {
		img.tokens = map[string]DelegationToken{}
	}
	if r.Type == TypeRemoveDelegationToken {
		delete(img.tokens, r.RemoveToken.ID)
		return
	}
	t := *r.Token
	t.Renewers = slices.Clone(t.Renewers)
	img.tokens[t.ID] = t
}
