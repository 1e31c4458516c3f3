package restproxy

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"gregor/internal/httpserve"
)

// Config is what the proxy needs to know of its node.
type Config struct {
	Bootstrap string // host:port of the node's own client listener
	ClusterID string // the cluster's id, the {cluster_id} of v3 paths
	// ConsumerInstanceTimeout closes a consumer instance idle this long.
	ConsumerInstanceTimeout time.Duration
	MaxRequestBytes         int64         // bounds a request body (a record object when streamed)
	RequestTimeout          time.Duration // bounds a request (a record when streamed)
	// Registry serves the avro, jsonschema and protobuf embedded formats;
	// nil refuses them.
	Registry Registry
	// Authenticate, if set, wraps the API served (HTTP basic
	// authentication, say).
	Authenticate func(http.Handler) http.Handler
	// Propagate, if set, makes requests reach Kafka as their principal
	// (see Propagation); nil: as the proxy, on Bootstrap.
	Propagate *Propagation
	Logger    *slog.Logger
}

// Proxy serves the REST API. It is safe for concurrent use.
type Proxy struct {
	cfg       Config
	mux       *http.ServeMux
	consumers *registry
	schemas   schemaCache
	users     users // with cfg.Propagate: the clients of each principal

	once   sync.Once // creates client and adminClient
	client *kgo.Client
	// adminClient serves the metadata of topics, brokers and offsets.
	// Describing topics and brokers bypasses its cache (see fresh), and
	// what does use its cache (offsets) is at most 10ms old.
	adminClient *kgo.Client
	err         error
}

// shutdownTimeout bounds the wait for requests in flight when the proxy stops.
const shutdownTimeout = 5 * time.Second

// New returns the proxy of the node reached at cfg.Bootstrap. It connects
// on first use.
func New(cfg Config) *Proxy {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxRequestBytes <= 0 {
		cfg.MaxRequestBytes = 64 << 20
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	if cfg.ConsumerInstanceTimeout <= 0 {
		cfg.ConsumerInstanceTimeout = 5 * time.Minute
	}
	p := &Proxy{cfg: cfg, users: users{pr: cfg.Propagate}}
	p.consumers = newRegistry(cfg)
	p.routes()
	return p
}

func (p *Proxy) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", p.root)
	p.routesV2(m)
	p.routesV3(m)
	p.mux = m
}

// ServeHTTP implements http.Handler: the routes, with Confluent's error
// bodies for unknown paths and methods.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := p.mux.Handler(r)
	if pattern == "" {
		rec := &statusRecorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 {
			status = http.StatusNotFound
		}
		if allow := rec.header.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		writeError(w, &Error{Status: status, Code: status, Message: "HTTP " + itoa(int64(status)) + " " + http.StatusText(status)})
		return
	}
	// A body sent slowly cannot hold a request longer than its bound (the
	// streamed produce moves the deadline on at each record).
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(p.cfg.RequestTimeout))
	p.mux.ServeHTTP(w, r)
}

// statusRecorder keeps the status and headers of the mux's own 404 and 405
// answers, so that they go out as Confluent's error bodies.
type statusRecorder struct {
	header http.Header
	status int
}

func (s *statusRecorder) Header() http.Header         { return s.header }
func (s *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (s *statusRecorder) WriteHeader(code int)        { s.status = code }

// Serve serves the proxy on ln until ctx ends, then closes every consumer
// instance and the proxy's client.
func (p *Proxy) Serve(ctx context.Context, ln net.Listener) error {
	var handler http.Handler = p
	if p.cfg.Authenticate != nil {
		handler = p.cfg.Authenticate(p)
	}
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(p.cfg.Logger.Handler(), slog.LevelDebug)}
	var loops sync.WaitGroup
	loops.Go(func() { p.consumers.expireLoop(ctx) })
	if p.cfg.Propagate != nil {
		loops.Go(func() { p.users.expireLoop(ctx, p.cfg.ConsumerInstanceTimeout) })
	}
	err := httpserve.Serve(ctx, hs, ln, shutdownTimeout)
	loops.Wait()
	p.Close()
	return err
}

// Close closes every consumer instance and the proxy's client.
func (p *Proxy) Close() {
	p.consumers.closeAll()
	p.users.closeAll()
	p.once.Do(func() { p.err = errors.New("rest proxy closed") })
	if p.client != nil {
		p.client.Close()
		p.adminClient.Close()
	}
}

// kafka returns the client that produces for the request whose context
// is ctx: the proxy's, connecting on first use, or its principal's.
func (p *Proxy) kafka(ctx context.Context) (*kgo.Client, error) {
	if p.cfg.Propagate != nil {
		ku, err := p.users.get(ctx, p.producerOpts(), p.adminOpts())
		if err != nil {
			return nil, kafkaError(err)
		}
		return ku.client, nil
	}
	p.connect()
	return p.client, p.err
}

func (p *Proxy) producerOpts() []kgo.Opt {
	return []kgo.Opt{kgo.ClientID("gregor-rest-proxy"), kgo.RecordPartitioner(partitioner{kgo.StickyKeyPartitioner(nil)}),
		kgo.ProducerBatchMaxBytes(1 << 20), kgo.MaxBufferedRecords(1 << 16)}
}

func (p *Proxy) adminOpts() []kgo.Opt {
	return []kgo.Opt{kgo.ClientID("gregor-rest-proxy-admin"), kgo.MetadataMinAge(10 * time.Millisecond)}
}

func (p *Proxy) connect() {
	p.once.Do(func() {
		p.client, p.err = kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(p.cfg.Bootstrap)}, p.producerOpts()...)...)
		if p.err != nil {
			return
		}
		p.adminClient, p.err = kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(p.cfg.Bootstrap)}, p.adminOpts()...)...)
		if p.err != nil {
			p.client.Close()
			p.client = nil
		}
	})
}

// admin returns the admin client of the request whose context is ctx:
// the proxy's, connecting on first use, or its principal's.
func (p *Proxy) admin(ctx context.Context) (*kadm.Client, error) {
	if p.cfg.Propagate != nil {
		adm, err := p.adminOf(ctx)
		if err != nil {
			return nil, kafkaError(err)
		}
		return adm, nil
	}
	p.connect()
	if p.err != nil {
		return nil, p.err
	}
	return kadm.NewClient(p.adminClient), nil
}

// fresh makes kadm's metadata requests under ctx go to the broker instead
// of the client's cache (asking for authorized operations does), so that a
// topic just created or deleted through the proxy is seen as such.
func fresh(ctx context.Context) context.Context { return kadm.WithAuthorizedOps(ctx) }

// context bounds one request's work by the request timeout.
func (p *Proxy) context(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), p.cfg.RequestTimeout)
}

// scheme is the scheme of the proxy's URLs as the request reached it.
func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// root answers GET / as Confluent's REST proxy does: an empty JSON object.
func (p *Proxy) root(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, contentTypeV2, struct{}{})
}
