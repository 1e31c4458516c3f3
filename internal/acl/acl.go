package acl

import (
	"fmt"
	"strings"
)

// Operation is an ACL operation (Kafka's AclOperation), numbered by its wire code.
type Operation int8

// Kafka's ACL operations and their codes.
const (
	UnknownOperation Operation = 0
	AnyOperation     Operation = 1 // matches any operation in a filter
	All              Operation = 2
	Read             Operation = 3
	Write            Operation = 4
	Create           Operation = 5
	Delete           Operation = 6
	Alter            Operation = 7
	Describe         Operation = 8
	ClusterAction    Operation = 9
	DescribeConfigs  Operation = 10
	AlterConfigs     Operation = 11
	IdempotentWrite  Operation = 12
	CreateTokens     Operation = 13
	DescribeTokens   Operation = 14
)

var operationNames = [...]string{
	"UNKNOWN", "ANY", "ALL", "READ", "WRITE", "CREATE", "DELETE", "ALTER", "DESCRIBE",
	"CLUSTER_ACTION", "DESCRIBE_CONFIGS", "ALTER_CONFIGS", "IDEMPOTENT_WRITE", "CREATE_TOKENS", "DESCRIBE_TOKENS",
}

// String returns Kafka's name of the operation, e.g. IDEMPOTENT_WRITE.
func (o Operation) String() string {
	if o >= 0 && int(o) < len(operationNames) {
		return operationNames[o]
	}
	return fmt.Sprintf("Operation(%d)", int8(o))
}

// ResourceType is the type of a resource an ACL protects (Kafka's
// ResourceType), numbered by its wire code.
type ResourceType int8

// Kafka's resource types and their codes.
const (
	UnknownResource ResourceType = 0
	AnyResource     ResourceType = 1 // matches any resource type in a filter
	Topic           ResourceType = 2
	Group           ResourceType = 3
	Cluster         ResourceType = 4
	TransactionalID ResourceType = 5
	DelegationToken ResourceType = 6
	User            ResourceType = 7
)

var resourceTypeNames = [...]string{
	"UNKNOWN", "ANY", "TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID", "DELEGATION_TOKEN", "USER",
}

// String returns Kafka's name of the resource type, e.g. TRANSACTIONAL_ID.
func (r ResourceType) String() string {
	if r >= 0 && int(r) < len(resourceTypeNames) {
		return resourceTypeNames[r]
	}
	return fmt.Sprintf("ResourceType(%d)", int8(r))
}

// Check is one operation on one type of resource, as a row of Kafka's table
// "Operations and Resources on Protocols" pairs them: WRITE on TOPIC.
type Check struct {
	Operation Operation
	Resource  ResourceType
}

// On pairs an operation with the resource type it applies to.
func (o Operation) On(r ResourceType) Check { return Check{Operation: o, Resource: r} }

func (c Check) String() string { return c.Operation.String() + " on " + c.Resource.String() }

// Requirement is what an API's registration declares about authorization:
// every check serving it may make (some only in certain cases, as Kafka's
// table notes: IDEMPOTENT_WRITE on CLUSTER only for an idempotent producer),
// or explicitly none. The zero value is "not declared", so that a forgotten
// declaration can be told from a deliberate None.
type Requirement struct {
	Checks []Check
	none   bool
}

// None declares that an API is served without authorization, as Kafka
// serves ApiVersions and the SASL handshake: they run before a client is
// authenticated.
var None = Requirement{none: true}

// Requires declares the checks an API may make. It panics without any: an
// API that needs none declares None.
func Requires(checks ...Check) Requirement {
	if len(checks) == 0 {
		panic("acl.Requires without checks: declare acl.None instead")
	}
	return Requirement{Checks: checks}
}

// Declared reports whether the requirement was declared at all.
func (r Requirement) Declared() bool { return r.none || len(r.Checks) > 0 }

// Unauthorized reports whether the requirement is an explicit None.
func (r Requirement) Unauthorized() bool { return r.none }

func (r Requirement) String() string {
	switch {
	case r.none:
		return "none"
	case len(r.Checks) == 0:
		return "undeclared"
	}
	s := make([]string, len(r.Checks))
	for i, c := range r.Checks {
		s[i] = c.String()
	}
	return strings.Join(s, ", ")
}

// Principal is the identity a connection acts as, in Kafka's form
// type:name ("User:alice"). ACLs name principals this way.
type Principal struct {
	Type string
	Name string
}

// Anonymous is the principal of a connection that has not authenticated:
// every connection until SASL or TLS client authentication exists.
var Anonymous = Principal{Type: "User", Name: "ANONYMOUS"}

func (p Principal) String() string { return p.Type + ":" + p.Name }
