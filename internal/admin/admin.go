package admin

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"gregor/internal/httpserve"
)

// Server is the admin listener's configuration. Its fields are set before
// Serve and not changed afterwards.
type Server struct {
	Metrics http.Handler // /metrics
	// Ready reports why the node is not ready yet (nil: ready); /readyz
	// answers 503 with that reason.
	Ready   func() error
	Pprof   bool         // serve /debug/pprof/ (http.pprof.enable)
	Console http.Handler // serves / and everything else; nil: none
	Logger  *slog.Logger
}

// Handler routes the admin endpoints.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	if s.Metrics != nil {
		mux.Handle("GET /metrics", s.Metrics)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	if s.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	if s.Console != nil {
		mux.Handle("/", s.Console)
	}
	return mux
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	if s.Ready != nil {
		if err := s.Ready(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	w.Write([]byte("ready\n"))
}

// shutdownTimeout bounds how long Serve waits for requests in flight
// (a CPU profile runs for seconds) once ctx ends.
const shutdownTimeout = 2 * time.Second

// Serve serves ln until ctx is done, then shuts down.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	if s.Logger != nil {
		hs.ErrorLog = slog.NewLogLogger(s.Logger.Handler(), slog.LevelDebug)
	}
	return httpserve.Serve(ctx, hs, ln, shutdownTimeout)
}
