package server

import (
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/wire"
)

// Observer is told of every request a server answers, for metrics. It is
// called from each connection's goroutine, concurrently, and must be quick:
// it runs on the request path.
type Observer interface {
	// Served reports req answered with resp (nil: none is sent, as for
	// acks=0) after elapsed, measured from the request decoded to its
	// response ready. resp may alias buffers released after the call.
	Served(req *wire.Request, resp kmsg.Response, elapsed time.Duration)
}

// observe tells the Observer of a request served without error; one
// whose serving failed closes its connection and is not counted.
func (s *Server) observe(req *wire.Request, resp kmsg.Response, err error, start time.Time) {
	if s.Observer != nil && err == nil {
		s.Observer.Served(req, resp, time.Since(start))
	}
}

// OpenConnections returns the connections the server is serving now.
func (s *Server) OpenConnections() int64 { return s.open.Load() }
