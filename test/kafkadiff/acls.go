package kafkadiff

import (
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// aclFlow creates ACLs for a principal of this run (a literal and a
// prefixed topic pattern, a group; not a resource type ANY, which Kafka
// 4.2's controller fails with an IllegalArgumentException, answering
// UNKNOWN_SERVER_ERROR for the whole batch), describes
// them by principal, deletes the prefixed ones and describes again, at the
// versions at names (others at the highest common).
func aclFlow(s *session, at map[int16]int16) any {
	ver := func(key int16) int16 {
		if v, ok := at[key]; ok {
			return v
		}
		return s.max(key)
	}
	principal := "User:" + s.name("u")
	create := kmsg.NewPtrCreateACLsRequest()
	for _, c := range []struct {
		typ     kmsg.ACLResourceType
		name    string
		pattern kmsg.ACLResourcePatternType
		op      kmsg.ACLOperation
	}{
		{kmsg.ACLResourceTypeTopic, s.name("t"), kmsg.ACLResourcePatternTypeLiteral, kmsg.ACLOperationRead},
		{kmsg.ACLResourceTypeTopic, s.name("p"), kmsg.ACLResourcePatternTypePrefixed, kmsg.ACLOperationWrite},
		{kmsg.ACLResourceTypeGroup, s.name("g"), kmsg.ACLResourcePatternTypeLiteral, kmsg.ACLOperationRead},
	} {
		cr := kmsg.NewCreateACLsRequestCreation()
		cr.ResourceType, cr.ResourceName, cr.ResourcePatternType = c.typ, c.name, c.pattern
		cr.Principal, cr.Host, cr.Operation, cr.PermissionType = principal, "*", c.op, kmsg.ACLPermissionTypeAllow
		create.Creations = append(create.Creations, cr)
	}
	out := []any{s.do(create, ver(30))}
	describe := kmsg.NewPtrDescribeACLsRequest()
	describe.ResourceType, describe.ResourcePatternType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny
	describe.Principal = kmsg.StringPtr(principal)
	describe.Operation, describe.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	// Kafka applies ACL changes through its metadata log: wait until the
	// three created show (at most 10 s).
	var created *kmsg.DescribeACLsResponse
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		created = s.do(describe, ver(29)).(*kmsg.DescribeACLsResponse)
		if len(created.Resources) >= 3 || time.Now().After(deadline) {
			break
		}
	}
	out = append(out, created)
	del := kmsg.NewPtrDeleteACLsRequest()
	f := kmsg.NewDeleteACLsRequestFilter()
	f.ResourceType, f.ResourcePatternType = kmsg.ACLResourceTypeTopic, kmsg.ACLResourcePatternTypePrefixed
	f.Principal = kmsg.StringPtr(principal)
	f.Operation, f.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	del.Filters = append(del.Filters, f)
	out = append(out, s.do(del, ver(31)))
	// And until the deleted ones are gone from its answers.
	var after *kmsg.DescribeACLsResponse
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		after = s.do(describe, ver(29)).(*kmsg.DescribeACLsResponse)
		if !slices.ContainsFunc(after.Resources, func(r kmsg.DescribeACLsResponseResource) bool {
			return r.ResourcePatternType == kmsg.ACLResourcePatternTypePrefixed
		}) || time.Now().After(deadline) {
			break
		}
	}
	return append(out, after)
}
