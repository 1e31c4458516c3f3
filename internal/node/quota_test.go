package node_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
)

func strp(s string) *string { return &s }

// quotaEntity builds a kadm entity from type=name pairs; "<default>" is
// the default of its type.
func quotaEntity(pairs ...string) kadm.ClientQuotaEntity {
	var e kadm.ClientQuotaEntity
	for _, p := range pairs {
		typ, name, _ := strings.Cut(p, "=")
		c := kadm.ClientQuotaEntityComponent{Type: typ}
		if name != "<default>" {
			c.Name = strp(name)
		}
		e = append(e, c)
	}
	return e
}

// describedQuotas renders a describe answer as sorted "entity: values" lines.
func describedQuotas(t *testing.T, adm *kadm.Client, strict bool, filter ...kadm.DescribeClientQuotaComponent) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	described, err := adm.DescribeClientQuotas(ctx, strict, filter)
	if err != nil {
		t.Fatalf("DescribeClientQuotas: %v", err)
	}
	var out []string
	for _, d := range described {
		var parts, values []string
		for _, c := range d.Entity {
			parts = append(parts, c.String())
		}
		for _, v := range d.Values {
			values = append(values, v.String())
		}
		slices.Sort(parts)
		slices.Sort(values)
		out = append(out, strings.Join(parts, ",")+": "+strings.Join(values, " "))
	}
	slices.Sort(out)
	return out
}

// TestClientQuotasAlterDescribeAndSurviveRestart proves that quotas set by
// AlterClientQuotas are described with Kafka's filters (exact, default,
// specified, strict), that validate_only and refused alterations change
// nothing, that bad filters answer Kafka's codes, and that the quotas come
// back after a restart, replayed from the metadata log.
func TestClientQuotasAlterDescribeAndSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	n := nodetest.Start(t, dir, nil)
	adm := kadm.NewClient(newClient(t, n.Addr))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	set := func(key string, v float64) kadm.AlterClientQuotaOp {
		return kadm.AlterClientQuotaOp{Key: key, Value: v}
	}
	entries := []kadm.AlterClientQuotaEntry{
		{Entity: quotaEntity("user=alice"), Ops: []kadm.AlterClientQuotaOp{set("producer_byte_rate", 1048576), set("request_percentage", 25.5)}},
		{Entity: quotaEntity("user=alice", "client-id=<default>"), Ops: []kadm.AlterClientQuotaOp{set("consumer_byte_rate", 2048)}},
		{Entity: quotaEntity("user=<default>"), Ops: []kadm.AlterClientQuotaOp{set("producer_byte_rate", 4096)}},
		{Entity: quotaEntity("client-id=app"), Ops: []kadm.AlterClientQuotaOp{set("controller_mutation_rate", 10)}},
	}
	validated, err := adm.ValidateAlterClientQuotas(ctx, entries)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range validated {
		if v.Err != nil {
			t.Fatalf("validate %v: %v %s", v.Entity, v.Err, v.ErrMessage)
		}
	}
	if got := describedQuotas(t, adm, false); len(got) != 0 {
		t.Fatalf("validate_only stored quotas: %v", got)
	}
	altered, err := adm.AlterClientQuotas(ctx, entries)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range altered {
		if a.Err != nil {
			t.Fatalf("alter %v: %v %s", a.Entity, a.Err, a.ErrMessage)
		}
	}
	refused, err := adm.AlterClientQuotas(ctx, []kadm.AlterClientQuotaEntry{
		{Entity: quotaEntity("user=bob"), Ops: []kadm.AlterClientQuotaOp{set("bogus_rate", 1)}},
		{Entity: quotaEntity("user=bob"), Ops: []kadm.AlterClientQuotaOp{set("producer_byte_rate", 1.5)}},
		{Entity: quotaEntity("group=g"), Ops: []kadm.AlterClientQuotaOp{set("producer_byte_rate", 1)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range refused {
		if !errors.Is(r.Err, kerr.InvalidRequest) {
			t.Errorf("alter %v: %v %q, want INVALID_REQUEST", r.Entity, r.Err, r.ErrMessage)
		}
	}
	if !strings.Contains(refused[0].ErrMessage, "Invalid configuration key bogus_rate") {
		t.Errorf("unknown key message %q", refused[0].ErrMessage)
	}

	all := []string{
		"client-id=<default>,user=alice: consumer_byte_rate=2048.000000",
		"client-id=app: controller_mutation_rate=10.000000",
		"user=<default>: producer_byte_rate=4096.000000",
		"user=alice: producer_byte_rate=1048576.000000 request_percentage=25.500000",
	}
	checks := func(n *nodetest.TestNode) {
		adm := kadm.NewClient(newClient(t, n.Addr))
		for _, c := range []struct {
			name   string
			strict bool
			filter []kadm.DescribeClientQuotaComponent
			want   []string
		}{
			{"everything", false, nil, all},
			{"strict with no component", true, nil, nil},
			{"user alice", false, []kadm.DescribeClientQuotaComponent{{Type: "user", MatchName: strp("alice"), MatchType: kmsg.QuotasMatchTypeExact}}, []string{all[0], all[3]}},
			{"user alice, strict", true, []kadm.DescribeClientQuotaComponent{{Type: "user", MatchName: strp("alice"), MatchType: kmsg.QuotasMatchTypeExact}}, []string{all[3]}},
			{"default user", false, []kadm.DescribeClientQuotaComponent{{Type: "user", MatchType: kmsg.QuotasMatchTypeDefault}}, []string{all[2]}},
			{"any client-id", false, []kadm.DescribeClientQuotaComponent{{Type: "client-id", MatchType: kmsg.QuotasMatchTypeAny}}, []string{all[0], all[1]}},
			{"any user, strict", true, []kadm.DescribeClientQuotaComponent{{Type: "user", MatchType: kmsg.QuotasMatchTypeAny}}, []string{all[2], all[3]}},
		} {
			if got := describedQuotas(t, adm, c.strict, c.filter...); !slices.Equal(got, c.want) {
				t.Errorf("%s: got %q, want %q", c.name, got, c.want)
			}
		}
		for _, c := range []struct {
			filter []kadm.DescribeClientQuotaComponent
			want   error
		}{
			{[]kadm.DescribeClientQuotaComponent{{Type: "group", MatchType: kmsg.QuotasMatchTypeAny}}, kerr.UnsupportedVersion},
			{[]kadm.DescribeClientQuotaComponent{{Type: "user", MatchType: kmsg.QuotasMatchTypeExact}}, kerr.InvalidRequest},
			{[]kadm.DescribeClientQuotaComponent{{Type: "user", MatchType: kmsg.QuotasMatchTypeAny}, {Type: "user", MatchType: kmsg.QuotasMatchTypeDefault}}, kerr.InvalidRequest},
			{[]kadm.DescribeClientQuotaComponent{{Type: "ip", MatchType: kmsg.QuotasMatchTypeAny}, {Type: "user", MatchType: kmsg.QuotasMatchTypeAny}}, kerr.InvalidRequest},
		} {
			if _, err := adm.DescribeClientQuotas(ctx, false, c.filter); !errors.Is(err, c.want) {
				t.Errorf("filter %+v: %v, want %v", c.filter, err, c.want)
			}
		}
	}
	checks(n)
	n.Shutdown()
	checks(nodetest.Start(t, dir, nil))
}

// TestClientQuotasReachEveryNode proves that a quota altered through one
// node of a cluster is described by every other: it is in the metadata
// log, not in the node that took the request.
func TestClientQuotasReachEveryNode(t *testing.T) {
	c := nodetest.StartCluster(t, 3, nil)
	c.WaitLeader(20 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	adm := kadm.NewClient(newClient(t, c.Nodes[0].Addr))
	altered, err := adm.AlterClientQuotas(ctx, []kadm.AlterClientQuotaEntry{
		{Entity: quotaEntity("client-id=<default>"), Ops: []kadm.AlterClientQuotaOp{{Key: "consumer_byte_rate", Value: 1000}}},
	})
	if err != nil || altered[0].Err != nil {
		t.Fatalf("alter: %v %v", err, altered)
	}
	want := []string{"client-id=<default>: consumer_byte_rate=1000.000000"}
	for i := range 3 {
		adm := kadm.NewClient(newClient(t, c.Nodes[i].Addr))
		deadline := time.Now().Add(10 * time.Second)
		for {
			got := describedQuotas(t, adm, false)
			if slices.Equal(got, want) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %d describes %q, want %q", i, got, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}
