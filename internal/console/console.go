package console

import (
	"cmp"
	"context"
	"embed"
	"encoding/hex"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Config is what the console needs to know of its node.
type Config struct {
	Bootstrap string // host:port of the node's own client listener
	ReadOnly  bool   // http.console.read.only
	Version   string // shown on the overview
	Logger    *slog.Logger
	// SASLMechanism (http.console.sasl.mechanism), when set, makes every
	// page ask for a user name and password (HTTP Basic) and reach the node
	// at Bootstrap, a SASL listener, as that user with this mechanism: the
	// node's ACLs then decide what each user sees and may change. Empty:
	// no login, the console is the listener's anonymous principal.
	SASLMechanism string
	// LagEvery is how often Run samples every group's lag for the lag
	// charts; 0 means every 5 seconds.
	LagEvery time.Duration
}

// Console serves the web console. It is safe for concurrent use.
type Console struct {
	cfg      Config
	pages    *template.Template
	mux      *http.ServeMux
	lag      *lagHistory // each group's recent total lag
	lagEvery time.Duration

	once   sync.Once // creates client
	client *kgo.Client
	err    error

	logins sessions // with SASLMechanism: each logged-in user's client
}

// requestTimeout bounds each page's Kafka requests.
const requestTimeout = 10 * time.Second

// New returns the console of the node reached at cfg.Bootstrap. It
// connects on first use.
func New(cfg Config) *Console {
	funcs := template.FuncMap{"hex": hex.EncodeToString, "join": joinIDs, "ago": ago}
	c := &Console{cfg: cfg, pages: template.Must(template.New("").Funcs(funcs).ParseFS(assets, "templates/*.html")),
		lag: newLagHistory(lagWindow), lagEvery: cmp.Or(cfg.LagEvery, lagEvery),
		logins: sessions{byID: map[string]*session{}}}
	c.routes()
	return c
}

func (c *Console) routes() {
	app := http.NewServeMux()
	app.HandleFunc("GET /{$}", c.overview)
	app.HandleFunc("GET /topics", c.topics)
	app.HandleFunc("GET /topics/{topic}", c.topic)
	app.HandleFunc("GET /topics/{topic}/messages", c.messages)
	app.HandleFunc("GET /groups", c.groups)
	app.HandleFunc("GET /groups/{group}", c.group)
	app.HandleFunc("POST /topics", c.writing(c.createTopic))
	app.HandleFunc("POST /topics/{topic}/delete", c.writing(c.deleteTopic))
	app.HandleFunc("POST /topics/{topic}/config", c.writing(c.alterConfig))
	app.HandleFunc("POST /topics/{topic}/produce", c.writing(c.produce))
	var pages http.Handler = app
	if c.cfg.SASLMechanism != "" {
		pages = c.login(app)
	}
	c.mux = http.NewServeMux()
	c.mux.Handle("GET /static/", http.FileServerFS(assets)) // no login: the stylesheet and script only
	c.mux.Handle("/", pages)
}

// ServeHTTP implements http.Handler.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.mux.ServeHTTP(w, r) }

// Close closes the console's clients.
func (c *Console) Close() {
	if c.client != nil {
		c.client.Close()
	}
	c.closeSessions()
}

// admin returns the admin client serving r: the logged-in user's, or the
// console's own, connecting on first use.
func (c *Console) admin(r *http.Request) (*kadm.Client, error) {
	if s := requestSession(r); s != nil {
		return kadm.NewClient(s.client), nil
	}
	return c.ownAdmin()
}

// ownAdmin returns the console's own admin client, connecting on first use.
func (c *Console) ownAdmin() (*kadm.Client, error) {
	c.once.Do(func() {
		c.client, c.err = kgo.NewClient(kgo.SeedBrokers(c.cfg.Bootstrap), kgo.ClientID("gregor-console"))
	})
	if c.err != nil {
		return nil, c.err
	}
	return kadm.NewClient(c.client), nil
}

// clientOpts are the options of a short-lived client serving r (the
// message browser's, a produce's): the node, and the login's mechanism.
func (c *Console) clientOpts(r *http.Request) []kgo.Opt {
	opts := []kgo.Opt{kgo.SeedBrokers(c.cfg.Bootstrap), kgo.ClientID("gregor-console")}
	if s := requestSession(r); s != nil {
		opts = append(opts, kgo.SASL(s.mech))
	}
	return opts
}

// writing refuses h in read-only mode.
func (c *Console) writing(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if c.cfg.ReadOnly {
			http.Error(w, "the console is read-only (http.console.read.only=true)", http.StatusForbidden)
			return
		}
		h(w, r)
	}
}

// page is what every template receives.
type page struct {
	Title     string
	Nav       string
	Principal string // who is logged in, "" without logins
	ReadOnly  bool
	Error     string
	Notice    string
	Data      any
}

// render executes the template name with data, or shows err in the page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, name, title string, data any, err error) {
	p := page{Title: title, Nav: strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)[0],
		Principal: principal(r), ReadOnly: c.cfg.ReadOnly, Data: data, Notice: r.URL.Query().Get("notice")}
	if err != nil {
		p.Error = err.Error()
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := c.pages.ExecuteTemplate(w, name, p); err != nil && c.cfg.Logger != nil {
		c.cfg.Logger.Warn("console page failed", "page", name, "err", err)
	}
}

func (c *Console) context(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), requestTimeout)
}

func joinIDs(ids []int32) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(itoa(int64(id)))
	}
	return b.String()
}

func ago(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02 15:04:05.000")
}
