package controller

import (
	"errors"
	"testing"

	"gregor/internal/acl"
	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

// TestCreateAndDeleteACLs proves that CreateAcls stores valid bindings once
// (a duplicate succeeds without a second record), refuses invalid ones with
// INVALID_REQUEST, and that DeleteAcls removes what each filter selects,
// answering an ACL two filters select once and refusing an UNKNOWN filter.
func TestCreateAndDeleteACLs(t *testing.T) {
	b := func(name string, pt acl.PatternType, op acl.Operation) acl.Binding {
		return acl.Binding{Pattern: acl.Pattern{Type: acl.Topic, Name: name, PatternType: pt},
			Entry: acl.Entry{Principal: "User:alice", Host: "*", Operation: op, Permission: acl.Allow}}
	}
	img := metadata.Empty()
	recs, resp := createACLs(img, kafka.NewTopicID, CreateACLsRequest{Bindings: []acl.Binding{
		b("a", acl.Literal, acl.Read), b("a", acl.Literal, acl.Read), b("p", acl.Prefixed, acl.Write), b("x", acl.Match, acl.Read),
	}})
	want := []error{nil, nil, nil, ErrInvalidRequest}
	for i, err := range resp.Errs {
		if !errors.Is(err, want[i]) {
			t.Errorf("binding %d: %v, want %v", i, err, want[i])
		}
	}
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	img, err := img.Apply(recs)
	if err != nil {
		t.Fatal(err)
	}
	if recs, _ := createACLs(img, kafka.NewTopicID, CreateACLsRequest{Bindings: []acl.Binding{b("a", acl.Literal, acl.Read)}}); len(recs) != 0 {
		t.Fatalf("a stored binding was stored again: %d records", len(recs))
	}
	name := "ap"
	anyOf := acl.Filter{ResourceType: acl.Topic, PatternType: acl.AnyPattern, Operation: acl.AnyOperation, Permission: acl.AnyPermission}
	match := anyOf
	match.Name, match.PatternType = &name, acl.Match // "ap" is not "a" and does not start with "p": selects nothing
	recs, del := deleteACLs(img, DeleteACLsRequest{Filters: []acl.Filter{match, anyOf, anyOf, {}}})
	if len(del.Results[0].Bindings) != 0 || len(del.Results[1].Bindings) != 2 || len(del.Results[2].Bindings) != 0 || !errors.Is(del.Results[3].Err, ErrInvalidRequest) {
		t.Fatalf("delete results: %+v", del.Results)
	}
	if img, err = img.Apply(recs); err != nil || len(img.ACLs()) != 0 {
		t.Fatalf("after delete: %v, %d ACLs", err, len(img.ACLs()))
	}
}
