package controller

// Delegation tokens (KIP-48), as KRaft's DelegationTokenControlManager
// keeps them: creation, renewal and expiry are records in the metadata
// log, so that every node knows every token; the HMAC is never written,
// each node derives it from delegation.token.secret.key. The broker checks
// who may ask (token-authenticated sessions may not, CreateTokens on the
// owner) and finds a token by its HMAC; the controller checks the token.

import (
	"errors"
	"strings"
	"time"

	"gregor/internal/metadata"
)

// Errors of a token request, as Kafka's controller answers them.
var (
	ErrTokenNotFound      = errors.New("delegation token not found")
	ErrTokenExpired       = errors.New("delegation token expired")
	ErrTokenOwnerMismatch = errors.New("the principal is neither the owner nor a renewer of the delegation token")
	ErrInvalidPrincipal   = errors.New("delegation token renewers must be User principals")
)

// TokenLifetimes are the controller's delegation token settings.
type TokenLifetimes struct {
	// Max is delegation.token.max.lifetime.ms: no token lives longer.
	Max time.Duration
	// Renewal is delegation.token.expiry.time.ms: how long a creation or
	// a renewal without a period keeps a token valid.
	Renewal time.Duration
	// CheckInterval is delegation.token.expiry.check.interval.ms: how
	// often the active controller removes expired tokens.
	CheckInterval time.Duration
}

// CreateDelegationTokenRequest creates a token for Owner, asked by
// Requester (principals as type:name). MaxLifetimeMs > 0 shortens the
// configured maximum.
type CreateDelegationTokenRequest struct {
	Owner, Requester string
	Renewers         []string
	MaxLifetimeMs    int64
}

// CreateDelegationTokenResponse is the token created.
type CreateDelegationTokenResponse struct{ Token metadata.DelegationToken }

// RenewDelegationTokenRequest renews token ID for Principal: PeriodMs > 0
// asks for that long (at most delegation.token.expiry.time.ms), else the
// configured renewal.
type RenewDelegationTokenRequest struct {
	ID, Principal string
	PeriodMs      int64
}

// RenewDelegationTokenResponse gives the new expiry time.
type RenewDelegationTokenResponse struct{ ExpiryMs int64 }

// ExpireDelegationTokenRequest moves token ID's expiry to PeriodMs from
// now, or removes it at once when PeriodMs < 0.
type ExpireDelegationTokenRequest struct {
	ID, Principal string
	PeriodMs      int64
}

// ExpireDelegationTokenResponse gives the new expiry time (now, for a
// token removed at once, as Kafka 4.2 answers).
type ExpireDelegationTokenResponse struct{ ExpiryMs int64 }

// removeExpiredTokensRequest removes the tokens past their expiry; the
// leader's loop makes it every delegation.token.expiry.check.interval.ms.
type removeExpiredTokensRequest struct{}

type removeExpiredTokensResponse struct{}

func (CreateDelegationTokenRequest) isRequest()   {}
func (RenewDelegationTokenRequest) isRequest()    {}
func (ExpireDelegationTokenRequest) isRequest()   {}
func (removeExpiredTokensRequest) isRequest()     {}
func (CreateDelegationTokenResponse) isResponse() {}
func (RenewDelegationTokenResponse) isResponse()  {}
func (ExpireDelegationTokenResponse) isResponse() {}
func (removeExpiredTokensResponse) isResponse()   {}

// createDelegationToken returns the record of a new token issued at now.
func createDelegationToken(l TokenLifetimes, id string, now time.Time, req CreateDelegationTokenRequest) ([]metadata.Record, CreateDelegationTokenResponse, error) {
	for _, r := range req.Renewers {
		if !strings.HasPrefix(r, "User:") {
			return nil, CreateDelegationTokenResponse{}, ErrInvalidPrincipal
		}
	}
	maxLifetime := l.Max.Milliseconds()
	if req.MaxLifetimeMs > 0 {
		maxLifetime = min(maxLifetime, req.MaxLifetimeMs)
	}
	issue := now.UnixMilli()
	t := metadata.DelegationToken{
		ID: id, Owner: req.Owner, Requester: req.Requester, Renewers: req.Renewers,
		IssueMs: issue, MaxMs: issue + maxLifetime,
	}
	t.ExpiryMs = min(t.MaxMs, issue+l.Renewal.Milliseconds())
	return []metadata.Record{{Type: metadata.TypeDelegationToken, Token: &t}}, CreateDelegationTokenResponse{Token: t}, nil
}

// liveToken finds token id and checks that principal may renew or expire
// it, in Kafka's order: unknown, expired, then not the principal's.
func liveToken(img *metadata.Image, id, principal string, now time.Time) (metadata.DelegationToken, error) {
	t, ok := img.DelegationToken(id)
	switch {
	case !ok:
		return t, ErrTokenNotFound
	case t.MaxMs < now.UnixMilli() || t.ExpiryMs < now.UnixMilli():
		return t, ErrTokenExpired
	case !t.MayRenew(principal):
		return t, ErrTokenOwnerMismatch
	}
	return t, nil
}

// renewDelegationToken returns the record of a renewed token.
func renewDelegationToken(img *metadata.Image, l TokenLifetimes, now time.Time, req RenewDelegationTokenRequest) ([]metadata.Record, Response, error) {
	t, err := liveToken(img, req.ID, req.Principal, now)
	if err != nil {
		return nil, nil, err
	}
	period := l.Renewal.Milliseconds()
	if req.PeriodMs > 0 {
		period = min(period, req.PeriodMs)
	}
	t.ExpiryMs = min(t.MaxMs, now.UnixMilli()+period)
	return []metadata.Record{{Type: metadata.TypeDelegationToken, Token: &t}}, RenewDelegationTokenResponse{ExpiryMs: t.ExpiryMs}, nil
}

// expireDelegationToken returns the record that shortens a token's life,
// or removes it.
func expireDelegationToken(img *metadata.Image, now time.Time, req ExpireDelegationTokenRequest) ([]metadata.Record, Response, error) {
	t, err := liveToken(img, req.ID, req.Principal, now)
	if err != nil {
		return nil, nil, err
	}
	if req.PeriodMs < 0 {
		rec := metadata.Record{Type: metadata.TypeRemoveDelegationToken, RemoveToken: &metadata.RemoveDelegationTokenRecord{ID: t.ID}}
		return []metadata.Record{rec}, ExpireDelegationTokenResponse{ExpiryMs: now.UnixMilli()}, nil
	}
	t.ExpiryMs = min(t.MaxMs, now.UnixMilli()+req.PeriodMs)
	return []metadata.Record{{Type: metadata.TypeDelegationToken, Token: &t}}, ExpireDelegationTokenResponse{ExpiryMs: t.ExpiryMs}, nil
}

// removeExpiredTokens returns the removal of every token past its expiry.
func removeExpiredTokens(img *metadata.Image, now time.Time) []metadata.Record {
	var recs []metadata.Record
	for _, t := range img.DelegationTokens() {
		if t.ExpiryMs < now.UnixMilli() {
			recs = append(recs, metadata.Record{Type: metadata.TypeRemoveDelegationToken, RemoveToken: &metadata.RemoveDelegationTokenRecord{ID: t.ID}})
		}
	}
	return recs
}

// checkTokens, on the leader, queues the removal of expired tokens every
// TokenLifetimes.CheckInterval, counted from when the node became leader.
func (c *Controller) checkTokens() {
	interval := c.cluster.Tokens.CheckInterval
	if interval <= 0 || c.state.ready == 0 || c.state.sweepingTokens {
		return
	}
	now := c.now()
	if c.lastTokenCheck.IsZero() {
		c.lastTokenCheck = now
	}
	if now.Sub(c.lastTokenCheck) < interval {
		return
	}
	c.lastTokenCheck = now
	if len(removeExpiredTokens(c.image, now)) == 0 {
		return
	}
	c.state.sweepingTokens = true
	c.state.queue = append(c.state.queue, call{req: removeExpiredTokensRequest{}, reply: make(chan reply, 1)})
}
