package metrics

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds a broker's metrics and the registry that serves them.
type Metrics struct {
	registry *prometheus.Registry
	view     View

	messagesIn, bytesIn, bytesOut *prometheus.CounterVec // by topic
	replicationBytesOut           prometheus.Counter
	requests                      *prometheus.CounterVec   // by request, version
	totalTime                     *prometheus.SummaryVec   // by request, in ms, as Kafka's histogram
	duration                      *prometheus.HistogramVec // by request, version, in seconds
	errors                        *prometheus.CounterVec   // by request, error
	isrShrinks, isrExpands        prometheus.Counter

	topics     sync.Map // topic name -> *topicCounters
	apis       sync.Map // requestKey -> *apiMetrics
	errorCodes sync.Map // errorKey -> prometheus.Counter
}

// New returns the metrics of a broker whose state view describes, with Go's
// runtime and process metrics.
func New(view View) *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry(), view: view}
	m.newTraffic()
	m.newRequests()
	m.registry.MustRegister(
		m.messagesIn, m.bytesIn, m.bytesOut, m.replicationBytesOut,
		m.requests, m.totalTime, m.duration, m.errors, m.isrShrinks, m.isrExpands,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&stateCollector{m: m},
	)
	return m
}

// Handler serves the metrics in Prometheus' text format (or OpenMetrics,
// as the scraper asks).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Gatherer is the registry, for tests and benchmarks that gather directly.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.registry }

func (m *Metrics) newTraffic() {
	topicCounter := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{"topic"})
	}
	m.messagesIn = topicCounter("kafka_server_brokertopicmetrics_messagesin_total", "Records appended to leader logs (Kafka's MessagesInPerSec).")
	m.bytesIn = topicCounter("kafka_server_brokertopicmetrics_bytesin_total", "Bytes of record batches appended from producers (BytesInPerSec).")
	m.bytesOut = topicCounter("kafka_server_brokertopicmetrics_bytesout_total", "Bytes of record batches sent to consumers (BytesOutPerSec).")
	m.replicationBytesOut = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kafka_server_brokertopicmetrics_replicationbytesout_total", Help: "Bytes of record batches sent to followers (ReplicationBytesOutPerSec)."})
	m.isrShrinks = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kafka_server_replicamanager_isrshrinks_total", Help: "ISR shrinks of partitions this node leads (IsrShrinksPerSec)."})
	m.isrExpands = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kafka_server_replicamanager_isrexpands_total", Help: "ISR expansions of partitions this node leads (IsrExpandsPerSec)."})
}

// ISRChanged counts an ISR change of a partition this node leads, from
// before members to after: Kafka's IsrShrinksPerSec and IsrExpandsPerSec.
func (m *Metrics) ISRChanged(before, after int) {
	switch {
	case after < before:
		m.isrShrinks.Inc()
	case after > before:
		m.isrExpands.Inc()
	}
}
