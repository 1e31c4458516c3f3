package controller

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"

	"gregor/internal/config"
	"gregor/internal/kafka"
	"gregor/internal/metadata"
	"gregor/internal/record"
)

// MetadataTopic is the name of the metadata log's directory stem, as in KRaft.
const MetadataTopic = "__cluster_metadata"

// Publisher receives every new image, in order, before the request that
// produced it is answered. It runs on the controller's loop and must not
// call back into the controller.
type Publisher func(prev, next *metadata.Image)

// call is one request waiting for the loop to execute it.
type call struct {
	req   Request
	reply chan reply
}

type reply struct {
	resp    Response
	err     error
	applied uint64 // the raft index the answering node had applied
}

// MetadataLog is the log the controller keeps its raft entries in, the
// __cluster_metadata log (a storage.Log, opened by the node). The controller
// owns it once opened: only its loop calls these, and Run closes it.
type MetadataLog interface {
	// Batches calls fn for each batch from offset from on, in order.
	Batches(from int64, fn func(b record.Batch) error) error
	// AppendWithOffsets writes batches that carry their offsets and
	// leader epochs, at or after the log end.
	AppendWithOffsets(bs []record.Batch) error
	// TruncateTo drops every batch at or after offset.
	TruncateTo(offset int64) error
	// DeleteRecordsBefore moves the log start up to offset.
	DeleteRecordsBefore(offset int64) error
	// Flush fsyncs everything appended.
	Flush() error
	LogStartOffset() int64
	// LogEndOffset is the offset the next record will get.
	LogEndOffset() int64
	// Dir is the log's directory; quorum-state and checkpoints go there.
	Dir() string
	Close() error
}

// Quorum is this controller's place in the controller quorum.
type Quorum struct {
	NodeID kafka.NodeID
	// ClusterID is this node's; voters of another cluster are refused.
	ClusterID string
	// Voters are controller.quorum.voters; none means a quorum of one,
	// this node. A node not among them is an observer (observer.go).
	Voters []config.Voter
	// Listener is the bound CONTROLLER listener, where the other voters'
	// raft messages and forwarded requests arrive; nil with one voter.
	Listener net.Listener
	// SnapshotBytes is metadata.log.max.record.bytes.between.snapshots: a
	// snapshot is taken once the entries applied after the latest one hold
	// this many bytes; 0 means DefaultSnapshotBytes.
	SnapshotBytes int64
	// SnapshotInterval is metadata.log.max.snapshot.interval.ms: a
	// snapshot is taken once this long has passed since the latest one
	// (or since start-up) while entries were applied after it; 0 disables.
	SnapshotInterval time.Duration
	// SnapshotEvery, when not 0, also takes a snapshot once this many
	// entries were applied after the latest one (for tests).
	SnapshotEvery uint64
	// SessionTimeout fences a broker that has not heartbeaten for that
	// long; 0 never fences.
	SessionTimeout time.Duration
	// Dial connects to another voter's CONTROLLER listener (with its
	// security: TLS on an SSL listener, a SASL exchange on a SASL one);
	// nil dials plain TCP.
	Dial func(ctx context.Context, addr string) (net.Conn, error)
}

// DefaultSnapshotBytes is Kafka's default of
// metadata.log.max.record.bytes.between.snapshots, 20 MiB.
const DefaultSnapshotBytes = 20 << 20

// tickInterval is one raft tick. Elections take electionTicks to
// electionTicks*2 ticks, heartbeats go every tick.
const (
	tickInterval  = 50 * time.Millisecond
	electionTicks = 10
)

// Controller is this node's member of the controller quorum. Its loop
// (Run) drives the raft node, applies committed entries to the image and
// publishes them; on the leader, the active controller, it executes one
// request at a time. Submit is safe for concurrent use.
type Controller struct {
	log     MetadataLog
	cluster Cluster
	publish Publisher
	logger  *slog.Logger
	now     func() time.Time
	q       Quorum
	calls   chan call
	done    chan struct{} // closed when Run returns

	// Owned by the loop.
	image   *metadata.Image
	disk    *disk
	rn      *raft.RawNode
	net     *transport // nil with one voter
	applied uint64
	state   loopState
	// published is false while Open replays: the image is published
	// once, whole, at the end.
	published bool
	lastSeen  map[kafka.NodeID]time.Time // the leader's broker sessions
	// sinceSnapshot is what was applied after the latest snapshot.
	sinceSnapshot struct {
		bytes int64     // of the entries' data
		start time.Time // of the latest snapshot, or of start-up
	}
	// lastBalance is when the leader last balanced leaders (checkBalance).
	lastBalance time.Time
	// lastTokenCheck is when the leader last looked for expired
	// delegation tokens (checkTokens).
	lastTokenCheck time.Time
	peers          map[kafka.NodeID]*peerSeen // the leader's view of the voters

	leader    atomic.Int32  // the leader's node id, -1 when unknown
	appliedAt atomic.Uint64 // applied, for Submit's waits
	applyMu   sync.Mutex
	applyCond *sync.Cond
	status    atomic.Pointer[QuorumStatus]
	observers observers // the observers that fetched from this voter
}

// loopState is the leader's request pipeline: one proposal in flight.
type loopState struct {
	seq      uint64
	inflight *pending
	queue    []call
	ready    uint64 // first index of the leader's term; requests wait until applied
	fencing  bool
	// balancing: a balanceRequest is queued or in flight.
	balancing bool
	// sweepingTokens: a removeExpiredTokensRequest is queued or in flight.
	sweepingTokens bool
}

type pending struct {
	seq  uint64
	call call
	resp Response
}

// Open opens a controller that is the only voter of its quorum.
func Open(l MetadataLog, c Cluster, publish Publisher, now func() time.Time, logger *slog.Logger) (*Controller, error) {
	return OpenQuorum(l, Quorum{NodeID: c.NodeID}, c, publish, now, logger)
}

// OpenQuorum loads the metadata log l (the newest checkpoint, then the
// committed entries after it) into an image, publishes that image once and
// returns a controller that owns l (closing it on failure).
func OpenQuorum(l MetadataLog, q Quorum, c Cluster, publish Publisher, now func() time.Time, logger *slog.Logger) (*Controller, error) {
	ctrl := &Controller{log: l, cluster: c, publish: publish, logger: logger, now: now, q: q,
		calls: make(chan call), done: make(chan struct{}), lastSeen: map[kafka.NodeID]time.Time{}, peers: map[kafka.NodeID]*peerSeen{}}
	ctrl.applyCond = sync.NewCond(&ctrl.applyMu)
	ctrl.leader.Store(-1)
	if err := ctrl.open(); err != nil {
		l.Close()
		if q.Listener != nil {
			q.Listener.Close()
		}
		return nil, err
	}
	publish(metadata.Empty(), ctrl.image)
	ctrl.published = true
	return ctrl, nil
}

func (c *Controller) open() error {
	c.disk = &disk{log: c.log, dir: c.log.Dir(), voters: c.raftVoters(), now: func() int64 { return c.now().UnixMilli() },
		allCommitted: len(c.raftVoters()) == 1 || c.q.isObserver()}
	img, err := c.disk.load()
	if err != nil {
		return err
	}
	c.image = img
	snap, _ := c.disk.mem.Snapshot()
	c.applied = snap.GetMetadata().GetIndex()
	c.sinceSnapshot.start = c.now()
	if err := c.applyStored(); err != nil {
		return err
	}
	c.appliedAt.Store(c.applied)
	if c.q.isObserver() {
		return nil
	}
	c.rn, err = raft.NewRawNode(&raft.Config{
		ID: raftID(c.q.NodeID), ElectionTick: electionTicks, HeartbeatTick: 1,
		Storage: votersStorage{c.disk.mem, c.disk.voters}, Applied: c.applied,
		MaxSizePerMsg: 1 << 20, MaxInflightMsgs: 256, CheckQuorum: true, PreVote: true,
		Logger: raftLogger{c.logger},
	})
	return err
}

// applyStored applies the entries the stored HardState says are
// committed, so that a restarted node serves its last image at once.
func (c *Controller) applyStored() error {
	hs, _, _ := c.disk.mem.InitialState()
	if hs.GetCommit() <= c.applied {
		return nil
	}
	ents, err := c.disk.mem.Entries(c.applied+1, hs.GetCommit()+1, 1<<62)
	if err != nil {
		return err
	}
	for _, e := range ents {
		c.applyEntry(e)
	}
	return nil
}

// raftVoters are the raft ids of the voters.
func (c *Controller) raftVoters() []uint64 {
	if len(c.q.Voters) == 0 {
		return []uint64{raftID(c.q.NodeID)}
	}
	var ids []uint64
	for _, v := range c.q.Voters {
		ids = append(ids, raftID(kafka.NodeID(v.ID)))
	}
	return ids
}

// raftID maps a node id to a raft id, which must not be 0.
func raftID(id kafka.NodeID) uint64 { return uint64(id) + 1 }

func nodeID(raftID uint64) kafka.NodeID { return kafka.NodeID(int64(raftID) - 1) }

// votersStorage is the MemoryStorage with the voters of the
// configuration: membership is static, controller.quorum.voters.
type votersStorage struct {
	*raft.MemoryStorage
	voters []uint64
}

func (s votersStorage) InitialState() (*pb.HardState, *pb.ConfState, error) {
	hs, _, err := s.MemoryStorage.InitialState()
	return hs, &pb.ConfState{Voters: s.voters}, err
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

// ErrMetadataLogFailed is what Run returns when the metadata log dir
// cannot be written (or read): the controller stops, as a KRaft node
// halts, rather than going on with a log that lost what it acknowledged.
var ErrMetadataLogFailed = errors.New("metadata log failed")

// ErrStopped is returned by Submit once the controller has stopped.
var ErrStopped = errors.New("controller stopped")

// ErrNotController is a request sent to a node that is not (or no
// longer) the active controller; Submit retries it on the leader.
var ErrNotController = errors.New("this node is not the active controller")

// Leader returns the node id of the active controller, the raft leader,
// and false when none is known.
func (c *Controller) Leader() (kafka.NodeID, bool) {
	id := c.leader.Load()
	return kafka.NodeID(id), id >= 0
}

// ListenerAddr returns the bound address of the CONTROLLER listener, nil
// when the node serves none.
func (c *Controller) ListenerAddr() net.Addr {
	if c.q.Listener == nil {
		return nil
	}
	return c.q.Listener.Addr()
}
