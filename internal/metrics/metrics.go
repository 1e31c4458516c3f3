package metrics

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"
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
	)
	return m
}

// Handler serves the metrics in Prometheus' text format 0.0.4, which
// every Prometheus scraper accepts, gzipped when the scraper asks: the
// registry's counters and histograms through client_golang's encoder,
// then the state families written straight from the View (collector.go).
func (m *Metrics) Handler() http.Handler { return http.HandlerFunc(m.serveHTTP) }

func (m *Metrics) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if m.view != nil {
		m.forgetTopics(m.view.TopicExists)
	}
	families, err := m.registry.Gather()
	if err != nil {
		http.Error(w, "gathering metrics: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	var out io.Writer = w
	if acceptsGzip(r) {
		w.Header().Set("Content-Encoding", "gzip")
		gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		defer gz.Close()
		out = gz
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	defer bw.Flush()
	for _, f := range families {
		if _, err := expfmt.MetricFamilyToText(bw, f); err != nil {
			return // the scraper went away
		}
	}
	if m.view != nil {
		writeState(bw, m.view)
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		if enc, _, _ := strings.Cut(strings.TrimSpace(part), ";"); enc == "gzip" {
			return true
		}
	}
	return false
}

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
