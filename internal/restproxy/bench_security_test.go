package restproxy_test

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/auth/authtest"
	"gregor/internal/node/nodetest"
)

// BenchmarkV3StreamingProduceSecurity measures the v3 streamed produce of
// 1 KiB JSON values against three nodes in one run, in turns, so that
// the machine's other load falls on all three alike: plain HTTP; HTTPS;
// and HTTPS with a bearer token whose principal the proxy propagates to
// the broker over OAUTHBEARER, where an ACL allows it to write. Each turn
// streams b.N records to each; it reports the median MB/s of 5 turns for
// each, and their ratios to plain HTTP.
//
//	go test -run '^$' -bench V3StreamingProduceSecurity -benchtime 50000x ./internal/restproxy
func BenchmarkV3StreamingProduceSecurity(b *testing.B) {
	st := newServiceTLS(b)
	idp := authtest.NewIssuer(b)
	https := map[string]string{"rest.proxy.listeners": "https://127.0.0.1:0", "rest.proxy.ssl.keystore.location": st.keystore}
	secured := map[string]string{
		"listeners":                                "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
		"listener.security.protocol.map":           "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
		"sasl.enabled.mechanisms":                  "OAUTHBEARER",
		"sasl.oauthbearer.jwks.endpoint.url":       idp.JWKSURL,
		"authorizer.class.name":                    "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"super.users":                              "User:ANONYMOUS",
		"rest.proxy.authentication.method":         "BEARER",
		"rest.proxy.oauthbearer.jwks.endpoint.url": idp.JWKSURL,
		"rest.proxy.auth.propagate.method":         "JETTY_AUTH",
	}
	for k, v := range https {
		secured[k] = v
	}
	pool := x509.NewCertPool()
	pool.AddCert(st.ca.Cert)
	client := &http.Client{Timeout: 10 * time.Minute, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	token := http.Header{"Authorization": {"Bearer " + idp.Token(b, authtest.Claims("bench", "https://idp.example", "kafka"))}}
	type target struct {
		name, url string
		header    http.Header
		rates     []float64
	}
	var targets []*target
	for _, t := range []struct {
		name, scheme string
		header       http.Header
		props        map[string]string
	}{
		{"http", "http", nil, nil},
		{"https", "https", nil, https},
		{"https+bearer+propagation", "https", token, secured},
	} {
		tn := nodetest.Start(b, "", t.props)
		cl, err := kgo.NewClient(kgo.SeedBrokers(tn.Addr))
		if err != nil {
			b.Fatal(err)
		}
		adm := kadm.NewClient(cl)
		if _, err := adm.CreateTopic(b.Context(), 6, 1, nil, "bench"); err != nil {
			b.Fatal(err)
		}
		if t.header != nil {
			if _, err := adm.CreateACLs(b.Context(), kadm.NewACLs().Allow("User:bench").Topics("bench").Operations(kadm.OpWrite, kadm.OpDescribe)); err != nil {
				b.Fatal(err)
			}
		}
		cl.Close()
		targets = append(targets, &target{name: t.name, header: t.header,
			url: t.scheme + "://" + tn.RESTProxyAddr().String() + "/v3/clusters/" + tn.ClusterID + "/topics/bench/records"})
	}
	value := `{"payload":"` + strings.Repeat("x", 1024-14) + `"}`
	record := []byte(`{"key":{"type":"STRING","data":"k"},"value":{"type":"JSON","data":` + value + "}}\n")
	if b.N < 100 {
		return // the sizing run
	}
	b.ResetTimer()
	for range 5 {
		for _, tg := range targets {
			start := time.Now()
			if err := stream(client, tg.url, tg.header, record, b.N); err != nil {
				b.Fatalf("%s: %v", tg.name, err)
			}
			tg.rates = append(tg.rates, float64(b.N*len(value))/time.Since(start).Seconds()/1e6)
		}
	}
	b.StopTimer()
	median := func(xs []float64) float64 { s := slices.Clone(xs); slices.Sort(s); return s[len(s)/2] }
	base := median(targets[0].rates)
	for _, tg := range targets {
		m := median(tg.rates)
		b.ReportMetric(m, tg.name+"-MB/s")
		if tg != targets[0] {
			b.ReportMetric(m/base, tg.name+"/http")
		}
		b.Logf("%s: %.1f MB/s (turns %.1f)", tg.name, m, tg.rates)
	}
}
