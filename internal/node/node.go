// Package node is the composition root: it turns a Config into a running
// node (storage, replica manager, controller, handlers, listeners) and owns
// every long-lived goroutine. It publishes the metadata image the handlers
// read (an atomic pointer stored by the controller's publisher), and
// registers the node as a broker, after binding its listeners and before
// serving them.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"gregor/internal/auth"
	"gregor/internal/buildinfo"
	"gregor/internal/config"
	"gregor/internal/controller"
	"gregor/internal/coord"
	"gregor/internal/group"
	"gregor/internal/handler"
	"gregor/internal/kafka"
	"gregor/internal/metadata"
	"gregor/internal/partition"
	"gregor/internal/replica"
	"gregor/internal/server"
	"gregor/internal/storage"
	"gregor/internal/txn"
	"gregor/internal/wire"
)

// checkpointInterval is how often producer-state snapshots are written, which
// bounds how much of the log recovery replays to rebuild producer state.
const checkpointInterval = time.Minute

// Node is a running node.
type Node struct {
	ClusterID string

	cfg      *config.Config // static: server.properties and overrides
	logger   *slog.Logger
	logs     *storage.Manager
	replicas *replica.Manager
	groups   *group.Coordinator
	txns     *txn.Coordinator
	ctrl     *controller.Controller
	image    publishedImage // what the handlers read; see publish
	addrs    []net.Addr
	handler  *handler.Handler
	conns    *server.Connections          // the connection limits of every listener
	tls      map[string]*auth.ListenerTLS // by listener name, for SSL and SASL_SSL listeners
	sasl     map[string]*auth.SASL        // by listener name, for SASL listeners
	tasks    *errgroup.Group              // every long-lived goroutine; Wait waits for it
	cancel   context.CancelFunc

	// metadataLock holds metadata.log.dir when it is not one of log.dirs
	// (whose locks logs holds); nil otherwise.
	metadataLock *storage.DirLock

	// effective is cfg with the image's dynamic broker configs layered on
	// it, the configuration topics inherit; see publish.
	effective atomic.Pointer[config.Config]
}

// Run starts a node from cfg and blocks until ctx is cancelled or a fatal error occurs.
func Run(ctx context.Context, cfg *config.Config, logger *slog.Logger) error {
	n, err := Start(ctx, cfg, logger)
	if err != nil {
		return err
	}
	return n.Wait()
}

// Start opens storage, replays metadata, binds the listeners and returns
// once the node accepts connections.
func Start(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*Node, error) {
	now := time.Now
	logs, metadataLock, clusterID, err := openStorage(cfg, now, logger)
	if err != nil {
		return nil, err
	}
	n := &Node{ClusterID: clusterID, cfg: cfg, logger: logger, logs: logs, metadataLock: metadataLock}
	n.effective.Store(cfg)
	n.conns = server.NewConnections(n.connectionLimits(cfg))
	n.replicas = replica.New(cfg.NodeID, logs, n.topicConfig, logger)
	n.replicas.Replication = replication(cfg, n, now)
	n.groups = group.New(groupConfig(cfg), coord.RealClock{}, logger)
	markers := &handler.TxnMarkers{Replicas: n.replicas, Groups: n.groups, Now: now, Logger: logger}
	n.txns = txn.New(txnConfig(cfg), coord.RealClock{}, markers, logger)
	n.replicas.OnLeader = func(tp kafka.TopicPartition, p *partition.Partition) {
		switch tp.Topic {
		case group.Topic:
			n.groups.BecomeLeader(tp.Partition, group.PartitionLog{Partition: p, Now: now})
		case txn.Topic:
			n.txns.BecomeLeader(tp.Partition, txn.PartitionLog{Partition: p, Now: now}, p.LeaderEpoch())
		}
	}
	n.replicas.OnStop = func(tp kafka.TopicPartition) {
		switch tp.Topic {
		case group.Topic:
			n.groups.Resign(tp.Partition)
		case txn.Topic:
			n.txns.Resign(tp.Partition)
		}
	}
	n.ctrl, err = openController(cfg, n.publish, now, logger)
	if err != nil {
		n.closeCoordinators()
		n.closeStorage()
		return nil, err
	}
	listeners, err := n.listen()
	if err != nil {
		n.closeCoordinators()
		n.closeStorage()
		return nil, err
	}
	if err := n.run(ctx, listeners, now); err != nil {
		return nil, err
	}
	logger.Info("gregor started", append(buildinfo.Read().LogAttrs(), "node.id", cfg.NodeID, "cluster.id", clusterID, "listeners", n.addrs, "log.dirs", cfg.LogDirs)...)
	return n, nil
}

// publishedImage is the metadata image the node last published: the
// handlers' view of the metadata. It is safe for concurrent use.
type publishedImage struct{ atomic.Pointer[metadata.Image] }

// Image returns the image last published.
func (p *publishedImage) Image() *metadata.Image { return p.Load() }

// publish is the metadata publisher. It runs on the controller's loop
// before the write that made next is answered. It first publishes next to
// the handlers, then brings the configuration in effect up to date with
// the dynamic broker configs of next, then the local partitions, which
// re-resolve every topic's config from it. A change of a broker default
// thus reaches every topic that does not override it. The committed
// offsets of deleted topics are dropped from every group.
func (n *Node) publish(prev, next *metadata.Image) {
	n.image.Store(next)
	prevBroker, prevDefault := prev.BrokerConfigs(n.cfg.NodeID)
	nextBroker, nextDefault := next.BrokerConfigs(n.cfg.NodeID)
	if !maps.Equal(prevBroker, nextBroker) || !maps.Equal(prevDefault, nextDefault) {
		n.applyBrokerConfigs(next)
	}
	n.replicas.Apply(prev, next)
	if deleted := deletedTopics(prev, next); len(deleted) > 0 {
		n.groups.DeleteTopicOffsets(deleted)
	}
}

// deletedTopics returns the topics of prev that next no longer has.
func deletedTopics(prev, next *metadata.Image) []string {
	var deleted []string
	for _, name := range prev.TopicNames() {
		old, _ := prev.Topic(name)
		if cur, ok := next.TopicByID(old.ID); !ok || cur.Name != name {
			deleted = append(deleted, name)
		}
	}
	return deleted
}

func (n *Node) applyBrokerConfigs(img *metadata.Image) {
	perBroker, clusterDefault := img.BrokerConfigs(n.cfg.NodeID)
	eff, err := n.cfg.WithDynamic(perBroker, clusterDefault)
	if err != nil {
		// Changes are validated before they are written: a damaged metadata log?
		n.logger.Error("dynamic broker configs do not apply; keeping the previous configuration", "err", err)
		return
	}
	n.effective.Store(eff)
	n.conns.SetLimits(n.connectionLimits(eff))
}

// brokerConfig returns the broker configuration in effect.
func (n *Node) brokerConfig() *config.Config { return n.effective.Load() }

func (n *Node) listen() ([]net.Listener, error) {
	if err := n.buildTLS(); err != nil {
		return nil, err
	}
	if err := n.buildSASL(); err != nil {
		return nil, err
	}
	var out []net.Listener
	for _, l := range n.cfg.Listeners {
		if containsString(n.cfg.ControllerListenerNames, l.Name) {
			continue
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(l.Host, strconv.Itoa(l.Port)))
		if err != nil {
			for _, o := range out {
				o.Close()
			}
			return nil, fmt.Errorf("listener %s: %w", l, err)
		}
		out = append(out, ln)
		n.addrs = append(n.addrs, ln.Addr())
	}
	if len(out) == 0 {
		return nil, errors.New("no broker listener configured in listeners")
	}
	return out, nil
}

// run starts the node's goroutines: the controller and the storage and
// group loops first, then, once the node is registered, the servers.
func (n *Node) run(parent context.Context, listeners []net.Listener, now func() time.Time) error {
	ctx, cancel := context.WithCancel(parent)
	n.cancel = cancel
	g, gctx := errgroup.WithContext(ctx)
	n.tasks = g
	h := &handler.Handler{
		NodeID: n.cfg.NodeID, ClusterID: n.ClusterID, Advertised: n.advertised(),
		Config: n.cfg, Metadata: &n.image, Controller: n.ctrl, Replicas: n.replicas, Groups: n.groups, Txn: n.txns, Now: now, Logger: n.logger,
		SASL: n.sasl,
	}
	n.handler = h
	g.Go(func() error { return n.ctrl.Run(gctx) })
	g.Go(func() error { return n.logs.Run(gctx) })
	n.runLogMaintenance(gctx, g)
	g.Go(func() error { return n.checkpointLoop(gctx) })
	g.Go(func() error { return n.replicas.Run(gctx) })
	if err := n.register(gctx); err != nil {
		for _, ln := range listeners {
			ln.Close()
		}
		cancel()
		n.Wait()
		return fmt.Errorf("register broker %d: %w", n.cfg.NodeID, err)
	}
	registry := handler.Registry()
	for i, ln := range listeners {
		s := n.server(h, registry, n.brokerListeners()[i])
		g.Go(func() error { return s.Serve(gctx, ln) })
	}
	return nil
}

// register registers this node in the metadata as a new incarnation, with
// the endpoints it advertises; it replaces the registration of the node's
// previous run, and is the only place the node's membership comes from.
func (n *Node) register(ctx context.Context) error {
	b := metadata.Broker{
		ID:            kafka.NodeID(n.cfg.NodeID),
		IncarnationID: kafka.NewTopicID(),
		Endpoints:     n.endpoints(),
	}
	if rack := n.cfg.Value("broker.rack"); rack != "" {
		b.Rack = &rack
	}
	_, err := n.ctrl.Submit(ctx, controller.RegisterBrokerRequest{Broker: b})
	return err
}

// endpoints returns the advertised listeners with their security protocols.
func (n *Node) endpoints() []metadata.Endpoint {
	var out []metadata.Endpoint
	for _, l := range n.advertised() {
		out = append(out, metadata.Endpoint{
			Listener: l.Name, Host: l.Host, Port: l.Port,
			SecurityProtocol: n.cfg.ListenerSecurityProtocolMap[l.Name],
		})
	}
	return out
}

// server returns the server of one broker listener, serving h's APIs.
func (n *Node) server(h server.Handler, registry *wire.Registry, l config.Listener) *server.Server {
	return &server.Server{
		Handler: h, Registry: registry,
		ListenerName: l.Name, SecurityProtocol: n.cfg.ListenerSecurityProtocolMap[l.Name],
		MaxRequestBytes: n.cfg.SocketRequestMaxBytes, Logger: n.logger, Connections: n.conns,
		TLS: n.tls[l.Name], AuthFailureDelay: n.authFailureDelay(),
	}
}

// groupConfig is the group coordinator's part of the configuration.
// closeCoordinators stops the transaction coordinator, whose markers go
// through the group coordinator, then the group coordinator.
func (n *Node) closeCoordinators() {
	n.txns.Close()
	n.groups.Close()
}

func txnConfig(c *config.Config) txn.Config {
	ms := func(v int32) time.Duration { return time.Duration(v) * time.Millisecond }
	return txn.Config{
		Partitions:            c.TransactionStateLogNumPartitions,
		MaxTimeout:            ms(c.TransactionMaxTimeoutMs),
		IDExpiration:          ms(c.TransactionalIDExpirationMs),
		AbortTimedOutInterval: ms(c.TransactionAbortTimedOutIntervalMs),
		RemoveExpiredInterval: ms(c.TransactionRemoveExpiredIntervalMs),
	}
}

func groupConfig(c *config.Config) group.Config {
	ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
	return group.Config{
		Partitions:             c.OffsetsTopicNumPartitions,
		MinSessionTimeout:      ms(int64(c.GroupMinSessionTimeoutMs)),
		MaxSessionTimeout:      ms(int64(c.GroupMaxSessionTimeoutMs)),
		InitialRebalanceDelay:  ms(int64(c.GroupInitialRebalanceDelayMs)),
		MaxSize:                int(c.GroupMaxSize),
		OffsetMetadataMaxBytes: int(c.OffsetMetadataMaxBytes),
		OffsetsRetention:       time.Duration(c.OffsetsRetentionMinutes) * time.Minute,
		OffsetsRetentionCheck:  ms(c.OffsetsRetentionCheckIntervalMs),

		ConsumerSessionTimeout:    ms(int64(c.GroupConsumerSessionTimeoutMs)),
		ConsumerHeartbeatInterval: ms(int64(c.GroupConsumerHeartbeatIntervalMs)),
		ConsumerMaxSize:           int(c.GroupConsumerMaxSize),
		ConsumerAssignors:         c.GroupConsumerAssignors,
	}
}

// advertised returns the advertised broker listeners, with port 0 replaced
// by the port actually bound (tests listen on ephemeral ports).
func (n *Node) advertised() []handler.Endpoint {
	var out []handler.Endpoint
	for _, l := range n.cfg.AdvertisedListeners {
		port := l.Port
		for i, bound := range n.brokerListeners() {
			if bound.Name == l.Name && port == 0 {
				port = n.addrs[i].(*net.TCPAddr).Port
			}
		}
		out = append(out, handler.Endpoint{Name: l.Name, Host: l.Host, Port: int32(port)})
	}
	return out
}

func (n *Node) brokerListeners() []config.Listener {
	var out []config.Listener
	for _, l := range n.cfg.Listeners {
		if !containsString(n.cfg.ControllerListenerNames, l.Name) {
			out = append(out, l)
		}
	}
	return out
}

func (n *Node) checkpointLoop(ctx context.Context) error {
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			n.replicas.Checkpoint()
		}
	}
}

// Handler returns the node's request handler, so that tests and fuzzers can
// serve decoded requests without a socket.
func (n *Node) Handler() *handler.Handler { return n.handler }

// Log returns the local log of a partition, for tests and diagnostics.
func (n *Node) Log(topic string, partition int32) (*storage.Log, bool) {
	return n.logs.Get(topic, partition)
}

// Addrs returns the bound addresses of the broker listeners.
func (n *Node) Addrs() []net.Addr { return n.addrs }

// Stop asks the node to shut down; Wait returns when it has.
func (n *Node) Stop() { n.cancel() }

// Wait blocks until the node has stopped, then snapshots producer state and
// flushes and closes every log (a clean shutdown).
func (n *Node) Wait() error {
	err := n.tasks.Wait()
	n.closeCoordinators()
	n.replicas.Checkpoint()
	if cerr := n.closeStorage(); err == nil {
		err = cerr
	}
	n.logger.Info("gregor stopped")
	return err
}

// closeStorage closes every log and releases the log dirs' locks, the
// metadata log dir's last: the controller has closed the metadata log.
func (n *Node) closeStorage() error {
	return errors.Join(n.logs.Close(), n.metadataLock.Unlock())
}

func containsString(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// openController opens the metadata log, <metadata.log.dir>/__cluster_metadata-0
// as in KRaft, and the controller over it.
func openController(cfg *config.Config, publish controller.Publisher, now func() time.Time, logger *slog.Logger) (*controller.Controller, error) {
	logCfg := storage.DefaultConfig()
	logCfg.SegmentBytes = 8 << 20
	dir := filepath.Join(cfg.MetadataLogDir, controller.MetadataTopic+"-0")
	l, err := storage.Open(dir, logCfg, now, logger)
	if err != nil {
		return nil, fmt.Errorf("open metadata log: %w", err)
	}
	return controller.Open(l, controller.ClusterOf(cfg), publish, now, logger)
}
