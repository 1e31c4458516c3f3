package cli

// OAUTHBEARER logins as Kafka's clients make them with
// OAuthBearerLoginCallbackHandler: sasl.oauthbearer.token.endpoint.url is
// either an identity provider's token endpoint, asked with the OAuth 2
// client-credentials grant (clientId, clientSecret and an optional scope
// from OAuthBearerLoginModule's options in sasl.jaas.config, or Kafka
// 4.1's sasl.oauthbearer.client.credentials.client.id/secret and
// sasl.oauthbearer.scope; URL-encoded in the basic authentication with
// sasl.oauthbearer.header.urlencode=true), or a
// file:// URL whose file holds the token. Kafka's unsecured tokens
// (unsecuredLoginStringClaim_sub) are refused: Gregor's brokers accept only
// signed tokens.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
)

// loginCallbackHandlers are Kafka's names of the handler that fetches
// tokens from sasl.oauthbearer.token.endpoint.url (the second before 3.4).
var loginCallbackHandlers = []string{
	"org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
	"org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerLoginCallbackHandler",
}

// oauthMechanism builds the OAUTHBEARER mechanism of p's token endpoint
// and JAAS options.
func oauthMechanism(p props, opts map[string]string) (sasl.Mechanism, error) {
	if h := p["sasl.login.callback.handler.class"]; h != "" && !slices.Contains(loginCallbackHandlers, h) {
		return nil, fmt.Errorf("sasl.login.callback.handler.class %s is not supported: use %s", h, loginCallbackHandlers[0])
	}
	endpoint := p["sasl.oauthbearer.token.endpoint.url"]
	if endpoint == "" {
		if _, ok := opts["unsecuredLoginStringClaim_sub"]; ok {
			return nil, errors.New("sasl.jaas.config: unsecured OAUTHBEARER tokens are not supported (the broker accepts only signed tokens): set sasl.oauthbearer.token.endpoint.url")
		}
		return nil, errors.New("sasl.mechanism OAUTHBEARER needs sasl.oauthbearer.token.endpoint.url")
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "file" && u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("sasl.oauthbearer.token.endpoint.url %q: expected a file://, http:// or https:// URL", endpoint)
	}
	src := &tokenSource{url: u, clientID: opts["clientId"], clientSecret: opts["clientSecret"], scope: opts["scope"]}
	// Kafka 4.1's properties (KIP-1139) stand in for the JAAS options.
	for _, o := range []struct {
		field *string
		key   string
	}{
		{&src.clientID, "sasl.oauthbearer.client.credentials.client.id"},
		{&src.clientSecret, "sasl.oauthbearer.client.credentials.client.secret"},
		{&src.scope, "sasl.oauthbearer.scope"},
	} {
		if *o.field == "" {
			*o.field = p[o.key]
		}
	}
	if strings.EqualFold(p["sasl.oauthbearer.header.urlencode"], "true") {
		src.clientID, src.clientSecret = url.QueryEscape(src.clientID), url.QueryEscape(src.clientSecret)
	}
	if u.Scheme != "file" && (src.clientID == "" || src.clientSecret == "") {
		return nil, errors.New("sasl.jaas.config: OAuthBearerLoginModule needs clientId and clientSecret for a token endpoint (or sasl.oauthbearer.client.credentials.client.id and .secret)")
	}
	return oauth.Oauth(func(ctx context.Context) (oauth.Auth, error) {
		token, err := src.token(ctx)
		return oauth.Auth{Token: token}, err
	}), nil
}

// tokenSource fetches tokens and keeps one until 80% of its lifetime has
// passed, as Kafka's login refreshes it, so that the connections of one
// tool (and their re-authentications) share it. Safe for concurrent use.
type tokenSource struct {
	url                           *url.URL
	clientID, clientSecret, scope string

	mu      sync.Mutex // guards the fields below
	cached  string
	refresh time.Time // when cached should be replaced
}

func (s *tokenSource) token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.cached != "" && now.Before(s.refresh) {
		return s.cached, nil
	}
	token, err := s.fetch(ctx)
	if err != nil {
		return "", err
	}
	exp, err := tokenExpiry(token)
	if err != nil {
		return "", err
	}
	if !exp.After(now) {
		return "", fmt.Errorf("the token from sasl.oauthbearer.token.endpoint.url expired at %s", exp.UTC().Format(time.RFC3339))
	}
	s.cached, s.refresh = token, now.Add(exp.Sub(now)*8/10)
	return token, nil
}

// fetch reads the token file, or asks the token endpoint with the
// client-credentials grant: a form POST of grant_type (and scope) with the
// client's id and secret in HTTP basic authentication.
func (s *tokenSource) fetch(ctx context.Context) (string, error) {
	if s.url.Scheme == "file" {
		b, err := os.ReadFile(s.url.Path)
		if err != nil {
			return "", fmt.Errorf("sasl.oauthbearer.token.endpoint.url: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	if s.scope != "" {
		form.Set("scope", s.scope)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(s.clientID+":"+s.clientSecret)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("token endpoint: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("token endpoint: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("token endpoint %s: HTTP %s", s.url.Redacted(), resp.Status)
	}
	var answer struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.AccessToken == "" {
		return "", fmt.Errorf("token endpoint %s: the answer has no access_token", s.url.Redacted())
	}
	return answer.AccessToken, nil
}

// tokenExpiry reads the exp claim of a JWT without verifying it (the
// broker verifies; the client needs only to know when to refresh), as
// Kafka's client-side validator does.
func tokenExpiry(token string) (time.Time, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}, errors.New("the OAUTHBEARER token is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}, errors.New("the OAUTHBEARER token's payload is not base64url")
	}
	var claims struct {
		Exp *json.Number `json:"exp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil || claims.Exp == nil {
		return time.Time{}, errors.New("the OAUTHBEARER token has no exp claim")
	}
	secs, err := claims.Exp.Float64()
	if err != nil {
		return time.Time{}, errors.New("the OAUTHBEARER token's exp is not a number")
	}
	return time.UnixMilli(int64(secs * 1000)), nil
}
