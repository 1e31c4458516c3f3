package server

import (
	"bufio"
	"context"
	"net"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/wire"
)

// pipelineDepth bounds the produce requests of one connection that are
// served (appended) but not yet answered; a connection with as many stops
// reading until the oldest is answered. It is above the five requests in
// flight that Kafka's producers send by default.
const pipelineDepth = 16

// produceKey is Produce, the one API whose requests a connection serves
// while earlier answers wait (see pipeline).
const produceKey = 0

// pending is a served request whose answer is not written yet: it waits
// for its own completion (wire.Request.Defer) or behind one that does.
type pending struct {
	req   *wire.Request
	resp  kmsg.Response
	start time.Time // when serving began, for the Observer
	held  int64     // its bytes of queued.max.request.bytes
	frame []byte    // its frame, which the request's body points into
}

// pipeline writes a connection's pending answers in request order, from a
// goroutine of its own that runs while any are queued, so that the
// connection's goroutine goes on reading and appending the client's next
// produce requests while an earlier one waits for its fsync or its
// followers. The connection's buffered writer belongs to that goroutine
// while it runs and to the connection's goroutine otherwise: the latter
// writes only after drain.
type pipeline struct {
	s      *Server
	ctx    context.Context // ends when the connection does
	cancel context.CancelFunc
	conn   net.Conn
	w      *bufio.Writer
	cn     *connection // told of each answer written

	mu      sync.Mutex // guards the fields below
	queue   []pending
	running bool          // the writer goroutine runs
	changed chan struct{} // closed and replaced when an answer leaves the queue or the writer stops
	err     error         // why the writer stopped early: the connection is done
	frames  [][]byte      // frame buffers of answered requests, to read into again

	// The writer goroutine's encoding buffers.
	respBuf []byte
	pieces  [][]byte
}

func newPipeline(ctx context.Context, s *Server, conn net.Conn, w *bufio.Writer, cn *connection) *pipeline {
	ctx, cancel := context.WithCancel(ctx)
	return &pipeline{s: s, ctx: ctx, cancel: cancel, conn: conn, w: w, cn: cn, changed: make(chan struct{})}
}

// busy reports whether answers are pending, so that the next produce's
// answer, ready or not, must queue behind them.
func (p *pipeline) busy() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.running
}

// push queues e's answer, starting the writer goroutine if it is not
// running, then waits while pipelineDepth answers are pending, so that the
// connection reads no further meanwhile. The answer is the pipeline's to
// write or drop from then on; an error means the connection is done.
func (p *pipeline) push(e pending) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		p.drop(e)
		return p.err
	}
	p.queue = append(p.queue, e)
	if !p.running {
		p.running = true
		go p.run()
	}
	for p.err == nil && len(p.queue) >= pipelineDepth {
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-p.ctx.Done():
		}
		p.mu.Lock()
		if p.err == nil && p.ctx.Err() != nil {
			p.err = p.ctx.Err()
		}
	}
	return p.err
}

// drop releases what an answer that will not be written holds.
func (p *pipeline) drop(e pending) {
	p.s.Connections.releaseBytes(e.held)
	e.req.Sent()
}

// drain waits until every pending answer is written and the writer
// goroutine has stopped; it returns the error that stopped it early.
func (p *pipeline) drain() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.running {
		changed := p.changed
		p.mu.Unlock()
		<-changed // the writer stops on its own, at the latest once ctx ends
		p.mu.Lock()
	}
	return p.err
}

// close ends the pipeline with its connection: pending answers are
// dropped (their waits cut short), their requests' buffers and budget
// released, and the writer goroutine is gone when it returns.
func (p *pipeline) close() {
	p.cancel()
	p.drain()
}

// takeFrame returns a frame buffer of an answered request, or nil.
func (p *pipeline) takeFrame() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.frames)
	if n == 0 {
		return nil
	}
	f := p.frames[n-1]
	p.frames[n-1] = nil
	p.frames = p.frames[:n-1]
	return f
}

// signal wakes whoever waits on changed; p.mu is held.
func (p *pipeline) signal() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// run is the writer goroutine: it answers the queue's requests in order,
// each once its completion returns, flushing whenever the next answer may
// take a while, and stops when the queue is empty or a write failed.
func (p *pipeline) run() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		if p.err == nil && p.ctx.Err() != nil {
			p.err = p.ctx.Err()
		}
		if p.err != nil || len(p.queue) == 0 {
			for _, e := range p.queue { // the connection is done
				p.drop(e)
			}
			clear(p.queue)
			p.queue = p.queue[:0]
			p.running = false
			p.signal()
			return
		}
		e := p.queue[0]
		p.mu.Unlock()
		err := p.answer(e)
		p.mu.Lock()
		p.queue[0] = pending{}
		p.queue = p.queue[1:]
		if len(p.queue) == 0 {
			p.queue = nil // let the slice's array go
		}
		if err == nil && (len(p.queue) == 0 || p.queue[0].req.Deferred()) {
			p.mu.Unlock()
			err = p.w.Flush()
			p.mu.Lock()
		}
		if err != nil && p.err == nil {
			p.err = err
		}
		if cap(e.frame) <= maxRetainedFrame && len(p.frames) <= pipelineDepth {
			p.frames = append(p.frames, e.frame)
		}
		p.signal()
	}
}

// answer completes e's response, tells the Observer, and writes it into
// the connection's buffer, unless the connection is done.
func (p *pipeline) answer(e pending) error {
	e.req.Complete(p.ctx)
	p.s.Connections.releaseBytes(e.held)
	p.s.observe(e.req, e.resp, nil, e.start)
	if err := p.ctx.Err(); err != nil {
		e.req.Sent()
		return err
	}
	p.respBuf, p.pieces = encodeResponse(p.respBuf[:0], p.pieces[:0], e.req, e.resp)
	err := writePieces(p.conn, p.w, p.pieces, e.req.FetchRegions)
	e.req.Sent()
	if err == nil {
		p.cn.touch()
	}
	if cap(p.respBuf) > maxRetainedResponse {
		p.respBuf = nil
	}
	clear(p.pieces)
	return err
}
