package acl

import (
	"fmt"
	"strings"
)

// PatternType is how an ACL's resource name matches resources (Kafka's
// PatternType), numbered by its wire code.
type PatternType int8

// Kafka's pattern types and their codes. ANY and MATCH appear only in
// filters.
const (
	UnknownPattern PatternType = 0
	AnyPattern     PatternType = 1 // a filter: any pattern type, names compared as given
	Match          PatternType = 2 // a filter: every ACL that would apply to the named resource
	Literal        PatternType = 3 // the name itself, or every resource when it is Wildcard
	Prefixed       PatternType = 4 // every resource whose name starts with the name
)

var patternTypeNames = [...]string{"UNKNOWN", "ANY", "MATCH", "LITERAL", "PREFIXED"}

// String returns Kafka's name of the pattern type, e.g. PREFIXED.
func (p PatternType) String() string {
	if p >= 0 && int(p) < len(patternTypeNames) {
		return patternTypeNames[p]
	}
	return fmt.Sprintf("PatternType(%d)", int8(p))
}

// Permission is whether an ACL allows or denies (Kafka's AclPermissionType).
type Permission int8

// Kafka's permission types and their codes. ANY appears only in filters.
const (
	UnknownPermission Permission = 0
	AnyPermission     Permission = 1
	Deny              Permission = 2
	Allow             Permission = 3
)

var permissionNames = [...]string{"UNKNOWN", "ANY", "DENY", "ALLOW"}

// String returns Kafka's name of the permission, e.g. ALLOW.
func (p Permission) String() string {
	if p >= 0 && int(p) < len(permissionNames) {
		return permissionNames[p]
	}
	return fmt.Sprintf("Permission(%d)", int8(p))
}

// Wildcard is the name of a literal pattern, a principal's name or a host
// that matches every resource, principal or host.
const Wildcard = "*"

// ClusterName is the name of the one CLUSTER resource.
const ClusterName = "kafka-cluster"

// Resource is one resource a request acts on: the topic "orders".
type Resource struct {
	Type ResourceType
	Name string
}

// Pattern is the resources an ACL applies to.
type Pattern struct {
	Type        ResourceType `json:"resource_type"`
	Name        string       `json:"name"`
	PatternType PatternType  `json:"pattern_type"`
}

// Entry is who an ACL is about and what it allows or denies: the principal
// ("User:alice", "User:*"), the host ("*" for any), the operation and the
// permission.
type Entry struct {
	Principal  string     `json:"principal"`
	Host       string     `json:"host"`
	Operation  Operation  `json:"operation"`
	Permission Permission `json:"permission"`
}

// Binding is one ACL: an entry bound to a pattern (Kafka's AclBinding).
type Binding struct {
	Pattern Pattern `json:"pattern"`
	Entry   Entry   `json:"entry"`
}

func (b Binding) String() string {
	return fmt.Sprintf("(principal=%s, host=%s, operation=%s, permissionType=%s) on %s:%s:%s",
		b.Entry.Principal, b.Entry.Host, b.Entry.Operation, b.Entry.Permission,
		b.Pattern.Type, b.Pattern.PatternType, b.Pattern.Name)
}

// Validate reports why b cannot be stored, as Kafka refuses a new ACL: a
// pattern that is neither LITERAL nor PREFIXED, a filter-only or unknown
// type, an empty name, a principal not of the form type:name.
func (b Binding) Validate() error {
	p, e := b.Pattern, b.Entry
	switch {
	case p.PatternType != Literal && p.PatternType != Prefixed:
		return fmt.Errorf("invalid pattern type %s", p.PatternType)
	case p.Type <= AnyResource || p.Type > User:
		return fmt.Errorf("invalid resource type %s", p.Type)
	case e.Operation <= AnyOperation || e.Operation > DescribeTokens:
		return fmt.Errorf("invalid operation %s", e.Operation)
	case e.Permission != Allow && e.Permission != Deny:
		return fmt.Errorf("invalid permission type %s", e.Permission)
	case p.Name == "":
		return fmt.Errorf("resource name should not be empty")
	case p.Type == Cluster && p.Name != ClusterName:
		return fmt.Errorf("the only valid name for the CLUSTER resource is %s", ClusterName)
	case e.Host == "":
		return fmt.Errorf("host should not be empty")
	}
	_, err := ParsePrincipal(e.Principal)
	return err
}

// ParsePrincipal parses a principal written type:name ("User:alice").
func ParsePrincipal(s string) (Principal, error) {
	typ, name, ok := strings.Cut(s, ":")
	if !ok || typ == "" || name == "" {
		return Principal{}, fmt.Errorf("invalid principal %q: expected type:name", s)
	}
	return Principal{Type: typ, Name: name}, nil
}

// Filter selects ACLs (Kafka's AclBindingFilter): a nil string matches any
// value, ANY any type, operation, permission or pattern type, and the
// pattern type MATCH every ACL that applies to the named resource.
type Filter struct {
	ResourceType ResourceType
	Name         *string
	PatternType  PatternType
	Principal    *string
	Host         *string
	Operation    Operation
	Permission   Permission
}

// Validate reports why f cannot select anything: an UNKNOWN code in any
// of its fields, as Kafka refuses such a filter.
func (f Filter) Validate() error {
	switch {
	case f.ResourceType == UnknownResource || f.ResourceType > User:
		return fmt.Errorf("invalid resource type %s", f.ResourceType)
	case f.PatternType == UnknownPattern || f.PatternType > Prefixed:
		return fmt.Errorf("invalid pattern type %s", f.PatternType)
	case f.Operation == UnknownOperation || f.Operation > DescribeTokens:
		return fmt.Errorf("invalid operation %s", f.Operation)
	case f.Permission == UnknownPermission || f.Permission > Allow:
		return fmt.Errorf("invalid permission type %s", f.Permission)
	}
	return nil
}

// Matches reports whether f selects b.
func (f Filter) Matches(b Binding) bool {
	return f.matchesPattern(b.Pattern) && f.matchesEntry(b.Entry)
}

func (f Filter) matchesPattern(p Pattern) bool {
	switch {
	case f.ResourceType != AnyResource && f.ResourceType != p.Type:
		return false
	case f.PatternType != AnyPattern && f.PatternType != Match && f.PatternType != p.PatternType:
		return false
	case f.Name == nil:
		return true
	case f.PatternType == AnyPattern || f.PatternType == p.PatternType:
		return *f.Name == p.Name
	case p.PatternType == Literal:
		return *f.Name == p.Name || p.Name == Wildcard
	case p.PatternType == Prefixed:
		return strings.HasPrefix(*f.Name, p.Name)
	}
	return false
}

func (f Filter) matchesEntry(e Entry) bool {
	return (f.Principal == nil || *f.Principal == e.Principal) &&
		(f.Host == nil || *f.Host == e.Host) &&
		(f.Operation == AnyOperation || f.Operation == e.Operation) &&
		(f.Permission == AnyPermission || f.Permission == e.Permission)
}
