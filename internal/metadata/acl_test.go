package metadata

import (
	"testing"

	"gregor/internal/acl"
	"gregor/internal/kafka"
)

// TestApplyACLs proves that ACL records survive encoding, build the image's
// ACLs and its index, leave earlier images unchanged, and that removing an
// unknown ACL is refused as a damaged log.
func TestApplyACLs(t *testing.T) {
	id := kafka.NewTopicID()
	b := acl.Binding{Pattern: acl.Pattern{Type: acl.Topic, Name: "t", PatternType: acl.Literal},
		Entry: acl.Entry{Principal: "User:alice", Host: "*", Operation: acl.Read, Permission: acl.Allow}}
	rec, err := Decode(Record{Type: TypeACL, ACL: &ACLRecord{ID: id, Binding: b}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	img, err := Empty().Apply([]Record{rec})
	if err != nil {
		t.Fatal(err)
	}
	alice := acl.Principal{Type: "User", Name: "alice"}
	if got := img.ACLs(); len(got) != 1 || got[0].ID != id || got[0].Binding != b {
		t.Fatalf("ACLs = %+v", got)
	}
	if !img.ACLIndex().Check(alice, "h", acl.Read, acl.Resource{Type: acl.Topic, Name: "t"}).Allowed {
		t.Fatal("index does not allow the stored ACL")
	}
	next, err := img.Apply([]Record{{Type: TypeRemoveACL, RemoveACL: &RemoveACLRecord{ID: id}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(next.ACLs()) != 0 || next.ACLIndex().Len() != 0 || len(img.ACLs()) != 1 || img.ACLIndex().Len() != 1 {
		t.Fatalf("after removal: %d ACLs, index %d; before: %d, index %d", len(next.ACLs()), next.ACLIndex().Len(), len(img.ACLs()), img.ACLIndex().Len())
	}
	if _, err := next.Apply([]Record{{Type: TypeRemoveACL, RemoveACL: &RemoveACLRecord{ID: id}}}); err == nil {
		t.Fatal("removing an unknown ACL applied")
	}
}
