package handler

import (
	"errors"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"

	"gregor/internal/controller"
	"gregor/internal/partition"
	"gregor/internal/record"
)

// TestErrorCode proves that wrapped domain errors reach clients as the code
// the Java broker sends for the same condition.
func TestErrorCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want *kerr.Error
	}{
		{fmt.Errorf("x: %w", partition.ErrUnknownTopicOrPartition), kerr.UnknownTopicOrPartition},
		{fmt.Errorf("read: %w", partition.ErrOffsetOutOfRange), kerr.OffsetOutOfRange},
		{fmt.Errorf("batch: %w", record.ErrCorrupt), kerr.CorruptMessage},
		{partition.ErrMessageTooLarge, kerr.MessageTooLarge},
		{fmt.Errorf("%w: /data/a: write: no space left on device", partition.ErrLogDirOffline), kerr.KafkaStorageError},
		{fmt.Errorf("%w: seq", partition.ErrOutOfOrderSequence), kerr.OutOfOrderSequenceNumber},
		{partition.ErrInvalidProducerEpoch, kerr.InvalidProducerEpoch},
		{controller.ErrTopicExists, kerr.TopicAlreadyExists},
		{fmt.Errorf("%w: bad", controller.ErrInvalidTopic), kerr.InvalidTopicException},
		{controller.ErrInvalidReplicationFactor, kerr.InvalidReplicationFactor},
		{fmt.Errorf("%w: No node with id 2 found.", controller.ErrBrokerNotRegistered), kerr.BrokerIDNotRegistered},
		{errorf(kerr.InvalidRequest, "Each resource must appear at most once."), kerr.InvalidRequest},
		{fmt.Errorf("%w: loading", ErrSchemaRegistryNotReady), kerr.RequestTimedOut},
		{fmt.Errorf("%w (off)", ErrNoSchemaRegistry), kerr.InvalidRecord},
		{errors.New("disk on fire"), kerr.UnknownServerError},
	} {
		if got := errorCode(tc.err); got != tc.want.Code {
			t.Errorf("errorCode(%v) = %d, want %d (%s)", tc.err, got, tc.want.Code, tc.want.Message)
		}
	}
	if errorCode(nil) != 0 {
		t.Error("nil error must map to 0")
	}
}

// TestErrorMessage proves that a response's error message is Kafka's
// detail without the sentinel's words, and an error with no detail keeps
// its own text.
func TestErrorMessage(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("%w: Topic 't' already exists.", controller.ErrTopicExists), "Topic 't' already exists."},
		{fmt.Errorf("create t: %w", controller.ErrTopicExists), "create t: " + controller.ErrTopicExists.Error()},
		{controller.ErrInvalidReplicationFactor, controller.ErrInvalidReplicationFactor.Error()},
		{errors.New("plain: text"), "plain: text"},
	} {
		if got := *errorMessage(tc.err); got != tc.want {
			t.Errorf("errorMessage(%q) = %q, want %q", tc.err, got, tc.want)
		}
	}
	if errorMessage(nil) != nil {
		t.Error("errorMessage(nil) is not nil")
	}
}
