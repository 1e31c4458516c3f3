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
		{fmt.Errorf("%w: seq", partition.ErrOutOfOrderSequence), kerr.OutOfOrderSequenceNumber},
		{partition.ErrInvalidProducerEpoch, kerr.InvalidProducerEpoch},
		{controller.ErrTopicExists, kerr.TopicAlreadyExists},
		{fmt.Errorf("%w: bad", controller.ErrInvalidTopic), kerr.InvalidTopicException},
		{controller.ErrInvalidReplicationFactor, kerr.InvalidReplicationFactor},
		{fmt.Errorf("%w: No node with id 2 found.", controller.ErrBrokerNotRegistered), kerr.BrokerIDNotRegistered},
		{errorf(kerr.InvalidRequest, "Each resource must appear at most once."), kerr.InvalidRequest},
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
