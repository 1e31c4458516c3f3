package admin

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestEndpoints proves /healthz answers at once, /readyz answers 503 with
// the reason until Ready reports nil and 200 after, and pprof is served
// only when enabled.
func TestEndpoints(t *testing.T) {
	ready := errors.New("broker not registered")
	s := &Server{Ready: func() error { return ready }}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	expect(t, srv.URL+"/healthz", 200, "ok")
	expect(t, srv.URL+"/readyz", 503, "broker not registered")
	ready = nil
	expect(t, srv.URL+"/readyz", 200, "ready")
	expect(t, srv.URL+"/debug/pprof/", 404, "")

	s.Pprof = true
	withPprof := httptest.NewServer(s.Handler())
	defer withPprof.Close()
	expect(t, withPprof.URL+"/debug/pprof/", 200, "goroutine")
}

func expect(t *testing.T, url string, status int, body string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status || !strings.Contains(string(b), body) {
		t.Fatalf("GET %s: %d %q, want %d containing %q", url, resp.StatusCode, b, status, body)
	}
}
