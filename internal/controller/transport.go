package controller

// The quorum's transport, on the CONTROLLER listener. Every frame is a
// 4-byte big-endian length, then a kind byte, then the payload:
//
//	0xC7 hello          the sender's cluster id; first on every connection,
//	                    both ways: a node of another cluster is refused. Its
//	                    kind byte is where a Kafka request has the high byte
//	                    of its api key, so no Kafka request starts like it:
//	                    Kafka clients share the listener (IsQuorumConnection)
//	1 raft message      a raftpb.Message, protobuf-encoded; one-way
//	2 forwarded request a request envelope (forward.go), JSON
//	3 forwarded reply   a reply envelope, JSON, on the request's connection
//	4 fetch             an observer's fetch of committed entries (observer.go)
//	5 fetched           its answer, on the fetch's connection
//
// Each voter dials every other voter once for its raft messages and keeps
// the connection, redialling with backoff when it breaks. A per-peer queue
// takes the loop's messages without blocking it; when the queue is full a
// message is dropped (raft retransmits). A forwarded request uses a
// connection of its own, dialled for it and closed after its reply.

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"gregor/internal/kafka"
)

const (
	frameHello   = 0xC7
	frameRaft    = 1
	frameRequest = 2
	frameReply   = 3
	frameFetch   = 4
	frameFetched = 5

	maxFrame       = 64 << 20
	peerQueueDepth = 1024
)

type transport struct {
	c     *Controller
	fatal chan error // every peer is of another cluster

	mu      sync.Mutex      // guards foreign
	foreign map[string]bool // the peers, by address, that answered another cluster id
	ln      net.Listener
	inbox   chan *pb.Message
	peers   map[uint64]*peer
	wg      sync.WaitGroup
}

type peer struct {
	addr  string
	queue chan []byte
}

func newTransport(c *Controller, ln net.Listener) *transport {
	t := &transport{c: c, ln: ln, fatal: make(chan error, 1), inbox: make(chan *pb.Message, 4096), peers: map[uint64]*peer{}}
	for _, v := range c.q.Voters {
		if id := raftID(kafka.NodeID(v.ID)); id != raftID(c.q.NodeID) {
			t.peers[id] = &peer{addr: v.Addr(), queue: make(chan []byte, peerQueueDepth)}
		}
	}
	return t
}

// run accepts connections and keeps one sender per peer until ctx ends.
func (t *transport) run(ctx context.Context) {
	for _, p := range t.peers {
		t.wg.Add(1)
		go func() { defer t.wg.Done(); t.sendLoop(ctx, p) }()
	}
	if t.ln != nil {
		context.AfterFunc(ctx, func() { t.ln.Close() })
		t.accept(ctx)
	}
	t.wg.Wait()
}

func (t *transport) accept(ctx context.Context) {
	var conns sync.Map
	defer conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
	for backoff := time.Millisecond; ; {
		conn, err := t.ln.Accept()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			time.Sleep(backoff)
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = time.Millisecond
		conns.Store(conn, nil)
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			defer conns.Delete(conn)
			t.serveConn(ctx, conn)
		}()
	}
}

// serveConn reads frames from one connection: raft messages go to the
// loop; a forwarded request is executed and answered on the connection.
func (t *transport) serveConn(ctx context.Context, conn net.Conn) {
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	r := bufio.NewReader(conn)
	if err := t.greet(conn, r); err != nil {
		t.c.logger.Error("refused a controller connection", "remote", conn.RemoteAddr(), "err", err)
		return
	}
	for {
		kind, payload, err := readFrame(r)
		if err != nil {
			return
		}
		switch kind {
		case frameRaft:
			m := &pb.Message{}
			if proto.Unmarshal(payload, m) != nil {
				return
			}
			select {
			case t.inbox <- m:
			case <-ctx.Done():
				return
			}
		case frameRequest:
			writeFrame(conn, frameReply, t.serveRequest(ctx, payload))
		case frameFetch:
			writeFrame(conn, frameFetched, t.serveFetch(ctx, payload))
		default:
			return
		}
	}
}

// serveRequest executes a forwarded request on this node, which must be
// the leader, and encodes the reply with the index it applied.
func (t *transport) serveRequest(ctx context.Context, payload []byte) []byte {
	req, err := decodeRequest(payload)
	if err != nil {
		return encodeReply(reply{err: fmt.Errorf("%w: %v", ErrInvalidRequest, err)})
	}
	if leader, _ := t.c.Leader(); leader != t.c.q.NodeID {
		return encodeReply(reply{err: ErrNotController})
	}
	r, err := t.c.local(ctx, req)
	if r.err == nil {
		r.err = err
	}
	return encodeReply(r)
}

// send queues the loop's messages for their peers, dropping what does not fit.
func (t *transport) send(msgs []*pb.Message) {
	for _, m := range msgs {
		p := t.peers[m.GetTo()]
		if p == nil {
			continue
		}
		data, err := proto.Marshal(m)
		if err != nil {
			continue
		}
		select {
		case p.queue <- data:
		default:
		}
	}
}

// QuorumPrefixLen is how many bytes IsQuorumConnection looks at.
const QuorumPrefixLen = 5

// IsQuorumConnection reports whether a connection to the CONTROLLER
// listener whose first bytes are prefix is the quorum's own (it opens with
// a hello frame) rather than a Kafka client's: the kind byte of the hello
// would be a negative api key in a Kafka request header.
func IsQuorumConnection(prefix []byte) bool {
	return len(prefix) >= QuorumPrefixLen && prefix[4] == frameHello
}

// ErrClusterID is a peer whose cluster id is not this node's.
var ErrClusterID = errors.New("cluster id mismatch")

// greet exchanges hello frames on conn and checks the peer's cluster id.
func (t *transport) greet(conn net.Conn, r *bufio.Reader) error {
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	defer conn.SetDeadline(time.Time{})
	if err := writeFrame(conn, frameHello, []byte(t.c.q.ClusterID)); err != nil {
		return err
	}
	kind, id, err := readFrame(r)
	switch {
	case err != nil:
		return err
	case kind != frameHello:
		return fmt.Errorf("controller connection opened with a frame of kind %d", kind)
	case string(id) != t.c.q.ClusterID:
		return fmt.Errorf("%w: %s belongs to cluster %s, this node to cluster %s; refusing to join it", ErrClusterID, conn.RemoteAddr(), id, t.c.q.ClusterID)
	}
	return nil
}

// dial connects to addr and greets it.
func (t *transport) dial(ctx context.Context, addr string) (net.Conn, *bufio.Reader, error) {
	var conn net.Conn
	var err error
	if t.c.q.Dial != nil {
		conn, err = t.c.q.Dial(ctx, addr)
	} else {
		conn, err = (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, nil, err
	}
	r := bufio.NewReader(conn)
	err = t.greet(conn, r)
	t.noteCluster(addr, err)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, r, nil
}

// noteCluster records whether the peer at addr is of this node's cluster.
// When every voter this node can dial is of another cluster, this node is
// the one formatted wrongly: it stops, saying why. A node that meets a
// single stranger only logs it (the stranger refuses the connection too).
func (t *transport) noteCluster(addr string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.foreign == nil {
		t.foreign = map[string]bool{}
	}
	switch {
	case errors.Is(err, ErrClusterID):
		t.foreign[addr] = true
	case err == nil:
		delete(t.foreign, addr)
	}
	if errors.Is(err, ErrClusterID) && len(t.foreign) >= t.others() {
		select {
		case t.fatal <- err:
		default:
		}
	}
}

// others is how many voters other than this node there are.
func (t *transport) others() int {
	n := 0
	for _, v := range t.c.q.Voters {
		if kafka.NodeID(v.ID) != t.c.q.NodeID {
			n++
		}
	}
	return n
}

// sendLoop keeps a connection to the peer and writes its queued messages.
func (t *transport) sendLoop(ctx context.Context, p *peer) {
	backoff := 10 * time.Millisecond
	for ctx.Err() == nil {
		conn, _, err := t.dial(ctx, p.addr)
		if err != nil {
			p.drop()
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 10 * time.Millisecond
		p.write(ctx, conn)
		conn.Close()
	}
}

// drop empties the queue while the peer is unreachable: raft resends.
func (p *peer) drop() {
	for {
		select {
		case <-p.queue:
		default:
			return
		}
	}
}

func (p *peer) write(ctx context.Context, conn net.Conn) {
	w := bufio.NewWriter(conn)
	for {
		select {
		case <-ctx.Done():
			return
		case data := <-p.queue:
			conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
			if err := writeFrameTo(w, frameRaft, data); err != nil {
				return
			}
			for more := true; more; {
				select {
				case data = <-p.queue:
					if err := writeFrameTo(w, frameRaft, data); err != nil {
						return
					}
				default:
					more = false
				}
			}
			if w.Flush() != nil {
				return
			}
		}
	}
}

// forward sends req to the controller at addr and waits for its reply.
func (t *transport) forward(ctx context.Context, addr string, req Request) (reply, error) {
	payload, err := encodeRequest(req)
	if err != nil {
		return reply{}, err
	}
	data, err := t.call(ctx, addr, frameRequest, payload, frameReply)
	if err != nil {
		return reply{}, err
	}
	return decodeReply(data)
}

// call sends one frame on a connection of its own and reads the answer.
func (t *transport) call(ctx context.Context, addr string, kind byte, payload []byte, want byte) ([]byte, error) {
	conn, r, err := t.dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := writeFrame(conn, kind, payload); err != nil {
		return nil, err
	}
	got, data, err := readFrame(r)
	if err != nil {
		return nil, err
	}
	if got != want {
		return nil, errors.New("controller answered with a frame of kind " + strconv.Itoa(int(got)))
	}
	return data, nil
}

func (c *Controller) voterAddr(id kafka.NodeID) string {
	for _, v := range c.q.Voters {
		if kafka.NodeID(v.ID) == id {
			return v.Addr()
		}
	}
	return ""
}

func writeFrame(w io.Writer, kind byte, payload []byte) error {
	bw := bufio.NewWriter(w)
	if err := writeFrameTo(bw, kind, payload); err != nil {
		return err
	}
	return bw.Flush()
}

func writeFrameTo(w *bufio.Writer, kind byte, payload []byte) error {
	var hdr [5]byte
	binary.BigEndian.PutUint32(hdr[:4], uint32(len(payload)+1))
	hdr[4] = kind
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

func readFrame(r *bufio.Reader) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	if n < 1 || n > maxFrame {
		return 0, nil, fmt.Errorf("controller frame of %d bytes", n)
	}
	payload := make([]byte, 0, min(int(n-1), 1<<16))
	buf := make([]byte, 1<<16)
	for remaining := int(n - 1); remaining > 0; {
		k, err := io.ReadFull(r, buf[:min(remaining, len(buf))])
		payload = append(payload, buf[:k]...)
		if err != nil {
			return 0, nil, err
		}
		remaining -= k
	}
	return hdr[4], payload, nil
}
