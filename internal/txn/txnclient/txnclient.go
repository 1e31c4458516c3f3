// Package txnclient is the transactional traffic between brokers over the
// network: a transaction coordinator's WriteTxnMarkers (v1) to the leaders
// of its transaction's partitions on other nodes, and a partition leader's
// AddPartitionsToTxn (v4, verify-only, KIP-890) to the coordinator of a
// transactional id on another node. Both go to the peer's
// inter.broker.listener.name endpoint as found in the metadata image, on
// wire.Client connections kept per peer. It translates Kafka error codes
// back to the sentinels of partition, so that txn and the handler know
// nothing of the protocol here.
//
// Why not franz-go's kgo: as replica/leaderclient, a broker reaches known
// peers with two request kinds at pinned versions; kmsg bodies over our
// own framing are enough.
package txnclient

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
	"gregor/internal/wire"
)

// maxResponseBytes bounds a response frame: the answers are small.
const maxResponseBytes = 1 << 20

// maxIdle is how many idle connections are kept to one peer.
const maxIdle = 4

// Client sends the transactional requests of this node to its peers. Safe
// for concurrent use: each request takes a connection of its own from the
// pool for the round trip.
type Client struct {
	self     kafka.NodeID
	listener string
	peers    wire.Dialer // the listener's security
	image    func() *metadata.Image
	logger   *slog.Logger

	mu     sync.Mutex                      // guards idle and closed
	idle   map[kafka.NodeID][]*wire.Client // connections not in use, by peer
	closed bool
}

// New returns a client that names itself node self and reaches peers on
// listener, looked up in the image image returns, with the listener's
// security as peers dials it.
func New(self kafka.NodeID, listener string, peers wire.Dialer, image func() *metadata.Image, logger *slog.Logger) *Client {
	return &Client{self: self, listener: listener, peers: peers, image: image, logger: logger, idle: map[kafka.NodeID][]*wire.Client{}}
}

// Close closes the idle connections; those in use close when their
// request ends.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cs := range c.idle {
		for _, wc := range cs {
			_ = wc.Close()
		}
	}
	c.idle, c.closed = map[kafka.NodeID][]*wire.Client{}, true
	return nil
}

// request sends req to node and returns its answer, on a pooled
// connection; a connection that failed is closed, not pooled.
func (c *Client) request(ctx context.Context, node kafka.NodeID, req kmsg.Request) (kmsg.Response, error) {
	wc, err := c.get(ctx, node)
	if err != nil {
		return nil, err
	}
	resp, err := wc.Request(ctx, req)
	if err != nil {
		_ = wc.Close()
		return nil, fmt.Errorf("request to broker %d: %w", node, err)
	}
	c.put(node, wc)
	return resp, nil
}

func (c *Client) get(ctx context.Context, node kafka.NodeID) (*wire.Client, error) {
	c.mu.Lock()
	if cs := c.idle[node]; len(cs) > 0 {
		wc := cs[len(cs)-1]
		c.idle[node] = cs[:len(cs)-1]
		c.mu.Unlock()
		return wc, nil
	}
	c.mu.Unlock()
	b, ok := c.image().Broker(node)
	if !ok {
		return nil, fmt.Errorf("broker %d is not registered", node)
	}
	ep, ok := b.Endpoint(c.listener)
	if !ok {
		return nil, fmt.Errorf("broker %d has no %s listener", node, c.listener)
	}
	addr := net.JoinHostPort(ep.Host, strconv.Itoa(int(ep.Port)))
	return c.peers.Dial(ctx, addr, fmt.Sprintf("broker-%d-txn", c.self), maxResponseBytes)
}

func (c *Client) put(node kafka.NodeID, wc *wire.Client) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || len(c.idle[node]) >= maxIdle {
		_ = wc.Close()
		return
	}
	c.idle[node] = append(c.idle[node], wc)
}
