package handler

import "gregor/internal/acl"

// The checks that registrations declare, named operation-on-resource as
// Kafka's table "Operations and Resources on Protocols" (docs/security.html)
// pairs them. An API's declaration lists every check serving it may make,
// including those Kafka makes only in some cases (a transactional producer,
// a follower fetch, topic auto-creation); authorization_test.go holds the
// table they are checked against. Every check an API makes goes through
// authorize.go, which refuses a check its API does not declare.
var (
	readOnTopic            = acl.Read.On(acl.Topic)
	writeOnTopic           = acl.Write.On(acl.Topic)
	createOnTopic          = acl.Create.On(acl.Topic)
	deleteOnTopic          = acl.Delete.On(acl.Topic)
	alterOnTopic           = acl.Alter.On(acl.Topic)
	describeOnTopic        = acl.Describe.On(acl.Topic)
	describeConfigsOnTopic = acl.DescribeConfigs.On(acl.Topic)
	alterConfigsOnTopic    = acl.AlterConfigs.On(acl.Topic)

	readOnGroup     = acl.Read.On(acl.Group)
	deleteOnGroup   = acl.Delete.On(acl.Group)
	describeOnGroup = acl.Describe.On(acl.Group)

	describeConfigsOnGroup = acl.DescribeConfigs.On(acl.Group)
	alterConfigsOnGroup    = acl.AlterConfigs.On(acl.Group)

	createOnCluster          = acl.Create.On(acl.Cluster)
	describeOnCluster        = acl.Describe.On(acl.Cluster)
	alterOnCluster           = acl.Alter.On(acl.Cluster)
	clusterActionOnCluster   = acl.ClusterAction.On(acl.Cluster)
	describeConfigsOnCluster = acl.DescribeConfigs.On(acl.Cluster)
	alterConfigsOnCluster    = acl.AlterConfigs.On(acl.Cluster)
	idempotentWriteOnCluster = acl.IdempotentWrite.On(acl.Cluster)

	writeOnTransactionalID    = acl.Write.On(acl.TransactionalID)
	describeOnTransactionalID = acl.Describe.On(acl.TransactionalID)
)

// requires declares the checks an API may make.
func requires(checks ...acl.Check) acl.Requirement { return acl.Requires(checks...) }

// noAuthorization declares an API served before and without authorization,
// as Kafka serves ApiVersions.
var noAuthorization = acl.None

// Authorization returns the requirement the API with key declares, for
// tests that drive every API (the deny matrix); the zero Requirement for a
// key not registered.
func Authorization(key int16) acl.Requirement { return apis[key].authorization }
