package metadata

import (
	"maps"
	"slices"
)

// Records returns records that rebuild img when applied to the empty
// image: the content of a metadata snapshot (a checkpoint), in an order
// that Apply accepts (a topic before its partitions).
func (img *Image) Records() []Record {
	var out []Record
	for _, b := range img.Brokers() {
		out = append(out, Record{Type: TypeBroker, Broker: &b})
	}
	for _, name := range img.TopicNames() {
		out = append(out, topicRecords(img.topics[name])...)
	}
	out = append(out, configRecords(img.configs)...)
	if img.nextProducerID > 0 {
		out = append(out, Record{Type: TypeProducerIDs, ProducerIDs: &ProducerIDsRecord{NextProducerID: img.nextProducerID}})
	}
	for _, k := range img.ScramCredentials() {
		c := img.scram[k]
		out = append(out, Record{Type: TypeScramCredential, Scram: &ScramCredentialRecord{User: k.User, Mechanism: k.Mechanism, Credential: &c}})
	}
	for _, a := range img.ACLs() {
		out = append(out, Record{Type: TypeACL, ACL: &ACLRecord{ID: a.ID, Binding: a.Binding}})
	}
	out = append(out, quotaRecords(img)...)
	for _, t := range img.DelegationTokens() {
		out = append(out, Record{Type: TypeDelegationToken, Token: &t})
	}
	return append(out, featureRecords(img)...)
}

func topicRecords(t *Topic) []Record {
	out := []Record{{Type: TypeTopic, Topic: &TopicRecord{Name: t.Name, ID: t.ID}}}
	for _, p := range t.Partitions {
		out = append(out, p.Record(t.ID))
	}
	return out
}

func configRecords(configs map[ConfigResource]map[string]string) []Record {
	var out []Record
	resources := slices.SortedFunc(maps.Keys(configs), func(a, b ConfigResource) int {
		if a.Type != b.Type {
			return int(a.Type) - int(b.Type)
		}
		return compareStrings(a.Name, b.Name)
	})
	for _, r := range resources {
		for _, name := range slices.Sorted(maps.Keys(configs[r])) {
			v := configs[r][name]
			out = append(out, Record{Type: TypeConfig, Config: &ConfigRecord{ResourceType: r.Type, ResourceName: r.Name, Name: name, Value: &v}})
		}
	}
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
