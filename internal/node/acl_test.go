package node_test

import (
	"context"
	"crypto/tls"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"gregor/internal/auth/authtest"
	"gregor/internal/handler"
	"gregor/internal/node/nodetest"
	"gregor/internal/record"
)

const aclJAAS = `org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret" user_alice="alice-secret" user_bob="bob-secret";`

// startACLNode starts a node with an authorizer, a PLAINTEXT listener (its
// principal, User:ANONYMOUS, is a super user as a broker's would be), a
// SASL_PLAINTEXT and a SASL_SSL listener with PLAIN users admin (a super
// user), alice and bob.
func startACLNode(t *testing.T, ca *authtest.CA) (n *nodetest.TestNode, saslPlaintext, saslSSL string) {
	return startSASLNode(t, ca, map[string]string{
		"authorizer.class.name":                     "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"super.users":                               "User:admin;User:ANONYMOUS",
		"sasl.jaas.config":                          aclJAAS,
		"connection.failed.authentication.delay.ms": "0",
		"delegation.token.secret.key":               "matrix-secret",
	})
}

func plainClient(t *testing.T, addr, user, password string, tlsCfg *tls.Config, opts ...kgo.Opt) *kgo.Client {
	opts = append(opts, kgo.SASL(plain.Auth{User: user, Pass: password}.AsMechanism()))
	if tlsCfg != nil {
		opts = append(opts, kgo.DialTLSConfig(tlsCfg))
	}
	return newClient(t, addr, opts...)
}

func addACLs(t *testing.T, adm *kadm.Client, b *kadm.ACLBuilder) {
	t.Helper()
	res, err := adm.CreateACLs(testContext(t), b)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("create ACL %+v: %v", r, r.Err)
		}
	}
}

// TestACLWorkflow proves the ACL APIs and their effect end to end: a user
// without ACLs cannot produce, does not see the topic in Metadata and is
// refused by name; CreateAcls lets it, DescribeAcls lists the ACL with
// Kafka's filter semantics, and DeleteAcls takes the right away again.
func TestACLWorkflow(t *testing.T) {
	n, saslPlaintext, _ := startACLNode(t, authtest.NewCA(t))
	createTopic(t, n.Addr, "orders", 1, nil)
	ctx := testContext(t)
	adm := kadm.NewClient(newClient(t, n.Addr))
	alice := plainClient(t, saslPlaintext, "alice", "alice-secret", nil, kgo.DefaultProduceTopic("orders"),
		kgo.RecordRetries(0), kgo.UnknownTopicRetries(0), kgo.DisableIdempotentWrite())
	err := alice.ProduceSync(ctx, kgo.StringRecord("x")).FirstErr()
	if !errorsIs(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("produce without ACL: %v", err)
	}
	aliceAdm := kadm.NewClient(alice)
	if topics, err := aliceAdm.ListTopics(ctx); err != nil || topics.Has("orders") {
		t.Fatalf("alice lists %v (%v): orders is not hidden", topics.Names(), err)
	}
	addACLs(t, adm, kadm.NewACLs().Allow("User:alice").Topics("ord").ResourcePatternType(kadm.ACLPatternPrefixed).Operations(kadm.OpWrite))
	if err := alice.ProduceSync(ctx, kgo.StringRecord("x")).FirstErr(); err != nil {
		t.Fatalf("produce with a prefixed WRITE: %v", err)
	}
	if topics, err := aliceAdm.ListTopics(ctx); err != nil || !topics.Has("orders") {
		t.Fatalf("alice lists %v (%v): WRITE implies DESCRIBE", topics.Names(), err)
	}
	described, err := adm.DescribeACLs(ctx, kadm.NewACLs().Topics("orders").ResourcePatternType(kadm.ACLPatternMatch).
		Operations(kadm.OpAny).Allow().Deny().AllowHosts().DenyHosts())
	if err != nil || len(described) != 1 || described[0].Err != nil || len(described[0].Described) != 1 {
		t.Fatalf("describe MATCH orders: %+v, %v", described, err)
	}
	if d := described[0].Described[0]; d.Name != "ord" || d.Pattern != kadm.ACLPatternPrefixed || d.Principal != "User:alice" || d.Host != "*" {
		t.Fatalf("described %+v", d)
	}
	refused, err := aliceAdm.DescribeACLs(ctx, kadm.NewACLs().AnyResource().ResourcePatternType(kadm.ACLPatternAny).Operations(kadm.OpAny).Allow().Deny().AllowHosts().DenyHosts())
	if err != nil || len(refused) == 0 || !errorsIs(refused[0].Err, kerr.ClusterAuthorizationFailed) {
		t.Fatalf("alice describes ACLs: %+v, %v", refused, err)
	}
	deleted, err := adm.DeleteACLs(ctx, kadm.NewACLs().Allow("User:alice").Topics("ord").ResourcePatternType(kadm.ACLPatternPrefixed).Operations(kadm.OpAny).AllowHosts())
	if err != nil || len(deleted) != 1 || len(deleted[0].Deleted) != 1 {
		t.Fatalf("delete: %+v, %v", deleted, err)
	}
	waitFor(t, "the deleted ACL to take effect", func() bool {
		return errorsIs(alice.ProduceSync(ctx, kgo.StringRecord("x")).FirstErr(), kerr.TopicAuthorizationFailed)
	})
}

func errorsIs(err error, target *kerr.Error) bool { return errors.Is(err, target) }

// TestReplicaFetchNeedsClusterAction proves that with an authorizer on, a
// replica fetch from the brokers' principal (a super user) is served, and
// one from a principal without CLUSTER_ACTION answers
// TOPIC_AUTHORIZATION_FAILED, as Kafka.
func TestReplicaFetchNeedsClusterAction(t *testing.T) {
	n, saslPlaintext, _ := startACLNode(t, authtest.NewCA(t))
	createTopic(t, n.Addr, "rf", 1, nil)
	broker := newClient(t, n.Addr)
	id := topicID(t, broker, "rf")
	fetch := func(cl *kgo.Client) int16 {
		req := kmsg.NewPtrFetchRequest()
		req.SessionEpoch, req.MaxBytes = -1, 1<<20
		req.ReplicaID, req.ReplicaState.ID = 1, 1 // as the leader itself would never fetch: its own replica id is in the replica set
		p := kmsg.NewFetchRequestTopicPartition()
		p.PartitionMaxBytes, p.LastFetchedEpoch = 1<<20, -1
		req.Topics = []kmsg.FetchRequestTopic{{Topic: "rf", TopicID: id, Partitions: []kmsg.FetchRequestTopicPartition{p}}}
		resp, err := req.RequestWith(testContext(t), cl)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Topics[0].Partitions[0].ErrorCode
	}
	if code := fetch(broker); code == kerr.TopicAuthorizationFailed.Code {
		t.Errorf("replica fetch as the brokers' principal: TOPIC_AUTHORIZATION_FAILED")
	}
	if code := fetch(plainClient(t, saslPlaintext, "alice", "alice-secret", nil)); code != kerr.TopicAuthorizationFailed.Code {
		t.Errorf("replica fetch as alice: code %d, want TOPIC_AUTHORIZATION_FAILED", code)
	}
}

// matrixCase is one API in the deny matrix: the request that acts on the
// protected resources, and, for APIs whose refusal is hiding rather than
// an error, whether a response revealed them.
type matrixCase struct {
	build    func(f *matrixFixture) kmsg.Request
	revealed func(kmsg.Response) bool // nil: any response without an authorization error
}

// matrixFixture is what the requests need: the protected topic's id and a
// valid batch.
type matrixFixture struct {
	topicID [16]byte
	batch   []byte
}

var authorizationCodes = []int16{
	kerr.TopicAuthorizationFailed.Code, kerr.GroupAuthorizationFailed.Code, kerr.ClusterAuthorizationFailed.Code,
	kerr.TransactionalIDAuthorizationFailed.Code, kerr.DelegationTokenAuthorizationFailed.Code,
}

// errorCodes collects every ErrorCode field of a response, at any depth.
func errorCodes(v reflect.Value, out []int16) []int16 {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			out = errorCodes(v.Elem(), out)
		}
	case reflect.Slice:
		for i := range v.Len() {
			out = errorCodes(v.Index(i), out)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).Name == "ErrorCode" && v.Field(i).Kind() == reflect.Int16 {
				out = append(out, int16(v.Field(i).Int()))
			} else {
				out = errorCodes(v.Field(i), out)
			}
		}
	}
	return out
}

// succeeded reports whether resp shows the API acted for the principal.
func (c matrixCase) succeeded(resp kmsg.Response) bool {
	for _, code := range errorCodes(reflect.ValueOf(resp), nil) {
		if slices.Contains(authorizationCodes, code) {
			return false
		}
	}
	return c.revealed == nil || c.revealed(resp)
}

const (
	secretTopic = "secret"
	secretGroup = "g-secret"
	secretTxn   = "tx-secret" // the user with ACLs has them on the prefix tx-secret
)

// maxVersion caps the version a request is sent at, for an API whose
// newest versions serve another caller (AddPartitionsToTxn v4+: brokers).
type maxVersion struct {
	kmsg.Request
	max int16
}

func (r maxVersion) MaxVersion() int16 { return r.max }

func topicPartitions[T any](make func() T, set func(*T)) []T {
	p := make()
	set(&p)
	return []T{p}
}

// denyMatrix has a case for every API key that needs authorization.
var denyMatrix = map[int16]matrixCase{
	0: {build: func(f *matrixFixture) kmsg.Request {
		r := kmsg.NewPtrProduceRequest()
		r.Acks, r.TimeoutMillis = 1, 5000
		t := kmsg.NewProduceRequestTopic()
		t.Topic, t.TopicID = secretTopic, f.topicID
		t.Partitions = topicPartitions(kmsg.NewProduceRequestTopicPartition, func(p *kmsg.ProduceRequestTopicPartition) { p.Records = f.batch })
		r.Topics = append(r.Topics, t)
		return r
	}},
	1: {build: func(f *matrixFixture) kmsg.Request {
		r := kmsg.NewPtrFetchRequest()
		r.SessionEpoch, r.MaxBytes, r.ReplicaID = -1, 1<<20, -1
		t := kmsg.NewFetchRequestTopic()
		t.Topic, t.TopicID = secretTopic, f.topicID
		t.Partitions = topicPartitions(kmsg.NewFetchRequestTopicPartition, func(p *kmsg.FetchRequestTopicPartition) {
			p.PartitionMaxBytes, p.LastFetchedEpoch, p.CurrentLeaderEpoch = 1<<20, -1, -1
		})
		r.Topics = append(r.Topics, t)
		return r
	}},
	2: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrListOffsetsRequest()
		t := kmsg.NewListOffsetsRequestTopic()
		t.Topic = secretTopic
		t.Partitions = topicPartitions(kmsg.NewListOffsetsRequestTopicPartition, func(p *kmsg.ListOffsetsRequestTopicPartition) { p.Timestamp = -1 })
		r.Topics = append(r.Topics, t)
		return r
	}},
	3: {build: func(*matrixFixture) kmsg.Request { return kmsg.NewPtrMetadataRequest() }, // every topic
		revealed: func(resp kmsg.Response) bool {
			return slices.ContainsFunc(resp.(*kmsg.MetadataResponse).Topics, func(t kmsg.MetadataResponseTopic) bool {
				return t.Topic != nil && *t.Topic == secretTopic
			})
		}},
	8: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrOffsetCommitRequest()
		r.Group, r.Generation = secretGroup, -1
		t := kmsg.NewOffsetCommitRequestTopic()
		t.Topic = secretTopic
		t.Partitions = topicPartitions(kmsg.NewOffsetCommitRequestTopicPartition, func(p *kmsg.OffsetCommitRequestTopicPartition) { p.Offset = 0 })
		r.Topics = append(r.Topics, t)
		return r
	}},
	9: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrOffsetFetchRequest()
		r.Group = secretGroup
		g := kmsg.NewOffsetFetchRequestGroup()
		g.Group = secretGroup
		r.Groups = append(r.Groups, g)
		return r
	}},
	10: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrFindCoordinatorRequest()
		r.CoordinatorKey, r.CoordinatorKeys = secretGroup, []string{secretGroup}
		return r
	}},
	11: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrJoinGroupRequest()
		r.Group, r.SessionTimeoutMillis, r.RebalanceTimeoutMillis, r.ProtocolType = secretGroup, 10000, 10000, "consumer"
		r.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte{}}}
		return r
	}},
	12: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrHeartbeatRequest()
		r.Group, r.MemberID = secretGroup, "m"
		return r
	}},
	13: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrLeaveGroupRequest()
		r.Group, r.MemberID = secretGroup, "m"
		r.Members = []kmsg.LeaveGroupRequestMember{{MemberID: "m"}}
		return r
	}},
	14: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrSyncGroupRequest()
		r.Group, r.MemberID = secretGroup, "m"
		return r
	}},
	15: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrDescribeGroupsRequest()
		r.Groups = []string{secretGroup}
		return r
	}},
	16: {build: func(*matrixFixture) kmsg.Request { return kmsg.NewPtrListGroupsRequest() },
		revealed: func(resp kmsg.Response) bool {
			return slices.ContainsFunc(resp.(*kmsg.ListGroupsResponse).Groups, func(g kmsg.ListGroupsResponseGroup) bool { return g.Group == secretGroup })
		}},
	19: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrCreateTopicsRequest()
		r.ValidateOnly, r.TimeoutMillis = true, 5000
		t := kmsg.NewCreateTopicsRequestTopic()
		t.Topic, t.NumPartitions, t.ReplicationFactor = secretTopic+".new", 1, 1
		r.Topics = append(r.Topics, t)
		return r
	}},
	20: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrDeleteTopicsRequest()
		r.TimeoutMillis = 5000
		r.TopicNames = []string{secretTopic + ".delete-me"}
		t := kmsg.NewDeleteTopicsRequestTopic()
		t.Topic = kmsg.StringPtr(secretTopic + ".delete-me")
		r.Topics = append(r.Topics, t)
		return r
	}},
	21: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrDeleteRecordsRequest()
		r.TimeoutMillis = 5000
		t := kmsg.NewDeleteRecordsRequestTopic()
		t.Topic = secretTopic
		t.Partitions = topicPartitions(kmsg.NewDeleteRecordsRequestTopicPartition, func(p *kmsg.DeleteRecordsRequestTopicPartition) { p.Offset = 0 })
		r.Topics = append(r.Topics, t)
		return r
	}},
	22: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrInitProducerIDRequest()
		r.TransactionTimeoutMillis, r.ProducerID, r.ProducerEpoch = 60000, -1, -1
		return r
	}},
	23: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrOffsetForLeaderEpochRequest()
		r.ReplicaID = -1
		t := kmsg.NewOffsetForLeaderEpochRequestTopic()
		t.Topic = secretTopic
		t.Partitions = topicPartitions(kmsg.NewOffsetForLeaderEpochRequestTopicPartition, func(p *kmsg.OffsetForLeaderEpochRequestTopicPartition) {
			p.CurrentLeaderEpoch, p.LeaderEpoch = -1, 0
		})
		r.Topics = append(r.Topics, t)
		return r
	}},
	24: {build: func(*matrixFixture) kmsg.Request { // a client's request (v3): v4+ is for brokers, below
		r := kmsg.NewPtrAddPartitionsToTxnRequest()
		r.TransactionalID, r.ProducerID, r.ProducerEpoch = secretTxn, 1, 0
		r.Topics = []kmsg.AddPartitionsToTxnRequestTopic{{Topic: secretTopic, Partitions: []int32{0}}}
		return maxVersion{r, 3}
	}},
	25: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrAddOffsetsToTxnRequest()
		r.TransactionalID, r.ProducerID, r.ProducerEpoch, r.Group = secretTxn, 1, 0, secretGroup
		return r
	}},
	26: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrEndTxnRequest()
		r.TransactionalID, r.ProducerID, r.ProducerEpoch = secretTxn, 1, 0
		return r
	}},
	27: {build: func(*matrixFixture) kmsg.Request { // an abort marker of a producer that never wrote
		r := kmsg.NewPtrWriteTxnMarkersRequest()
		m := kmsg.NewWriteTxnMarkersRequestMarker()
		m.ProducerID, m.ProducerEpoch, m.Committed = 1, 0, false
		m.Topics = []kmsg.WriteTxnMarkersRequestMarkerTopic{{Topic: secretTopic, Partitions: []int32{0}}}
		r.Markers = append(r.Markers, m)
		return r
	}},
	28: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrTxnOffsetCommitRequest()
		r.TransactionalID, r.Group, r.ProducerID, r.ProducerEpoch, r.Generation = secretTxn, secretGroup, 1, 0, -1
		t := kmsg.NewTxnOffsetCommitRequestTopic()
		t.Topic = secretTopic
		t.Partitions = topicPartitions(kmsg.NewTxnOffsetCommitRequestTopicPartition, func(p *kmsg.TxnOffsetCommitRequestTopicPartition) { p.Offset = 0 })
		r.Topics = append(r.Topics, t)
		return r
	}},
	29: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrDescribeACLsRequest()
		r.ResourceType, r.ResourcePatternType, r.Operation, r.PermissionType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny, kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
		return r
	}},
	30: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrCreateACLsRequest()
		c := kmsg.NewCreateACLsRequestCreation()
		c.ResourceType, c.ResourceName, c.ResourcePatternType = kmsg.ACLResourceTypeTopic, "other", kmsg.ACLResourcePatternTypeLiteral
		c.Principal, c.Host, c.Operation, c.PermissionType = "User:carol", "*", kmsg.ACLOperationRead, kmsg.ACLPermissionTypeAllow
		r.Creations = append(r.Creations, c)
		return r
	}},
	31: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrDeleteACLsRequest()
		f := kmsg.NewDeleteACLsRequestFilter()
		f.ResourceType, f.ResourcePatternType, f.Operation, f.PermissionType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny, kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
		f.Principal = kmsg.StringPtr("User:carol")
		r.Filters = append(r.Filters, f)
		return r
	}},
	32: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrDescribeConfigsRequest()
		for _, res := range []struct {
			typ  kmsg.ConfigResourceType
			name string
		}{{kmsg.ConfigResourceTypeTopic, secretTopic}, {kmsg.ConfigResourceTypeBroker, "1"}, {kmsg.ConfigResourceTypeGroupConfig, secretGroup}} {
			rr := kmsg.NewDescribeConfigsRequestResource()
			rr.ResourceType, rr.ResourceName = res.typ, res.name
			r.Resources = append(r.Resources, rr)
		}
		return r
	}},
	33: {build: func(*matrixFixture) kmsg.Request { // a group's configs (44 alters a broker's)
		r := kmsg.NewPtrAlterConfigsRequest()
		r.ValidateOnly = true
		rr := kmsg.NewAlterConfigsRequestResource()
		rr.ResourceType, rr.ResourceName = kmsg.ConfigResourceTypeGroupConfig, secretGroup
		rr.Configs = []kmsg.AlterConfigsRequestResourceConfig{{Name: "consumer.heartbeat.interval.ms", Value: kmsg.StringPtr("6000")}}
		r.Resources = append(r.Resources, rr)
		return r
	}},
	34: {build: func(*matrixFixture) kmsg.Request { // no such dir: an authorized caller gets LOG_DIR_NOT_FOUND
		r := kmsg.NewPtrAlterReplicaLogDirsRequest()
		addLogDirMove(r, "/no/such/dir", secretTopic, 0)
		return r
	}},
	35: {build: func(*matrixFixture) kmsg.Request { return kmsg.NewPtrDescribeLogDirsRequest() }, // every dir
		revealed: func(resp kmsg.Response) bool { return len(resp.(*kmsg.DescribeLogDirsResponse).Dirs) > 0 }},
	37: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrCreatePartitionsRequest()
		r.ValidateOnly, r.TimeoutMillis = true, 5000
		r.Topics = []kmsg.CreatePartitionsRequestTopic{{Topic: secretTopic, Count: 2}}
		return r
	}},
	42: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrDeleteGroupsRequest()
		r.Groups = []string{secretGroup + ".delete-me"}
		return r
	}},
	43: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrElectLeadersRequest()
		r.ElectionType, r.TimeoutMillis = 0, 5000
		t := kmsg.NewElectLeadersRequestTopic()
		t.Topic, t.Partitions = secretTopic, []int32{0}
		r.Topics = append(r.Topics, t)
		return r
	}},
	38: {build: func(*matrixFixture) kmsg.Request { // a token for another owner (KIP-373)
		r := kmsg.NewPtrCreateDelegationTokenRequest()
		r.OwnerPrincipalType, r.OwnerPrincipalName = kmsg.StringPtr("User"), kmsg.StringPtr("carol")
		return r
	}},
	41: {build: func(*matrixFixture) kmsg.Request { return kmsg.NewPtrDescribeDelegationTokenRequest() }, // carol's token
		revealed: func(resp kmsg.Response) bool {
			return len(resp.(*kmsg.DescribeDelegationTokenResponse).TokenDetails) > 0
		}},
	44: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrIncrementalAlterConfigsRequest()
		r.ValidateOnly = true
		rr := kmsg.NewIncrementalAlterConfigsRequestResource()
		rr.ResourceType, rr.ResourceName = kmsg.ConfigResourceTypeBroker, "1"
		rr.Configs = []kmsg.IncrementalAlterConfigsRequestResourceConfig{{Name: "log.retention.ms", Value: kmsg.StringPtr("100000")}}
		r.Resources = append(r.Resources, rr)
		return r
	}},
	45: {build: func(*matrixFixture) kmsg.Request { // cancels a reassignment: none in progress
		r := kmsg.NewPtrAlterPartitionAssignmentsRequest()
		t := kmsg.NewAlterPartitionAssignmentsRequestTopic()
		t.Topic = secretTopic
		t.Partitions = []kmsg.AlterPartitionAssignmentsRequestTopicPartition{{Partition: 0}}
		r.Topics = append(r.Topics, t)
		return r
	}},
	46: {build: func(*matrixFixture) kmsg.Request { return kmsg.NewPtrListPartitionReassignmentsRequest() }},
	47: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrOffsetDeleteRequest()
		r.Group = secretGroup + ".delete-me"
		r.Topics = []kmsg.OffsetDeleteRequestTopic{{Topic: secretTopic, Partitions: []kmsg.OffsetDeleteRequestTopicPartition{{Partition: 0}}}}
		return r
	}},
	48: {build: func(*matrixFixture) kmsg.Request { return kmsg.NewPtrDescribeClientQuotasRequest() }},
	49: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrAlterClientQuotasRequest()
		r.ValidateOnly = true
		e := kmsg.NewAlterClientQuotasRequestEntry()
		e.Entity = []kmsg.AlterClientQuotasRequestEntryEntity{{Type: "user", Name: kmsg.StringPtr("carol")}}
		e.Ops = []kmsg.AlterClientQuotasRequestEntryOp{{Key: "producer_byte_rate", Value: 1024}}
		r.Entries = append(r.Entries, e)
		return r
	}},
	50: {build: func(*matrixFixture) kmsg.Request { return kmsg.NewPtrDescribeUserSCRAMCredentialsRequest() }},
	51: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
		u := kmsg.NewAlterUserSCRAMCredentialsRequestUpsertion()
		u.Name, u.Mechanism, u.Iterations = "carol", 1, 4096
		u.Salt, u.SaltedPassword = []byte("salt"), make([]byte, 32)
		r.Upsertions = append(r.Upsertions, u)
		return r
	}},
	55: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrDescribeQuorumRequest()
		t := kmsg.NewDescribeQuorumRequestTopic()
		t.Topic = "__cluster_metadata"
		t.Partitions = []kmsg.DescribeQuorumRequestTopicPartition{kmsg.NewDescribeQuorumRequestTopicPartition()}
		r.Topics = append(r.Topics, t)
		return r
	}},
	57: {build: func(*matrixFixture) kmsg.Request { // validate-only: the level stays
		r := kmsg.NewPtrUpdateFeaturesRequest()
		u := kmsg.NewUpdateFeaturesRequestFeatureUpdate()
		u.Feature, u.MaxVersionLevel, u.UpgradeType = "transaction.version", 2, 1
		r.ValidateOnly, r.FeatureUpdates = true, []kmsg.UpdateFeaturesRequestFeatureUpdate{u}
		return r
	}},
	64: {build: func(*matrixFixture) kmsg.Request { // no such broker: an authorized caller gets BROKER_ID_NOT_REGISTERED
		r := kmsg.NewPtrUnregisterBrokerRequest()
		r.BrokerID = 99
		return r
	}},
	74: {build: func(*matrixFixture) kmsg.Request { return kmsg.NewPtrListConfigResourcesRequest() }}, // every type
	75: {build: func(*matrixFixture) kmsg.Request { return kmsg.NewPtrDescribeTopicPartitionsRequest() }, // every topic
		revealed: func(resp kmsg.Response) bool {
			return slices.ContainsFunc(resp.(*kmsg.DescribeTopicPartitionsResponse).Topics, func(t kmsg.DescribeTopicPartitionsResponseTopic) bool {
				return t.Topic != nil && *t.Topic == secretTopic
			})
		}},
	60: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrDescribeClusterRequest()
		r.IncludeClusterAuthorizedOperations = true
		r.EndpointType = 1
		return r
	}, revealed: func(resp kmsg.Response) bool {
		ops := resp.(*kmsg.DescribeClusterResponse).ClusterAuthorizedOperations
		return ops != 0 && ops != -2147483648
	}},
	61: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrDescribeProducersRequest()
		r.Topics = []kmsg.DescribeProducersRequestTopic{{Topic: secretTopic, Partitions: []int32{0}}}
		return r
	}},
	65: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrDescribeTransactionsRequest()
		r.TransactionalIDs = []string{secretTxn}
		return r
	}, revealed: func(resp kmsg.Response) bool {
		states := resp.(*kmsg.DescribeTransactionsResponse).TransactionStates
		return len(states) == 1 && states[0].ProducerID >= 0
	}},
	66: {build: func(*matrixFixture) kmsg.Request { return kmsg.NewPtrListTransactionsRequest() }, // every id
		revealed: func(resp kmsg.Response) bool {
			return slices.ContainsFunc(resp.(*kmsg.ListTransactionsResponse).TransactionStates, func(s kmsg.ListTransactionsResponseTransactionState) bool {
				return s.TransactionalID == secretTxn
			})
		}},
	68: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrConsumerGroupHeartbeatRequest()
		r.Group, r.MemberID, r.MemberEpoch, r.RebalanceTimeoutMillis = secretGroup+"-848", "matrix-member-0000000001", 0, 10000
		r.SubscribedTopicNames = []string{secretTopic}
		return r
	}},
	69: {build: func(*matrixFixture) kmsg.Request {
		r := kmsg.NewPtrConsumerGroupDescribeRequest()
		r.Groups = []string{secretGroup}
		return r
	}},
}

// TestDenyMatrix proves that no principal gets an API to act on what it
// may not touch: every registered API key that needs authorization, on a
// SASL_PLAINTEXT and a SASL_SSL listener, as a client without credentials,
// with a wrong password, as a user without ACLs (zero successes), and as a
// user with ACLs and a super user (every API succeeds, so that a refusal
// of everything would fail the test too).
func TestDenyMatrix(t *testing.T) {
	ca := authtest.NewCA(t)
	n, saslPlaintext, saslSSL := startACLNode(t, ca)
	f := setUpMatrix(t, n)
	adm := kadm.NewClient(newClient(t, n.Addr))
	addACLs(t, adm, kadm.NewACLs().Allow("User:alice").ResourcePatternType(kadm.ACLPatternPrefixed).
		Topics(secretTopic).Groups(secretGroup).TransactionalIDs(secretTxn).Operations(kadm.OpAll))
	addACLs(t, adm, kadm.NewACLs().Allow("User:alice").Clusters().Operations(kadm.OpAll))
	userACL(t, newClient(t, n.Addr), "User:alice", "User:carol", kmsg.ACLOperationCreateTokens)
	userACL(t, newClient(t, n.Addr), "User:alice", "User:carol", kmsg.ACLOperationDescribeTokens)
	admin := kadm.NewClient(plainClient(t, saslPlaintext, "admin", "admin-secret", nil))
	if _, err := admin.CreateDelegationToken(testContext(t), kadm.CreateDelegationToken{Owner: &kadm.Principal{Type: "User", Name: "carol"}}); err != nil {
		t.Fatalf("carol's token: %v", err)
	}
	for _, api := range handler.Registry().APIs() {
		if _, ok := denyMatrix[api.Key]; !ok && !handler.Authorization(api.Key).Unauthorized() {
			t.Errorf("api key %d needs authorization but has no row in denyMatrix", api.Key)
		}
	}
	identities := []struct {
		name, user, password string
		authorized           bool
	}{
		{"no credentials", "", "", false},
		{"wrong password", "alice", "wrong", false},
		{"user without ACLs", "bob", "bob-secret", false},
		{"user with ACLs", "alice", "alice-secret", true},
		{"super user", "admin", "admin-secret", true},
	}
	listeners := []struct {
		name, addr string
		tls        *tls.Config
	}{{"SASL_PLAINTEXT", saslPlaintext, nil}, {"SASL_SSL", saslSSL, clientTLS(t, ca, "")}}
	keys := slices.Sorted(func(yield func(int16) bool) {
		for k := range denyMatrix {
			if !yield(k) {
				return
			}
		}
	})
	for _, l := range listeners {
		for _, id := range identities {
			opts := []kgo.Opt{kgo.RequestRetries(0), kgo.RetryTimeout(time.Second)}
			if l.tls != nil {
				opts = append(opts, kgo.DialTLSConfig(l.tls))
			}
			if id.user != "" {
				opts = append(opts, kgo.SASL(plain.Auth{User: id.user, Pass: id.password}.AsMechanism()))
			}
			cl := newClient(t, l.addr, opts...)
			broker := cl.Broker(1)
			for _, key := range keys {
				c := denyMatrix[key]
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				resp, err := broker.Request(ctx, c.build(f))
				cancel()
				got := err == nil && c.succeeded(resp)
				if got != id.authorized {
					t.Errorf("%s, %s, api key %d: succeeded %v (err %v, codes %v)", l.name, id.name, key, got, err, codesOf(resp))
				}
			}
		}
	}
}

func codesOf(resp kmsg.Response) []int16 {
	if resp == nil {
		return nil
	}
	return errorCodes(reflect.ValueOf(resp), nil)
}

// setUpMatrix creates the protected resources as the brokers' principal:
// the topic with a record, its sibling to delete, the group with a
// committed offset and the transactional id with an ongoing transaction;
// and returns what the requests need.
func setUpMatrix(t *testing.T, n *nodetest.TestNode) *matrixFixture {
	createTopic(t, n.Addr, secretTopic, 1, nil)
	createTopic(t, n.Addr, secretTopic+".delete-me", 1, nil)
	cl := newClient(t, n.Addr, kgo.DefaultProduceTopic(secretTopic))
	ctx := testContext(t)
	if err := cl.ProduceSync(ctx, kgo.StringRecord("x")).FirstErr(); err != nil {
		t.Fatal(err)
	}
	adm := kadm.NewClient(cl)
	offsets := kadm.Offsets{}
	offsets.AddOffset(secretTopic, 0, 1, -1)
	for _, g := range []string{secretGroup, secretGroup + ".delete-me"} {
		if _, err := adm.CommitOffsets(ctx, g, offsets); err != nil {
			t.Fatal(err)
		}
	}
	openTransaction(t, n.Addr, secretTxn)
	batch, err := record.Build(record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
		Records: []record.Record{{Value: []byte("v"), Timestamp: time.Now().UnixMilli()}}})
	if err != nil {
		t.Fatal(err)
	}
	return &matrixFixture{topicID: topicID(t, cl, secretTopic), batch: batch}
}

// openTransaction leaves the transaction of id ongoing, with a record
// written to secretTopic, for as long as the test runs.
func openTransaction(t *testing.T, addr, id string) {
	cl := newClient(t, addr, kgo.TransactionalID(id), kgo.TransactionTimeout(time.Minute), kgo.DefaultProduceTopic(secretTopic))
	ctx := testContext(t)
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, kgo.StringRecord("in a transaction")).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// TestAddPartitionsToTxnFromBrokersNeedsClusterAction proves that
// AddPartitionsToTxn v4+, the form brokers send to verify a transactional
// write (KIP-890), needs CLUSTER_ACTION: a user without it gets
// CLUSTER_AUTHORIZATION_FAILED and nothing else, a super user an answer
// per transaction.
func TestAddPartitionsToTxnFromBrokersNeedsClusterAction(t *testing.T) {
	n, saslPlaintext, _ := startACLNode(t, authtest.NewCA(t))
	createTopic(t, n.Addr, secretTopic, 1, nil)
	send := func(user, password string) *kmsg.AddPartitionsToTxnResponse {
		r := kmsg.NewPtrAddPartitionsToTxnRequest()
		tx := kmsg.NewAddPartitionsToTxnRequestTransaction()
		tx.TransactionalID, tx.ProducerID, tx.ProducerEpoch, tx.VerifyOnly = secretTxn, 1, 0, true
		tx.Topics = []kmsg.AddPartitionsToTxnRequestTransactionTopic{{Topic: secretTopic, Partitions: []int32{0}}}
		r.Transactions = append(r.Transactions, tx)
		kresp, err := plainClient(t, saslPlaintext, user, password, nil).Broker(1).Request(testContext(t), r) // not through a coordinator lookup
		if err != nil {
			t.Fatal(err)
		}
		resp := kresp.(*kmsg.AddPartitionsToTxnResponse)
		if resp.Version < 4 {
			t.Fatalf("sent at v%d, want v4+", resp.Version)
		}
		return resp
	}
	if resp := send("bob", "bob-secret"); resp.ErrorCode != kerr.ClusterAuthorizationFailed.Code || len(resp.Transactions) != 0 {
		t.Errorf("bob: error %d, %d transactions; want CLUSTER_AUTHORIZATION_FAILED and none", resp.ErrorCode, len(resp.Transactions))
	}
	if resp := send("admin", "admin-secret"); resp.ErrorCode != 0 || len(resp.Transactions) != 1 {
		t.Errorf("admin: error %d, %d transactions; want one answered", resp.ErrorCode, len(resp.Transactions))
	}
}
