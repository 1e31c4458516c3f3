package handler

// The ACL APIs' shared translations between kmsg's ACL fields and acl's
// bindings and filters.

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/acl"
)

// aclFilter builds a filter from the fields of DescribeAcls and of a
// DeleteAcls filter.
func aclFilter(rt kmsg.ACLResourceType, name *string, pt kmsg.ACLResourcePatternType, principal, host *string, op kmsg.ACLOperation, perm kmsg.ACLPermissionType) acl.Filter {
	return acl.Filter{
		ResourceType: acl.ResourceType(rt), Name: name, PatternType: acl.PatternType(pt),
		Principal: principal, Host: host, Operation: acl.Operation(op), Permission: acl.Permission(perm),
	}
}

// aclBinding builds the binding a CreateAcls creation asks for.
func aclBinding(c kmsg.CreateACLsRequestCreation) acl.Binding {
	return acl.Binding{
		Pattern: acl.Pattern{Type: acl.ResourceType(c.ResourceType), Name: c.ResourceName, PatternType: acl.PatternType(c.ResourcePatternType)},
		Entry:   acl.Entry{Principal: c.Principal, Host: c.Host, Operation: acl.Operation(c.Operation), Permission: acl.Permission(c.PermissionType)},
	}
}

// errSecurityDisabled answers the ACL APIs on a node without an
// authorizer, as Kafka does.
func errSecurityDisabled() *string { return kmsg.StringPtr("No Authorizer is configured.") }
