package metadata

import "testing"

// TestClientQuotaRecords proves that quota records set, replace and remove
// one key of one entity, and that an entity with no key left is gone.
func TestClientQuotaRecords(t *testing.T) {
	alice := QuotaEntity{User: Named("alice")}
	defaultClient := QuotaEntity{ClientID: DefaultName()}
	set := func(e QuotaEntity, k string, v float64) Record {
		return Record{Type: TypeClientQuota, ClientQuota: &ClientQuotaRecord{Entity: e, Key: k, Value: &v}}
	}
	remove := func(e QuotaEntity, k string) Record {
		return Record{Type: TypeClientQuota, ClientQuota: &ClientQuotaRecord{Entity: e, Key: k}}
	}
	img, err := Empty().Apply([]Record{
		set(alice, "producer_byte_rate", 1000), set(alice, "producer_byte_rate", 2000),
		set(alice, "consumer_byte_rate", 3000), set(defaultClient, "request_percentage", 50),
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := img.ClientQuota(alice, "producer_byte_rate"); !ok || v != 2000 {
		t.Errorf("alice producer_byte_rate = %v, %v; want 2000", v, ok)
	}
	if _, ok := img.ClientQuota(QuotaEntity{User: DefaultName()}, "request_percentage"); ok {
		t.Error("the default user has the default client's quota")
	}
	next, err := img.Apply([]Record{remove(alice, "producer_byte_rate"), remove(alice, "consumer_byte_rate")})
	if err != nil {
		t.Fatal(err)
	}
	if got := next.QuotaEntities(); len(got) != 1 || got[0] != defaultClient {
		t.Errorf("entities after removal = %v, want only the default client", got)
	}
	if len(img.ClientQuotas(alice)) != 2 {
		t.Error("Apply changed the earlier image")
	}
	for _, r := range []Record{set(alice, "k", 1), remove(alice, "k")} {
		back, err := Decode(r.Encode())
		if err != nil || back.ClientQuota.Entity != alice {
			t.Errorf("round trip of %+v: %+v, %v", r, back, err)
		}
	}
}
