package schemareg_test

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gregor/internal/auth/authtest"
	"gregor/internal/node/nodetest"
)

// BenchmarkSchemaByIDSecurity measures GET /schemas/ids/{id} against three
// nodes in one run, in turns, so that the machine's other load falls on
// all three alike: plain HTTP, HTTPS, and HTTPS with a bearer token
// validated on every request. Each turn sends b.N requests from 8
// goroutines over keep-alive connections to each node; it reports the
// median requests per second of 5 turns for each, and their ratios to
// plain HTTP.
//
//	go test -run '^$' -bench SchemaByIDSecurity -benchtime 20000x ./internal/schemareg
func BenchmarkSchemaByIDSecurity(b *testing.B) {
	ca := authtest.NewCA(b)
	cert, key := ca.Issue(b, pkix.Name{CommonName: "gregor"}, "127.0.0.1")
	keystore := authtest.WriteFile(b, b.TempDir(), "server.pem", key, cert)
	idp := authtest.NewIssuer(b)
	https := map[string]string{"schema.registry.listeners": "https://127.0.0.1:0", "schema.registry.ssl.keystore.location": keystore}
	bearer := map[string]string{"schema.registry.authentication.method": "BEARER", "schema.registry.oauthbearer.jwks.endpoint.url": idp.JWKSURL}
	for k, v := range https {
		bearer[k] = v
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	newClient := func() *http.Client {
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64,
			TLSClientConfig: &tls.Config{RootCAs: pool}}}
	}
	type target struct {
		name, url, auth string
		client          *http.Client
		rates           []float64
	}
	token := "Bearer " + idp.Token(b, authtest.Claims("bench", "https://idp.example", "registry"))
	var targets []*target
	for _, t := range []struct {
		name, scheme, auth string
		props              map[string]string
	}{
		{"http", "http", "", map[string]string{"schema.registry.listeners": "http://127.0.0.1:0"}},
		{"https", "https", "", https},
		{"https+bearer", "https", token, bearer},
	} {
		n := nodetest.Start(b, "", t.props)
		tg := &target{name: t.name, url: t.scheme + "://" + n.SchemaRegistryAddr().String(), auth: t.auth, client: newClient()}
		body := `{"schema":"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}"}`
		req, _ := http.NewRequest("POST", tg.url+"/subjects/s/versions", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
		if tg.auth != "" {
			req.Header.Set("Authorization", tg.auth)
		}
		resp, err := tg.client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("%s: register: %d", t.name, resp.StatusCode)
		}
		targets = append(targets, tg)
	}
	if b.N < 8 {
		return // the sizing run
	}
	b.ResetTimer()
	for range 5 {
		for _, tg := range targets {
			tg.rates = append(tg.rates, lookups(b, tg.client, tg.url+"/schemas/ids/1", tg.auth, b.N))
		}
	}
	b.StopTimer()
	median := func(xs []float64) float64 { s := slices.Clone(xs); slices.Sort(s); return s[len(s)/2] }
	base := median(targets[0].rates)
	for _, tg := range targets {
		m := median(tg.rates)
		b.ReportMetric(m, tg.name+"-req/s")
		if tg != targets[0] {
			b.ReportMetric(m/base, tg.name+"/http")
		}
		b.Logf("%s: %.0f req/s (turns %.0f)", tg.name, m, tg.rates)
	}
}

// lookups sends n GETs of url from 8 goroutines and returns requests per
// second.
func lookups(b *testing.B, cl *http.Client, url, auth string, n int) float64 {
	var wg sync.WaitGroup
	per := n / 8
	start := time.Now()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range per {
				req, _ := http.NewRequest("GET", url, nil)
				if auth != "" {
					req.Header.Set("Authorization", auth)
				}
				resp, err := cl.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Error(fmt.Sprintf("status %d", resp.StatusCode))
					return
				}
			}
		}()
	}
	wg.Wait()
	return float64(per*8) / time.Since(start).Seconds()
}
