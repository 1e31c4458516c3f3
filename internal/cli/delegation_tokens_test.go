package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gregor/internal/node/nodetest"
)

// TestDelegationTokensTool proves the delegation-tokens tool against a
// node: create prints Kafka's table with the token, describe lists it by
// owner (and nothing without --owner-principal, as Kafka's tool), a token
// from it authenticates another tool (tokenauth="true"), renew and expire
// print the new expiry date, and refusals print the Java exception.
func TestDelegationTokensTool(t *testing.T) {
	n := nodetest.Start(t, "", map[string]string{
		"listeners":                      "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
		"listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
		"sasl.enabled.mechanisms":        "PLAIN,SCRAM-SHA-512",
		"sasl.jaas.config":               `org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret";`,
		"delegation.token.secret.key":    "secret",
	})
	sasl := n.Addrs()[1].String()
	dir := t.TempDir()
	admin := writeProps(t, dir, "admin.properties", "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"+
		`sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret";`)
	tool := func(args ...string) result {
		return gregor(t, "", append([]string{"delegation-tokens", "--bootstrap-server", sasl}, args...)...)
	}

	r := tool("--command-config", admin, "--create", "--max-life-time-period", "-1", "--renewer-principal", "User:bob")
	if r.err != nil {
		t.Fatalf("create: %v %s", r.err, r.stderr)
	}
	lines := strings.Split(r.stdout, "\n")
	header := "TOKENID         HMAC                           OWNER           REQUESTER       RENEWERS                  ISSUEDATE       EXPIRYDATE      MAXDATE        "
	if len(lines) != 7 || lines[0] != "Calling create token operation with renewers :[User:bob] , max-life-time-period :-1" ||
		!strings.HasPrefix(lines[1], "Created delegation token with tokenId : ") || lines[2] != "" || lines[3] != header || lines[4] != "" {
		t.Fatalf("create printed:\n%s", r.stdout)
	}
	row := regexp.MustCompile(`^(\S+) (\S{88}) User:admin      User:admin      \[User:bob\]                (\d{4}-\d\d-\d\dT\d\d:\d\d) `).FindStringSubmatch(lines[5])
	if row == nil || row[1] != strings.TrimPrefix(lines[1], "Created delegation token with tokenId : ") {
		t.Fatalf("token row: %q", lines[5])
	}
	id, hmac := row[1], row[2]

	if r := tool("--command-config", admin, "--describe"); r.err != nil || r.stdout != "Calling describe token operation for current user.\nTotal number of tokens : 0\n"+header+"\n" {
		t.Fatalf("describe without owners: %v %q", r.err, r.stdout)
	}
	if r := tool("--command-config", admin, "--describe", "--owner-principal", "User:admin"); r.err != nil || !strings.Contains(r.stdout, "Total number of tokens : 1\n") || !strings.Contains(r.stdout, "\n"+lines[5]+"\n") {
		t.Fatalf("describe: %v %q", r.err, r.stdout)
	}

	// The token authenticates a tool; that session may not manage tokens.
	token := writeProps(t, dir, "token.properties", "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\n"+
		`sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="`+id+`" password="`+hmac+`" tokenauth="true";`)
	mustGregor(t, "", "topics", "--bootstrap-server", sasl, "--command-config", token, "--list")
	notAllowed := "org.apache.kafka.common.errors.UnsupportedByAuthenticationException: Delegation Token requests are not allowed on PLAINTEXT/1-way SSL channels and on delegation token authenticated channels.\n"
	if r := tool("--command-config", token, "--describe"); r.err == nil || r.stderr != notAllowed {
		t.Fatalf("describe on a token session: %v %q", r.err, r.stderr)
	}
	plaintext := gregor(t, "", "delegation-tokens", "--bootstrap-server", n.Addr, "--command-config", writeProps(t, dir, "empty.properties", ""),
		"--create", "--max-life-time-period", "-1")
	if plaintext.err == nil || plaintext.stderr != notAllowed {
		t.Fatalf("create on PLAINTEXT: %v %q", plaintext.err, plaintext.stderr)
	}

	r = tool("--command-config", admin, "--renew", "--hmac", hmac, "--renew-time-period", "-1")
	if r.err != nil || !regexp.MustCompile(`^Calling renew token operation with hmac :\S+ , renew-time-period :-1\nCompleted renew operation. New expiry date : \d{4}-\d\d-\d\dT\d\d:\d\d$`).MatchString(r.stdout) {
		t.Fatalf("renew: %v %q", r.err, r.stdout)
	}
	r = tool("--command-config", admin, "--expire", "--hmac", hmac, "--expiry-time-period", "-1")
	if r.err != nil || !strings.HasPrefix(r.stdout, "Calling expire token operation with hmac :"+hmac+" , expire-time-period :-1\nCompleted expire operation. New expiry date : ") {
		t.Fatalf("expire: %v %q", r.err, r.stdout)
	}
	if r := tool("--command-config", admin, "--renew", "--hmac", hmac, "--renew-time-period", "-1"); r.err == nil ||
		r.stderr != "org.apache.kafka.common.errors.DelegationTokenNotFoundException: Delegation Token is not found on server.\n" {
		t.Fatalf("renew an expired token: %v %q", r.err, r.stderr)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--command-config", admin}, "Command must include exactly one action: --create, --renew, --expire or --describe"},
		{[]string{"--command-config", admin, "--create"}, `Missing required argument "[max-life-time-period]"`},
		{[]string{"--command-config", admin, "--renew", "--hmac", "x"}, `Missing required argument "[renew-time-period]"`},
		{[]string{"--command-config", admin, "--describe", "--hmac", "x"}, `Option "[describe]" can't be used with option "[hmac]"`},
		{[]string{"--describe"}, `Missing required argument "[command-config]"`},
	} {
		if r := tool(c.args...); r.err == nil || r.err.Error() != c.want {
			t.Errorf("%v: %v, want %q", c.args, r.err, c.want)
		}
	}
}

func writeProps(t *testing.T, dir, name, content string) string {
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestACLsOnTokensAndUsers proves acls takes --user-principal and
// --delegation-token as Kafka's tool does, printing Kafka's resource
// patterns (USER, DELEGATION_TOKEN) and operations.
func TestACLsOnTokensAndUsers(t *testing.T) {
	addr := nodetest.Start(t, "", map[string]string{
		"authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"super.users":           "User:ANONYMOUS",
	}).Addr
	mustGregor(t, "", "acls", "--bootstrap-server", addr, "--add", "--allow-principal", "User:alice",
		"--operation", "CreateTokens", "--operation", "DescribeTokens", "--user-principal", "User:carol")
	mustGregor(t, "", "acls", "--bootstrap-server", addr, "--add", "--allow-principal", "User:bob",
		"--operation", "Describe", "--delegation-token", "tok1")
	want := "Current ACLs for resource `ResourcePattern(resourceType=USER, name=User:carol, patternType=LITERAL)`:\n" +
		"\t(principal=User:alice, host=*, operation=CREATE_TOKENS, permissionType=ALLOW)\n" +
		"\t(principal=User:alice, host=*, operation=DESCRIBE_TOKENS, permissionType=ALLOW)\n\n"
	if got := mustGregor(t, "", "acls", "--bootstrap-server", addr, "--list", "--user-principal", "User:carol"); got != want {
		t.Fatalf("list --user-principal:\n%s\nwant:\n%s", got, want)
	}
	want = "Current ACLs for resource `ResourcePattern(resourceType=DELEGATION_TOKEN, name=tok1, patternType=LITERAL)`:\n" +
		"\t(principal=User:bob, host=*, operation=DESCRIBE, permissionType=ALLOW)\n\n"
	if got := mustGregor(t, "", "acls", "--bootstrap-server", addr, "--list", "--delegation-token", "tok1"); got != want {
		t.Fatalf("list --delegation-token:\n%s\nwant:\n%s", got, want)
	}
	mustGregor(t, "", "acls", "--bootstrap-server", addr, "--remove", "--force", "--delegation-token", "tok1")
	if got := mustGregor(t, "", "acls", "--bootstrap-server", addr, "--list", "--delegation-token", "tok1"); got != "" {
		t.Fatalf("after --remove: %q", got)
	}
}
