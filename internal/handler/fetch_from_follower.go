package handler

// Fetch from the closest replica (KIP-392). With replica.selector.class set
// to Kafka's RackAwareReplicaSelector, the leader answers a consumer whose
// fetch names its client.rack (rack_id, Fetch v11+) with the preferred
// read replica when a live replica in that rack other than the leader has
// the fetch offset: no records, and the client fetches from that replica
// next. Followers serve consumer fetches (v11+) only when a selector is
// configured, bounded by their own high watermark. Difference from Kafka:
// Kafka's followers serve any v11+ consumer fetch, selector or not.

import (
	"time"

	"gregor/internal/config"
	"gregor/internal/kafka"
	"gregor/internal/metadata"
	"gregor/internal/partition"
)

// readReplica is a replica a consumer may be sent to read from.
type readReplica struct {
	id            kafka.NodeID
	rack          string
	logEndOffset  kafka.Offset
	sinceCaughtUp time.Duration
}

// selectReadReplica is Kafka's RackAwareReplicaSelector: the leader unless
// the client names a rack that holds replicas and not the leader; then the
// replica of that rack furthest ahead, the most recently caught up first
// on a tie. It returns the leader's id when the leader is the choice.
func selectReadReplica(clientRack string, leader readReplica, followers []readReplica) kafka.NodeID {
	if clientRack == "" || leader.rack == clientRack {
		return leader.id
	}
	best := -1
	for i, f := range followers {
		if f.rack != clientRack {
			continue
		}
		if best < 0 || f.logEndOffset > followers[best].logEndOffset ||
			f.logEndOffset == followers[best].logEndOffset && f.sinceCaughtUp < followers[best].sinceCaughtUp {
			best = i
		}
	}
	if best < 0 {
		return leader.id
	}
	return followers[best].id
}

// replicaSelector reports whether replica.selector.class is set.
func (h *Handler) replicaSelector() bool {
	return h.Config != nil && h.Config.Values["replica.selector.class"] != ""
}

// rackAware reports whether the selector is the rack-aware one.
func (h *Handler) rackAware() bool {
	return h.Config != nil && h.Config.Values["replica.selector.class"] == config.RackAwareReplicaSelector
}

// preferredReadReplica returns the replica a consumer in rack should read
// p, led here, from at offset, or -1 for this leader.
func (h *Handler) preferredReadReplica(img *metadata.Image, p *partition.Partition, rack string, offset int64) int32 {
	if rack == "" || !h.rackAware() {
		return -1
	}
	leader := readReplica{id: kafka.NodeID(h.NodeID), rack: brokerRack(img, kafka.NodeID(h.NodeID))}
	var followers []readReplica
	now := h.now()
	for _, f := range p.Followers() {
		if b, ok := img.Broker(f.ID); !ok || b.Fenced || int64(f.LogEndOffset) < offset {
			continue
		}
		followers = append(followers, readReplica{id: f.ID, rack: brokerRack(img, f.ID), logEndOffset: f.LogEndOffset, sinceCaughtUp: now.Sub(f.LastCaughtUp)})
	}
	if id := selectReadReplica(rack, leader, followers); id != leader.id {
		return int32(id)
	}
	return -1
}

func brokerRack(img *metadata.Image, id kafka.NodeID) string {
	if b, ok := img.Broker(id); ok && b.Rack != nil {
		return *b.Rack
	}
	return ""
}
