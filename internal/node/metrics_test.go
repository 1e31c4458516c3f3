package node_test

import (
	"net/http"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/node/nodetest"
)

// scrape fetches /metrics from the node's admin listener and parses it with
// Prometheus' own text parser.
func scrape(t testing.TB, tn *nodetest.TestNode) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + tn.AdminAddr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return families
}

// value returns the value of the series of name whose labels include
// labels (0 when there is none).
func value(families map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	f := families[name]
	if f == nil {
		return 0
	}
	for _, m := range f.Metric {
		if hasLabels(m, labels) {
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Summary != nil:
				return float64(m.Summary.GetSampleCount())
			}
		}
	}
	return 0
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	found := 0
	for _, l := range m.Label {
		if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
			found++
		}
	}
	return found == len(want)
}

// TestMetricsCountProducedRecords proves that /metrics, parsed by the
// Prometheus text parser, counts exactly the records produced to a topic
// (messagesin rises by N, bytesin by at least the payload), counts the
// Produce requests and their NONE error codes, and shows the partition's
// log end offset; /readyz answers 200 once Start has returned.
func TestMetricsCountProducedRecords(t *testing.T) {
	tn := nodetest.Start(t, "", nil)
	resp, err := http.Get("http://" + tn.AdminAddr().String() + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/readyz after start: %v %v", resp, err)
	}
	resp.Body.Close()
	createTopic(t, tn.Addr, "metered", 2, nil)
	cl := newClient(t, tn.Addr, kgo.DefaultProduceTopic("metered"))
	produceSync(t, cl, "metered", "a", 7, 7)
	before := scrape(t, tn)
	produceSync(t, cl, "metered", "b", 250, 50)
	after := scrape(t, tn)

	topic := map[string]string{"topic": "metered"}
	in := value(after, "kafka_server_brokertopicmetrics_messagesin_total", topic) - value(before, "kafka_server_brokertopicmetrics_messagesin_total", topic)
	if in != 250 {
		t.Errorf("messagesin rose by %v, want 250", in)
	}
	if bytes := value(after, "kafka_server_brokertopicmetrics_bytesin_total", topic); bytes < 257*3 {
		t.Errorf("bytesin %v, below the payload", bytes)
	}
	if n := value(after, "kafka_network_requestmetrics_requests_total", map[string]string{"request": "Produce"}); n < 1 {
		t.Errorf("no Produce request counted")
	}
	if n := value(after, "kafka_network_requestmetrics_errors_total", map[string]string{"request": "Produce", "error": "NONE"}); n < 1 {
		t.Errorf("no NONE error code counted for Produce")
	}
	if n := value(after, "kafka_network_requestmetrics_totaltimems", map[string]string{"request": "Produce"}); n < 1 {
		t.Errorf("no Produce latency observed")
	}
	end := value(after, "kafka_log_log_logendoffset", map[string]string{"topic": "metered", "partition": "0"}) +
		value(after, "kafka_log_log_logendoffset", map[string]string{"topic": "metered", "partition": "1"})
	if end != 257 {
		t.Errorf("log end offsets sum to %v, want 257", end)
	}
	if value(after, "kafka_controller_kafkacontroller_activecontrollercount", nil) != 1 {
		t.Errorf("activecontrollercount is not 1 on a single node")
	}
	if value(after, "kafka_server_socket_server_metrics_connection_count", map[string]string{"listener": "PLAINTEXT"}) < 1 {
		t.Errorf("no open connection counted on PLAINTEXT")
	}
	if after["go_goroutines"] == nil {
		t.Errorf("no Go runtime metrics")
	}
}

// TestMetricsConsumerLag proves the broker computes a group's lag: a group
// that committed offset 4 of a partition holding 10 records shows
// kafka_consumergroup_lag 6 for it, and its committed offset.
func TestMetricsConsumerLag(t *testing.T) {
	tn := nodetest.Start(t, "", nil)
	createTopic(t, tn.Addr, "lagging", 1, nil)
	cl := newClient(t, tn.Addr)
	produceSync(t, cl, "lagging", "r", 10, 10)
	adm := kadm.NewClient(cl)
	offsets := kadm.Offsets{}
	offsets.AddOffset("lagging", 0, 4, -1)
	if _, err := adm.CommitOffsets(testContext(t), "slow-readers", offsets); err != nil {
		t.Fatal(err)
	}
	m := scrape(t, tn)
	labels := map[string]string{"consumergroup": "slow-readers", "topic": "lagging", "partition": "0"}
	if lag := value(m, "kafka_consumergroup_lag", labels); lag != 6 {
		t.Errorf("lag %v, want 6", lag)
	}
	if off := value(m, "kafka_consumergroup_current_offset", labels); off != 4 {
		t.Errorf("current offset %v, want 4", off)
	}
	if sum := value(m, "kafka_consumergroup_lag_sum", map[string]string{"consumergroup": "slow-readers", "topic": "lagging"}); sum != 6 {
		t.Errorf("lag sum %v, want 6", sum)
	}
}
