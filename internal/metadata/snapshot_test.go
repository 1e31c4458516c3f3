package metadata

import (
	"reflect"
	"slices"
	"testing"

	"gregor/internal/acl"
	"gregor/internal/kafka"
)

// TestRecordsRebuildTheImage proves that a snapshot's records, applied to
// the empty image, give back an equal image, with a record of every type
// that adds state (a type missing from the test fails it).
func TestRecordsRebuildTheImage(t *testing.T) {
	id := kafka.NewTopicID()
	v := "compact"
	rate := 1048576.0
	recs := []Record{
		{Type: TypeBroker, Broker: &Broker{ID: 2, Epoch: 7, Fenced: true}},
		{Type: TypeTopic, Topic: &TopicRecord{Name: "orders", ID: id}},
		{Type: TypePartition, Partition: &PartitionRecord{TopicID: id, Partition: 0, Replicas: []int32{2}, ISR: []int32{2}, Leader: 2, LeaderEpoch: 3, PartitionEpoch: 4}},
		{Type: TypeConfig, Config: &ConfigRecord{ResourceType: ResourceTopic, ResourceName: "orders", Name: "cleanup.policy", Value: &v}},
		{Type: TypeConfig, Config: &ConfigRecord{ResourceType: ResourceBroker, Name: "log.retention.ms", Value: &v}},
		{Type: TypeProducerIDs, ProducerIDs: &ProducerIDsRecord{NextProducerID: 1000}},
		{Type: TypeScramCredential, Scram: &ScramCredentialRecord{User: "alice", Mechanism: "SCRAM-SHA-512",
			Credential: &ScramCredential{Salt: []byte{1}, StoredKey: []byte{2}, ServerKey: []byte{3}, Iterations: 4096}}},
		{Type: TypeACL, ACL: &ACLRecord{ID: kafka.NewTopicID(), Binding: acl.Binding{
			Pattern: acl.Pattern{Type: acl.Topic, Name: "orders", PatternType: acl.Literal},
			Entry:   acl.Entry{Principal: "User:alice", Host: "*", Operation: acl.Read, Permission: acl.Allow}}}},
		{Type: TypeClientQuota, ClientQuota: &ClientQuotaRecord{Entity: QuotaEntity{User: Named("alice"), ClientID: DefaultName()},
			Key: "producer_byte_rate", Value: &rate}},
		{Type: TypeFeatureLevel, FeatureLevel: &FeatureLevelRecord{Name: "transaction.version", Level: 1, Epoch: 42}},
		{Type: TypeDelegationToken, Token: &DelegationToken{ID: "tok", Owner: "User:alice", Requester: "User:admin",
			Renewers: []string{"User:bob"}, IssueMs: 1, MaxMs: 3, ExpiryMs: 2}},
	}
	covered := map[RecordType]bool{}
	for _, r := range recs {
		covered[r.Type] = true
	}
	// Types that only remove or name state have nothing of their own in a snapshot.
	for _, typ := range []RecordType{TypeTopic, TypePartition, TypeConfig, TypeProducerIDs, TypeBroker, TypeScramCredential, TypeACL, TypeClientQuota, TypeDelegationToken, TypeFeatureLevel} {
		if !covered[typ] {
			t.Errorf("no %s record in the test image", typ)
		}
	}
	img, err := Empty().Apply(recs)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Empty().Apply(img.Records())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(img, again) {
		t.Fatalf("rebuilt image differs:\n%+v\n%+v", img, again)
	}
}

// TestReassignmentSurvivesSnapshotAndEncoding proves that a partition's
// adding and removing replicas are kept by the image's records (the
// snapshot) and by a record's encoding (the metadata log).
func TestReassignmentSurvivesSnapshotAndEncoding(t *testing.T) {
	id := kafka.NewTopicID()
	p := Partition{Partition: 0, Replicas: []int32{2, 3, 1}, ISR: []int32{1, 2}, Leader: 1, AddingReplicas: []int32{3}, RemovingReplicas: []int32{1}}
	rec, err := Decode(p.Record(id).Encode())
	if err != nil {
		t.Fatal(err)
	}
	img, err := Empty().Apply([]Record{{Type: TypeTopic, Topic: &TopicRecord{Name: "t", ID: id}}, rec})
	if err != nil {
		t.Fatal(err)
	}
	again, err := Empty().Apply(img.Records())
	if err != nil {
		t.Fatal(err)
	}
	topic, _ := again.Topic("t")
	got := topic.Partitions[0]
	if !got.Reassigning() || !slices.Equal(got.AddingReplicas, []int32{3}) || !slices.Equal(got.RemovingReplicas, []int32{1}) {
		t.Fatalf("after encoding and snapshot: %+v", got)
	}
}

// TestDelegationTokenRecords proves a token record creates and replaces a
// token, survives encoding, and a removal record removes it.
func TestDelegationTokenRecords(t *testing.T) {
	tok := DelegationToken{ID: "tok", Owner: "User:alice", Requester: "User:alice", IssueMs: 1, MaxMs: 10, ExpiryMs: 5}
	rec, err := Decode(Record{Type: TypeDelegationToken, Token: &tok}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	img, _ := Empty().Apply([]Record{rec})
	renewed := tok
	renewed.ExpiryMs = 9
	img2, _ := img.Apply([]Record{{Type: TypeDelegationToken, Token: &renewed}})
	if got, _ := img.DelegationToken("tok"); got.ExpiryMs != 5 {
		t.Fatalf("the earlier image changed: %+v", got)
	}
	if got, ok := img2.DelegationToken("tok"); !ok || got.ExpiryMs != 9 {
		t.Fatalf("renewed token: %+v %v", got, ok)
	}
	img3, _ := img2.Apply([]Record{{Type: TypeRemoveDelegationToken, RemoveToken: &RemoveDelegationTokenRecord{ID: "tok"}}})
	if _, ok := img3.DelegationToken("tok"); ok || len(img3.DelegationTokens()) != 0 {
		t.Fatal("removed token still there")
	}
}
