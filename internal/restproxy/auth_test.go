package restproxy_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gregor/internal/config"
	"gregor/internal/node"
)

func basic(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// TestBasicAuthentication proves HTTP basic authentication of the REST
// proxy and the schema registry of a node: without credentials or with
// wrong ones 401 with WWW-Authenticate and Confluent's body, a user
// without the registry's role 403, the users of the file served; the
// proxy's own use of the registry (an avro produce) needs no credentials.
func TestBasicAuthentication(t *testing.T) {
	users := filepath.Join(t.TempDir(), "users.properties")
	if err := os.WriteFile(users, []byte("alice: secret,admin\nbob: MD5:5f4dcc3b5aa765d61d8327deb882cf99,user\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, map[string]string{
		"schema.registry.listeners":                 "http://127.0.0.1:0",
		"schema.registry.authentication.method":     "BASIC",
		"schema.registry.authentication.users.file": users,
		"schema.registry.authentication.roles":      "admin",
		"rest.proxy.authentication.method":          "BASIC",
		"rest.proxy.authentication.users.file":      users,
	})
	reg := "http://" + p.node.SchemaRegistryAddr().String()

	p.fails(401, 401, "GET", "/topics", "", "")
	p.fails(401, 401, "GET", "/topics", "", "", "Authorization", basic("alice", "wrong"))
	if status, _ := p.do("GET", "/topics", "", "", "Authorization", basic("alice", "secret")); status != 200 {
		t.Fatalf("alice at the proxy: %d", status)
	}
	if status, _ := p.do("GET", "/v3/clusters", "", "", "Authorization", basic("bob", "password")); status != 200 {
		t.Fatalf("bob at the proxy: %d", status)
	}
	req, _ := http.NewRequest("GET", p.base+"/topics", nil)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("WWW-Authenticate"); got != `Basic realm="KafkaRest"` {
		t.Fatalf("WWW-Authenticate %q", got)
	}

	for _, tc := range []struct {
		auth   string
		status int
		body   string
	}{
		{"", 401, `{"error_code":401,"message":"Unauthorized"}`},
		{basic("bob", "password"), 403, `{"error_code":403,"message":"Forbidden"}`},
		{basic("alice", "secret"), 200, `[]`},
	} {
		req, _ := http.NewRequest("GET", reg+"/subjects", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || strings.TrimSpace(string(body)) != tc.body {
			t.Fatalf("registry with %q: %d %s, want %d %s", tc.auth, resp.StatusCode, body, tc.status, tc.body)
		}
	}

	p.createTopic("secured", 1)
	p.must(200, "POST", "/topics/secured", v2Avro, fmt.Sprintf(`{"value_schema":%q,"records":[{"value":{"id":1}}]}`, orderSchema), nil,
		"Authorization", basic("alice", "secret"))
}

// TestBasicAuthenticationNeedsUsers proves a node asked for BASIC
// authentication without a usable users file does not start.
func TestBasicAuthenticationNeedsUsers(t *testing.T) {
	cfg, _, err := config.Parse(map[string]string{"listeners": "PLAINTEXT://127.0.0.1:0", "log.dirs": t.TempDir(),
		"http.listeners": "", "schema.registry.listeners": "", "rest.proxy.listeners": "http://127.0.0.1:0",
		"rest.proxy.authentication.method": "BASIC", "rest.proxy.authentication.users.file": filepath.Join(t.TempDir(), "missing")})
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.StartWith(context.Background(), cfg, slog.New(slog.DiscardHandler), node.Options{})
	if err == nil {
		n.Stop()
		n.Wait()
	}
	if err == nil || !strings.Contains(err.Error(), "rest.proxy.authentication.users.file") {
		t.Fatalf("start: %v", err)
	}
}
