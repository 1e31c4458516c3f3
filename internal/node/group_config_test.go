package node_test

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"gregor/internal/node/nodetest"
)

// alterGroupConfigs sets (value non-nil) or deletes (nil) configs of group
// g by IncrementalAlterConfigs and returns the resource's error.
func alterGroupConfigs(t *testing.T, cl *kgo.Client, g string, configs map[string]*string) error {
	t.Helper()
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	res := kmsg.NewIncrementalAlterConfigsRequestResource()
	res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeGroupConfig, g
	for k, v := range configs {
		c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		c.Name, c.Value, c.Op = k, v, kmsg.IncrementalAlterConfigOpSet
		if v == nil {
			c.Op = kmsg.IncrementalAlterConfigOpDelete
		}
		res.Configs = append(res.Configs, c)
	}
	req.Resources = append(req.Resources, res)
	resp, err := req.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	r := resp.Resources[0]
	if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
		msg := ""
		if r.ErrorMessage != nil {
			msg = *r.ErrorMessage
		}
		return &groupConfigError{err, msg}
	}
	return nil
}

type groupConfigError struct {
	err error
	msg string
}

func (e *groupConfigError) Error() string { return e.err.Error() + ": " + e.msg }
func (e *groupConfigError) Unwrap() error { return e.err }

// describeGroupConfigs returns each config of group g with its value and
// source.
func describeGroupConfigs(t *testing.T, cl *kgo.Client, g string) (map[string]string, map[string]kmsg.ConfigSource) {
	t.Helper()
	req := kmsg.NewPtrDescribeConfigsRequest()
	res := kmsg.NewDescribeConfigsRequestResource()
	res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeGroupConfig, g
	req.Resources = append(req.Resources, res)
	resp, err := req.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	if err := kerr.ErrorForCode(resp.Resources[0].ErrorCode); err != nil {
		t.Fatalf("describe group %q: %v", g, err)
	}
	values, sources := map[string]string{}, map[string]kmsg.ConfigSource{}
	for _, c := range resp.Resources[0].Configs {
		values[c.Name], sources[c.Name] = *c.Value, c.Source
	}
	return values, sources
}

func listGroupConfigResources(t *testing.T, cl *kgo.Client) []string {
	t.Helper()
	req := kmsg.NewPtrListConfigResourcesRequest()
	req.ResourceTypes = []int8{int8(kmsg.ConfigResourceTypeGroupConfig)}
	resp, err := req.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range resp.ConfigResources {
		out = append(out, r.Name)
	}
	return out
}

// TestGroupConfigs: a group's own consumer.session.timeout.ms and
// consumer.heartbeat.interval.ms (KIP-848 group configs) are validated as
// Kafka validates them, described with their source, listed by
// ListConfigResources, kept across a restart, and used by the coordinator
// for that group only: its members get its heartbeat interval and leave
// after its session timeout, while another group keeps the broker's.
func TestGroupConfigs(t *testing.T) {
	props := map[string]string{
		"group.consumer.session.timeout.ms":        "45000",
		"group.consumer.heartbeat.interval.ms":     "5000",
		"group.consumer.min.session.timeout.ms":    "1000",
		"group.consumer.min.heartbeat.interval.ms": "100",
	}
	dir := t.TempDir()
	tn := nodetest.Start(t, dir, props)
	cl := newClient(t, tn.Addr)
	createTopic(t, tn.Addr, "gc", 2, nil)

	refused := []struct {
		group   string
		configs map[string]*string
		code    *kerr.Error
		msg     string
	}{
		{"quick", map[string]*string{"consumer.session.timeout.ms": kmsg.StringPtr("500")}, kerr.InvalidConfig,
			"consumer.session.timeout.ms must be greater than or equal to group.consumer.min.session.timeout.ms"},
		{"quick", map[string]*string{"consumer.session.timeout.ms": kmsg.StringPtr("70000")}, kerr.InvalidConfig,
			"consumer.session.timeout.ms must be less than or equal to group.consumer.max.session.timeout.ms"},
		{"quick", map[string]*string{"consumer.session.timeout.ms": kmsg.StringPtr("1500"), "consumer.heartbeat.interval.ms": kmsg.StringPtr("2000")}, kerr.InvalidConfig,
			"consumer.session.timeout.ms must be greater than consumer.heartbeat.interval.ms"},
		{"quick", map[string]*string{"consumer.session.timeout.ms": kmsg.StringPtr("soon")}, kerr.InvalidConfig,
			"Invalid value soon for configuration consumer.session.timeout.ms: Not a number of type INT"},
		{"quick", map[string]*string{"session.timeout.ms": kmsg.StringPtr("5000")}, kerr.InvalidConfig,
			"Unknown group config name: session.timeout.ms"},
		{"quick", map[string]*string{"share.auto.offset.reset": kmsg.StringPtr("by_duration:-PT1H")}, kerr.InvalidConfig,
			"Invalid value by_duration:-PT1H for configuration share.auto.offset.reset: Invalid value `by_duration:-PT1H` for configuration share.auto.offset.reset. The value must be either 'earliest', 'latest' or of the format 'by_duration:<PnDTnHnMn.nS>'."},
		{"", map[string]*string{"consumer.session.timeout.ms": kmsg.StringPtr("5000")}, kerr.InvalidRequest,
			"Default group resources are not allowed."},
	}
	for _, r := range refused {
		err := alterGroupConfigs(t, cl, r.group, r.configs)
		ge, ok := err.(*groupConfigError)
		if !ok || ge.err != r.code || ge.msg != r.msg {
			t.Errorf("alter %q %v: got %v, want %v: %s", r.group, r.configs, err, r.code, r.msg)
		}
	}
	if got := listGroupConfigResources(t, cl); len(got) != 0 {
		t.Fatalf("refused changes left group config resources %v", got)
	}

	if err := alterGroupConfigs(t, cl, "quick", map[string]*string{
		"consumer.session.timeout.ms":    kmsg.StringPtr("1500"),
		"consumer.heartbeat.interval.ms": kmsg.StringPtr("250"),
		"share.auto.offset.reset":        kmsg.StringPtr("by_duration:P1DT2H"),
	}); err != nil {
		t.Fatal(err)
	}
	values, sources := describeGroupConfigs(t, cl, "quick")
	if values["consumer.session.timeout.ms"] != "1500" || sources["consumer.session.timeout.ms"] != kmsg.ConfigSourceGroupConfig ||
		values["share.auto.offset.reset"] != "by_duration:P1DT2H" ||
		values["share.isolation.level"] != "read_uncommitted" || sources["share.isolation.level"] != kmsg.ConfigSourceDefaultConfig ||
		len(values) != 11 {
		t.Fatalf("group quick: %v %v", values, sources)
	}
	if values, _ := describeGroupConfigs(t, cl, "slow"); values["consumer.heartbeat.interval.ms"] != "5000" || values["consumer.session.timeout.ms"] != "45000" {
		t.Fatalf("group slow, with no configs, has %v; want the broker's", values)
	}

	// The coordinator applies the group's settings to its members only.
	join := func(g, member string) *kmsg.ConsumerGroupHeartbeatResponse {
		resp := heartbeat(t, cl, g, member, 0, []string{"gc"}, []kmsg.ConsumerGroupHeartbeatRequestTopic{})
		if resp.ErrorCode != 0 {
			t.Fatalf("join %s: %v", g, kerr.ErrorForCode(resp.ErrorCode))
		}
		return resp
	}
	if got := join("quick", "member-quick-0000000001").HeartbeatIntervalMillis; got != 250 {
		t.Fatalf("quick's heartbeat interval %d ms; want its config's 250", got)
	}
	if got := join("slow", "member-slow-00000000001").HeartbeatIntervalMillis; got != 5000 {
		t.Fatalf("slow's heartbeat interval %d ms; want the broker's 5000", got)
	}
	// Neither member heartbeats again: quick's leaves after 1.5 s.
	deadline := time.Now().Add(15 * time.Second)
	for {
		q, _ := describeConsumer(t, cl, "quick")
		if len(q.Members) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("quick's member still there after its 1.5 s session timeout: %+v", q.Members)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if s, _ := describeConsumer(t, cl, "slow"); len(s.Members) != 1 {
		t.Fatalf("slow's member (45 s session) gone: %+v", s.Members)
	}

	// Configs survive a restart; deleting every one removes the resource.
	tn.Shutdown()
	tn = nodetest.Start(t, dir, props)
	cl = newClient(t, tn.Addr)
	if got := listGroupConfigResources(t, cl); len(got) != 1 || got[0] != "quick" {
		t.Fatalf("after restart, group config resources %v; want [quick]", got)
	}
	if err := alterGroupConfigs(t, cl, "quick", map[string]*string{
		"consumer.session.timeout.ms":    nil,
		"consumer.heartbeat.interval.ms": nil,
		"share.auto.offset.reset":        nil,
	}); err != nil {
		t.Fatal(err)
	}
	if got := listGroupConfigResources(t, cl); len(got) != 0 {
		t.Fatalf("after deleting every config, group config resources %v", got)
	}
	if _, sources := describeGroupConfigs(t, cl, "quick"); sources["consumer.session.timeout.ms"] != kmsg.ConfigSourceDefaultConfig {
		t.Fatalf("deleted config still has source %v", sources["consumer.session.timeout.ms"])
	}
}

// TestListConfigResources: ListConfigResources v1 lists, in Kafka's
// order, groups with configs, broker loggers, brokers and topics; v0 only
// client metrics resources (none here); a type v0 does not know is
// UNSUPPORTED_VERSION.
func TestListConfigResources(t *testing.T) {
	tn := nodetest.Start(t, "", nil)
	cl := newClient(t, tn.Addr)
	createTopic(t, tn.Addr, "lcr", 1, nil)
	if err := alterGroupConfigs(t, cl, "g1", map[string]*string{"consumer.heartbeat.interval.ms": kmsg.StringPtr("6000")}); err != nil {
		t.Fatal(err)
	}
	req := kmsg.NewPtrListConfigResourcesRequest()
	resp, err := req.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range resp.ConfigResources {
		got = append(got, kmsg.ConfigResourceType(r.Type).String()+":"+r.Name)
	}
	want := []string{"GROUP_CONFIG:g1", "BROKER_LOGGER:1", "BROKER:1", "TOPIC:lcr"}
	if resp.ErrorCode != 0 || len(got) != len(want) {
		t.Fatalf("v1 lists %v (error %d); want %v", got, resp.ErrorCode, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("v1 lists %v; want %v", got, want)
		}
	}

	versions := kversion.Stable()
	versions.SetMaxKeyVersion(74, 0) // kgo sends the highest version both sides have
	resp0, err := kmsg.NewPtrListConfigResourcesRequest().RequestWith(testContext(t), newClient(t, tn.Addr, kgo.MaxVersions(versions)))
	if err != nil {
		t.Fatal(err)
	}
	if resp0.ErrorCode != 0 || len(resp0.ConfigResources) != 0 {
		t.Fatalf("v0: error %d, resources %v; want none", resp0.ErrorCode, resp0.ConfigResources)
	}

	req.ResourceTypes = []int8{int8(kmsg.ConfigResourceTypeTopic), 64}
	resp, err = req.RequestWith(testContext(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ErrorCode != kerr.UnsupportedVersion.Code || len(resp.ConfigResources) != 0 {
		t.Fatalf("unknown type: error %d, resources %v; want UNSUPPORTED_VERSION and none", resp.ErrorCode, resp.ConfigResources)
	}
}
