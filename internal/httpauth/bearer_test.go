package httpauth

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestBearer proves, over real HTTP, that a request without a bearer token
// or with one the validator refuses gets 401 with RFC 6750's challenge and
// Confluent's 40101, a holder outside the roles 403 with 40301, and a
// permitted holder the service, with its credential in the context.
func TestBearer(t *testing.T) {
	validate := func(token string) (string, []string, error) {
		switch token {
		case "tok-alice":
			return "alice", []string{"devs", "admins"}, nil
		case "tok-bob":
			return "bob", []string{"guests"}, nil
		}
		return "", nil, errors.New("bad signature")
	}
	srv := httptest.NewServer(NewBearer("SchemaRegistry", validate, []string{"admins"}).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := CredentialFrom(r.Context())
		io.WriteString(w, c.User+" "+c.Secret)
	})))
	defer srv.Close()
	for _, tc := range []struct {
		auth, want string
		status     int
	}{
		{"", `"error_code":40101`, 401},
		{"Basic YWxpY2U6c2VjcmV0", `"error_code":40101`, 401},
		{"Bearer ", `"error_code":40101`, 401},
		{"Bearer forged", `"error_code":40101`, 401},
		{"Bearer tok-bob", `"error_code":40301`, 403},
		{"Bearer tok-alice", "alice tok-alice", 200},
		{"bearer tok-alice", "alice tok-alice", 200},
	} {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.want) {
			t.Errorf("%q: %d %s, want %d %s", tc.auth, resp.StatusCode, body, tc.status, tc.want)
		}
		if tc.status == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), `Bearer realm="SchemaRegistry"`) {
			t.Errorf("%q: WWW-Authenticate %q", tc.auth, resp.Header.Get("WWW-Authenticate"))
		}
	}
}
