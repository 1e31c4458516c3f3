package acl

import "testing"

// TestCodes proves that operations and resource types carry Kafka's wire
// codes (AclOperation and ResourceType in Kafka's clients) and names.
func TestCodes(t *testing.T) {
	ops := map[Operation]string{
		0: "UNKNOWN", 1: "ANY", 2: "ALL", 3: "READ", 4: "WRITE", 5: "CREATE", 6: "DELETE", 7: "ALTER",
		8: "DESCRIBE", 9: "CLUSTER_ACTION", 10: "DESCRIBE_CONFIGS", 11: "ALTER_CONFIGS",
		12: "IDEMPOTENT_WRITE", 13: "CREATE_TOKENS", 14: "DESCRIBE_TOKENS",
	}
	for code, name := range ops {
		if got := code.String(); got != name {
			t.Errorf("operation %d = %s, want %s", int8(code), got, name)
		}
	}
	named := map[Operation]Operation{Read: 3, Write: 4, Create: 5, Delete: 6, Alter: 7, Describe: 8,
		ClusterAction: 9, DescribeConfigs: 10, AlterConfigs: 11, IdempotentWrite: 12, All: 2}
	for op, code := range named {
		if op != code {
			t.Errorf("%s has code %d, want %d", op, int8(op), int8(code))
		}
	}
	types := map[ResourceType]string{0: "UNKNOWN", 1: "ANY", 2: "TOPIC", 3: "GROUP", 4: "CLUSTER",
		5: "TRANSACTIONAL_ID", 6: "DELEGATION_TOKEN", 7: "USER"}
	for code, name := range types {
		if got := code.String(); got != name {
			t.Errorf("resource type %d = %s, want %s", int8(code), got, name)
		}
	}
	if Topic != 2 || Group != 3 || Cluster != 4 || TransactionalID != 5 {
		t.Errorf("resource type codes: topic %d group %d cluster %d transactional id %d", Topic, Group, Cluster, TransactionalID)
	}
}

// TestRequirement proves that a forgotten declaration is told apart from an
// explicit None, and that an empty Requires is refused.
func TestRequirement(t *testing.T) {
	var zero Requirement
	if zero.Declared() || !None.Declared() || !None.Unauthorized() {
		t.Fatalf("zero declared %v, None declared %v unauthorized %v", zero.Declared(), None.Declared(), None.Unauthorized())
	}
	r := Requires(Write.On(Topic), IdempotentWrite.On(Cluster))
	if !r.Declared() || r.Unauthorized() || r.String() != "WRITE on TOPIC, IDEMPOTENT_WRITE on CLUSTER" {
		t.Fatalf("Requires: %v", r)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Requires() without checks did not panic")
		}
	}()
	Requires()
}

// TestAnonymous proves the unauthenticated principal is Kafka's User:ANONYMOUS.
func TestAnonymous(t *testing.T) {
	if got := Anonymous.String(); got != "User:ANONYMOUS" {
		t.Fatalf("Anonymous = %s", got)
	}
}
