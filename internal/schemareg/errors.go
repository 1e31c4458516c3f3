package schemareg

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is a registry error with Confluent's error code; the HTTP status
// is the code's first three digits (40401 -> 404), or the code itself
// when it has three.
type Error struct {
	Code    int
	Message string
}

func (e *Error) Error() string { return e.Message }

// Status returns the HTTP status of e.
func (e *Error) Status() int {
	if e.Code >= 1000 {
		return e.Code / 100
	}
	return e.Code
}

// Confluent's error codes.
const (
	codeSubjectNotFound         = 40401
	codeVersionNotFound         = 40402
	codeSchemaNotFound          = 40403
	codeSubjectSoftDeleted      = 40404
	codeSubjectNotSoftDeleted   = 40405
	codeVersionSoftDeleted      = 40406
	codeVersionNotSoftDeleted   = 40407
	codeSubjectLevelConfigUnset = 40408
	codeSubjectLevelModeUnset   = 40409
	codeIncompatible            = 409
	codeInvalidSchema           = 42201
	codeInvalidVersion          = 42202
	codeInvalidCompatibility    = 42203
	codeInvalidMode             = 42204
	codeOperationNotPermitted   = 42205
	codeReferenceExists         = 42206
	codeStoreError              = 50001
	codeOperationTimeout        = 50002
	codeForwardingError         = 50003
	codeUnknownLeader           = 50004
)

func errorf(code int, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func subjectNotFound(s string) *Error {
	return errorf(codeSubjectNotFound, "Subject '%s' not found.", s)
}

func versionNotFound(v int) *Error { return errorf(codeVersionNotFound, "Version %d not found.", v) }

func schemaNotFound() *Error { return errorf(codeSchemaNotFound, "Schema not found") }

// asError turns any error into an *Error: registry errors as they are,
// anything else (the log failing, a context ending) as a store error or
// a timeout.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, errTimeout) {
		return errorf(codeOperationTimeout, "Operation timed out: %v", err)
	}
	return errorf(codeStoreError, "Error in the backend data store: %v", err)
}

var errTimeout = errors.New("timed out")

// httpStatus is the status of err's *Error.
func httpStatus(e *Error) int {
	s := e.Status()
	if s < 400 || s > 599 {
		return http.StatusInternalServerError
	}
	return s
}
