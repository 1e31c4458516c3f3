package httpauth

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Confluent's error codes for a refused bearer token and a token whose
// holder may not use the service.
const (
	CodeUnauthenticated = 40101
	CodeForbidden       = 40301
)

// Credential is who sent a request, as authenticated: a BASIC user and
// password, or a bearer token and its subject. Services that act for the
// user (the REST proxy reaching Kafka as them) read it from the request's
// context.
type Credential struct {
	User   string // the principal's name
	Secret string // the password, or the token
	Bearer bool   // Secret is an OAuth bearer token
}

type credentialKey struct{}

// WithCredential returns ctx carrying c.
func WithCredential(ctx context.Context, c Credential) context.Context {
	return context.WithValue(ctx, credentialKey{}, c)
}

// CredentialFrom returns the credential a request authenticated with, if
// any.
func CredentialFrom(ctx context.Context) (Credential, bool) {
	c, ok := ctx.Value(credentialKey{}).(Credential)
	return c, ok
}

// TokenValidator checks a bearer token, returning its subject and groups.
type TokenValidator func(token string) (subject string, groups []string, err error)

// Bearer authenticates requests by an OAuth bearer token (RFC 6750), as
// Confluent's services do with authentication.method=BEARER: no or an
// invalid token is answered 401 with WWW-Authenticate and error_code
// 40101; a holder none of whose groups is one of the roles, 403 with
// 40301. It is immutable and safe for concurrent use.
type Bearer struct {
	realm    string
	validate TokenValidator
	roles    []string // the holder needs one among its groups; "*" lets every holder in
}

// NewBearer returns the bearer authentication of realm.
func NewBearer(realm string, validate TokenValidator, roles []string) *Bearer {
	if len(roles) == 0 {
		roles = []string{"*"}
	}
	return &Bearer{realm: realm, validate: validate, roles: roles}
}

// Wrap returns next behind bearer authentication.
func (b *Bearer) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			b.challenge(w, "", "Unauthorized: no bearer token")
			return
		}
		subject, groups, err := b.validate(token)
		if err != nil {
			b.challenge(w, "invalid_token", "Unauthorized: invalid bearer token")
			return
		}
		if !slices.Contains(b.roles, "*") && !slices.ContainsFunc(groups, func(g string) bool { return slices.Contains(b.roles, g) }) {
			writeCode(w, http.StatusForbidden, CodeForbidden, "Forbidden: user "+subject+" is denied access to this server")
			return
		}
		next.ServeHTTP(w, r.WithContext(WithCredential(r.Context(), Credential{User: subject, Secret: token, Bearer: true})))
	})
}

// challenge answers 401 with RFC 6750's WWW-Authenticate.
func (b *Bearer) challenge(w http.ResponseWriter, errCode, msg string) {
	v := fmt.Sprintf("Bearer realm=%q", b.realm)
	if errCode != "" {
		v += fmt.Sprintf(", error=%q", errCode)
	}
	w.Header().Set("WWW-Authenticate", v)
	writeCode(w, http.StatusUnauthorized, CodeUnauthenticated, msg)
}

func writeCode(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, "{\"error_code\":%d,\"message\":%q}\n", code, msg)
}
