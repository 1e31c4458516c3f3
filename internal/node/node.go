// Package node is the composition root: it turns a Config into a running
// node (storage, replica manager, controller, handlers, listeners) and owns
// every long-lived goroutine. It publishes the metadata image the handlers
// read (an atomic pointer stored by the controller's publisher, which runs
// for every committed change, in order), and registers the node as a
// broker, after binding its listeners and before serving them. It binds
// the CONTROLLER listener for the quorum when controller.quorum.voters
// names other voters (a node of a cluster must be formatted with the
// cluster's id; a broker-only node follows the log as an observer), and
// serves the controller's Kafka APIs there too (controllerlistener.go).
// A controller-only node (process.roles=controller) runs the quorum and,
// when it leads, the active controller, and nothing of a broker: no
// broker listener, no registration, no partitions. A broker sends a
// heartbeat every broker.heartbeat.interval.ms, and on Stop (or when Run's
// context ends, as on SIGTERM) asks the active controller to move its
// leaderships away before it stops (a controlled shutdown, bounded in
// time).
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
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
	"gregor/internal/logging"
	"gregor/internal/metadata"
	"gregor/internal/partition"
	"gregor/internal/quota"
	"gregor/internal/record"
	"gregor/internal/replica"
	"gregor/internal/restproxy"
	"gregor/internal/server"
	"gregor/internal/storage"
	"gregor/internal/txn"
	"gregor/internal/txn/txnclient"
	"gregor/internal/vfs"
	"gregor/internal/wire"
)

// checkpointInterval is how often producer-state snapshots are written, which
// bounds how much of the log recovery replays to rebuild producer state.
const checkpointInterval = time.Minute

// snapshotMinRecords is how far a partition's log end must have moved since
// its last producer-state snapshot for the periodic checkpoint to write a
// new one: what a crash makes recovery replay, at most, beyond the records
// of the last interval. A clean stop snapshots every partition.
const snapshotMinRecords = 10_000

// Node is a running node.
type Node struct {
	ClusterID string

	cfg      *config.Config // static: server.properties and overrides
	logger   *slog.Logger
	levels   *logging.Levels // the loggers' levels (BROKER_LOGGER)
	logs     *storage.Manager
	replicas *replica.Manager
	groups   *group.Coordinator
	txns     *txn.Coordinator
	txnPeers *txnclient.Client // markers to other leaders, verification at other coordinators
	ctrl     *controller.Controller
	ctrlMux  *controllerMux // the CONTROLLER listener's two sides; nil without one
	image    publishedImage // what the handlers read; see publish
	addrs    []net.Addr
	handler  *handler.Handler
	conns    *server.Connections          // the connection limits of every listener
	tls      map[string]*auth.ListenerTLS // by listener name, for SSL and SASL_SSL listeners
	sasl     map[string]*auth.SASL        // by listener name, for SASL listeners
	authz    *auth.Authorizer             // nil without authorizer.class.name
	tasks    *errgroup.Group              // every long-lived goroutine; Wait waits for it
	cancel   context.CancelFunc
	obs      observability // metrics and the HTTP admin listener; see admin.go
	// schemaRegistryAddr is the schema registry's bound listener, nil when
	// off; see schemaregistry.go.
	schemaRegistryAddr net.Addr
	// schemaRegistryAuth and restProxyAuth wrap the registry's and the
	// proxy's handlers with their authentication; nil for none.
	schemaRegistryAuth, restProxyAuth func(http.Handler) http.Handler
	// schemaSource is the registry as schema validation consults it.
	schemaSource registrySchemas
	// restProxyAddr is the REST proxy's bound address, nil when it is off;
	// see restproxy.go.
	restProxyAddr net.Addr
	// restProxyPropagate, when set, makes the proxy's requests reach
	// Kafka as their principal; see restproxy.go.
	restProxyPropagate *restproxy.Propagation
	stopOnce           sync.Once

	// leaderQuota and followerQuota are the replication quotas (KIP-73):
	// leader.replication.throttled.rate and follower.replication.throttled.rate.
	leaderQuota, followerQuota *quota.Replication

	brokerEpoch atomic.Int64 // of the node's registration
	// incarnation names this process in its registrations: a registration
	// by another (a restart) takes over the broker's place, one by the
	// same process again keeps it.
	incarnation kafka.TopicID
	// logDirFailed (one slot) wakes offlineReplicasLoop; see logdirfailure.go.
	logDirFailed chan struct{}
	// metadataDirFailed (one slot) carries the failure of the log dir that
	// is also the metadata log dir to watchMetadataLogDir.
	metadataDirFailed chan error

	// metadataLock holds metadata.log.dir when it is not one of log.dirs
	// (whose locks logs holds); nil otherwise.
	metadataLock *storage.DirLock

	// effective is cfg with the image's dynamic broker configs layered on
	// it, the configuration topics inherit; see publish.
	effective atomic.Pointer[config.Config]
}

// Run starts a node from cfg and blocks until ctx is cancelled or a fatal error occurs.
// When ctx ends after start-up, the node stops as Stop does: a controlled
// shutdown first.
func Run(ctx context.Context, cfg *config.Config, logger *slog.Logger) error {
	startCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	abort := context.AfterFunc(ctx, cancel)
	n, err := Start(startCtx, cfg, logger)
	abort()
	if err != nil {
		return err
	}
	defer context.AfterFunc(ctx, n.Stop)()
	return n.Wait()
}

// Start opens storage, replays metadata, binds the listeners and returns
// once the node accepts connections.
func Start(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*Node, error) {
	return StartWith(ctx, cfg, logger, Options{})
}

// Options are what a node takes besides its configuration, for tests.
type Options struct {
	// LogDirFS is the filesystem of the log dirs (vfs.OS when nil): tests
	// inject disk faults through it.
	LogDirFS vfs.FS
}

// StartWith is Start with options.
func StartWith(ctx context.Context, cfg *config.Config, logger *slog.Logger, opts Options) (*Node, error) {
	now := time.Now
	if opts.LogDirFS == nil {
		opts.LogDirFS = vfs.OS
	}
	levels, logger := logging.Attach(logger)
	cfg, err := withQuorumVoters(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	peers, err := interBrokerDialer(cfg, logger)
	if err != nil {
		return nil, err
	}
	logs, metadataLock, clusterID, err := openStorage(cfg, opts.LogDirFS, now, logging.Named(logger, "gregor.storage"))
	if err != nil {
		return nil, err
	}
	n := &Node{ClusterID: clusterID, cfg: cfg, logger: logger, levels: levels, logs: logs, metadataLock: metadataLock, incarnation: kafka.NewTopicID()}
	n.effective.Store(cfg)
	n.obs.metrics = n.newMetrics()
	n.conns = server.NewConnections(n.connectionLimits(cfg))
	n.replicas = replica.New(cfg.NodeID, logs, n.topicConfig, logging.Named(logger, "gregor.replica"))
	windows, window := cfg.ReplicationQuotaSampling()
	n.leaderQuota = quota.NewReplication(quota.Config{Windows: windows, Window: window})
	n.followerQuota = quota.NewReplication(quota.Config{Windows: windows, Window: window})
	n.setReplicationRates(cfg)
	n.replicas.Replication = replication(cfg, n, peers, now)
	n.watchLogDirs()
	gcfg := groupConfig(cfg)
	gcfg.GroupOverrides = n.groupOverrides
	n.groups = group.New(gcfg, coord.RealClock{}, logging.Named(logger, "gregor.group"))
	txnLogger := logging.Named(logger, "gregor.txn")
	n.txnPeers = txnclient.New(kafka.NodeID(cfg.NodeID), cfg.InterBrokerListenerName, peers, n.image.Image, txnLogger)
	markers := &handler.TxnMarkers{Replicas: n.replicas, Groups: n.groups, Now: now, Logger: txnLogger, Remote: n.txnPeers.WriteMarkers}
	n.txns = txn.New(n.txnConfig(cfg), coord.RealClock{}, markers, txnLogger)
	n.replicas.OnLeader = func(tp kafka.TopicPartition, p *partition.Partition) {
		switch tp.Topic {
		case group.Topic:
			n.groups.BecomeLeader(tp.Partition, group.PartitionLog{Partition: p, Now: now,
				Codec: record.Codec(n.cfg.OffsetsTopicCompressionCodec)})
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
	n.ctrl, n.ctrlMux, err = openController(cfg, opts.LogDirFS, clusterID, n.publish, now, logging.Named(logger, "gregor.controller"))
	if err != nil {
		n.closeCoordinators()
		n.closeStorage()
		return nil, err
	}
	listeners, err := n.listen()
	if err != nil {
		if n.ctrlMux != nil {
			n.ctrlMux.close()
		}
		n.closeCoordinators()
		n.closeStorage()
		return nil, err
	}
	if err := n.run(ctx, listeners, now); err != nil {
		return nil, err
	}
	logger.Info("gregor started", append(buildinfo.Read().LogAttrs(), "node.id", cfg.NodeID, "cluster.id", clusterID, "listeners", n.boundListeners(), "schema.registry.listeners", n.schemaRegistryURL(), "rest.proxy.listeners", n.restProxyURL(), "log.dirs", cfg.LogDirs)...)
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
	if n.obs.metrics != nil {
		countISRChanges(n.obs.metrics, n.cfg.NodeID, prev, next)
	}
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
	n.setReplicationRates(eff)
	n.updateListenerTLS(eff)
}

// setReplicationRates applies leader.replication.throttled.rate and
// follower.replication.throttled.rate in effect to the replication quotas,
// and replica.alter.log.dirs.io.max.bytes.per.second to moves between log
// dirs.
func (n *Node) setReplicationRates(c *config.Config) {
	leader, follower := c.ReplicationThrottledRates()
	n.leaderQuota.SetLimit(leader)
	n.followerQuota.SetLimit(follower)
	n.logs.SetMoveRate(float64(c.AlterLogDirsRate()))
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
	if err := n.buildAuthorizer(); err != nil {
		return nil, err
	}
	var out []net.Listener
	for _, l := range n.cfg.Listeners {
		if containsString(n.cfg.ControllerListenerNames, l.Name) {
			continue
		}
		ln, err := server.Listen(net.JoinHostPort(l.Host, strconv.Itoa(l.Port)), socketBuffers(n.cfg))
		if err != nil {
			for _, o := range out {
				o.Close()
			}
			return nil, fmt.Errorf("listener %s: %w", l, err)
		}
		out = append(out, ln)
		n.addrs = append(n.addrs, ln.Addr())
	}
	if len(out) == 0 && n.cfg.HasRole("broker") {
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
		Config: n.cfg, Metadata: &n.image, Controller: n.ctrl, Replicas: n.replicas, Groups: n.groups, Txn: n.txns, Now: now, Logger: logging.Named(n.logger, "gregor.handler"), Loggers: n.levels,
		TxnVerifier: n.txnPeers,
		SASL:        n.sasl,
		LogDirs:     logDirs{logs: n.logs, dirs: n.cfg.LogDirs},
		TLS:         n,
		Quotas:      n.quotas(),

		LeaderReplicationQuota: n.leaderQuota,
	}
	if n.authz != nil {
		h.Authorizer = n.authz
	}
	n.handler = h
	adminLn, err := n.listenAdmin()
	var registryLn, restLn net.Listener
	if err == nil {
		if registryLn, err = n.listenSchemaRegistry(); err != nil && adminLn != nil {
			adminLn.Close()
		}
	}
	if registryLn != nil {
		h.Schemas = &n.schemaSource
	}
	if err == nil {
		if restLn, err = n.listenRESTProxy(); err != nil {
			for _, ln := range []net.Listener{adminLn, registryLn} {
				if ln != nil {
					ln.Close()
				}
			}
		}
	}
	if err != nil {
		for _, ln := range listeners {
			ln.Close()
		}
		if n.ctrlMux != nil {
			n.ctrlMux.close()
		}
		cancel()
		n.Wait()
		return err
	}
	registry := handler.Registry()
	for _, l := range n.brokerListeners() {
		n.obs.servers = append(n.obs.servers, n.server(h, registry, l))
	}
	n.serveAdmin(gctx, g, adminLn)
	n.serveControllerListener(gctx, g, h)
	g.Go(func() error { return n.metadataLogDirFailed(n.ctrl.Run(gctx)) })
	g.Go(func() error { return n.watchMetadataLogDir(gctx) })
	g.Go(func() error { return n.logs.Run(gctx) })
	n.runLogMaintenance(gctx, g)
	g.Go(func() error { return n.checkpointLoop(gctx) })
	g.Go(func() error { return n.replicas.Run(gctx) })
	if !n.cfg.HasRole("broker") {
		// A controller-only node: nothing to register (nor a schema
		// registry or REST proxy: see listenSchemaRegistry).
		n.obs.registered.Store(true)
		return nil
	}
	if err := n.register(gctx); err != nil {
		for _, ln := range listeners {
			ln.Close()
		}
		for _, ln := range []net.Listener{registryLn, restLn} {
			if ln != nil {
				ln.Close()
			}
		}
		cancel()
		if werr := n.Wait(); werr != nil {
			err = werr // why the controller stopped, such as another cluster's id
		}
		return fmt.Errorf("register broker %d: %w", n.cfg.NodeID, err)
	}
	g.Go(func() error { return n.heartbeatLoop(gctx) })
	g.Go(func() error { return n.offlineReplicasLoop(gctx) })
	for i, ln := range listeners {
		s := n.obs.servers[i]
		g.Go(func() error { return s.Serve(gctx, ln) })
	}
	n.serveSchemaRegistry(gctx, g, registryLn)
	n.serveRESTProxy(gctx, g, restLn)
	n.obs.registered.Store(true)
	return nil
}

// register registers this node in the metadata as this process's
// incarnation, with the endpoints it advertises; it replaces the
// registration of the node's previous run, and is the only place the
// node's membership comes from.
func (n *Node) register(ctx context.Context) error {
	b := metadata.Broker{
		ID:            kafka.NodeID(n.cfg.NodeID),
		IncarnationID: n.incarnation,
		Endpoints:     n.endpoints(),
	}
	if rack := n.cfg.Value("broker.rack"); rack != "" {
		b.Rack = &rack
	}
	resp, err := n.ctrl.Submit(ctx, controller.RegisterBrokerRequest{Broker: b})
	if err != nil {
		return err
	}
	n.brokerEpoch.Store(resp.(controller.RegisterBrokerResponse).Epoch)
	return nil
}

// heartbeatLoop keeps the broker's session on the active controller every
// broker.heartbeat.interval.ms; a controller that no longer knows this
// broker's registration (a restart it missed, an unregistration) gets a
// new one, unless another process registered as this broker since.
func (n *Node) heartbeatLoop(ctx context.Context) error {
	interval := time.Duration(n.cfg.BrokerHeartbeatIntervalMs) * time.Millisecond
	t := time.NewTicker(interval)
	defer t.Stop()
	replaced := false // logged once
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		hctx, cancel := context.WithTimeout(ctx, interval)
		_, err := n.ctrl.Submit(hctx, controller.BrokerHeartbeatRequest{ID: kafka.NodeID(n.cfg.NodeID), Epoch: n.brokerEpoch.Load()})
		cancel()
		switch {
		case errors.Is(err, controller.ErrBrokerNotRegistered) && n.replacedBy() != nil:
			if !replaced {
				b := n.replacedBy()
				n.logger.Error("another process registered as this broker; this one does not register again (its heartbeats are refused): stop one of them",
					"node.id", n.cfg.NodeID, "incarnation", b.IncarnationID, "broker.epoch", b.Epoch)
				replaced = true
			}
			err = nil
		case errors.Is(err, controller.ErrBrokerNotRegistered):
			if err = n.register(ctx); err == nil {
				n.signalLogDirFailed() // a new registration knows no offline replicas
			}
		}
		if err != nil && ctx.Err() == nil {
			n.logger.Debug("broker heartbeat failed", "err", err)
		}
	}
}

// replacedBy returns the registration of another process under this
// node's id made after this process's own (a later epoch), as the node's
// image shows it, or nil. Two processes with one node.id (their own log
// dirs) would otherwise take the registration from each other at every
// heartbeat; Kafka refuses the second one's registration, Gregor lets the
// newer one keep it.
func (n *Node) replacedBy() *metadata.Broker {
	img := n.image.Image()
	if img == nil {
		return nil
	}
	b, ok := img.Broker(kafka.NodeID(n.cfg.NodeID))
	if !ok || b.IncarnationID == n.incarnation || b.Epoch <= n.brokerEpoch.Load() {
		return nil
	}
	return &b
}

// controlledShutdownTimeout bounds how long a stopping broker waits for
// the controller to move its leaderships.
const controlledShutdownTimeout = 5 * time.Second

// controlledShutdown asks the active controller to move this broker's
// leaderships to other brokers before it stops, as Kafka's controlled
// shutdown does, unless controlled.shutdown.enable is false. With no other
// live broker there is nowhere to move them.
func (n *Node) controlledShutdown() {
	img := n.image.Image()
	if img == nil || !n.cfg.ControlledShutdownEnable || !n.cfg.HasRole("broker") || !hasOtherLiveBroker(img, kafka.NodeID(n.cfg.NodeID)) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), controlledShutdownTimeout)
	defer cancel()
	req := controller.BrokerHeartbeatRequest{ID: kafka.NodeID(n.cfg.NodeID), Epoch: n.brokerEpoch.Load(), WantShutdown: true}
	if _, err := n.ctrl.Submit(ctx, req); err != nil {
		n.logger.Warn("controlled shutdown failed; stopping anyway", "err", err)
	}
}

func hasOtherLiveBroker(img *metadata.Image, self kafka.NodeID) bool {
	for _, b := range img.Brokers() {
		if b.ID != self && !b.Fenced {
			return true
		}
	}
	return false
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
		MaxRequestBytes: n.cfg.SocketRequestMaxBytes, Logger: logging.Named(n.logger, "gregor.network"), Connections: n.conns,
		TLS: n.tls[l.Name], AuthFailureDelay: n.authFailureDelay(), Observer: n.observer(),
		ConnectionThrottle: n.connectionThrottle, SocketBuffers: socketBuffers(n.cfg),
	}
}

// socketBuffers are the socket.send.buffer.bytes and
// socket.receive.buffer.bytes of every listener, as Kafka has no
// per-listener form of them.
func socketBuffers(c *config.Config) server.SocketBuffers {
	send, receive := c.SocketBuffers()
	return server.SocketBuffers{Send: send, Receive: receive}
}

// connectionThrottle applies the connection_creation_rate quotas of IP
// addresses (KIP-612) to a new connection from ip.
func (n *Node) connectionThrottle(ip string) time.Duration {
	img := n.image.Image()
	if n.handler == nil || img == nil || !img.HasClientQuotas() {
		return 0
	}
	return n.handler.Quotas.Connection.RecordConnection(img, ip, time.Now())
}

// groupConfig is the group coordinator's part of the configuration.
// closeCoordinators stops the transaction coordinator, whose markers go
// through the group coordinator and the connections to other nodes, then
// those.
func (n *Node) closeCoordinators() {
	n.txns.Close()
	_ = n.txnPeers.Close()
	n.groups.Close()
}

func (n *Node) txnConfig(c *config.Config) txn.Config {
	ms := func(v int32) time.Duration { return time.Duration(v) * time.Millisecond }
	return txn.Config{
		Partitions:            c.TransactionStateLogNumPartitions,
		MaxTimeout:            ms(c.TransactionMaxTimeoutMs),
		IDExpiration:          ms(c.TransactionalIDExpirationMs),
		AbortTimedOutInterval: ms(c.TransactionAbortTimedOutIntervalMs),
		RemoveExpiredInterval: ms(c.TransactionRemoveExpiredIntervalMs),
		WriteTimeout:          msOf(c, "request.timeout.ms"),
		FinalizedVersion:      n.finalizedTransactionVersion,
	}
}

// groupOverrides returns the session timeout and heartbeat interval a
// consumer group's configs set in the image last published (0 for each it
// does not set).
func (n *Node) groupOverrides(id string) (session, heartbeat time.Duration) {
	img := n.image.Image()
	if img == nil {
		return 0, 0
	}
	o := img.Configs(metadata.ConfigResource{Type: metadata.ResourceGroup, Name: id})
	setting := func(name string) time.Duration {
		if _, ok := o[name]; !ok {
			return 0
		}
		return time.Duration(n.cfg.GroupSetting(name, o)) * time.Millisecond
	}
	return setting("consumer.session.timeout.ms"), setting("consumer.heartbeat.interval.ms")
}

// finalizedTransactionVersion is the cluster's transaction.version, from
// the image last published (0 before the first).
func (n *Node) finalizedTransactionVersion() txn.Version {
	if img := n.image.Image(); img != nil {
		return txn.Version(img.FeatureLevel("transaction.version"))
	}
	return 0
}

// msOf is the duration of a millisecond key read from its string value.
func msOf(c *config.Config, key string) time.Duration {
	v, _ := strconv.ParseInt(c.Value(key), 10, 64)
	return time.Duration(v) * time.Millisecond
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
		CommitTimeout:          msOf(c, "offsets.commit.timeout.ms"),

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

// boundListeners names every listener the node serves with the address it
// bound, as NAME://host:port, the CONTROLLER listener included.
func (n *Node) boundListeners() []string {
	var out []string
	for i, l := range n.brokerListeners() {
		out = append(out, l.Name+"://"+n.addrs[i].String())
	}
	if addr := n.ctrl.ListenerAddr(); addr != nil {
		if l, ok := n.cfg.ControllerListener(); ok {
			out = append(out, l.Name+"://"+addr.String())
		}
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
			n.replicas.CheckpointBehind(snapshotMinRecords)
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

// Controller returns the node's member of the controller quorum, for
// tests and diagnostics.
func (n *Node) Controller() *controller.Controller { return n.ctrl }

// Image returns the metadata image the node last published.
func (n *Node) Image() *metadata.Image { return n.image.Image() }

// Addrs returns the bound addresses of the broker listeners.
func (n *Node) Addrs() []net.Addr { return n.addrs }

// Halt stops the node without a controlled shutdown, as a crash would
// leave its leaderships (its files are still closed cleanly); for tests.
func (n *Node) Halt() { n.stopOnce.Do(n.cancel) }

// Stop shuts the node down, after a controlled shutdown (bounded); Wait
// returns when it has stopped.
func (n *Node) Stop() {
	n.stopOnce.Do(func() {
		n.controlledShutdown()
		n.cancel()
	})
}

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
// as in KRaft, binds the CONTROLLER listener when listeners names one,
// and opens the controller over the quorum's voters.
// The CONTROLLER listener, when bound, is split between the quorum and the
// controller's Kafka APIs: the mux returned. The metadata log is opened
// through fsys (nil: the real filesystem), as the log dirs are.
func openController(cfg *config.Config, fsys vfs.FS, clusterID string, publish controller.Publisher, now func() time.Time, logger *slog.Logger) (*controller.Controller, *controllerMux, error) {
	q, listenerTLS, err := quorumOf(cfg, logger)
	q.ClusterID = clusterID
	if err != nil {
		return nil, nil, err
	}
	var mux *controllerMux
	if q.Listener != nil {
		mux = splitControllerListener(q.Listener, listenerTLS)
		q.Listener = mux.quorum
	}
	logCfg := storage.DefaultConfig()
	logCfg.SegmentBytes = 8 << 20
	dir := filepath.Join(cfg.MetadataLogDir, controller.MetadataTopic+"-0")
	l, err := storage.OpenAtFS(fsys, dir, 0, logCfg, now, logger)
	if err != nil {
		if mux != nil {
			mux.close()
		}
		return nil, nil, fmt.Errorf("open metadata log: %w", err)
	}
	ctrl, err := controller.OpenQuorum(l, q, controller.ClusterOf(cfg), publish, now, logger)
	if err != nil && mux != nil {
		mux.close()
	}
	return ctrl, mux, err
}

// quorumOf returns the node's place in the controller quorum, with its
// CONTROLLER listener bound whenever listeners names one (a lone voter
// serves it too, for brokers that join it as observers). A broker-only
// node follows the log as an observer. The quorum's connections have the
// security of the first controller listener (controllerListenerSecurity),
// both ways: the ListenerTLS returned is the listener's on SSL and
// SASL_SSL.
func quorumOf(cfg *config.Config, logger *slog.Logger) (controller.Quorum, *auth.ListenerTLS, error) {
	q := controller.Quorum{
		NodeID: kafka.NodeID(cfg.NodeID), Voters: cfg.Voters,
		SessionTimeout:   time.Duration(cfg.BrokerSessionTimeoutMs) * time.Millisecond,
		SnapshotBytes:    cfg.MetadataSnapshotMaxNewRecordBytes,
		SnapshotInterval: time.Duration(cfg.MetadataSnapshotMaxIntervalMs) * time.Millisecond,
	}
	switch {
	case !cfg.HasRole("controller") && len(cfg.Voters) == 0:
		return q, nil, fmt.Errorf("controller.quorum.voters: a node with process.roles=broker needs the voters of the controller quorum")
	}
	security, err := controllerListenerSecurity(cfg)
	if err != nil {
		return q, nil, err
	}
	q.Dial = security.quorumDialer(logger)
	listenerTLS := security.serverTLS
	if !cfg.HasRole("controller") {
		return q, nil, nil
	}
	l, ok := cfg.ControllerListener()
	if !ok && len(cfg.Voters) <= 1 {
		return q, nil, nil // a lone voter needs no listener of its own
	}
	if !ok {
		return q, nil, fmt.Errorf("listeners: no listener named %v, the controller.listener.names, for the quorum", cfg.ControllerListenerNames)
	}
	ln, err := server.Listen(net.JoinHostPort(l.Host, strconv.Itoa(l.Port)), socketBuffers(cfg))
	if err != nil {
		return q, nil, fmt.Errorf("controller listener %s: %w", l, err)
	}
	q.Listener = ln
	return q, listenerTLS, nil
}

// quotas returns the client quota managers, sampled as the configuration
// says.
func (n *Node) quotas() *handler.Quotas {
	windows, window := n.cfg.QuotaSampling()
	mutationWindows, mutationWindow := n.cfg.ControllerQuotaSampling()
	return handler.NewQuotas(quota.Config{Windows: windows, Window: window}, quota.Config{Windows: mutationWindows, Window: mutationWindow})
}
