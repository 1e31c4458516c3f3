package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
	"gregor/internal/record"
)

// MetadataTopic is the name of the metadata log's directory stem, as in KRaft.
const MetadataTopic = "__cluster_metadata"

// metadataLeaderEpoch stamps metadata batches; with a single voter the epoch never changes.
const metadataLeaderEpoch = 1

// Publisher receives every new image, in order, before the request that
// produced it is answered. It runs on the controller's loop and must not
// call back into the controller.
type Publisher func(prev, next *metadata.Image)

// call is one Submit waiting for the loop to execute its request.
type call struct {
	req   Request
	reply chan reply
}

type reply struct {
	resp Response
	err  error
}

// MetadataLog is the log the controller keeps its records in, the
// __cluster_metadata log (a storage.Log, opened by the node). The controller
// owns it once opened: only its loop calls these, and Run closes it.
type MetadataLog interface {
	// Batches calls fn for each batch from offset from on, in order.
	Batches(from int64, fn func(b record.Batch) error) error
	// Append writes b after the log end, stamped with leaderEpoch.
	Append(b record.Batch, leaderEpoch int32) (first, last int64, err error)
	// Flush fsyncs everything appended.
	Flush() error
	// LogEndOffset is the offset the next record will get.
	LogEndOffset() int64
	Close() error
}

// Controller is the single owner of the metadata image and log: its loop
// (Run) executes one request at a time. Submit is safe for concurrent use.
type Controller struct {
	log     MetadataLog
	cluster Cluster
	publish Publisher
	logger  *slog.Logger
	now     func() time.Time
	image   *metadata.Image // owned by the loop after Open
	calls   chan call
}

// Open replays the metadata log l into an image, publishes that image once
// and returns a controller that owns l (closing it on failure). Operations
// see the cluster c.
func Open(l MetadataLog, c Cluster, publish Publisher, now func() time.Time, logger *slog.Logger) (*Controller, error) {
	img, err := replay(l)
	if err != nil {
		l.Close()
		return nil, err
	}
	ctrl := &Controller{log: l, cluster: c, publish: publish, logger: logger, now: now, image: img, calls: make(chan call)}
	publish(metadata.Empty(), img)
	return ctrl, nil
}

func replay(l MetadataLog) (*metadata.Image, error) {
	img := metadata.Empty()
	err := l.Batches(0, func(b record.Batch) error {
		recs, err := decodeBatch(b)
		if err != nil {
			return fmt.Errorf("metadata log at offset %d: %w", b.BaseOffset(), err)
		}
		img, err = img.Apply(recs)
		return err
	})
	return img, err
}

func decodeBatch(b record.Batch) ([]metadata.Record, error) {
	rs, err := b.Records()
	if err != nil {
		return nil, err
	}
	out := make([]metadata.Record, 0, len(rs))
	for _, r := range rs {
		m, err := metadata.Decode(r.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// ErrStopped is returned by Submit once the controller has stopped.
var ErrStopped = errors.New("controller stopped")

// Submit executes req on the controller's loop and returns once its
// records are durable and published, with its response.
func (c *Controller) Submit(ctx context.Context, req Request) (Response, error) {
	cl := call{req: req, reply: make(chan reply, 1)}
	select {
	case c.calls <- cl:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case r := <-cl.reply:
		return r.resp, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Run is the controller's event loop; it returns when ctx is done and
// closes the metadata log.
func (c *Controller) Run(ctx context.Context) error {
	defer c.log.Close()
	for {
		select {
		case <-ctx.Done():
			return nil
		case cl := <-c.calls:
			resp, err := c.execute(cl.req)
			cl.reply <- reply{resp: resp, err: err}
		}
	}
}

// execute runs one request: its records are written as one batch, then
// applied and published.
func (c *Controller) execute(req Request) (Response, error) {
	prev := c.image
	in := inputs{newTopicID: kafka.NewTopicID, nextOffset: c.log.LogEndOffset()}
	recs, resp, err := operate(prev, c.cluster, in, req)
	if err != nil || len(recs) == 0 {
		return resp, err
	}
	next, err := prev.Apply(recs)
	if err != nil {
		return nil, fmt.Errorf("operation produced inconsistent records: %w", err)
	}
	if err := c.write(recs); err != nil {
		c.logger.Error("metadata log write failed", "err", err)
		return nil, err
	}
	c.image = next
	c.publish(prev, next)
	return resp, nil
}

// write appends recs as one batch and fsyncs it: an acknowledged metadata
// change survives a power cut.
func (c *Controller) write(recs []metadata.Record) error {
	ts := c.now().UnixMilli()
	spec := record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1}
	for _, r := range recs {
		spec.Records = append(spec.Records, record.Record{Timestamp: ts, Value: r.Encode()})
	}
	b, err := record.Build(spec)
	if err != nil {
		return err
	}
	if _, _, err := c.log.Append(b, metadataLeaderEpoch); err != nil {
		return err
	}
	return c.log.Flush()
}
