package node

import (
	"context"
	"time"

	"golang.org/x/sync/errgroup"

	"gregor/internal/config"
	"gregor/internal/storage"
)

// cleanerConfig is the log cleaner's configuration.
func cleanerConfig(c *config.Config) storage.CleanerConfig {
	return storage.CleanerConfig{
		Threads:          int(c.LogCleanerThreads),
		Backoff:          time.Duration(c.LogCleanerBackoffMs) * time.Millisecond,
		DedupeBufferSize: c.LogCleanerDedupeBufferSize(),

		IOMaxBytesPerSecond: c.LogCleanerIOMaxBytesPerSecond(),
	}
}

// runLogMaintenance starts retention and, if enabled, the log cleaner
// under g.
func (n *Node) runLogMaintenance(ctx context.Context, g *errgroup.Group) {
	every := time.Duration(n.cfg.LogRetentionCheckIntervalMs) * time.Millisecond
	g.Go(func() error { return n.logs.RunRetention(ctx, every) })
	g.Go(func() error { return n.expireProducers(ctx) })
	if n.cfg.LogCleanerEnable {
		// Threads, backoff and the I/O bound are dynamic broker configs: read them live.
		g.Go(func() error {
			return n.logs.RunCleaner(ctx, func() storage.CleanerConfig { return cleanerConfig(n.brokerConfig()) })
		})
	}
}

// expireProducers forgets, every producer.id.expiration.check.interval.ms,
// the producers idle for producer.id.expiration.ms (a dynamic config, read
// each time) in every partition replicated here, as Kafka's
// PeriodicProducerExpirationCheck does.
func (n *Node) expireProducers(ctx context.Context) error {
	t := time.NewTicker(time.Duration(n.cfg.ProducerIDExpirationCheckIntervalMs) * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			after := time.Duration(n.brokerConfig().ProducerIDExpirationMs) * time.Millisecond
			expired := 0
			for _, p := range n.replicas.Partitions() {
				expired += p.ExpireProducers(now, after)
			}
			if expired > 0 {
				n.logger.Debug("expired idle producer ids", "count", expired)
			}
		}
	}
}
