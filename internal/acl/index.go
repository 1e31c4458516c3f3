package acl

import (
	"slices"
	"strings"
)

// Index holds a set of ACLs arranged for authorization checks: literal
// patterns by resource, prefixed patterns by resource type and prefix with
// the prefix lengths in use, so that a check looks up the resource's name,
// the wildcard and one candidate prefix per distinct length, never
// scanning ACLs about other resources. It is immutable once built and safe
// for concurrent use.
type Index struct {
	literal    map[Resource][]rule // by (type, name); Wildcard as a name
	prefixed   map[Resource][]rule // by (type, prefix)
	prefixLens map[ResourceType][]int
	byType     map[ResourceType][]typedRule
}

// rule is an entry with its principal parsed, compared without allocation.
type rule struct {
	principal  Principal
	host       string
	operation  Operation
	permission Permission
}

// typedRule is a rule with its pattern, for checks over a resource type.
type typedRule struct {
	rule
	pattern Pattern
}

// NewIndex arranges bindings for checks. Bindings that do not Validate are
// left out: the controller never stores one.
func NewIndex(bindings []Binding) *Index {
	x := &Index{
		literal: map[Resource][]rule{}, prefixed: map[Resource][]rule{},
		prefixLens: map[ResourceType][]int{}, byType: map[ResourceType][]typedRule{},
	}
	for _, b := range bindings {
		if b.Validate() != nil {
			continue
		}
		p, _ := ParsePrincipal(b.Entry.Principal)
		r := rule{principal: p, host: b.Entry.Host, operation: b.Entry.Operation, permission: b.Entry.Permission}
		key := Resource{Type: b.Pattern.Type, Name: b.Pattern.Name}
		if b.Pattern.PatternType == Prefixed {
			x.prefixed[key] = append(x.prefixed[key], r)
			if lens := x.prefixLens[key.Type]; !slices.Contains(lens, len(key.Name)) {
				x.prefixLens[key.Type] = append(lens, len(key.Name))
			}
		} else {
			x.literal[key] = append(x.literal[key], r)
		}
		x.byType[key.Type] = append(x.byType[key.Type], typedRule{rule: r, pattern: b.Pattern})
	}
	return x
}

// Verdict is what the ACLs of an Index say about one check.
type Verdict struct {
	Allowed bool // an ALLOW matched and no DENY did
	Found   bool // some ACL applies to the resource, whoever it names
}

// Check returns what the ACLs say about principal p, from host, doing op
// on r: DENY wins over ALLOW; an ALLOW of ALL allows every operation, one
// of READ, WRITE, DELETE or ALTER also DESCRIBE, one of ALTER_CONFIGS also
// DESCRIBE_CONFIGS (Kafka's implied operations); a DENY denies its own
// operation, or every one when ALL.
func (x *Index) Check(p Principal, host string, op Operation, r Resource) Verdict {
	var v Verdict
	denied := false
	visit := func(rules []rule) {
		for i := range rules {
			ru := &rules[i]
			v.Found = true
			if !ru.matches(p, host) {
				continue
			}
			if ru.permission == Deny && (ru.operation == op || ru.operation == All) {
				denied = true
			} else if ru.permission == Allow && implies(ru.operation, op) {
				v.Allowed = true
			}
		}
	}
	visit(x.literal[r])
	if r.Name != Wildcard {
		visit(x.literal[Resource{Type: r.Type, Name: Wildcard}])
	}
	for _, n := range x.prefixLens[r.Type] {
		if n <= len(r.Name) {
			visit(x.prefixed[Resource{Type: r.Type, Name: r.Name[:n]}])
		}
	}
	v.Allowed = v.Allowed && !denied
	return v
}

// CheckAny reports whether p, from host, may do op on some resource of
// type t (Kafka's authorizeByResourceType): an ALLOW for it on some
// pattern that no matching DENY covers. found is false when no ACL of the
// type exists at all.
func (x *Index) CheckAny(p Principal, host string, op Operation, t ResourceType) (allowed, found bool) {
	rules := x.byType[t]
	var allows, denies []Pattern
	for i := range rules {
		ru := &rules[i]
		if !ru.matches(p, host) {
			continue
		}
		if ru.permission == Deny && (ru.operation == op || ru.operation == All) {
			denies = append(denies, ru.pattern)
		} else if ru.permission == Allow && implies(ru.operation, op) {
			allows = append(allows, ru.pattern)
		}
	}
	for _, a := range allows {
		if !slices.ContainsFunc(denies, func(d Pattern) bool { return covers(d, a) }) {
			return true, true
		}
	}
	return false, len(rules) > 0
}

// covers reports whether every resource pattern a names is also named by d.
func covers(d, a Pattern) bool {
	switch {
	case d.PatternType == Literal && d.Name == Wildcard:
		return true
	case d.PatternType == Literal:
		return a.PatternType == Literal && a.Name == d.Name
	}
	return strings.HasPrefix(a.Name, d.Name) && !(a.PatternType == Literal && a.Name == Wildcard)
}

// Len returns the number of ACLs in the index.
func (x *Index) Len() int {
	n := 0
	for _, rules := range x.byType {
		n += len(rules)
	}
	return n
}

func (r *rule) matches(p Principal, host string) bool {
	if r.principal != p && r.principal != wildcardPrincipal {
		return false
	}
	return r.host == Wildcard || r.host == host
}

// wildcardPrincipal in an ACL matches every principal (Kafka's User:*).
var wildcardPrincipal = Principal{Type: "User", Name: Wildcard}

// implies reports whether an ALLOW of granted allows op.
func implies(granted, op Operation) bool {
	switch {
	case granted == op || granted == All:
		return true
	case op == Describe:
		return granted == Read || granted == Write || granted == Delete || granted == Alter
	case op == DescribeConfigs:
		return granted == AlterConfigs
	}
	return false
}
