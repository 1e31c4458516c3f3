package controller

import (
	"errors"
	"strings"
	"testing"

	"gregor/internal/metadata"
)

// TestAlterClientQuotas proves Kafka's checks of a quota alteration
// (entity types and combinations, keys, whole numbers for byte rates,
// duplicates), that validate-only writes nothing, that only changed keys
// are written, and that removal takes a key away.
func TestAlterClientQuotas(t *testing.T) {
	name := func(s string) *string { return &s }
	val := func(v float64) *float64 { return &v }
	user := func(n *string) QuotaEntityPart { return QuotaEntityPart{Type: "user", Name: n} }
	client := func(n *string) QuotaEntityPart { return QuotaEntityPart{Type: "client-id", Name: n} }
	set := func(k string, v float64) QuotaOp { return QuotaOp{Key: k, Value: val(v)} }
	cases := []struct {
		name    string
		alter   ClientQuotaAlteration
		wantErr string // a part of the message; "" for success
		records int
	}{
		{"user", ClientQuotaAlteration{[]QuotaEntityPart{user(name("alice"))}, []QuotaOp{set("producer_byte_rate", 1024), set("request_percentage", 12.5)}}, "", 2},
		{"user and default client", ClientQuotaAlteration{[]QuotaEntityPart{user(name("alice")), client(nil)}, []QuotaOp{set("consumer_byte_rate", 1)}}, "", 1},
		{"default client", ClientQuotaAlteration{[]QuotaEntityPart{client(nil)}, []QuotaOp{set("controller_mutation_rate", 0.5)}}, "", 1},
		{"ip", ClientQuotaAlteration{[]QuotaEntityPart{{Type: "ip", Name: name("10.0.0.1")}}, []QuotaOp{set("connection_creation_rate", 5)}}, "", 1},
		{"empty entity", ClientQuotaAlteration{nil, []QuotaOp{set("producer_byte_rate", 1)}}, "Invalid empty client quota entity", 0},
		{"unknown type", ClientQuotaAlteration{[]QuotaEntityPart{{Type: "group", Name: name("g")}}, nil}, "Unhandled client quota entity type: group", 0},
		{"empty name", ClientQuotaAlteration{[]QuotaEntityPart{user(name(""))}, nil}, "Empty user not supported", 0},
		{"ip with user", ClientQuotaAlteration{[]QuotaEntityPart{user(name("a")), {Type: "ip", Name: name("10.0.0.1")}}, nil}, "IP entity shouldnot be combined", 0},
		{"bad ip", ClientQuotaAlteration{[]QuotaEntityPart{{Type: "ip", Name: name("not-an-ip")}}, []QuotaOp{set("connection_creation_rate", 5)}}, "not a valid IP", 0},
		{"unknown key", ClientQuotaAlteration{[]QuotaEntityPart{user(name("bob"))}, []QuotaOp{set("bogus", 1)}}, "Invalid configuration key bogus", 0},
		{"ip key on user", ClientQuotaAlteration{[]QuotaEntityPart{user(name("carol"))}, []QuotaOp{set("connection_creation_rate", 1)}}, "Invalid configuration key", 0},
		{"fractional byte rate", ClientQuotaAlteration{[]QuotaEntityPart{user(name("dave"))}, []QuotaOp{set("producer_byte_rate", 1.5)}}, "producer_byte_rate cannot be a fractional value.", 0},
		{"zero", ClientQuotaAlteration{[]QuotaEntityPart{user(name("frank"))}, []QuotaOp{set("request_percentage", 0)}}, "Quota request_percentage must be greater than 0", 0},
		{"huge int", ClientQuotaAlteration{[]QuotaEntityPart{{Type: "ip", Name: name("10.0.0.2")}}, []QuotaOp{set("connection_creation_rate", 1e10)}}, "too large for an INT", 0},
		{"duplicate key", ClientQuotaAlteration{[]QuotaEntityPart{user(name("erin"))}, []QuotaOp{set("producer_byte_rate", 1), set("producer_byte_rate", 2)}}, "Duplicate quota key", 0},
		{"duplicate entity", ClientQuotaAlteration{[]QuotaEntityPart{user(name("alice"))}, []QuotaOp{set("producer_byte_rate", 1)}}, "Ignoring duplicate entity", 0},
	}
	req := AlterClientQuotasRequest{}
	for _, c := range cases {
		req.Alterations = append(req.Alterations, c.alter)
	}
	img := metadata.Empty()
	recs, resp := alterClientQuotas(img, AlterClientQuotasRequest{Alterations: req.Alterations, ValidateOnly: true})
	if len(recs) != 0 {
		t.Errorf("validate only wrote %d records", len(recs))
	}
	recs, resp2 := alterClientQuotas(img, req)
	want := 0
	for i, c := range cases {
		for _, err := range []error{resp.Errs[i], resp2.Errs[i]} {
			switch {
			case c.wantErr == "" && err != nil:
				t.Errorf("%s: %v", c.name, err)
			case c.wantErr != "" && (!errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), c.wantErr)):
				t.Errorf("%s: %v, want INVALID_REQUEST with %q", c.name, err, c.wantErr)
			}
		}
		want += c.records
	}
	if len(recs) != want {
		t.Fatalf("%d records, want %d", len(recs), want)
	}
	img, err := img.Apply(recs)
	if err != nil {
		t.Fatal(err)
	}
	alice := metadata.QuotaEntity{User: metadata.Named("alice")}
	// The same value again writes nothing; a removal writes one record.
	recs, resp = alterClientQuotas(img, AlterClientQuotasRequest{Alterations: []ClientQuotaAlteration{
		{[]QuotaEntityPart{user(name("alice"))}, []QuotaOp{set("producer_byte_rate", 1024), {Key: "request_percentage"}, {Key: "consumer_byte_rate"}}},
	}})
	if resp.Errs[0] != nil || len(recs) != 1 {
		t.Fatalf("re-set and remove: %v, %d records", resp.Errs[0], len(recs))
	}
	img, _ = img.Apply(recs)
	if got := img.ClientQuotas(alice); len(got) != 1 || got["producer_byte_rate"] != 1024 {
		t.Errorf("alice's quotas = %v", got)
	}
}
