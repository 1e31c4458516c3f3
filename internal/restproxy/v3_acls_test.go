package restproxy_test

import (
	"net/http"
	"strings"
	"testing"
)

type aclV3 struct {
	Kind         string                `json:"kind"`
	Metadata     struct{ Self string } `json:"metadata"`
	ClusterID    string                `json:"cluster_id"`
	ResourceType string                `json:"resource_type"`
	ResourceName string                `json:"resource_name"`
	PatternType  string                `json:"pattern_type"`
	Principal    string                `json:"principal"`
	Host         string                `json:"host"`
	Operation    string                `json:"operation"`
	Permission   string                `json:"permission"`
}

type aclList struct {
	Kind     string                `json:"kind"`
	Metadata struct{ Self string } `json:"metadata"`
	Data     []aclV3               `json:"data"`
}

// created posts one ACL and returns its Location, failing unless 201.
func (p *proxy) created(path, body string) string {
	p.t.Helper()
	req, err := http.NewRequest("POST", p.base+path, strings.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		p.t.Fatalf("POST %s: status %d", path, resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

// TestV3ACLs proves ACLs on a node with an authorizer: one created (201
// with its link as Location) and a batch (204), listed by filters in
// Confluent's order with its self links, deleted by an ACL's own link
// and by a filter matching several, answering the deleted ACLs; and
// parameters Confluent refuses get its statuses and codes.
func TestV3ACLs(t *testing.T) {
	p := start(t, map[string]string{
		"authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"super.users":           "User:ANONYMOUS", // the proxy's own principal
	})
	c := "/v3/clusters/" + p.node.ClusterID + "/acls"
	match := c + "?resource_type=topic&resource_name=topic-1&pattern_type=match"
	matchSelf := p.base + c + "?resource_type=TOPIC&resource_name=topic-1&pattern_type=MATCH&principal=&host=&operation=ANY&permission=ANY"
	var list aclList
	p.must(200, "GET", match, "", "", &list)
	if list.Kind != "KafkaAclList" || list.Metadata.Self != matchSelf || list.Data == nil || len(list.Data) != 0 {
		t.Fatalf("before: %s", mustJSON(list))
	}

	alice := p.base + c + "?resource_type=TOPIC&resource_name=*&pattern_type=LITERAL&principal=User%3Aalice&host=*&operation=READ&permission=ALLOW"
	if got := p.created(c, `{"resource_type":"TOPIC","resource_name":"*","pattern_type":"LITERAL","principal":"User:alice","host":"*","operation":"READ","permission":"ALLOW"}`); got != alice {
		t.Fatalf("Location %q, want %q", got, alice)
	}
	p.must(204, "POST", c+":batch", "application/json", `{"data":[
		{"resource_type":"TOPIC","resource_name":"topic-","pattern_type":"PREFIXED","principal":"User:bob","host":"1.2.3.4","operation":"WRITE","permission":"ALLOW"},
		{"resource_type":"GROUP","resource_name":"g","pattern_type":"LITERAL","principal":"User:carol","host":"*","operation":"READ","permission":"DENY"}]}`, nil)
	p.must(200, "GET", match, "", "", &list)
	if len(list.Data) != 2 || list.Data[0].Metadata.Self != alice || list.Data[0].Kind != "KafkaAcl" || list.Data[0].ClusterID != p.node.ClusterID ||
		list.Data[1].Principal != "User:bob" || list.Data[1].PatternType != "PREFIXED" || list.Data[1].Host != "1.2.3.4" || list.Data[1].Operation != "WRITE" {
		t.Fatalf("matching topic-1: %s", mustJSON(list))
	}
	p.must(200, "GET", c+"?principal=User:carol", "", "", &list)
	if len(list.Data) != 1 || list.Data[0].ResourceType != "GROUP" || list.Data[0].Permission != "DENY" || list.Data[0].ResourceName != "g" {
		t.Fatalf("carol's: %s", mustJSON(list))
	}
	p.must(200, "GET", c+"?resource_type=group&permission=allow", "", "", &list)
	if len(list.Data) != 0 {
		t.Fatalf("allowed on groups: %s", mustJSON(list))
	}
	p.must(200, "GET", c, "", "", &list)
	if len(list.Data) != 3 || list.Data[0].ResourceType != "TOPIC" || list.Data[2].ResourceType != "GROUP" {
		t.Fatalf("all: %s", mustJSON(list))
	}

	p.fails(404, 404, "GET", c+"?resource_type=teapot", "", "")
	p.fails(404, 404, "DELETE", c+"?resource_type=teapot", "", "")
	p.fails(400, 400, "GET", c+"?operation=unknown", "", "")
	p.fails(400, 400, "DELETE", c, "", "") // a bare DELETE does not remove everything
	p.fails(400, 400, "DELETE", c+"?resource_type=topic&pattern_type=any&operation=any", "", "")
	acl := func(resourceType, pattern, operation, permission string) string {
		return `{"resource_type":"` + resourceType + `","resource_name":"t","pattern_type":"` + pattern +
			`","principal":"User:x","host":"*","operation":"` + operation + `","permission":"` + permission + `"}`
	}
	p.fails(400, 400, "POST", c, "application/json", acl("ANY", "LITERAL", "READ", "ALLOW"))
	p.fails(400, 400, "POST", c, "application/json", acl("TOPIC", "MATCH", "READ", "ALLOW"))
	p.fails(400, 400, "POST", c, "application/json", acl("TOPIC", "LITERAL", "ANY", "ALLOW"))
	p.fails(400, 400, "POST", c, "application/json", acl("TOPIC", "LITERAL", "READ", "ANY"))
	p.fails(400, 400, "POST", c, "application/json", acl("TEAPOT", "LITERAL", "READ", "ALLOW"))
	p.fails(400, 40002, "POST", c, "application/json", acl("CLUSTER", "LITERAL", "ALTER", "ALLOW"))
	p.fails(400, 400, "POST", c, "application/json", `{"resource_type":"TOPIC"}`)
	p.fails(400, 400, "POST", c+":batch", "application/json", `{"data":[{"resource_type":"TOPIC"}]}`)
	p.fails(422, 422, "POST", c, "application/json", "")
	p.fails(422, 422, "POST", c+":batch", "application/json", "")
	p.fails(422, 422, "POST", c+":batch", "application/json", "{}")
	p.fails(415, 415, "POST", c, "text/plain", acl("TOPIC", "LITERAL", "READ", "ALLOW"))

	var deleted struct {
		Data []aclV3 `json:"data"`
	}
	p.must(200, "DELETE", strings.TrimPrefix(alice, p.base), "", "", &deleted)
	if len(deleted.Data) != 1 || deleted.Data[0].Metadata.Self != alice || deleted.Data[0].Principal != "User:alice" {
		t.Fatalf("deleting alice's: %s", mustJSON(deleted))
	}
	p.must(200, "DELETE", strings.TrimPrefix(matchSelf, p.base), "", "", &deleted)
	if len(deleted.Data) != 1 || deleted.Data[0].Principal != "User:bob" {
		t.Fatalf("deleting what matches topic-1: %s", mustJSON(deleted))
	}
	p.must(200, "GET", c, "", "", &list)
	if len(list.Data) != 1 || list.Data[0].Principal != "User:carol" {
		t.Fatalf("after: %s", mustJSON(list))
	}
}

// TestV3ACLsSecurityDisabled proves that on a node without an authorizer
// the ACL resources answer Kafka's SECURITY_DISABLED as Confluent's proxy
// does: 400 with 40002 and the broker's message.
func TestV3ACLsSecurityDisabled(t *testing.T) {
	p := start(t, nil)
	c := "/v3/clusters/" + p.node.ClusterID + "/acls"
	p.fails(400, 40002, "GET", c, "", "")
	p.fails(400, 40002, "POST", c, "application/json",
		`{"resource_type":"TOPIC","resource_name":"t","pattern_type":"LITERAL","principal":"User:x","host":"*","operation":"READ","permission":"ALLOW"}`)
	p.fails(400, 40002, "DELETE", c+"?resource_type=any&pattern_type=any&operation=any&permission=any", "", "")
	var e errorBody
	p.must(400, "GET", c, "", "", &e)
	if e.Message != "No Authorizer is configured." {
		t.Fatalf("message %q", e.Message)
	}
}
