package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/wire"
)

// Kafka's names for the two kinds of Fetch in RequestMetrics.
const (
	fetchConsumer = "FetchConsumer"
	fetchFollower = "FetchFollower"
)

// apiMetrics are the cached series of one API key and version.
type apiMetrics struct {
	requests  prometheus.Counter
	totalTime prometheus.Observer // ms, by request name
	duration  prometheus.Observer // seconds, by request name and version
}

func (m *Metrics) newRequests() {
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kafka_network_requestmetrics_requests_total", Help: "Requests served, by API and version (RequestsPerSec)."},
		[]string{"request", "version"})
	m.totalTime = prometheus.NewSummaryVec(prometheus.SummaryOpts{
		Name: "kafka_network_requestmetrics_totaltimems", Help: "Time to serve a request, in milliseconds, read to answered (TotalTimeMs).",
		Objectives: map[float64]float64{0.5: 0.05, 0.75: 0.025, 0.95: 0.01, 0.98: 0.005, 0.99: 0.001, 0.999: 0.0001}},
		[]string{"request"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "gregor_request_duration_seconds", Help: "Time to serve a request, by API and version, as a histogram that aggregates across nodes.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10)},
		[]string{"request", "version"})
	m.errors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kafka_network_requestmetrics_errors_total", Help: "Error codes in responses, NONE included, by API (ErrorsPerSec)."},
		[]string{"request", "error"})
}

// requestKey identifies an API metric series: the name Kafka uses and the version.
type requestKey struct {
	name    string
	version int16
}

// api returns the cached series of name at version.
func (m *Metrics) api(name string, version int16) *apiMetrics {
	k := requestKey{name, version}
	if a, ok := m.apis.Load(k); ok {
		return a.(*apiMetrics)
	}
	v := strconv.Itoa(int(version))
	a := &apiMetrics{
		requests:  m.requests.WithLabelValues(name, v),
		totalTime: m.totalTime.WithLabelValues(name),
		duration:  m.duration.WithLabelValues(name, v),
	}
	actual, _ := m.apis.LoadOrStore(k, a)
	return actual.(*apiMetrics)
}

// Served records one answered request: it implements the server's
// observer. resp is nil when no response is sent (acks=0); elapsed runs
// from the request read to its answer. It must be called before the
// response's buffers are released (resp may alias them).
func (m *Metrics) Served(req *wire.Request, resp kmsg.Response, elapsed time.Duration) {
	name := kmsg.NameForKey(req.Header.Key)
	m.observe(name, req.Header.Version, elapsed)
	switch body := req.Body.(type) {
	case *kmsg.ProduceRequest:
		r, _ := resp.(*kmsg.ProduceResponse)
		m.produced(body, r)
	case *kmsg.FetchRequest:
		r, _ := resp.(*kmsg.FetchResponse)
		follower := body.ReplicaID >= 0 || body.ReplicaState.ID >= 0
		m.observe(fetchKind(follower), req.Header.Version, elapsed)
		if r != nil {
			m.fetched(r, req.FetchRegions, follower)
		}
	}
	if resp != nil {
		m.countErrors(name, resp)
	}
}

func fetchKind(follower bool) string {
	if follower {
		return fetchFollower
	}
	return fetchConsumer
}

func (m *Metrics) observe(name string, version int16, elapsed time.Duration) {
	a := m.api(name, version)
	a.requests.Inc()
	a.totalTime.Observe(float64(elapsed) / float64(time.Millisecond))
	a.duration.Observe(elapsed.Seconds())
}

// errorKey identifies an errors series.
type errorKey struct {
	request string
	code    int16
}

// countErrors counts the error codes of resp, as Kafka's
// RequestMetrics counts a response's errorCounts.
func (m *Metrics) countErrors(request string, resp kmsg.Response) {
	var c codeCounts
	eachErrorCode(resp, c.add)
	for i := range c.n {
		m.errorCounter(request, c.codes[i]).Add(float64(c.counts[i]))
	}
	for code, n := range c.more {
		m.errorCounter(request, code).Add(float64(n))
	}
}

func (m *Metrics) errorCounter(request string, code int16) prometheus.Counter {
	k := errorKey{request, code}
	if c, ok := m.errorCodes.Load(k); ok {
		return c.(prometheus.Counter)
	}
	c, _ := m.errorCodes.LoadOrStore(k, m.errors.WithLabelValues(request, errorName(code)))
	return c.(prometheus.Counter)
}

// errorName is Kafka's name of an error code (Errors.name()).
func errorName(code int16) string {
	if code == 0 {
		return "NONE"
	}
	if err := kerr.ErrorForCode(code); err != nil {
		if ke, ok := err.(*kerr.Error); ok {
			return ke.Message
		}
	}
	return "UNKNOWN_SERVER_ERROR"
}

// codeCounts tallies error codes without allocating for the usual few.
type codeCounts struct {
	n      int
	codes  [4]int16
	counts [4]int
	more   map[int16]int
}

func (c *codeCounts) add(code int16) {
	for i := range c.n {
		if c.codes[i] == code {
			c.counts[i]++
			return
		}
	}
	if c.n < len(c.codes) {
		c.codes[c.n], c.counts[c.n] = code, 1
		c.n++
		return
	}
	if c.more == nil {
		c.more = map[int16]int{}
	}
	c.more[code]++
}
