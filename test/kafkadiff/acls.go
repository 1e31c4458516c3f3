package kafkadiff

import "github.com/twmb/franz-go/pkg/kmsg"

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
	out = append(out, s.do(describe, ver(29)))
	del := kmsg.NewPtrDeleteACLsRequest()
	f := kmsg.NewDeleteACLsRequestFilter()
	f.ResourceType, f.ResourcePatternType = kmsg.ACLResourceTypeTopic, kmsg.ACLResourcePatternTypePrefixed
	f.Principal = kmsg.StringPtr(principal)
	f.Operation, f.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	del.Filters = append(del.Filters, f)
	out = append(out, s.do(del, ver(31)))
	return append(out, s.do(describe, ver(29)))
}
