package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"gregor/internal/cli"
	"gregor/internal/config"
	"gregor/internal/logging"
	"gregor/internal/node"
)

// runNodeFunc runs a node until ctx ends; node.Run in production, a stub in tests.
type runNodeFunc func(ctx context.Context, cfg *config.Config, logger *slog.Logger) error

// devOverrides are applied, before any --override, when no --config file is
// given: like the server.properties Kafka ships, they make a single node able
// to host the internal topics.
var devOverrides = []string{
	"offsets.topic.replication.factor=1",
	"transaction.state.log.replication.factor=1",
	"transaction.state.log.min.isr=1",
	"group.initial.rebalance.delay.ms=0", // as Kafka's shipped server.properties, for development
}

func newServerCommand() *cobra.Command { return newServerCommandWith(node.Run) }

func newServerCommandWith(run runNodeFunc) *cobra.Command {
	var (
		configFile string
		overrides  []string
		logLevel   string
	)
	cmd := &cobra.Command{
		Use:   "server [server.properties] [--config server.properties] [--override key=value]...",
		Short: "Run a Gregor node (broker and/or controller)",
		Long: `Run a Gregor node. With no flags it runs a single node, broker and controller,
listening on localhost:9092 with its data in ./gregor-data.

Configuration uses Kafka's server.properties names. --override key=value,
repeatable, applies on top of the file. Unknown keys are logged as warnings;
an invalid value stops the server with an error naming the key.`,
		Example: `  gregor server
  gregor server --config config/server.properties
  gregor server --override listeners=PLAINTEXT://127.0.0.1:9192 --override log.dirs=./data2
  # three nodes on one machine (format them with one cluster id first):
  gregor server --config config/cluster/node1.properties   # node2, node3 alike
  # controllers apart from brokers:
  gregor server --config config/cluster-split/controller1.properties   # controller2..3, broker1..3 alike`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 { // kafka-server-start.sh takes the file as an argument
				if configFile != "" {
					return fmt.Errorf("config file given twice: %s and --config %s", args[0], configFile)
				}
				configFile = args[0]
			}
			if err := checkLogLevel(logLevel); err != nil {
				return err
			}
			if configFile == "" {
				overrides = append(append([]string(nil), devOverrides...), overrides...)
			}
			cfg, warnings, err := config.Load(configFile, overrides)
			logger := newLogger(cmd.ErrOrStderr(), cfg, logLevel, cmd.Flags().Changed("log-level"))
			for _, w := range warnings {
				logger.Warn(w)
			}
			if err != nil {
				return err
			}
			tuneGC()
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			err = run(ctx, cfg, logger)
			if errors.Is(err, node.ErrMetadataLogDirFailed) {
				return cli.Printed(err) // the node logged it, in the log's format
			}
			return err
		},
	}
	cmd.Flags().StringVarP(&configFile, "config", "c", "", "server.properties file")
	cmd.Flags().StringArrayVar(&overrides, "override", nil, "override a property, as key=value (repeatable)")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error (overrides log.level)")
	return cmd
}

// checkLogLevel refuses a --log-level that slog does not know.
func checkLogLevel(level string) error {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return fmt.Errorf("invalid --log-level %q: want debug, info, warn or error", level)
	}
	return nil
}

// newLogger returns the broker's logger writing to w: log.format (text or
// json) and log.level from cfg, the --log-level flag winning over
// log.level when given. A configuration that did not load (cfg nil) still
// gets a text logger, to report why.
func newLogger(w io.Writer, cfg *config.Config, flagLevel string, flagGiven bool) *slog.Logger {
	format, level := "text", flagLevel
	if cfg != nil {
		o := cfg.Observability()
		format = o.LogFormat
		if !flagGiven {
			level = o.LogLevel
		}
	}
	var l slog.Level
	l.UnmarshalText([]byte(level)) // checked: checkLogLevel and config validation
	// The handler writes every level; the levels of the node's loggers,
	// which change at run time (BROKER_LOGGER), filter.
	opts := &slog.HandlerOptions{Level: logging.LevelTrace}
	var base slog.Handler = slog.NewTextHandler(w, opts)
	if format == "json" {
		base = slog.NewJSONHandler(w, opts)
	}
	_, h := logging.Handler(base, l)
	return slog.New(h)
}

// serverGCPercent trades memory for fewer collections: the broker's live heap
// is small and steady (logs live in the page cache), so a larger GC target
// costs little memory and takes collections off the produce path's tail
// latency. GOGC in the environment still wins.
const serverGCPercent = 400

func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serverGCPercent)
	}
}
