package auth

import (
	"strings"
	"testing"

	"gregor/internal/acl"
	"gregor/internal/config"
)

func authorizerFor(t *testing.T, props map[string]string, bindings ...acl.Binding) *Authorizer {
	t.Helper()
	c, _, err := config.Parse(props)
	if err != nil {
		t.Fatal(err)
	}
	x := acl.NewIndex(bindings)
	a, err := NewAuthorizer(c, func() *acl.Index { return x })
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestAuthorizer proves the rules around the ACLs: no authorizer without
// authorizer.class.name, super users allowed everything, a resource
// without ACLs denied unless allow.everyone.if.no.acl.found, one with ACLs
// for others denied either way, and an unknown class refused.
func TestAuthorizer(t *testing.T) {
	if a := authorizerFor(t, map[string]string{}); a != nil {
		t.Fatal("an authorizer without authorizer.class.name")
	}
	topic := func(name string) acl.Resource { return acl.Resource{Type: acl.Topic, Name: name} }
	bobReads := acl.Binding{Pattern: acl.Pattern{Type: acl.Topic, Name: "t", PatternType: acl.Literal},
		Entry: acl.Entry{Principal: "User:bob", Host: "*", Operation: acl.Read, Permission: acl.Allow}}
	alice, bob, admin := acl.Principal{Type: "User", Name: "alice"}, acl.Principal{Type: "User", Name: "bob"}, acl.Principal{Type: "User", Name: "admin"}
	for _, allowEveryone := range []string{"false", "true"} {
		a := authorizerFor(t, map[string]string{"authorizer.class.name": StandardAuthorizer, "super.users": "User:admin; User:ops",
			"allow.everyone.if.no.acl.found": allowEveryone}, bobReads)
		open := allowEveryone == "true"
		if !a.Authorize(admin, "h", acl.Delete, topic("t")) || !a.Authorize(admin, "h", acl.Alter, acl.Resource{Type: acl.Cluster, Name: acl.ClusterName}) {
			t.Error("a super user was refused")
		}
		if !a.Authorize(bob, "h", acl.Read, topic("t")) || a.Authorize(alice, "h", acl.Read, topic("t")) {
			t.Errorf("allow.everyone=%s: ACLs of t not applied", allowEveryone)
		}
		if got := a.Authorize(alice, "h", acl.Read, topic("u")); got != open {
			t.Errorf("allow.everyone=%s: alice on a topic without ACLs: %v", allowEveryone, got)
		}
		if got := a.AuthorizeAny(alice, "h", acl.Write, acl.Group); got != open {
			t.Errorf("allow.everyone=%s: alice on any group, none with ACLs: %v", allowEveryone, got)
		}
	}
	c, _, _ := config.Parse(map[string]string{"authorizer.class.name": "kafka.security.authorizer.AclAuthorizer"})
	if _, err := NewAuthorizer(c, nil); err == nil || !strings.Contains(err.Error(), "authorizer.class.name") {
		t.Errorf("unknown authorizer class: %v", err)
	}
}
