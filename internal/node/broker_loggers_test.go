package node_test

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/node/nodetest"
)

func describeLoggers(t *testing.T, cl *kgo.Client, broker string) (map[string]string, *kmsg.DescribeConfigsResponseResource) {
	t.Helper()
	req := kmsg.NewPtrDescribeConfigsRequest()
	res := kmsg.NewDescribeConfigsRequestResource()
	res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeBrokerLogger, broker
	req.Resources = append(req.Resources, res)
	kresp, err := cl.Broker(1).Request(testContext(t), req) // to node 1 whatever the name
	if err != nil {
		t.Fatal(err)
	}
	resp := kresp.(*kmsg.DescribeConfigsResponse)
	out := map[string]string{}
	for _, c := range resp.Resources[0].Configs {
		if c.Source != kmsg.ConfigSourceDynamicBrokerLoggerConfig || c.Value == nil {
			t.Fatalf("logger %s: source %v value %v", c.Name, c.Source, c.Value)
		}
		out[c.Name] = *c.Value
	}
	return out, &resp.Resources[0]
}

func alterLoggers(t *testing.T, cl *kgo.Client, broker string, validateOnly bool, ops ...kmsg.IncrementalAlterConfigsRequestResourceConfig) (kerr.Error, string) {
	t.Helper()
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	req.ValidateOnly = validateOnly
	res := kmsg.NewIncrementalAlterConfigsRequestResource()
	res.ResourceType, res.ResourceName, res.Configs = kmsg.ConfigResourceTypeBrokerLogger, broker, ops
	req.Resources = append(req.Resources, res)
	kresp, err := cl.Broker(1).Request(testContext(t), req)
	if err != nil {
		t.Fatal(err)
	}
	r := kresp.(*kmsg.IncrementalAlterConfigsResponse).Resources[0]
	msg := ""
	if r.ErrorMessage != nil {
		msg = *r.ErrorMessage
	}
	if r.ErrorCode == 0 {
		return kerr.Error{}, msg
	}
	return *kerr.ErrorForCode(r.ErrorCode).(*kerr.Error), msg
}

func loggerOp(name string, op kmsg.IncrementalAlterConfigOp, value *string) kmsg.IncrementalAlterConfigsRequestResourceConfig {
	return kmsg.IncrementalAlterConfigsRequestResourceConfig{Name: name, Op: op, Value: value}
}

// TestBrokerLoggers: the BROKER_LOGGER resource lists this node's loggers
// with the level in effect and changes them at run time as Kafka's
// RuntimeLoggerManager does: a named logger given a level keeps it, one
// unset follows root again, and each refusal is Kafka's error.
func TestBrokerLoggers(t *testing.T) {
	tn := nodetest.Start(t, "", nil)
	cl := newClient(t, tn.Addr)
	set, del := kmsg.IncrementalAlterConfigOpSet, kmsg.IncrementalAlterConfigOpDelete
	levels, _ := describeLoggers(t, cl, "1")
	root := levels["root"]
	for _, name := range []string{"root", "gregor.replica", "gregor.controller", "gregor.group", "gregor.txn", "gregor.handler", "gregor.network", "gregor.storage"} {
		if levels[name] != root {
			t.Fatalf("logger %s: %q, want root's %q (all: %v)", name, levels[name], root, levels)
		}
	}

	if code, msg := alterLoggers(t, cl, "1", true, loggerOp("gregor.replica", set, kmsg.StringPtr("TRACE"))); code.Code != 0 {
		t.Fatalf("validate-only: %v %s", code, msg)
	}
	if levels, _ := describeLoggers(t, cl, "1"); levels["gregor.replica"] != root {
		t.Fatalf("validate-only changed the level: %v", levels)
	}
	if code, msg := alterLoggers(t, cl, "1", false, loggerOp("gregor.replica", set, kmsg.StringPtr("TRACE")), loggerOp("root", set, kmsg.StringPtr("ERROR"))); code.Code != 0 {
		t.Fatalf("alter: %v %s", code, msg)
	}
	levels, _ = describeLoggers(t, cl, "1")
	if levels["gregor.replica"] != "TRACE" || levels["root"] != "ERROR" || levels["gregor.group"] != "ERROR" {
		t.Fatalf("after alter: %v", levels)
	}
	if code, msg := alterLoggers(t, cl, "1", false, loggerOp("gregor.replica", del, nil)); code.Code != 0 {
		t.Fatalf("unset: %v %s", code, msg)
	}
	if levels, _ := describeLoggers(t, cl, "1"); levels["gregor.replica"] != "ERROR" {
		t.Fatalf("an unset logger follows root: %v", levels)
	}

	for _, c := range []struct {
		broker string
		op     kmsg.IncrementalAlterConfigsRequestResourceConfig
		code   *kerr.Error
		msg    string
	}{
		{"1", loggerOp("kafka.server", set, kmsg.StringPtr("DEBUG")), kerr.InvalidConfig, "Logger kafka.server does not exist!"},
		{"1", loggerOp("root", set, kmsg.StringPtr("debug")), kerr.InvalidConfig,
			"Cannot set the log level of root to debug as it is not a supported log level. Valid log levels are DEBUG, ERROR, FATAL, INFO, TRACE, WARN"},
		{"1", loggerOp("root", del, nil), kerr.InvalidRequest, "Removing the log level of the root logger is not allowed"},
		{"1", loggerOp("root", kmsg.IncrementalAlterConfigOpAppend, kmsg.StringPtr("DEBUG")), kerr.InvalidRequest, "APPEND operation is not allowed for the BROKER_LOGGER resource"},
		{"2", loggerOp("root", set, kmsg.StringPtr("DEBUG")), kerr.InvalidRequest, "Unexpected node id. Expected 1, but received 2"},
		{"x", loggerOp("root", set, kmsg.StringPtr("DEBUG")), kerr.InvalidRequest, "Node id must be an integer, but it is: x"},
	} {
		code, msg := alterLoggers(t, cl, c.broker, false, c.op)
		if code.Code != c.code.Code || msg != c.msg {
			t.Errorf("%s %+v: %v %q, want %v %q", c.broker, c.op, code, msg, c.code, c.msg)
		}
	}
	if _, res := describeLoggers(t, cl, "2"); res.ErrorCode != kerr.InvalidRequest.Code {
		t.Fatalf("describe of another broker's loggers: %v", kerr.ErrorForCode(res.ErrorCode))
	}
	if levels, _ := describeLoggers(t, cl, "1"); levels["root"] != "ERROR" {
		t.Fatalf("refused changes changed a level: %v", levels)
	}
}
