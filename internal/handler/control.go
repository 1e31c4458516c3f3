package handler

// The handler's seams, owned here: the metadata image it reads, the
// controller it sends every metadata write to as a typed request, and the
// local partitions. On one node the controller is local; in a cluster the
// writes are forwarded to the active controller without the handlers
// changing.

import (
	"context"
	"fmt"

	"gregor/internal/controller"
	"gregor/internal/kafka"
	"gregor/internal/metadata"
	"gregor/internal/partition"
)

// MetadataView gives the metadata image the node last published. Image is
// safe for concurrent use; the image it returns is immutable.
type MetadataView interface {
	Image() *metadata.Image
}

// Controller takes every write to the metadata. Submit returns once the
// write is durable and the node has published the image that holds it (or
// the write failed), with the response type of the request's kind. It is
// safe for concurrent use.
type Controller interface {
	Submit(ctx context.Context, req controller.Request) (controller.Response, error)
	// Leader returns the active controller's node id, false when the
	// quorum has no leader now.
	Leader() (kafka.NodeID, bool)
}

// controllerID is the controller id Metadata and DescribeCluster answer
// on a broker listener: the active controller when it is a live broker
// (a combined node), else, as Kafka's brokers answer, a live broker (this
// one when it is live, else the lowest id) since clients send their admin
// requests to that id and a controller-only node is not among the
// brokers; -1 while there is neither.
func (h *Handler) controllerID() int32 {
	img := h.Metadata.Image()
	id, ok := h.Controller.Leader()
	if img == nil {
		if ok {
			return int32(id)
		}
		return -1
	}
	if ok && liveBroker(img, id) {
		return int32(id)
	}
	if liveBroker(img, kafka.NodeID(h.NodeID)) {
		return h.NodeID
	}
	for _, b := range img.Brokers() {
		if !b.Fenced {
			return int32(b.ID)
		}
	}
	if ok {
		return int32(id)
	}
	return -1
}

func liveBroker(img *metadata.Image, id kafka.NodeID) bool {
	b, ok := img.Broker(id)
	return ok && !b.Fenced
}

// Partitions finds this node's replica of a partition (replica.Manager):
// partition.ErrUnknownTopicOrPartition when there is none. The handler
// reaches the data plane only through the partitions it returns, never
// through storage. Safe for concurrent use.
type Partitions interface {
	Partition(kafka.TopicPartition) (*partition.Partition, error)
	// Replica returns the local replica of a partition, leader or
	// follower (for fetches from the closest replica, KIP-392).
	Replica(kafka.TopicPartition) (*partition.Partition, error)
}

// submit sends req to the controller and returns its response as R.
func submit[R controller.Response](ctx context.Context, c Controller, req controller.Request) (R, error) {
	var zero R
	resp, err := c.Submit(ctx, req)
	if err != nil {
		return zero, err
	}
	r, ok := resp.(R)
	if !ok {
		return zero, fmt.Errorf("controller answered %T with %T", req, resp)
	}
	return r, nil
}

// everyItem returns err for each of n items: a request that failed as a
// whole failed every item in it.
func everyItem(err error, n int) []error {
	errs := make([]error, n)
	for i := range errs {
		errs[i] = err
	}
	return errs
}
