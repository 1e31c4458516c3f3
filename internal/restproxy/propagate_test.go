package restproxy_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"gregor/internal/auth/authtest"
	"gregor/internal/config"
	"gregor/internal/node"
)

// TestPrincipalPropagation proves that with bearer authentication and
// rest.proxy.auth.propagate.method=JETTY_AUTH each request reaches the
// broker as the token's subject over OAUTHBEARER, so the broker's ACLs
// decide: alice, allowed to write and read topic "paid", produces (v2 and
// v3) and consumes it through a consumer instance; bob, without ACLs, is
// refused with Confluent's 40301 (also changing its configs) and does not
// see the topic listed; bob cannot use or delete alice's consumer
// instance (40403); a token the broker refuses (signed by a key the broker's JWKS lacks, though the
// proxy's accepts it) (another
// issuer's, or one for an audience the broker does not accept) is
// answered 40101.
func TestPrincipalPropagation(t *testing.T) {
	idp, rogue := authtest.NewIssuer(t), authtest.NewIssuer(t)
	p := start(t, map[string]string{
		"listeners":                                 "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
		"listener.security.protocol.map":            "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
		"sasl.enabled.mechanisms":                   "OAUTHBEARER",
		"sasl.oauthbearer.jwks.endpoint.url":        idp.JWKSURL,
		"sasl.oauthbearer.expected.audience":        "kafka",
		"authorizer.class.name":                     "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"super.users":                               "User:ANONYMOUS",
		"connection.failed.authentication.delay.ms": "0",
		"rest.proxy.authentication.method":          "BEARER",
		"rest.proxy.oauthbearer.jwks.endpoint.url":  idp.JWKSURL,
		"rest.proxy.auth.propagate.method":          "JETTY_AUTH",
	})
	p.createTopic("paid", 1)
	adm := kadm.NewClient(p.kafka())
	res, err := adm.CreateACLs(testContext(t), kadm.NewACLs().Allow("User:alice").Topics("paid").Groups("alice-group").
		Operations(kadm.OpWrite, kadm.OpRead, kadm.OpDescribe))
	if err == nil {
		for _, r := range res {
			if err = r.Err; err != nil {
				break
			}
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	bearer := func(sub string) []string {
		return []string{"Authorization", "Bearer " + idp.Token(t, authtest.Claims(sub, "https://idp.example", "kafka"))}
	}
	alice, bob := bearer("alice"), bearer("bob")
	cluster := "/v3/clusters/" + p.node.ClusterID + "/topics"

	p.must(200, "POST", "/topics/paid", v2JSON, `{"records":[{"value":{"n":1}}]}`, nil, alice...)
	p.must(200, "POST", cluster+"/paid/records", "application/json", `{"value":{"type":"JSON","data":{"n":2}}}`, nil, alice...)
	if got := p.consume("paid", 2); len(got) != 2 {
		t.Fatalf("consumed %d records", len(got))
	}
	p.fails(403, 40301, "POST", "/topics/paid", v2JSON, `{"records":[{"value":{"n":3}}]}`, bob...)
	_, body := p.do("POST", cluster+"/paid/records", "application/json", `{"value":{"type":"JSON","data":{"n":4}}}`, bob...)
	if !strings.Contains(body, "40301") {
		t.Fatalf("bob's v3 produce: %s", body)
	}
	p.fails(403, 40301, "PUT", cluster+"/paid/configs/retention.ms", "application/json", `{"value":"1000"}`, bob...)
	if got := p.must(200, "GET", "/topics", "", "", nil, alice...); !strings.Contains(got, `"paid"`) {
		t.Fatalf("alice's topics: %s", got)
	}
	if got := p.must(200, "GET", "/topics", "", "", nil, bob...); strings.Contains(got, `"paid"`) {
		t.Fatalf("bob's topics: %s", got)
	}

	inst := "/consumers/alice-group/instances/a1"
	p.must(200, "POST", "/consumers/alice-group", v2, `{"name":"a1","format":"json","auto.offset.reset":"earliest"}`, nil, alice...)
	p.fails(404, 40403, "POST", inst+"/subscription", v2, `{"topics":["paid"]}`, bob...)
	p.fails(404, 40403, "DELETE", inst, "", "", bob...)
	p.must(204, "POST", inst+"/subscription", v2, `{"topics":["paid"]}`, nil, alice...)
	p.pollAs(inst, v2JSON, 2, alice)
	p.must(204, "DELETE", inst, "", "", nil, alice...)

	// bob's own instance in alice's group: the broker refuses him the group.
	p.must(200, "POST", "/consumers/alice-group", v2, `{"name":"b1","format":"json","auto.offset.reset":"earliest"}`, nil, bob...)
	p.must(204, "POST", "/consumers/alice-group/instances/b1/subscription", v2, `{"topics":["paid"]}`, nil, bob...)
	status, body := p.do("GET", "/consumers/alice-group/instances/b1/records?timeout=2000", "", "", append([]string{"Accept", v2JSON}, bob...)...)
	t.Logf("bob polling alice's group: %d %s", status, body)
	if status == 200 && body != "[]" || status != 200 && !strings.Contains(body, "40301") {
		t.Fatalf("bob polling alice's group: %d %s", status, body)
	}

	forged := []string{"Authorization", "Bearer " + rogue.Token(t, authtest.Claims("alice", "https://idp.example", "kafka"))}
	p.fails(401, 40101, "GET", "/topics", "", "", forged...)
	// The proxy checks no audience; the broker wants "kafka".
	web := []string{"Authorization", "Bearer " + idp.Token(t, authtest.Claims("alice", "https://idp.example", "web"))}
	p.fails(401, 40101, "GET", "/topics", "", "", web...)
	p.fails(401, 40101, "POST", "/topics/paid", v2JSON, `{"records":[{"value":{"n":5}}]}`, web...)
}

// TestPrincipalPropagationBasic proves propagation of BASIC users: each
// request authenticates to the broker with SASL PLAIN as the HTTP user
// with the user's password, so alice, allowed to write "ledger", produces
// and bob is refused with 40301.
func TestPrincipalPropagationBasic(t *testing.T) {
	users := filepath.Join(t.TempDir(), "users.properties")
	if err := os.WriteFile(users, []byte("alice: alice-secret\nbob: bob-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, map[string]string{
		"listeners":                      "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
		"listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
		"sasl.enabled.mechanisms":        "PLAIN",
		"listener.name.sasl_plaintext.plain.sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret" user_bob="bob-secret";`,
		"authorizer.class.name":                               "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"super.users":                                         "User:ANONYMOUS",
		"connection.failed.authentication.delay.ms":           "0",
		"rest.proxy.authentication.method":                    "BASIC",
		"rest.proxy.authentication.users.file":                users,
		"rest.proxy.auth.propagate.method":                    "JETTY_AUTH",
		"rest.proxy.kafka.sasl.mechanism":                     "PLAIN",
	})
	p.createTopic("ledger", 1)
	res, err := kadm.NewClient(p.kafka()).CreateACLs(testContext(t), kadm.NewACLs().Allow("User:alice").Topics("ledger").
		Operations(kadm.OpWrite, kadm.OpDescribe))
	if err != nil || res[0].Err != nil {
		t.Fatalf("ACLs: %v %+v", err, res)
	}
	p.must(200, "POST", "/topics/ledger", v2JSON, `{"records":[{"value":1}]}`, nil, "Authorization", basic("alice", "alice-secret"))
	p.fails(403, 40301, "POST", "/topics/ledger", v2JSON, `{"records":[{"value":2}]}`, "Authorization", basic("bob", "bob-secret"))
	p.fails(401, 401, "POST", "/topics/ledger", v2JSON, `{"records":[{"value":3}]}`, "Authorization", basic("alice", "wrong"))
	if got := p.consume("ledger", 1); string(got[0].Value) != "1" {
		t.Fatalf("consumed %q", got[0].Value)
	}
}

// TestSecurityRefusedAtStart proves a node whose HTTP services' security
// cannot be set up does not start, with a reason naming the key: an
// https:// listener without a key store or with client certificates but
// no trust store, BEARER without a JWKS, and principal propagation
// without HTTP authentication or without a SASL listener enabling the
// mechanism (the proxy never acts as itself instead).
func TestSecurityRefusedAtStart(t *testing.T) {
	base := map[string]string{"listeners": "PLAINTEXT://127.0.0.1:0", "log.dirs": t.TempDir(), "http.listeners": "",
		"schema.registry.listeners": "", "rest.proxy.listeners": "http://127.0.0.1:0"}
	idp := authtest.NewIssuer(t)
	st := newServiceTLS(t)
	for name, tc := range map[string]struct {
		extra map[string]string
		want  string
	}{
		"https without a key store": {map[string]string{"schema.registry.listeners": "https://127.0.0.1:0"}, "schema.registry.listeners https://127.0.0.1:0: no key store"},
		"client certificates without a trust store": {map[string]string{"rest.proxy.listeners": "https://127.0.0.1:0",
			"rest.proxy.ssl.keystore.location": st.keystore, "rest.proxy.ssl.client.authentication": "REQUIRED"}, "needs a trust store"},
		"bearer without a JWKS": {map[string]string{"rest.proxy.authentication.method": "BEARER"}, "rest.proxy.oauthbearer.jwks.endpoint.url"},
		"propagation without authentication": {map[string]string{"rest.proxy.auth.propagate.method": "JETTY_AUTH"},
			"needs rest.proxy.authentication.method"},
		"propagation without a SASL listener": {map[string]string{"rest.proxy.auth.propagate.method": "JETTY_AUTH",
			"rest.proxy.authentication.method": "BEARER", "rest.proxy.oauthbearer.jwks.endpoint.url": idp.JWKSURL},
			"no SASL_PLAINTEXT listener enables OAUTHBEARER"},
	} {
		props := maps.Clone(base)
		maps.Copy(props, tc.extra)
		cfg, _, err := config.Parse(props)
		if err != nil {
			t.Fatal(err)
		}
		n, err := node.StartWith(context.Background(), cfg, slog.New(slog.DiscardHandler), node.Options{})
		if err == nil {
			n.Stop()
			n.Wait()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: start: %v, want %q", name, err, tc.want)
		}
	}
}

// TestPropagationTokenRefresh proves a principal's refreshed token does
// not cut the requests still using the old one: a streamed v3 produce
// under alice's first token goes on, record by record, after a request
// with her second token has replaced the first one's clients, and every
// record is acknowledged.
func TestPropagationTokenRefresh(t *testing.T) {
	idp := authtest.NewIssuer(t)
	p := start(t, map[string]string{
		"listeners":                                "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
		"listener.security.protocol.map":           "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
		"sasl.enabled.mechanisms":                  "OAUTHBEARER",
		"sasl.oauthbearer.jwks.endpoint.url":       idp.JWKSURL,
		"rest.proxy.authentication.method":         "BEARER",
		"rest.proxy.oauthbearer.jwks.endpoint.url": idp.JWKSURL,
		"rest.proxy.auth.propagate.method":         "JETTY_AUTH",
		"rest.proxy.request.timeout.ms":            "2000",
	})
	p.createTopic("refresh", 1)
	first := idp.Token(t, authtest.Claims("alice", "https://idp.example", "kafka"))
	c := authtest.Claims("alice", "https://idp.example", "kafka")
	c["jti"] = "second" // another token for the same principal
	second := idp.Token(t, c)

	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", p.base+"/v3/clusters/"+p.node.ClusterID+"/topics/refresh/records", pr)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+first)
	answers := make(chan string, 10)
	go func() {
		defer close(answers)
		resp, err := httpClient.Do(req)
		if err != nil {
			answers <- err.Error()
			return
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			answers <- sc.Text()
		}
	}()
	record := `{"value":{"type":"JSON","data":1}}` + "\n"
	next := func(i int) {
		t.Helper()
		io.WriteString(pw, record)
		select {
		case a := <-answers:
			if !strings.HasPrefix(a, `{"error_code":200`) {
				t.Fatalf("record %d: %s", i, a)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("record %d: no answer", i)
		}
	}
	next(0)
	p.must(200, "GET", "/topics", "", "", nil, "Authorization", "Bearer "+second)
	// A record a second, for longer than the request timeout: the
	// stream's clients outlive it.
	for i := 1; i < 5; i++ {
		time.Sleep(time.Second)
		next(i)
	}
	pw.Close()
	if got := p.consume("refresh", 5); len(got) != 5 {
		t.Fatalf("consumed %d", len(got))
	}
}
