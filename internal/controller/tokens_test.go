package controller

import (
	"errors"
	"testing"
	"time"

	"gregor/internal/metadata"
)

// TestDelegationTokenLifecycle proves creation, renewal, expiry and the
// sweep compute Kafka's times and refusals: lifetimes bounded by the
// configured maximum, renewals never past it, owner or renewer only, and
// expired tokens refused then removed.
func TestDelegationTokenLifecycle(t *testing.T) {
	l := TokenLifetimes{Max: 10 * time.Hour, Renewal: time.Hour}
	t0 := time.UnixMilli(1_000_000)
	apply := func(img *metadata.Image, recs []metadata.Record) *metadata.Image {
		next, err := img.Apply(recs)
		if err != nil {
			t.Fatal(err)
		}
		return next
	}
	if _, _, err := createDelegationToken(l, "x", t0, CreateDelegationTokenRequest{Owner: "User:a", Renewers: []string{"Group:g"}}); !errors.Is(err, ErrInvalidPrincipal) {
		t.Fatalf("non-User renewer: %v", err)
	}
	recs, created, err := createDelegationToken(l, "tok", t0, CreateDelegationTokenRequest{Owner: "User:a", Requester: "User:admin", Renewers: []string{"User:r"}, MaxLifetimeMs: (2 * time.Hour).Milliseconds()})
	if err != nil {
		t.Fatal(err)
	}
	tok := created.Token
	if tok.IssueMs != t0.UnixMilli() || tok.MaxMs != t0.UnixMilli()+7_200_000 || tok.ExpiryMs != t0.UnixMilli()+3_600_000 {
		t.Fatalf("created %+v", tok)
	}
	img := apply(metadata.Empty(), recs)

	for _, c := range []struct {
		principal string
		id        string
		at        time.Time
		want      error
	}{
		{"User:a", "nope", t0, ErrTokenNotFound},
		{"User:admin", "tok", t0, ErrTokenOwnerMismatch}, // the requester may describe, not renew
		{"User:a", "tok", t0.Add(2 * time.Hour), ErrTokenExpired},
	} {
		if _, _, err := renewDelegationToken(img, l, c.at, RenewDelegationTokenRequest{ID: c.id, Principal: c.principal}); !errors.Is(err, c.want) {
			t.Errorf("renew by %s of %s: %v, want %v", c.principal, c.id, err, c.want)
		}
	}
	// A renewal for longer than the renewal time gets the renewal time,
	// and never passes the maximum.
	at := t0.Add(30 * time.Minute)
	recs, resp, err := renewDelegationToken(img, l, at, RenewDelegationTokenRequest{ID: "tok", Principal: "User:r", PeriodMs: (5 * time.Hour).Milliseconds()})
	if err != nil || resp.(RenewDelegationTokenResponse).ExpiryMs != at.UnixMilli()+3_600_000 {
		t.Fatalf("renew: %+v %v", resp, err)
	}
	img = apply(img, recs)
	at = t0.Add(80 * time.Minute)
	_, resp, _ = renewDelegationToken(img, l, at, RenewDelegationTokenRequest{ID: "tok", Principal: "User:a", PeriodMs: -1})
	if resp.(RenewDelegationTokenResponse).ExpiryMs != tok.MaxMs {
		t.Fatalf("renewal past the maximum: %+v, max %d", resp, tok.MaxMs)
	}
	// Expire in a minute, then at once.
	recs, resp, _ = expireDelegationToken(img, t0, ExpireDelegationTokenRequest{ID: "tok", Principal: "User:a", PeriodMs: 60_000})
	if resp.(ExpireDelegationTokenResponse).ExpiryMs != t0.UnixMilli()+60_000 {
		t.Fatalf("expire in a minute: %+v", resp)
	}
	shortened := apply(img, recs)
	if len(removeExpiredTokens(shortened, t0.Add(59*time.Second))) != 0 || len(removeExpiredTokens(shortened, t0.Add(61*time.Second))) != 1 {
		t.Fatal("the sweep does not remove exactly the expired token")
	}
	recs, resp, _ = expireDelegationToken(img, t0, ExpireDelegationTokenRequest{ID: "tok", Principal: "User:a", PeriodMs: -1})
	if resp.(ExpireDelegationTokenResponse).ExpiryMs != t0.UnixMilli() {
		t.Fatalf("expire at once: %+v", resp)
	}
	if _, ok := apply(img, recs).DelegationToken("tok"); ok {
		t.Fatal("token expired at once is still there")
	}
}
