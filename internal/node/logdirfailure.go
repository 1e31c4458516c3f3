package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gregor/internal/controller"
	"gregor/internal/kafka"
)

// Log dir failures. The storage manager takes a log dir offline at its
// first I/O error and logs it; the node then stops copying into the
// replicas that dir held and reports them to the active controller
// (controller.OfflineReplicasRequest), which moves their leadership to
// live ISR members and, when no log dir is left, keeps this broker out of
// placement and elections. The process keeps running: other dirs serve,
// and the failed dir's partitions answer KAFKA_STORAGE_ERROR. The
// exception is the metadata log dir: an I/O error in the metadata log, or
// the failure of the log dir it lives in, stops the node with one ERROR
// line, as Kafka halts.

// watchLogDirs subscribes the node to log dir failures; it runs before
// the storage manager is shared.
func (n *Node) watchLogDirs() {
	n.logDirFailed = make(chan struct{}, 1)
	n.metadataDirFailed = make(chan error, 1)
	n.logs.OnDirFailure(func(dir string, tps []kafka.TopicPartition) {
		n.replicas.LogDirFailed(tps)
		n.signalLogDirFailed()
		if sameDir(dir, n.cfg.MetadataLogDir) {
			select {
			case n.metadataDirFailed <- n.logs.DirError(dir):
			default:
			}
		}
	})
}

// ErrMetadataLogDirFailed is why a node stops when its metadata log dir
// fails: the metadata log itself could not be written, or the dir is one
// of log.dirs and went offline. Kafka halts the node in both cases;
// going on would serve a metadata log that may have lost what it
// acknowledged.
var ErrMetadataLogDirFailed = errors.New("the metadata log dir failed")

// metadataLogDirFailed turns the controller's ErrMetadataLogFailed into
// the node's one line and error; other errors pass unchanged.
func (n *Node) metadataLogDirFailed(err error) error {
	if !errors.Is(err, controller.ErrMetadataLogFailed) {
		return err
	}
	return n.stopOnMetadataLogDir(err)
}

// watchMetadataLogDir stops the node when the log dir holding the
// metadata log goes offline (it is one of log.dirs), as Kafka's "Shutdown
// broker because the metadata log dir ... has failed".
func (n *Node) watchMetadataLogDir(ctx context.Context) error {
	for dir, err := range n.logs.OfflineDirs() {
		if sameDir(dir, n.cfg.MetadataLogDir) { // failed while opening
			return n.stopOnMetadataLogDir(err)
		}
	}
	select {
	case <-ctx.Done():
		return nil
	case err := <-n.metadataDirFailed:
		return n.stopOnMetadataLogDir(err)
	}
}

// stopOnMetadataLogDir logs the one line of a metadata log dir failure
// and returns the error that stops the node.
func (n *Node) stopOnMetadataLogDir(cause error) error {
	n.logger.Error("shutting down: the metadata log dir failed", "dir", n.cfg.MetadataLogDir, "error", cause)
	return fmt.Errorf("%w (%s): %w", ErrMetadataLogDirFailed, n.cfg.MetadataLogDir, cause)
}

func (n *Node) signalLogDirFailed() {
	select {
	case n.logDirFailed <- struct{}{}:
	default:
	}
}

// offlineReplicasLoop reports the offline replicas to the controller each
// time a log dir fails (and after each registration, which forgets them),
// retrying every second until the controller has them.
func (n *Node) offlineReplicasLoop(ctx context.Context) error {
	n.signalLogDirFailed() // dirs that failed while opening
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-n.logDirFailed:
		}
		for {
			err := n.reportOfflineReplicas(ctx)
			if err == nil || ctx.Err() != nil {
				break
			}
			n.logger.Warn("cannot report offline replicas to the controller; retrying", "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
		}
	}
}

func (n *Node) reportOfflineReplicas(ctx context.Context) error {
	offline := n.logs.OfflineDirs()
	if len(offline) == 0 {
		return nil
	}
	var tps []kafka.TopicPartition
	for _, d := range n.logs.LogDirs() {
		if offline[d.Dir] != nil {
			for tp := range d.Logs {
				tps = append(tps, tp)
			}
		}
	}
	tps = append(tps, n.replicas.OfflineReplicas()...)
	req := controller.OfflineReplicasRequest{
		ID: kafka.NodeID(n.cfg.NodeID), Epoch: n.brokerEpoch.Load(), Partitions: tps,
		AllLogDirsOffline: len(offline) == len(n.cfg.LogDirs),
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := n.ctrl.Submit(ctx, req)
	return err
}
