package handler

import (
	"slices"
	"testing"

	"gregor/internal/acl"
)

// kafkaAuthorization is Kafka's table "Operations and Resources on
// Protocols" (docs/security.html) for the API keys Gregor serves, written
// out independently of the registrations. Keys 60, 68 and 69 are newer than
// the table; their rows follow what Kafka's broker checks (KafkaApis and
// AuthHelper): DescribeCluster checks DESCRIBE on CLUSTER before listing
// the cluster's authorized operations, ConsumerGroupHeartbeat READ on the
// group and DESCRIBE on the subscribed topics, ConsumerGroupDescribe
// DESCRIBE on the group and on its members' topics.
var kafkaAuthorization = map[int16][]acl.Check{
	0:  {acl.Write.On(acl.TransactionalID), acl.IdempotentWrite.On(acl.Cluster), acl.Write.On(acl.Topic)},
	1:  {acl.ClusterAction.On(acl.Cluster), acl.Read.On(acl.Topic)},
	2:  {acl.Describe.On(acl.Topic)},
	3:  {acl.Describe.On(acl.Topic), acl.Create.On(acl.Cluster), acl.Create.On(acl.Topic)},
	8:  {acl.Read.On(acl.Group), acl.Read.On(acl.Topic)},
	9:  {acl.Describe.On(acl.Group), acl.Describe.On(acl.Topic)},
	10: {acl.Describe.On(acl.Group), acl.Describe.On(acl.TransactionalID)},
	11: {acl.Read.On(acl.Group)},
	12: {acl.Read.On(acl.Group)},
	13: {acl.Read.On(acl.Group)},
	14: {acl.Read.On(acl.Group)},
	15: {acl.Describe.On(acl.Group)},
	16: {acl.Describe.On(acl.Cluster), acl.Describe.On(acl.Group)},
	17: nil, // SASL, before authentication
	18: nil, // part of the handshake, before authentication: no authorization
	19: {acl.Create.On(acl.Cluster), acl.Create.On(acl.Topic)},
	20: {acl.Delete.On(acl.Topic)},
	21: {acl.Delete.On(acl.Topic)},
	22: {acl.Write.On(acl.TransactionalID), acl.IdempotentWrite.On(acl.Cluster), acl.Write.On(acl.Topic)}, // WRITE on any topic stands for IDEMPOTENT_WRITE (KIP-679)
	23: {acl.ClusterAction.On(acl.Cluster), acl.Describe.On(acl.Topic)},
	24: {acl.Write.On(acl.TransactionalID), acl.Write.On(acl.Topic), acl.ClusterAction.On(acl.Cluster)}, // ClusterAction: v4+, from brokers
	25: {acl.Write.On(acl.TransactionalID), acl.Read.On(acl.Group)},
	26: {acl.Write.On(acl.TransactionalID)},
	27: {acl.Alter.On(acl.Cluster), acl.ClusterAction.On(acl.Cluster)}, // ALTER: Kafka 3.8+ (KIP-1037), for Admin.abortTransaction
	28: {acl.Write.On(acl.TransactionalID), acl.Read.On(acl.Group), acl.Read.On(acl.Topic)},
	29: {acl.Describe.On(acl.Cluster)},
	30: {acl.Alter.On(acl.Cluster)},
	31: {acl.Alter.On(acl.Cluster)},
	32: {acl.DescribeConfigs.On(acl.Cluster), acl.DescribeConfigs.On(acl.Topic), acl.DescribeConfigs.On(acl.Group)},
	34: {acl.Alter.On(acl.Cluster)},
	35: {acl.Describe.On(acl.Cluster)},
	33: {acl.AlterConfigs.On(acl.Cluster), acl.AlterConfigs.On(acl.Topic), acl.AlterConfigs.On(acl.Group)},
	36: nil, // SASL, before authentication
	37: {acl.Alter.On(acl.Topic)},
	38: {acl.CreateTokens.On(acl.User)}, // KIP-373: only for a token of another owner
	39: nil,                             // the token's owner or a renewer, not an ACL
	40: nil,                             // likewise
	41: {acl.Describe.On(acl.DelegationToken), acl.DescribeTokens.On(acl.User)},
	42: {acl.Delete.On(acl.Group)},
	43: {acl.Alter.On(acl.Cluster)},
	44: {acl.AlterConfigs.On(acl.Cluster), acl.AlterConfigs.On(acl.Topic), acl.AlterConfigs.On(acl.Group)},
	45: {acl.Alter.On(acl.Cluster)},
	46: {acl.Describe.On(acl.Cluster)},
	47: {acl.Delete.On(acl.Group), acl.Read.On(acl.Topic)},
	48: {acl.DescribeConfigs.On(acl.Cluster)},
	49: {acl.AlterConfigs.On(acl.Cluster)},
	50: {acl.Describe.On(acl.Cluster)},
	51: {acl.Alter.On(acl.Cluster)},
	55: {acl.Describe.On(acl.Cluster)}, // KafkaApis.handleDescribeQuorum: DESCRIBE on CLUSTER
	57: {acl.Alter.On(acl.Cluster)},    // ControllerApis.handleUpdateFeatures: ALTER on CLUSTER
	60: {acl.Describe.On(acl.Cluster)},
	61: {acl.Read.On(acl.Topic)},
	64: {acl.Alter.On(acl.Cluster)}, // ControllerApis.handleUnregisterBroker: ALTER on CLUSTER
	65: {acl.Describe.On(acl.TransactionalID), acl.Describe.On(acl.Topic)},
	66: {acl.Describe.On(acl.TransactionalID)},
	68: {acl.Read.On(acl.Group), acl.Describe.On(acl.Topic)},
	69: {acl.Describe.On(acl.Group), acl.Describe.On(acl.Topic)},
	74: {acl.DescribeConfigs.On(acl.Cluster)}, // handleListConfigResources: DESCRIBE_CONFIGS on CLUSTER
	75: {acl.Describe.On(acl.Topic)},          // DescribeTopicPartitionsRequestHandler: DESCRIBE on each TOPIC
}

// TestEveryAPIDeclaresAuthorization proves that every registered API
// declares the authorization it needs, and that each declaration is the
// set of checks Kafka's table gives for that API: an authorizer that
// enforces the declarations therefore covers every API as Kafka does.
func TestEveryAPIDeclaresAuthorization(t *testing.T) {
	for key, a := range apis {
		want, known := kafkaAuthorization[key]
		switch {
		case !known:
			t.Errorf("api key %d is registered but has no row in kafkaAuthorization: add Kafka's", key)
		case !a.authorization.Declared():
			t.Errorf("api key %d declares no authorization", key)
		case len(want) == 0 && !a.authorization.Unauthorized():
			t.Errorf("api key %d declares %v, Kafka authorizes nothing", key, a.authorization)
		case !sameChecks(a.authorization.Checks, want):
			t.Errorf("api key %d declares %v, Kafka checks %v", key, a.authorization, acl.Requirement{Checks: want})
		}
	}
	for key := range kafkaAuthorization {
		if _, ok := apis[key]; !ok {
			t.Errorf("kafkaAuthorization has api key %d, which is not registered", key)
		}
	}
}

// sameChecks reports whether a and b hold the same checks in any order.
func sameChecks(a, b []acl.Check) bool {
	less := func(x, y acl.Check) int {
		if x.Resource != y.Resource {
			return int(x.Resource) - int(y.Resource)
		}
		return int(x.Operation) - int(y.Operation)
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.SortFunc(a, less)
	slices.SortFunc(b, less)
	return slices.Equal(a, b)
}

// TestRegisterRefusesUndeclared proves a registration without a
// declaration panics at start-up rather than serving an API no authorizer
// would know about.
func TestRegisterRefusesUndeclared(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("register with an undeclared requirement did not panic")
		}
	}()
	register(-1, 0, 0, acl.Requirement{}, nil)
}
