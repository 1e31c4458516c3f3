package httpauth

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeUsers(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLoadRefusesBadFiles proves a users file that cannot be used is an
// error at load, naming the line.
func TestLoadRefusesBadFiles(t *testing.T) {
	for _, text := range []string{"alice\n", "alice: OBF:1v2j1uum1xtv1zej\n", "alice: MD5:abc\n", "alice:\n", ": pw\n"} {
		if _, err := Load(writeUsers(t, text), "R", nil); err == nil {
			t.Errorf("Load(%q) succeeded", text)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "none"), "R", nil); err == nil {
		t.Error("a missing file loaded")
	}
}

// TestWrap proves, over real HTTP, that requests without credentials or
// with wrong ones get 401 with WWW-Authenticate and Confluent's body, a
// user without a permitted role 403, and permitted users (plain and MD5
// passwords) the service.
func TestWrap(t *testing.T) {
	path := writeUsers(t, "# users\nalice: secret,admin\nbob = MD5:5f4dcc3b5aa765d61d8327deb882cf99 , user\ncarol: pw\n")
	b, err := Load(path, "SchemaRegistry", []string{"admin", "user"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(b.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})))
	defer srv.Close()
	client := &http.Client{Timeout: 10 * 1e9}
	for _, tc := range []struct {
		user, password string
		status         int
		body           string
	}{
		{"", "", 401, `{"error_code":401,"message":"Unauthorized"}`},
		{"alice", "wrong", 401, `{"error_code":401,"message":"Unauthorized"}`},
		{"nobody", "secret", 401, `{"error_code":401,"message":"Unauthorized"}`},
		{"carol", "pw", 403, `{"error_code":403,"message":"Forbidden"}`},
		{"alice", "secret", 200, "ok"},
		{"bob", "password", 200, "ok"},
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/subjects", nil)
		if tc.user != "" {
			req.SetBasicAuth(tc.user, tc.password)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || strings.TrimSpace(string(body)) != tc.body {
			t.Errorf("%s: %d %s, want %d %s", tc.user, resp.StatusCode, body, tc.status, tc.body)
		}
		if tc.status == 401 && resp.Header.Get("WWW-Authenticate") != `Basic realm="SchemaRegistry"` {
			t.Errorf("%s: WWW-Authenticate %q", tc.user, resp.Header.Get("WWW-Authenticate"))
		}
	}
	open, _ := Load(path, "R", []string{"*"})
	if _, ok := open.check("carol", "pw"); !ok || !open.permitted(nil) {
		t.Error("roles * does not let every user in")
	}
}
