package restproxy

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Confluent REST Proxy's error codes: an HTTP status followed by two
// digits, or the HTTP status alone.
const (
	codeTopicNotFound        = 40401
	codePartitionNotFound    = 40402
	codeInstanceNotFound     = 40403
	codeFormatMismatch       = 40601
	codeAlreadySubscribed    = 40901
	codeInstanceExists       = 40902
	codeIllegalState         = 40903
	codeInvalidConsumerCfg   = 42204
	codeSchemaUnavailable    = 42206
	codeUnauthenticated      = 40101 // Kafka refused the principal's credentials
	codeUnauthorized         = 40301 // Kafka's ACLs refused the principal
	codeKafka                = 50002
	codeKafkaRetriable       = 50003
	codeTopicExists          = 40002 // v3: a topic of that name exists
	codeKafkaBadRequest      = 40002 // Kafka refused the request as invalid (an invalid config, SECURITY_DISABLED, ...)
	codeKafkaUnknownTopic    = 40403 // v3 configs: Kafka does not know the topic
	codeBrokerNotAvailable   = 50302
	codeBadRequest           = 400
	codeUnprocessable        = 422
	codeUnsupportedMediaType = 415
)

// Error is an error the proxy answers with: the HTTP status and
// Confluent's error body.
type Error struct {
	Status  int    `json:"-"`
	Code    int    `json:"error_code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Message }

func errorf(status, code int, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

var (
	errTopicNotFound     = &Error{Status: http.StatusNotFound, Code: codeTopicNotFound, Message: "Topic not found."}
	errPartitionNotFound = &Error{Status: http.StatusNotFound, Code: codePartitionNotFound, Message: "Partition not found."}
	errInstanceNotFound  = &Error{Status: http.StatusNotFound, Code: codeInstanceNotFound, Message: "Consumer instance not found."}
	errInstanceExists    = &Error{Status: http.StatusConflict, Code: codeInstanceExists,
		Message: "Consumer with specified consumer ID already exists in the specified consumer group."}
	errFormatMismatch = &Error{Status: http.StatusNotAcceptable, Code: codeFormatMismatch,
		Message: "The requested embedded data format does not match the deserializer for this consumer instance"}
	errNotAcceptable = &Error{Status: http.StatusNotAcceptable, Code: http.StatusNotAcceptable, Message: "HTTP 406 Not Acceptable"}
	// errNotFound is Confluent's bare 404, for a resource its handler
	// looked for and did not find.
	errNotFound = &Error{Status: http.StatusNotFound, Code: http.StatusNotFound, Message: "HTTP 404 Not Found"}
)

// kafkaError turns a Kafka client error into the proxy's answer:
// retriable Kafka errors are 50003, the others 50002, as Confluent's.
func kafkaError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, kerr.UnknownTopicOrPartition) {
		return errTopicNotFound
	}
	if e := authError(err); e != nil {
		return e
	}
	if kerr.IsRetriable(err) || errors.Is(err, errTimeout) {
		return errorf(http.StatusInternalServerError, codeKafkaRetriable, "%v", err)
	}
	return errorf(http.StatusInternalServerError, codeKafka, "%v", err)
}

var errTimeout = errors.New("request timed out")

// authError is Confluent's answer to Kafka refusing the principal: 401
// with 40101 for its credentials, 403 with 40301 for an ACL; nil for any
// other error.
func authError(err error) *Error {
	for _, k := range []error{kerr.TopicAuthorizationFailed, kerr.GroupAuthorizationFailed,
		kerr.ClusterAuthorizationFailed, kerr.TransactionalIDAuthorizationFailed, kerr.DelegationTokenAuthorizationFailed} {
		if errors.Is(err, k) {
			return errorf(http.StatusForbidden, codeUnauthorized, "%v", err)
		}
	}
	if errors.Is(err, kerr.SaslAuthenticationFailed) || errors.Is(err, kerr.IllegalSaslState) || errors.Is(err, kerr.UnsupportedSaslMechanism) {
		return errorf(http.StatusUnauthorized, codeUnauthenticated, "%v", err)
	}
	return nil
}

func isUnknownTopic(err error) bool {
	return err != nil && errors.Is(err, kerr.UnknownTopicOrPartition)
}

// writeError writes err as Confluent's error body.
func writeError(w http.ResponseWriter, err error) {
	e := kafkaError(err)
	writeJSON(w, e.Status, contentTypeV2, e)
}

// writeJSON writes v as the response body with status and content type.
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	if status == http.StatusNoContent {
		return
	}
	json.NewEncoder(w).Encode(v)
}

// readJSON decodes the request body into v, bounded by limit bytes. An
// empty body leaves v as it is when emptyOK.
func readJSON(w http.ResponseWriter, r *http.Request, limit int64, v any, emptyOK bool) error {
	body := http.MaxBytesReader(w, r.Body, limit)
	b, err := io.ReadAll(body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return errorf(http.StatusRequestEntityTooLarge, http.StatusRequestEntityTooLarge,
				"Request body larger than %d bytes (rest.proxy.request.max.bytes)", limit)
		}
		return errorf(http.StatusBadRequest, codeBadRequest, "reading the request body: %v", err)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		if emptyOK {
			return nil
		}
		return errorf(http.StatusUnprocessableEntity, codeUnprocessable, "Request body is empty")
	}
	return decodeJSON(b, v)
}

// decodeJSON decodes b into v: malformed JSON is a 400, JSON of the wrong
// shape a 422, as Confluent's JSON mappers answer.
func decodeJSON(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return errorf(http.StatusUnprocessableEntity, codeUnprocessable, "Unrecognized field or wrong type: %v", err)
		}
		var e *Error
		if errors.As(err, &e) {
			return e
		}
		return errorf(http.StatusBadRequest, codeBadRequest, "Unexpected JSON: %v", err)
	}
	return nil
}

// mediaType returns the media type of a Content-Type or Accept entry,
// lower-cased, without parameters.
func mediaType(v string) string {
	t, _, err := mime.ParseMediaType(v)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(v))
	}
	return t
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// randomID returns 16 random hex digits.
func randomID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
