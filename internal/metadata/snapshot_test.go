package metadata

import (
	"reflect"
	"testing"

	"gregor/internal/kafka"
)

// TestRecordsRebuildTheImage proves that a snapshot's records, applied to
// the empty image, give back an equal image.
func TestRecordsRebuildTheImage(t *testing.T) {
	id := kafka.NewTopicID()
	v := "compact"
	img, err := Empty().Apply([]Record{
		{Type: TypeBroker, Broker: &Broker{ID: 2, Epoch: 7, Fenced: true}},
		{Type: TypeTopic, Topic: &TopicRecord{Name: "orders", ID: id}},
		{Type: TypePartition, Partition: &PartitionRecord{TopicID: id, Partition: 0, Replicas: []int32{2}, ISR: []int32{2}, Leader: 2, LeaderEpoch: 3, PartitionEpoch: 4}},
		{Type: TypeConfig, Config: &ConfigRecord{ResourceType: ResourceTopic, ResourceName: "orders", Name: "cleanup.policy", Value: &v}},
		{Type: TypeConfig, Config: &ConfigRecord{ResourceType: ResourceBroker, Name: "log.retention.ms", Value: &v}},
		{Type: TypeProducerIDs, ProducerIDs: &ProducerIDsRecord{NextProducerID: 1000}},
	})
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
