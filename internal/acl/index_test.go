package acl

import (
	"fmt"
	"testing"
)

func bind(rt ResourceType, name string, pt PatternType, principal, host string, op Operation, perm Permission) Binding {
	return Binding{Pattern: Pattern{Type: rt, Name: name, PatternType: pt},
		Entry: Entry{Principal: principal, Host: host, Operation: op, Permission: perm}}
}

var (
	alice = Principal{Type: "User", Name: "alice"}
	bob   = Principal{Type: "User", Name: "bob"}
)

// TestIndexCheck proves Kafka's StandardAuthorizer rules on a fixed set of
// ACLs: literal, wildcard and prefixed patterns, DENY winning over ALLOW,
// hosts, the wildcard principal, ALL, and the implied DESCRIBE and
// DESCRIBE_CONFIGS.
func TestIndexCheck(t *testing.T) {
	x := NewIndex([]Binding{
		bind(Topic, "orders", Literal, "User:alice", "*", Read, Allow),
		bind(Topic, "pay", Prefixed, "User:alice", "*", Write, Allow),
		bind(Topic, "payroll", Literal, "User:alice", "*", Write, Deny),
		bind(Topic, "*", Literal, "User:bob", "10.0.0.1", All, Allow),
		bind(Topic, "secret", Prefixed, "User:*", "*", All, Deny),
		bind(Group, "g", Literal, "User:*", "*", Read, Allow),
		bind(Cluster, ClusterName, Literal, "User:alice", "*", AlterConfigs, Allow),
		bind(Topic, "bad", Literal, "alice", "*", Read, Allow), // invalid principal: left out
	})
	cases := []struct {
		p       Principal
		host    string
		op      Operation
		r       Resource
		allowed bool
		found   bool
	}{
		{alice, "h", Read, Resource{Topic, "orders"}, true, true},
		{alice, "h", Describe, Resource{Topic, "orders"}, true, true}, // implied by READ
		{alice, "h", Write, Resource{Topic, "orders"}, false, true},
		{bob, "h", Read, Resource{Topic, "orders"}, false, true},         // wrong host for bob's wildcard
		{bob, "10.0.0.1", Read, Resource{Topic, "orders"}, true, true},   // wildcard topic, ALL
		{alice, "h", Write, Resource{Topic, "payments"}, true, true},     // prefixed
		{alice, "h", Write, Resource{Topic, "payroll"}, false, true},     // DENY wins
		{alice, "h", Describe, Resource{Topic, "payroll"}, true, true},   // the DENY is of WRITE only
		{bob, "10.0.0.1", Read, Resource{Topic, "secrets"}, false, true}, // DENY ALL to User:*
		{alice, "h", Read, Resource{Topic, "other"}, false, true},        // only bob's wildcard applies
		{alice, "h", Read, Resource{Group, "g"}, true, true},             // User:* allows alice
		{alice, "h", Read, Resource{Group, "h"}, false, false},
		{alice, "h", DescribeConfigs, Resource{Cluster, ClusterName}, true, true},
		{alice, "h", Describe, Resource{Cluster, ClusterName}, false, true},
		{alice, "h", Read, Resource{Topic, "bad"}, false, true},
	}
	for _, c := range cases {
		v := x.Check(c.p, c.host, c.op, c.r)
		if v.Allowed != c.allowed || v.Found != c.found {
			t.Errorf("%s from %s %s %v: %+v, want allowed %v found %v", c.p, c.host, c.op, c.r, v, c.allowed, c.found)
		}
	}
}

// TestIndexCheckAny proves the check over a resource type (Kafka's
// authorizeByResourceType, which lets a producer with WRITE on any topic
// be idempotent): an ALLOW counts unless a DENY covers its whole pattern.
func TestIndexCheckAny(t *testing.T) {
	x := NewIndex([]Binding{
		bind(Topic, "a", Prefixed, "User:alice", "*", Write, Allow),
		bind(Topic, "ab", Prefixed, "User:alice", "*", Write, Deny),
		bind(Topic, "b", Literal, "User:bob", "*", Write, Allow),
		bind(Topic, "*", Literal, "User:bob", "*", Write, Deny),
	})
	if ok, _ := x.CheckAny(alice, "h", Write, Topic); !ok {
		t.Error("alice: WRITE on prefix a is not all denied, yet refused")
	}
	if ok, _ := x.CheckAny(bob, "h", Write, Topic); ok {
		t.Error("bob: the wildcard DENY covers every topic, yet allowed")
	}
	if ok, found := x.CheckAny(alice, "h", Read, Group); ok || found {
		t.Errorf("no group ACLs: allowed %v found %v", ok, found)
	}
}

// TestFilterMatches proves Kafka's filter semantics: ANY compares names as
// given, MATCH selects every ACL that applies to the named resource, nil
// fields match anything.
func TestFilterMatches(t *testing.T) {
	lit := bind(Topic, "orders", Literal, "User:alice", "*", Read, Allow)
	wild := bind(Topic, "*", Literal, "User:alice", "*", Read, Allow)
	pre := bind(Topic, "ord", Prefixed, "User:alice", "*", Read, Allow)
	name := func(s string) *string { return &s }
	cases := []struct {
		f    Filter
		want [3]bool // lit, wild, pre
	}{
		{Filter{ResourceType: AnyResource, PatternType: AnyPattern, Operation: AnyOperation, Permission: AnyPermission}, [3]bool{true, true, true}},
		{Filter{ResourceType: Topic, Name: name("orders"), PatternType: AnyPattern, Operation: AnyOperation, Permission: AnyPermission}, [3]bool{true, false, false}},
		{Filter{ResourceType: Topic, Name: name("orders"), PatternType: Match, Operation: AnyOperation, Permission: AnyPermission}, [3]bool{true, true, true}},
		{Filter{ResourceType: Topic, Name: name("ord"), PatternType: Prefixed, Operation: AnyOperation, Permission: AnyPermission}, [3]bool{false, false, true}},
		{Filter{ResourceType: Group, PatternType: AnyPattern, Operation: AnyOperation, Permission: AnyPermission}, [3]bool{}},
		{Filter{ResourceType: Topic, PatternType: Literal, Principal: name("User:bob"), Operation: AnyOperation, Permission: AnyPermission}, [3]bool{}},
		{Filter{ResourceType: Topic, PatternType: Literal, Operation: Read, Permission: Allow}, [3]bool{true, true, false}},
	}
	for i, c := range cases {
		got := [3]bool{c.f.Matches(lit), c.f.Matches(wild), c.f.Matches(pre)}
		if got != c.want {
			t.Errorf("filter %d: %v, want %v", i, got, c.want)
		}
	}
}

// TestBindingValidate proves the bindings Kafka refuses to store are refused.
func TestBindingValidate(t *testing.T) {
	ok := bind(Topic, "t", Literal, "User:a", "*", Read, Allow)
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []Binding{
		bind(Topic, "t", Match, "User:a", "*", Read, Allow),
		bind(AnyResource, "t", Literal, "User:a", "*", Read, Allow),
		bind(Topic, "t", Literal, "User:a", "*", AnyOperation, Allow),
		bind(Topic, "t", Literal, "User:a", "*", Read, AnyPermission),
		bind(Topic, "", Literal, "User:a", "*", Read, Allow),
		bind(Topic, "t", Literal, "a", "*", Read, Allow),
		bind(Cluster, "c", Literal, "User:a", "*", Read, Allow),
	}
	for _, b := range bad {
		if b.Validate() == nil {
			t.Errorf("%s validated", b)
		}
	}
}

// BenchmarkCheck measures one authorization check with 1,000 ACLs loaded:
// literal ACLs on 500 topics, prefixed ACLs on 400 prefixes of several
// lengths, 100 on groups, checked for a topic covered by a prefix.
func BenchmarkCheck(b *testing.B) {
	var bindings []Binding
	for i := range 500 {
		bindings = append(bindings, bind(Topic, fmt.Sprintf("topic-%d", i), Literal, fmt.Sprintf("User:u%d", i%50), "*", Write, Allow))
	}
	for i := range 400 {
		bindings = append(bindings, bind(Topic, fmt.Sprintf("team%d.", i), Prefixed, fmt.Sprintf("User:u%d", i%50), "*", Read, Allow))
	}
	for i := range 100 {
		bindings = append(bindings, bind(Group, fmt.Sprintf("g%d", i), Literal, "User:*", "*", Read, Allow))
	}
	x := NewIndex(bindings)
	if x.Len() != 1000 {
		b.Fatalf("%d ACLs indexed", x.Len())
	}
	p := Principal{Type: "User", Name: "u7"}
	r := Resource{Type: Topic, Name: "team7.orders.v2"}
	b.ReportAllocs()
	for b.Loop() {
		if !x.Check(p, "10.1.2.3", Describe, r).Allowed {
			b.Fatal("denied")
		}
	}
}
