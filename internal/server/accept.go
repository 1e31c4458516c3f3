package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"
)

// The backoff of a failed Accept, as net/http's: a failure such as EMFILE
// (out of file descriptors) lasts until connections close, so the listener
// waits and retries while the node keeps serving the connections it has.
const (
	minAcceptDelay    = 5 * time.Millisecond
	maxAcceptDelay    = time.Second
	acceptLogInterval = time.Second // at most one warning per interval
)

// acceptor accepts the connections of one listener, retrying failed
// accepts. Not safe for concurrent use: Serve's loop owns it.
type acceptor struct {
	ln     net.Listener
	logger *slog.Logger
	now    func() time.Time
	// sleep waits d or until ctx is done.
	sleep func(ctx context.Context, d time.Duration)

	delay time.Duration // before the next retry; 0 after a success
	log   logLimiter    // of the failures
}

func newAcceptor(ln net.Listener, logger *slog.Logger) *acceptor {
	return &acceptor{ln: ln, logger: logger, now: time.Now, sleep: sleepContext}
}

// accept returns the next connection. A failed Accept is retried after a
// delay that doubles from minAcceptDelay to maxAcceptDelay and starts over
// after a success. Only a closed listener ends it: accept then returns
// ctx's error if ctx is done, else the listener's error (net.ErrClosed).
func (a *acceptor) accept(ctx context.Context) (net.Conn, error) {
	for {
		conn, err := a.ln.Accept()
		switch {
		case err == nil:
			a.delay = 0
			return conn, nil
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, net.ErrClosed):
			return nil, err
		}
		a.delay = min(max(2*a.delay, minAcceptDelay), maxAcceptDelay)
		a.warn(err)
		a.sleep(ctx, a.delay)
	}
}

// warn logs a failed accept, or counts it if the last warning is recent.
func (a *acceptor) warn(err error) {
	if suppressed, ok := a.log.allow(a.now()); ok {
		a.logger.Warn("accepting a connection failed; retrying", "err", err, "retry_in", a.delay,
			"suppressed", suppressed, "listener", a.ln.Addr().String())
	}
}

// logLimiter lets one warning through each acceptLogInterval and counts
// those it holds back. Its owner guards it.
type logLimiter struct {
	last       time.Time // of the last warning let through
	suppressed int       // warnings held back since
}

// allow reports whether a warning may be logged at now and, if so, how
// many were held back since the last.
func (l *logLimiter) allow(now time.Time) (suppressed int, ok bool) {
	if !l.last.IsZero() && now.Sub(l.last) < acceptLogInterval {
		l.suppressed++
		return 0, false
	}
	suppressed = l.suppressed
	l.last, l.suppressed = now, 0
	return suppressed, true
}

func sleepContext(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
