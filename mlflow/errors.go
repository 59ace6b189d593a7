package mlflow

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ErrorCode is one of MLflow's protocol error codes, the string that a
// tracking server returns in the "error_code" field of an error body.
type ErrorCode string

// The error codes both stores return. The embedded store picks the same code
// the Python FileStore raises for the same mistake, so callers can switch on
// the code without knowing which store answered.
const (
	CodeInternalError          ErrorCode = "INTERNAL_ERROR"
	CodeBadRequest             ErrorCode = "BAD_REQUEST"
	CodeInvalidParameterValue  ErrorCode = "INVALID_PARAMETER_VALUE"
	CodeInvalidState           ErrorCode = "INVALID_STATE"
	CodeResourceDoesNotExist   ErrorCode = "RESOURCE_DOES_NOT_EXIST"
	CodeResourceAlreadyExists  ErrorCode = "RESOURCE_ALREADY_EXISTS"
	CodeResourceConflict       ErrorCode = "RESOURCE_CONFLICT"
	CodeEndpointNotFound       ErrorCode = "ENDPOINT_NOT_FOUND"
	CodeUnauthenticated        ErrorCode = "UNAUTHENTICATED"
	CodePermissionDenied       ErrorCode = "PERMISSION_DENIED"
	CodeRequestLimitExceeded   ErrorCode = "REQUEST_LIMIT_EXCEEDED"
	CodeTemporarilyUnavailable ErrorCode = "TEMPORARILY_UNAVAILABLE"
	CodeNotImplemented         ErrorCode = "NOT_IMPLEMENTED"
)

// Sentinels, one per error code a caller is likely to branch on. Every *Error
// matches the sentinel of its Code with errors.Is.
var (
	// ErrNotFound: the experiment, run, metric, registered model, version,
	// alias or artifact does not exist (RESOURCE_DOES_NOT_EXIST).
	ErrNotFound = errors.New("mlflow: resource does not exist")
	// ErrAlreadyExists: an experiment or registered model with that name
	// exists already (RESOURCE_ALREADY_EXISTS).
	ErrAlreadyExists = errors.New("mlflow: resource already exists")
	// ErrInvalidParameter: bad input, e.g. a changed param value, an invalid
	// key, a filter that does not parse, a batch over the limits
	// (INVALID_PARAMETER_VALUE or BAD_REQUEST).
	ErrInvalidParameter = errors.New("mlflow: invalid parameter value")
	// ErrInvalidState: the run or experiment is deleted and cannot be
	// modified (INVALID_STATE).
	ErrInvalidState = errors.New("mlflow: invalid state")
	// ErrUnauthenticated: the server refused the credentials (401 / 403).
	ErrUnauthenticated = errors.New("mlflow: unauthenticated or permission denied")
	// ErrUnsupported: an artifact URI scheme or tracking URI this package
	// cannot serve.
	ErrUnsupported = errors.New("mlflow: unsupported")
	// ErrAliasNotFound: no such registered model alias. MLflow reports it as
	// INVALID_PARAMETER_VALUE (both its stores do), so it also matches
	// ErrInvalidParameter.
	ErrAliasNotFound = errors.New("mlflow: registered model alias not found")
	// ErrRunFinished: a method of *ActiveRun was called after End.
	ErrRunFinished = errors.New("mlflow: run already ended")
)

// Error is an MLflow error as the Python client and the server report it: a
// protocol error code and a message. HTTPStatus is the status the server
// answered with (0 for the embedded store).
type Error struct {
	Code       ErrorCode
	Message    string
	HTTPStatus int
}

func (e *Error) Error() string {
	return fmt.Sprintf("mlflow: %s: %s", e.Code, e.Message)
}

// Is makes errors.Is(err, ErrNotFound) and friends work for *Error.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Code == CodeResourceDoesNotExist
	case ErrAlreadyExists:
		return e.Code == CodeResourceAlreadyExists
	case ErrInvalidParameter:
		return e.Code == CodeInvalidParameterValue || e.Code == CodeBadRequest
	case ErrInvalidState:
		return e.Code == CodeInvalidState
	case ErrAliasNotFound:
		return e.Code == CodeInvalidParameterValue && strings.HasPrefix(e.Message, "Registered model alias ") && strings.HasSuffix(e.Message, " not found.")
	case ErrUnauthenticated:
		return e.Code == CodeUnauthenticated || e.Code == CodePermissionDenied
	}
	return false
}

// ErrorCodeOf returns the MLflow error code carried by err, or "" when err is
// not an *Error.
func ErrorCodeOf(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func newError(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *Error {
	return newError(CodeResourceDoesNotExist, format, args...)
}

func invalidParam(format string, args ...any) *Error {
	return newError(CodeInvalidParameterValue, format, args...)
}

// codeForStatus is the fallback when a proxy in front of the server answers
// with a body that is not an MLflow error: the code MLflow's own status mapping
// would have produced for that status.
func codeForStatus(status int) ErrorCode {
	switch status {
	case http.StatusBadRequest:
		return CodeBadRequest
	case http.StatusUnauthorized:
		return CodeUnauthenticated
	case http.StatusForbidden:
		return CodePermissionDenied
	case http.StatusNotFound:
		return CodeEndpointNotFound
	case http.StatusConflict:
		return CodeResourceConflict
	case http.StatusTooManyRequests:
		return CodeRequestLimitExceeded
	case http.StatusNotImplemented:
		return CodeNotImplemented
	case http.StatusServiceUnavailable:
		return CodeTemporarilyUnavailable
	}
	return CodeInternalError
}
