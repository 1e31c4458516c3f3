package node_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/auth/authtest"
	"gregor/internal/node/nodetest"
)

// consoleAs requests path from the console as user (no credentials when
// user is ""), with a form for a POST, and returns the status and body.
func consoleAs(t *testing.T, tn *nodetest.TestNode, method, path, user, password string, form url.Values) (int, string, http.Header) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(testContext(t), method, "http://"+tn.AdminAddr().String()+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// TestConsoleLoginAppliesACLs proves that with http.console.sasl.mechanism
// the console asks for a login, lets in only users the node authenticates,
// and shows and changes only what the node's ACLs allow each user: alice,
// allowed one topic, lists and browses that topic only and cannot create
// one; the super user sees both topics.
func TestConsoleLoginAppliesACLs(t *testing.T) {
	n, _, _ := startSASLNode(t, authtest.NewCA(t), map[string]string{
		"authorizer.class.name":                     "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"super.users":                               "User:admin;User:ANONYMOUS",
		"sasl.jaas.config":                          aclJAAS,
		"connection.failed.authentication.delay.ms": "0",
		"http.console.sasl.mechanism":               "PLAIN",
	})
	createTopic(t, n.Addr, "alice-topic", 1, nil)
	createTopic(t, n.Addr, "bob-topic", 1, nil)
	ctx := testContext(t)
	cl := newClient(t, n.Addr)
	for _, topic := range []string{"alice-topic", "bob-topic"} {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: []byte("k-" + topic), Value: []byte("v")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	addACLs(t, kadm.NewClient(cl), kadm.NewACLs().Allow("User:alice").Topics("alice-topic").
		Operations(kadm.OpDescribe, kadm.OpRead).ResourcePatternType(kadm.ACLPatternLiteral))

	status, _, header := consoleAs(t, n, "GET", "/topics", "", "", nil)
	if status != http.StatusUnauthorized || !strings.HasPrefix(header.Get("WWW-Authenticate"), "Basic ") {
		t.Fatalf("no login: %d, WWW-Authenticate %q; want 401 with a Basic challenge", status, header.Get("WWW-Authenticate"))
	}
	if status, _, _ := consoleAs(t, n, "GET", "/topics", "alice", "wrong", nil); status != http.StatusUnauthorized {
		t.Fatalf("a wrong password: %d, want 401", status)
	}
	if status, _, _ := consoleAs(t, n, "GET", "/static/style.css", "", "", nil); status != http.StatusOK {
		t.Fatalf("the stylesheet without login: %d, want 200", status)
	}

	status, page, _ := consoleAs(t, n, "GET", "/topics", "alice", "alice-secret", nil)
	if status != http.StatusOK || !strings.Contains(page, "alice-topic") || strings.Contains(page, "bob-topic") || !strings.Contains(page, "User:alice") {
		t.Fatalf("alice's topic list (%d) should show alice-topic only and name her:\n%s", status, page)
	}
	_, page, _ = consoleAs(t, n, "GET", "/topics/alice-topic/messages?partition=0&offset=0", "alice", "alice-secret", nil)
	mustContain(t, page, "alice's message browser", "k-alice-topic")
	_, page, _ = consoleAs(t, n, "GET", "/topics/bob-topic/messages?partition=0&offset=0", "alice", "alice-secret", nil)
	if strings.Contains(page, "k-bob-topic") || !strings.Contains(strings.ToUpper(page), "AUTHORIZATION") {
		t.Fatalf("alice browsing bob-topic should be refused by the node:\n%s", page)
	}
	_, page, _ = consoleAs(t, n, "POST", "/topics", "alice", "alice-secret", url.Values{"name": {"alice-new"}, "partitions": {"1"}, "replication": {"-1"}})
	if !strings.Contains(strings.ToUpper(page), "AUTHORIZATION") {
		t.Fatalf("alice creating a topic should be refused by the node:\n%s", page)
	}
	if _, err := kadm.NewClient(cl).ListTopics(ctx, "alice-new"); err == nil {
		if d, _ := kadm.NewClient(cl).ListTopics(ctx, "alice-new"); d.Has("alice-new") {
			t.Fatal("alice created a topic without the ACL")
		}
	}

	_, page, _ = consoleAs(t, n, "GET", "/topics", "admin", "admin-secret", nil)
	mustContain(t, page, "the super user's topic list", "alice-topic", "bob-topic", "User:admin")
}
