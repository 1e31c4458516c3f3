package metadata

import (
	"encoding/json"
	"fmt"

	"gregor/internal/kafka"
)

// RecordType names the kind of a metadata record.
type RecordType string

// The record types.
const (
	TypeTopic        RecordType = "topic"
	TypePartition    RecordType = "partition"
	TypeRemoveTopic  RecordType = "remove_topic"
	TypeConfig       RecordType = "config"
	TypeProducerIDs  RecordType = "producer_ids"
	TypeClusterIDSet RecordType = "cluster"
	TypeBroker       RecordType = "broker"
	// TypeUnregisterBroker removes a broker's registration (Kafka's
	// UnregisterBrokerRecord).
	TypeUnregisterBroker RecordType = "unregister_broker"
)

// Record is one metadata change. Exactly one of the pointer fields is set,
// matching Type.
type Record struct {
	Type         RecordType                   `json:"type"`
	Topic        *TopicRecord                 `json:"topic,omitempty"`
	Partition    *PartitionRecord             `json:"partition,omitempty"`
	RemoveTopic  *RemoveTopicRecord           `json:"remove_topic,omitempty"`
	Config       *ConfigRecord                `json:"config,omitempty"`
	ProducerIDs  *ProducerIDsRecord           `json:"producer_ids,omitempty"`
	Broker       *Broker                      `json:"broker,omitempty"`
	Unregister   *UnregisterBrokerRecord      `json:"unregister_broker,omitempty"`
	Scram        *ScramCredentialRecord       `json:"scram,omitempty"`
	ACL          *ACLRecord                   `json:"acl,omitempty"`
	RemoveACL    *RemoveACLRecord             `json:"remove_acl,omitempty"`
	ClientQuota  *ClientQuotaRecord           `json:"client_quota,omitempty"`
	Token        *DelegationToken             `json:"token,omitempty"`
	RemoveToken  *RemoveDelegationTokenRecord `json:"remove_token,omitempty"`
	FeatureLevel *FeatureLevelRecord          `json:"feature_level,omitempty"`
}

// TopicRecord creates a topic.
type TopicRecord struct {
	Name string        `json:"name"`
	ID   kafka.TopicID `json:"id"`
}

// PartitionRecord creates a partition or replaces its assignment and leadership.
type PartitionRecord struct {
	TopicID        kafka.TopicID `json:"topic_id"`
	Partition      int32         `json:"partition"`
	Replicas       []int32       `json:"replicas"`
	ISR            []int32       `json:"isr"`
	Leader         int32         `json:"leader"`
	LeaderEpoch    int32         `json:"leader_epoch"`
	PartitionEpoch int32         `json:"partition_epoch"`
	// AddingReplicas and RemovingReplicas are a reassignment in progress,
	// as KRaft's PartitionRecord has them: Replicas is the union of the
	// old and the target replicas, AddingReplicas the target's that are
	// not yet in the ISR, RemovingReplicas the old ones the target drops.
	AddingReplicas   []int32 `json:"adding_replicas,omitempty"`
	RemovingReplicas []int32 `json:"removing_replicas,omitempty"`
	// OfflineReplicas are the replicas whose log dir failed (KRaft keeps
	// a directory per replica and the broker's offline dirs instead): they
	// stay assignments, but Metadata lists them as offline until their
	// broker registers again.
	OfflineReplicas []int32 `json:"offline_replicas,omitempty"`
}

// RemoveTopicRecord deletes a topic and its partitions.
type RemoveTopicRecord struct {
	ID kafka.TopicID `json:"id"`
}

// ResourceType is the kind of entity a config belongs to (Kafka's ConfigResource types).
type ResourceType int8

// Config resource types, with Kafka's numbering.
const (
	ResourceTopic  ResourceType = 2
	ResourceBroker ResourceType = 4
	ResourceGroup  ResourceType = 32 // a group's configs (KIP-848); the group need not exist
)

// ConfigRecord sets (Value non-nil) or removes (Value nil) one config of one resource.
type ConfigRecord struct {
	ResourceType ResourceType `json:"resource_type"`
	ResourceName string       `json:"resource_name"`
	Name         string       `json:"name"`
	Value        *string      `json:"value"`
}

// ProducerIDsRecord records that producer ids below NextProducerID have been handed out.
type ProducerIDsRecord struct {
	NextProducerID int64 `json:"next_producer_id"`
}

// Broker is a broker's registration (Kafka's RegisterBrokerRecord), both as
// a record and as the image holds it. A registration replaces any earlier
// one of the same id: a restarted broker registers a new incarnation.
type Broker struct {
	ID kafka.NodeID `json:"id"`
	// IncarnationID is a random UUID chosen by the broker at each start
	// (kafka.TopicID is the project's UUID type).
	IncarnationID kafka.TopicID `json:"incarnation_id"`
	// Epoch is the metadata log offset of the registration, so that it
	// grows with every registration of the broker, as in KRaft.
	Epoch     int64      `json:"epoch"`
	Endpoints []Endpoint `json:"endpoints"`
	Rack      *string    `json:"rack,omitempty"` // broker.rack; nil when unset
	// Fenced brokers are registered but receive no new replicas and are
	// not listed to clients.
	Fenced bool `json:"fenced"`
	// StorageOffline brokers lost every log dir to I/O errors: they keep
	// their registration but receive no new replicas and lead nothing new,
	// until they register again.
	StorageOffline bool `json:"storage_offline,omitempty"`
}

// UnregisterBrokerRecord removes the registration of broker ID made at
// Epoch; it does not fit an image where the broker has another epoch.
type UnregisterBrokerRecord struct {
	ID    kafka.NodeID `json:"id"`
	Epoch int64        `json:"epoch"`
}

// Endpoint is one advertised listener of a broker.
type Endpoint struct {
	Listener         string `json:"listener"`
	Host             string `json:"host"`
	Port             int32  `json:"port"`
	SecurityProtocol string `json:"security_protocol"`
}

// Endpoint returns b's endpoint on listener.
func (b Broker) Endpoint(listener string) (Endpoint, bool) {
	for _, e := range b.Endpoints {
		if e.Listener == listener {
			return e, true
		}
	}
	return Endpoint{}, false
}

// Encode returns the stored form of r.
func (r Record) Encode() []byte {
	b, err := json.Marshal(r)
	if err != nil {
		panic(fmt.Sprintf("metadata record %s cannot be encoded: %v", r.Type, err))
	}
	return b
}

// Decode parses a stored record and checks that its payload matches its type.
func Decode(b []byte) (Record, error) {
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("metadata record: %w", err)
	}
	ok := false
	switch r.Type {
	case TypeTopic:
		ok = r.Topic != nil
	case TypePartition:
		ok = r.Partition != nil
	case TypeRemoveTopic:
		ok = r.RemoveTopic != nil
	case TypeConfig:
		ok = r.Config != nil
	case TypeProducerIDs:
		ok = r.ProducerIDs != nil
	case TypeBroker:
		ok = r.Broker != nil
	case TypeUnregisterBroker:
		ok = r.Unregister != nil
	case TypeScramCredential:
		ok = r.Scram != nil
	case TypeACL:
		ok = r.ACL != nil
	case TypeRemoveACL:
		ok = r.RemoveACL != nil
	case TypeClientQuota:
		ok = r.ClientQuota != nil
	case TypeFeatureLevel:
		ok = r.FeatureLevel != nil
	case TypeDelegationToken:
		ok = r.Token != nil
	case TypeRemoveDelegationToken:
		ok = r.RemoveToken != nil
	}
	if !ok {
		return r, fmt.Errorf("metadata record: unknown or empty record of type %q", r.Type)
	}
	return r, nil
}
