package kafkadiff

import (
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Group configs (config resource GROUP, KIP-848) and ListConfigResources.

func init() {
	byKey[74] = listConfigResourcesKey
	errorScenarios["group-configs"] = groupConfigsFlow
	errorScenarios["group-configs-refused"] = groupConfigsRefused
	errorScenarios["broker-loggers-refused"] = brokerLoggersRefused
}

// alterGroup sends one IncrementalAlterConfigs SET (or DELETE for a nil
// value) per config, in the order given, on group g.
func alterGroup(s *session, g string, validateOnly bool, configs ...*string) kmsg.Response {
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	req.ValidateOnly = validateOnly
	r := kmsg.NewIncrementalAlterConfigsRequestResource()
	r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeGroupConfig, g
	for i := 0; i+1 < len(configs); i += 2 {
		c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		c.Name, c.Value, c.Op = *configs[i], configs[i+1], kmsg.IncrementalAlterConfigOpSet
		if c.Value == nil {
			c.Op = kmsg.IncrementalAlterConfigOpDelete
		}
		r.Configs = append(r.Configs, c)
	}
	req.Resources = append(req.Resources, r)
	return s.do(req, s.max(44))
}

func describeGroup(s *session, g string, synonyms bool) *kmsg.DescribeConfigsResponse {
	req := kmsg.NewPtrDescribeConfigsRequest()
	req.IncludeSynonyms, req.IncludeDocumentation = synonyms, false
	r := kmsg.NewDescribeConfigsRequestResource()
	r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeGroupConfig, g
	req.Resources = append(req.Resources, r)
	resp := s.do(req, s.max(32)).(*kmsg.DescribeConfigsResponse)
	for i := range resp.Resources { // Kafka lists them in a hash map's order
		cs := resp.Resources[i].Configs
		for a := 1; a < len(cs); a++ {
			for b := a; b > 0 && cs[b].Name < cs[b-1].Name; b-- {
				cs[b], cs[b-1] = cs[b-1], cs[b]
			}
		}
	}
	return resp
}

// describeGroupUntil describes g until its consumer.heartbeat.interval.ms
// reads want: Kafka applies a change through its metadata log, a moment
// after answering.
func describeGroupUntil(s *session, g, want string) *kmsg.DescribeConfigsResponse {
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp := describeGroup(s, g, true)
		for _, c := range resp.Resources[0].Configs {
			if c.Name == "consumer.heartbeat.interval.ms" && c.Value != nil && *c.Value == want || time.Now().After(deadline) {
				return resp
			}
		}
	}
}

// listGroupConfigResources lists the GROUP config resources of this
// session (other scenarios' groups are left out).
func listGroupConfigResources(s *session, v int16, types ...int8) any {
	req := kmsg.NewPtrListConfigResourcesRequest()
	req.ResourceTypes = types
	resp := s.do(req, v).(*kmsg.ListConfigResourcesResponse)
	var own []kmsg.ListConfigResourcesResponseConfigResource
	for _, r := range resp.ConfigResources {
		if strings.HasPrefix(r.Name, s.name("")) {
			own = append(own, r)
		}
	}
	resp.ConfigResources = own
	return resp
}

func listConfigResourcesKey(s *session, v int16) any {
	g := s.name("g")
	p := kmsg.StringPtr
	out := []any{alterGroup(s, g, false, p("consumer.heartbeat.interval.ms"), p("6000"))}
	describeGroupUntil(s, g, "6000")
	if v == 0 {
		return append(out, listGroupConfigResources(s, v))
	}
	return append(out,
		listGroupConfigResources(s, v, int8(kmsg.ConfigResourceTypeGroupConfig)),
		listGroupConfigResources(s, v, int8(kmsg.ConfigResourceTypeGroupConfig), int8(kmsg.ConfigResourceTypeClientMetrics)),
		listGroupConfigResources(s, v, int8(kmsg.ConfigResourceTypeGroupConfig), 64))
}

// groupConfigsFlow sets, describes and deletes a group's configs: a group
// that does not exist, and one with no configs.
func groupConfigsFlow(s *session) any {
	g := s.name("g")
	p := kmsg.StringPtr
	out := []any{
		describeGroup(s, g, false),
		alterGroup(s, g, true, p("consumer.session.timeout.ms"), p("50000"), p("consumer.heartbeat.interval.ms"), p("7000")),
		alterGroup(s, g, false, p("consumer.session.timeout.ms"), p("50000"), p("consumer.heartbeat.interval.ms"), p("7000"),
			p("share.auto.offset.reset"), p("by_duration:PT1H30M"), p("share.isolation.level"), p("read_committed"),
			p("streams.num.standby.replicas"), p("1")),
	}
	out = append(out, describeGroupUntil(s, g, "7000"))
	out = append(out, alterGroup(s, g, false, p("consumer.heartbeat.interval.ms"), nil, p("consumer.session.timeout.ms"), nil))
	out = append(out, describeGroupUntil(s, g, "5000"))
	return out
}

// groupConfigsRefused sends each refused group config change on its own.
func groupConfigsRefused(s *session) any {
	g := s.name("g")
	p := kmsg.StringPtr
	var out []any
	for _, c := range [][]*string{
		{p("consumer.session.timeout.ms"), p("1000")},
		{p("consumer.session.timeout.ms"), p("61000")},
		{p("consumer.heartbeat.interval.ms"), p("4000")},
		{p("consumer.heartbeat.interval.ms"), p("16000")},
		{p("consumer.session.timeout.ms"), p("45000"), p("consumer.heartbeat.interval.ms"), p("15000")},
		{p("consumer.session.timeout.ms"), p("x")},
		{p("consumer.session.timeout.ms"), p("0")},
		{p("session.timeout.ms"), p("50000")},
		{p("share.record.lock.duration.ms"), p("500")},
		{p("share.record.lock.duration.ms"), p("10000")},
		{p("share.auto.offset.reset"), p("none")},
		{p("share.auto.offset.reset"), p("by_duration:-PT1H")},
		{p("share.auto.offset.reset"), p("LATEST")},
		{p("share.isolation.level"), p("committed")},
		{p("streams.num.standby.replicas"), p("3")},
		{p("streams.session.timeout.ms"), p("30000")},
		{p("consumer.session.timeout.ms"), p("50000"), p("consumer.session.timeout.ms"), p("55000")},
	} {
		out = append(out, alterGroup(s, g, false, c...))
	}
	out = append(out, alterGroup(s, "", false, p("consumer.session.timeout.ms"), p("50000")))
	append2 := kmsg.NewPtrIncrementalAlterConfigsRequest()
	r := kmsg.NewIncrementalAlterConfigsRequestResource()
	r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeGroupConfig, g
	r.Configs = []kmsg.IncrementalAlterConfigsRequestResourceConfig{{Name: "consumer.session.timeout.ms", Value: p("50000"), Op: kmsg.IncrementalAlterConfigOpAppend}}
	append2.Resources = append(append2.Resources, r)
	out = append(out, s.do(append2, s.max(44)), describeGroup(s, "", false))
	legacy := kmsg.NewPtrAlterConfigsRequest()
	lr := kmsg.NewAlterConfigsRequestResource()
	lr.ResourceType, lr.ResourceName = kmsg.ConfigResourceTypeGroupConfig, g
	lr.Configs = []kmsg.AlterConfigsRequestResourceConfig{{Name: "consumer.heartbeat.interval.ms", Value: p("9000")}}
	legacy.Resources = append(legacy.Resources, lr)
	out = append(out, s.do(legacy, s.max(33)), describeGroupUntil(s, g, "9000"))
	return out
}

// brokerLoggersRefused sends the changes of a broker's loggers Kafka
// refuses (the loggers themselves differ: log4j's against Gregor's), and
// asks for another broker's.
func brokerLoggersRefused(s *session) any {
	p := kmsg.StringPtr
	var out []any
	for _, c := range []struct {
		broker string
		op     kmsg.IncrementalAlterConfigOp
		name   string
		value  *string
	}{
		{"1", kmsg.IncrementalAlterConfigOpSet, "root", p("debug")},
		{"1", kmsg.IncrementalAlterConfigOpSet, "root", p("VERBOSE")},
		{"1", kmsg.IncrementalAlterConfigOpDelete, "root", nil},
		{"1", kmsg.IncrementalAlterConfigOpAppend, "root", p("DEBUG")},
		{"1", kmsg.IncrementalAlterConfigOpSubtract, "root", p("DEBUG")},
		{"1", kmsg.IncrementalAlterConfigOpSet, s.name("logger"), p("DEBUG")},
		{"1", kmsg.IncrementalAlterConfigOpDelete, s.name("logger"), nil},
		{"1", kmsg.IncrementalAlterConfigOpSet, "root", nil},
		{"2", kmsg.IncrementalAlterConfigOpSet, "root", p("DEBUG")},
		{"x", kmsg.IncrementalAlterConfigOpSet, "root", p("DEBUG")},
	} {
		req := kmsg.NewPtrIncrementalAlterConfigsRequest()
		req.ValidateOnly = true
		r := kmsg.NewIncrementalAlterConfigsRequestResource()
		r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeBrokerLogger, c.broker
		r.Configs = []kmsg.IncrementalAlterConfigsRequestResourceConfig{{Name: c.name, Op: c.op, Value: c.value}}
		req.Resources = append(req.Resources, r)
		out = append(out, s.do(req, s.max(44)))
	}
	legacy := kmsg.NewPtrAlterConfigsRequest()
	lr := kmsg.NewAlterConfigsRequestResource()
	lr.ResourceType, lr.ResourceName = kmsg.ConfigResourceTypeBrokerLogger, "1"
	lr.Configs = []kmsg.AlterConfigsRequestResourceConfig{{Name: "root", Value: p("INFO")}}
	legacy.Resources = append(legacy.Resources, lr)
	out = append(out, s.do(legacy, s.max(33)))
	for _, broker := range []string{"", "2", "x"} {
		req := kmsg.NewPtrDescribeConfigsRequest()
		r := kmsg.NewDescribeConfigsRequestResource()
		r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeBrokerLogger, broker
		req.Resources = append(req.Resources, r)
		out = append(out, s.do(req, s.max(32)))
	}
	return out
}
