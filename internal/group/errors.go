package group

import (
	"errors"
	"fmt"

	"gregor/internal/coord"
)

// Errors of the coordinator. The handler maps each to the Kafka error code
// named in its comment.
var (
	ErrNotCoordinator          = coord.ErrNotCoordinator                                          // NOT_COORDINATOR
	ErrLoadInProgress          = coord.ErrLoadInProgress                                          // COORDINATOR_LOAD_IN_PROGRESS
	ErrCoordinatorNotAvailable = errors.New("coordinator not available")                          // COORDINATOR_NOT_AVAILABLE
	ErrWriteTimeout            = coord.ErrWriteTimeout                                            // COORDINATOR_NOT_AVAILABLE; NOT_COORDINATOR for OffsetFetch
	ErrInvalidGroupID          = errors.New("invalid group id")                                   // INVALID_GROUP_ID
	ErrUnknownMemberID         = errors.New("unknown member id")                                  // UNKNOWN_MEMBER_ID
	ErrIllegalGeneration       = errors.New("illegal generation")                                 // ILLEGAL_GENERATION
	ErrInconsistentProtocol    = errors.New("inconsistent group protocol")                        // INCONSISTENT_GROUP_PROTOCOL
	ErrRebalanceInProgress     = errors.New("rebalance in progress")                              // REBALANCE_IN_PROGRESS
	ErrInvalidSessionTimeout   = errors.New("session timeout outside the broker's allowed range") // INVALID_SESSION_TIMEOUT
	ErrMemberIDRequired        = errors.New("member id required")                                 // MEMBER_ID_REQUIRED
	ErrGroupMaxSizeReached     = errors.New("group max size reached")                             // GROUP_MAX_SIZE_REACHED
	ErrFencedInstanceID        = errors.New("fenced static member instance id")                   // FENCED_INSTANCE_ID
	ErrGroupIDNotFound         = errors.New("group id not found")                                 // GROUP_ID_NOT_FOUND
	ErrNonEmptyGroup           = errors.New("group is not empty")                                 // NON_EMPTY_GROUP
	ErrGroupSubscribedToTopic  = errors.New("group is subscribed to the topic")                   // GROUP_SUBSCRIBED_TO_TOPIC
	ErrOffsetMetadataTooLarge  = errors.New("offset metadata too large")                          // OFFSET_METADATA_TOO_LARGE
	ErrUnknownTopicOrPartition = errors.New("unknown topic or partition")                         // UNKNOWN_TOPIC_OR_PARTITION
	ErrRecordTooLarge          = errors.New("group record larger than the partition accepts")     // UNKNOWN_SERVER_ERROR, as Kafka

	// Errors of consumer-protocol (KIP-848) groups.
	ErrInvalidRequest           = errors.New("invalid request")                          // INVALID_REQUEST
	ErrFencedMemberEpoch        = errors.New("fenced member epoch")                      // FENCED_MEMBER_EPOCH
	ErrStaleMemberEpoch         = errors.New("stale member epoch")                       // STALE_MEMBER_EPOCH
	ErrUnreleasedInstanceID     = errors.New("instance id still used by another member") // UNRELEASED_INSTANCE_ID
	ErrUnsupportedAssignor      = errors.New("unsupported assignor")                     // UNSUPPORTED_ASSIGNOR
	ErrInvalidRegularExpression = errors.New("invalid regular expression")               // INVALID_REGULAR_EXPRESSION
	ErrUnsupportedVersion       = errors.New("unsupported version")                      // UNSUPPORTED_VERSION
)

// kafkaError is a sentinel with a message worded as Kafka words it, for
// responses that carry an error message.
type kafkaError struct {
	err error
	msg string
}

func (e *kafkaError) Error() string { return e.msg }
func (e *kafkaError) Unwrap() error { return e.err }

func errorf(err error, format string, args ...any) error {
	return &kafkaError{err: err, msg: fmt.Sprintf(format, args...)}
}
