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
}

// requestTimeout bounds each page's Kafka requests.
const requestTimeout = 10 * time.Second

// New returns the console of the node reached at cfg.Bootstrap. It
// connects on first use.
func New(cfg Config) *Console {
	funcs := template.FuncMap{"hex": hex.EncodeToString, "join": joinIDs, "ago": ago}
	c := &Console{cfg: cfg, pages: template.Must(template.New("").Funcs(funcs).ParseFS(assets, "templates/*.html")),
		lag: newLagHistory(lagWindow), lagEvery: cmp.Or(cfg.LagEvery, lagEvery)}
	c.routes()
	return c
}

func (c *Console) routes() {
	c.mux = http.NewServeMux()
	c.mux.Handle("GET /static/", http.FileServerFS(assets))
	c.mux.HandleFunc("GET /{$}", c.overview)
	c.mux.HandleFunc("GET /topics", c.topics)
	c.mux.HandleFunc("GET /topics/{topic}", c.topic)
	c.mux.HandleFunc("GET /topics/{topic}/messages", c.messages)
	c.mux.HandleFunc("GET /groups", c.groups)
	c.mux.HandleFunc("GET /groups/{group}", c.group)
	c.mux.HandleFunc("POST /topics", c.writing(c.createTopic))
	c.mux.HandleFunc("POST /topics/{topic}/delete", c.writing(c.deleteTopic))
	c.mux.HandleFunc("POST /topics/{topic}/config", c.writing(c.alterConfig))
	c.mux.HandleFunc("POST /topics/{topic}/produce", c.writing(c.produce))
}

// ServeHTTP implements http.Handler.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.mux.ServeHTTP(w, r) }

// Close closes the console's client.
func (c *Console) Close() {
	if c.client != nil {
		c.client.Close()
	}
}

// admin returns the console's admin client, connecting on first use.
func (c *Console) admin() (*kadm.Client, error) {
	c.once.Do(func() {
		c.client, c.err = kgo.NewClient(kgo.SeedBrokers(c.cfg.Bootstrap), kgo.ClientID("gregor-console"))
	})
	if c.err != nil {
		return nil, c.err
	}
	return kadm.NewClient(c.client), nil
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
	Title    string
	Nav      string
	ReadOnly bool
	Error    string
	Notice   string
	Data     any
}

// render executes the template name with data, or shows err in the page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, name, title string, data any, err error) {
	p := page{Title: title, Nav: strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)[0],
		ReadOnly: c.cfg.ReadOnly, Data: data, Notice: r.URL.Query().Get("notice")}
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
