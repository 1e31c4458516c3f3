package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"gregor/internal/metadata"
	"gregor/internal/record"
	"gregor/internal/storage"
)

// MetadataTopic is the name of the metadata log's directory stem, as in KRaft.
const MetadataTopic = "__cluster_metadata"

// metadataLeaderEpoch stamps metadata batches; with a single voter the epoch never changes.
const metadataLeaderEpoch = 1

// Publisher receives every new image, in order, before the operation that
// produced it is answered. It runs on the controller's loop and must not
// call back into the controller.
type Publisher func(prev, next *metadata.Image)

// Op computes the records of one operation from the current image. It must
// be pure; it runs on the controller's loop.
type Op func(img *metadata.Image) ([]metadata.Record, error)

type request struct {
	op    Op
	reply chan error
}

// Controller is the single owner of the metadata image and log. Submit is
// safe for concurrent use; Image may be read from any goroutine.
type Controller struct {
	log     *storage.Log
	publish Publisher
	logger  *slog.Logger
	now     func() time.Time
	image   atomic.Pointer[metadata.Image]
	reqs    chan request
}

// Open opens the metadata log in dir (creating it), replays it into an
// image and publishes that image once.
func Open(dir string, publish Publisher, now func() time.Time, logger *slog.Logger) (*Controller, error) {
	cfg := storage.DefaultConfig()
	cfg.SegmentBytes = 8 << 20
	l, err := storage.Open(dir, cfg, now, logger)
	if err != nil {
		return nil, fmt.Errorf("open metadata log: %w", err)
	}
	img, err := replay(l)
	if err != nil {
		l.Close()
		return nil, err
	}
	c := &Controller{log: l, publish: publish, logger: logger, now: now, reqs: make(chan request)}
	c.image.Store(img)
	publish(metadata.Empty(), img)
	return c, nil
}

func replay(l *storage.Log) (*metadata.Image, error) {
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

// Image returns the current metadata image.
func (c *Controller) Image() *metadata.Image { return c.image.Load() }

// ErrStopped is returned by Submit once the controller has stopped.
var ErrStopped = errors.New("controller stopped")

// Submit runs op on the controller's loop and returns once its records are
// durable and published (or op failed).
func (c *Controller) Submit(ctx context.Context, op Op) error {
	req := request{op: op, reply: make(chan error, 1)}
	select {
	case c.reqs <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
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
		case req := <-c.reqs:
			req.reply <- c.execute(req.op)
		}
	}
}

func (c *Controller) execute(op Op) error {
	prev := c.image.Load()
	recs, err := op(prev)
	if err != nil || len(recs) == 0 {
		return err
	}
	next, err := prev.Apply(recs)
	if err != nil {
		return fmt.Errorf("operation produced inconsistent records: %w", err)
	}
	if err := c.write(recs); err != nil {
		c.logger.Error("metadata log write failed", "err", err)
		return err
	}
	c.image.Store(next)
	c.publish(prev, next)
	return nil
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
