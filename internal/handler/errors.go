package handler

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"

	"gregor/internal/controller"
	"gregor/internal/group"
	"gregor/internal/partition"
	"gregor/internal/record"
	"gregor/internal/txn"
)

// errorTable maps domain errors to the Kafka error the Java broker sends
// for the same condition. The first match wins, so order matters only for
// errors that wrap others.
var errorTable = []struct {
	err  error
	code *kerr.Error
}{
	{partition.ErrUnknownTopicOrPartition, kerr.UnknownTopicOrPartition},
	{partition.ErrNotLeader, kerr.NotLeaderForPartition},
	{partition.ErrOffsetOutOfRange, kerr.OffsetOutOfRange},
	{partition.ErrClosed, kerr.NotLeaderForPartition},
	{partition.ErrLogDirOffline, kerr.KafkaStorageError},
	{ErrLogDirNotFound, kerr.LogDirNotFound},
	{ErrReplicaNotHere, kerr.ReplicaNotAvailable},
	{record.ErrCorrupt, kerr.CorruptMessage},
	{record.ErrUnsupportedMagic, kerr.InvalidRecord}, // Kafka: "only allowed to contain record batches with magic version 2"
	{record.ErrInvalid, kerr.CorruptMessage},
	{partition.ErrMessageTooLarge, kerr.MessageTooLarge},
	{partition.ErrInvalidRecord, kerr.InvalidRecord},
	{ErrSchemaRegistryNotReady, kerr.RequestTimedOut}, // retriable: producers try again
	{partition.ErrNotEnoughReplicas, kerr.NotEnoughReplicas},
	{partition.ErrNotEnoughReplicasAfterAppend, kerr.NotEnoughReplicasAfterAppend},
	{partition.ErrFencedLeaderEpoch, kerr.FencedLeaderEpoch},
	{partition.ErrUnknownLeaderEpoch, kerr.UnknownLeaderEpoch},
	{partition.ErrNotFollower, kerr.NotLeaderForPartition}, // Kafka: a fetch from a node outside the replica set
	{partition.ErrInvalidTimestamp, kerr.InvalidTimestamp},
	{partition.ErrInvalidProducerEpoch, kerr.InvalidProducerEpoch},
	{partition.ErrOutOfOrderSequence, kerr.OutOfOrderSequenceNumber},
	{partition.ErrInvalidTxnState, kerr.InvalidTxnState},
	{errTransactionAbortable, kerr.TransactionAbortable},
	{errTransactionVersion0, kerr.UnsupportedVersion},
	{partition.ErrTransactionCoordinatorFenced, kerr.TransactionCoordinatorFenced},
	{controller.ErrTopicExists, kerr.TopicAlreadyExists},
	{controller.ErrUnknownTopic, kerr.UnknownTopicOrPartition},
	{controller.ErrInvalidTopic, kerr.InvalidTopicException},
	{controller.ErrInvalidPartitions, kerr.InvalidPartitions},
	{controller.ErrInvalidReplicationFactor, kerr.InvalidReplicationFactor},
	{controller.ErrInvalidReplicaAssignment, kerr.InvalidReplicaAssignment},
	{controller.ErrInvalidConfig, kerr.InvalidConfig},
	{controller.ErrPolicyViolation, kerr.PolicyViolation},
	{controller.ErrInvalidRequest, kerr.InvalidRequest},
	{controller.ErrInvalidFeatureUpdate, kerr.InvalidUpdateVersion},
	{controller.ErrBrokerNotRegistered, kerr.BrokerIDNotRegistered},
	{controller.ErrStopped, kerr.NotController},
	{controller.ErrResourceNotFound, kerr.ResourceNotFound},
	{controller.ErrDuplicateResource, kerr.DuplicateResource},
	{controller.ErrUnsupportedMechanism, kerr.UnsupportedSaslMechanism},
	{controller.ErrUnacceptableCredential, kerr.UnacceptableCredential},
	{controller.ErrElectionNotNeeded, kerr.ElectionNotNeeded},
	{controller.ErrPreferredLeaderNotAvailable, kerr.PreferredLeaderNotAvailable},
	{controller.ErrEligibleLeadersNotAvailable, kerr.EligibleLeadersNotAvailable},
	{controller.ErrNoReassignmentInProgress, kerr.NoReassignmentInProgress},
	{controller.ErrTokenNotFound, kerr.DelegationTokenNotFound},
	{controller.ErrTokenExpired, kerr.DelegationTokenExpired},
	{controller.ErrTokenOwnerMismatch, kerr.DelegationTokenOwnerMismatch},
	{controller.ErrInvalidPrincipal, kerr.InvalidPrincipalType},
	{group.ErrNotCoordinator, kerr.NotCoordinator},
	{group.ErrLoadInProgress, kerr.CoordinatorLoadInProgress},
	{group.ErrCoordinatorNotAvailable, kerr.CoordinatorNotAvailable},
	{group.ErrWriteTimeout, kerr.CoordinatorNotAvailable}, // Kafka's REQUEST_TIMED_OUT of a coordinator write, remapped; the transaction coordinator's too
	{group.ErrInvalidGroupID, kerr.InvalidGroupID},
	{group.ErrUnknownMemberID, kerr.UnknownMemberID},
	{group.ErrIllegalGeneration, kerr.IllegalGeneration},
	{group.ErrInconsistentProtocol, kerr.InconsistentGroupProtocol},
	{group.ErrRebalanceInProgress, kerr.RebalanceInProgress},
	{group.ErrInvalidSessionTimeout, kerr.InvalidSessionTimeout},
	{group.ErrMemberIDRequired, kerr.MemberIDRequired},
	{group.ErrGroupMaxSizeReached, kerr.GroupMaxSizeReached},
	{group.ErrFencedInstanceID, kerr.FencedInstanceID},
	{group.ErrGroupIDNotFound, kerr.GroupIDNotFound},
	{group.ErrNonEmptyGroup, kerr.NonEmptyGroup},
	{group.ErrGroupSubscribedToTopic, kerr.GroupSubscribedToTopic},
	{group.ErrOffsetMetadataTooLarge, kerr.OffsetMetadataTooLarge},
	{group.ErrUnknownTopicOrPartition, kerr.UnknownTopicOrPartition},
	{group.ErrInvalidRequest, kerr.InvalidRequest},
	{group.ErrFencedMemberEpoch, kerr.FencedMemberEpoch},
	{group.ErrStaleMemberEpoch, kerr.StaleMemberEpoch},
	{group.ErrUnreleasedInstanceID, kerr.UnreleasedInstanceID},
	{group.ErrUnsupportedAssignor, kerr.UnsupportedAssignor},
	{group.ErrInvalidRegularExpression, kerr.InvalidRegularExpression},
	{group.ErrUnsupportedVersion, kerr.UnsupportedVersion},
	{group.ErrRecordTooLarge, kerr.UnknownServerError}, // Kafka's coordinator answers this for a group record above max.message.bytes
	{txn.ErrConcurrentTransactions, kerr.ConcurrentTransactions},
	{txn.ErrProducerFenced, kerr.ProducerFenced},
	{txn.ErrInvalidProducerIDMapping, kerr.InvalidProducerIDMapping},
	{txn.ErrInvalidTxnState, kerr.InvalidTxnState},
	{txn.ErrInvalidTransactionTimeout, kerr.InvalidTransactionTimeout},
	{txn.ErrTransactionalIDNotFound, kerr.TransactionalIDNotFound},
	{txn.ErrCoordinatorNotAvailable, kerr.CoordinatorNotAvailable},
	{txn.ErrNotCoordinator, kerr.NotCoordinator},
	{txn.ErrLoadInProgress, kerr.CoordinatorLoadInProgress},
	{context.DeadlineExceeded, kerr.RequestTimedOut},
	{context.Canceled, kerr.RequestTimedOut},
}

// errorCode returns the Kafka error code for err; 0 for nil, and
// UNKNOWN_SERVER_ERROR for anything unexpected (an I/O error, say).
func errorCode(err error) int16 {
	if err == nil {
		return 0
	}
	var kafkaErr *kerr.Error
	if errors.As(err, &kafkaErr) {
		return kafkaErr.Code
	}
	for _, e := range errorTable {
		if errors.Is(err, e.err) {
			return e.code.Code
		}
	}
	return kerr.UnknownServerError.Code
}

// requestError is a check the handler makes itself, answered with code and
// a message worded as the Java broker words it.
type requestError struct {
	code *kerr.Error
	msg  string
}

func (e *requestError) Error() string { return e.msg }
func (e *requestError) Unwrap() error { return e.code }

func errorf(code *kerr.Error, format string, args ...any) error {
	return &requestError{code: code, msg: fmt.Sprintf(format, args...)}
}

// errorMessage returns a message for response fields that carry one: the
// error's text without the words of the sentinel it wraps, so that a client
// reads what Kafka says ("Topic 't' already exists."), not our prefix.
func errorMessage(err error) *string {
	if err == nil {
		return nil
	}
	s := err.Error()
	for _, e := range errorTable { // Kafka's message is the detail, without our sentinel's words
		if prefix := e.err.Error() + ": "; strings.HasPrefix(s, prefix) && errors.Is(err, e.err) {
			s = s[len(prefix):]
			break
		}
	}
	return &s
}

// errInvalidRequest is an INVALID_REQUEST with a reason.
func errInvalidRequest(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{controller.ErrInvalidRequest}, args...)...)
}
