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
		DedupeBufferSize: storage.DefaultDedupeBufferSize,
	}
}

// runLogMaintenance starts retention and, if enabled, the log cleaner
// under g.
func (n *Node) runLogMaintenance(ctx context.Context, g *errgroup.Group) {
	every := time.Duration(n.cfg.LogRetentionCheckIntervalMs) * time.Millisecond
	g.Go(func() error { return n.logs.RunRetention(ctx, every) })
	if n.cfg.LogCleanerEnable {
		// Threads and backoff are dynamic broker configs: read them live.
		g.Go(func() error {
			return n.logs.RunCleaner(ctx, func() storage.CleanerConfig { return cleanerConfig(n.brokerConfig()) })
		})
	}
}
