package metadata

import (
	"maps"
	"slices"

	"gregor/internal/acl"
	"gregor/internal/kafka"
)

// Record types of ACLs (Kafka's AccessControlEntryRecord and
// RemoveAccessControlEntryRecord).
const (
	TypeACL       RecordType = "acl"
	TypeRemoveACL RecordType = "remove_acl"
)

// ACLRecord creates one ACL under an id the controller chose.
type ACLRecord struct {
	ID      kafka.TopicID `json:"id"` // a UUID, as Kafka's
	Binding acl.Binding   `json:"binding"`
}

// RemoveACLRecord deletes the ACL with ID.
type RemoveACLRecord struct {
	ID kafka.TopicID `json:"id"`
}

// ACL is one stored ACL and its id.
type ACL struct {
	ID      kafka.TopicID
	Binding acl.Binding
}

// ACLs returns every stored ACL, in id order.
func (img *Image) ACLs() []ACL {
	out := make([]ACL, 0, len(img.acls))
	for _, id := range slices.SortedFunc(maps.Keys(img.acls), func(a, b kafka.TopicID) int { return cmpString(a.String(), b.String()) }) {
		out = append(out, ACL{ID: id, Binding: img.acls[id]})
	}
	return out
}

// ACLIndex returns the stored ACLs arranged for authorization checks. It
// is built once per image that changed them and shared.
func (img *Image) ACLIndex() *acl.Index {
	if img.aclIndex == nil {
		return emptyACLIndex
	}
	return img.aclIndex
}

var emptyACLIndex = acl.NewIndex(nil)

// applyACL adds or removes one ACL, copying the set on the first change
// within one Apply.
func (img *Image) applyACL(r Record) error {
	if !img.aclsCopied {
		img.acls, img.aclsCopied = maps.Clone(img.acls), true
		if img.acls == nil {
			img.acls = map[kafka.TopicID]acl.Binding{}
		}
	}
	if r.ACL != nil {
		img.acls[r.ACL.ID] = r.ACL.Binding
		return nil
	}
	if _, ok := img.acls[r.RemoveACL.ID]; !ok {
		return errUnknownACL(r.RemoveACL.ID)
	}
	delete(img.acls, r.RemoveACL.ID)
	return nil
}

// finishACLs rebuilds the index after an Apply that changed the ACLs.
func (img *Image) finishACLs() {
	if !img.aclsCopied {
		return
	}
	img.aclsCopied = false
	bindings := make([]acl.Binding, 0, len(img.acls))
	for _, b := range img.acls {
		bindings = append(bindings, b)
	}
	img.aclIndex = acl.NewIndex(bindings)
}
