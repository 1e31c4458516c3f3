// Package httpserve runs the node's HTTP services (the admin listener, the
// schema registry, the REST proxy) until their context ends.
package httpserve

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// Serve serves hs on ln until ctx is done, then shuts it down: requests in
// flight get up to grace to finish before their connections are closed.
// A server stopped this way returns nil.
func Serve(ctx context.Context, hs *http.Server, ln net.Listener, grace time.Duration) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		if hs.Shutdown(sctx) != nil {
			hs.Close()
		}
	}()
	err := hs.Serve(ln)
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
