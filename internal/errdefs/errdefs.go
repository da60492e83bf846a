// Package errdefs classifies errors so that one place (apiserver/httperrors)
// can map them to Engine API status codes. Domain packages wrap these
// sentinels with context: fmt.Errorf("No such container: %s: %w", id, errdefs.ErrNotFound)
// or use the helpers below, which keep Docker's exact wording as the message.
package errdefs

import (
	"errors"
	"fmt"
)

var (
	ErrNotFound         = errors.New("not found")         // 404
	ErrInvalidParameter = errors.New("invalid parameter") // 400
	ErrConflict         = errors.New("conflict")          // 409
	ErrNotModified      = errors.New("not modified")      // 304
	ErrNotImplemented   = errors.New("not implemented")   // 501
	ErrForbidden        = errors.New("forbidden")         // 403
	ErrUnavailable      = errors.New("unavailable")       // 503
	ErrUnauthorized     = errors.New("unauthorized")      // 401
)

// classed carries a user-facing message (Docker's wording) and a class.
type classed struct {
	msg   string
	class error
	cause error
}

func (e *classed) Error() string { return e.msg }

func (e *classed) Is(target error) bool { return target == e.class }

func (e *classed) Unwrap() error { return e.cause }

func wrap(class error, cause error, format string, args ...any) error {
	return &classed{msg: fmt.Sprintf(format, args...), class: class, cause: cause}
}

// NotFound returns an error whose message is exactly the formatted text.
func NotFound(format string, args ...any) error { return wrap(ErrNotFound, nil, format, args...) }

// InvalidParameter returns a 400-class error with the formatted text.
func InvalidParameter(format string, args ...any) error {
	return wrap(ErrInvalidParameter, nil, format, args...)
}

// Conflict returns a 409-class error with the formatted text.
func Conflict(format string, args ...any) error { return wrap(ErrConflict, nil, format, args...) }

// NotModified returns a 304-class error.
func NotModified(format string, args ...any) error { return wrap(ErrNotModified, nil, format, args...) }

// NotImplemented returns a 501-class error; use it for features not built yet.
func NotImplemented(format string, args ...any) error {
	return wrap(ErrNotImplemented, nil, format, args...)
}

// Forbidden returns a 403-class error.
func Forbidden(format string, args ...any) error { return wrap(ErrForbidden, nil, format, args...) }

// Unavailable returns a 503-class error.
func Unavailable(format string, args ...any) error { return wrap(ErrUnavailable, nil, format, args...) }

// AsInvalidParameter re-classes err as a bad request, keeping its message.
func AsInvalidParameter(err error) error {
	if err == nil {
		return nil
	}
	return wrap(ErrInvalidParameter, err, "%s", err.Error())
}

// AsNotFound re-classes err as not found, keeping its message.
func AsNotFound(err error) error {
	if err == nil {
		return nil
	}
	return wrap(ErrNotFound, err, "%s", err.Error())
}

// AsConflict re-classes err as a conflict, keeping its message.
func AsConflict(err error) error {
	if err == nil {
		return nil
	}
	return wrap(ErrConflict, err, "%s", err.Error())
}

func IsNotFound(err error) bool         { return errors.Is(err, ErrNotFound) }
func IsInvalidParameter(err error) bool { return errors.Is(err, ErrInvalidParameter) }
func IsConflict(err error) bool         { return errors.Is(err, ErrConflict) }
func IsNotModified(err error) bool      { return errors.Is(err, ErrNotModified) }
func IsNotImplemented(err error) bool   { return errors.Is(err, ErrNotImplemented) }
func IsForbidden(err error) bool        { return errors.Is(err, ErrForbidden) }
func IsUnavailable(err error) bool      { return errors.Is(err, ErrUnavailable) }
func IsUnauthorized(err error) bool     { return errors.Is(err, ErrUnauthorized) }

// Unauthorized returns a 401-class error (registry login failures).
func Unauthorized(format string, args ...any) error {
	return wrap(ErrUnauthorized, nil, format, args...)
}

// FromStatus classes an error a peer answered with HTTP status code, so it
// maps back to the same code here.
func FromStatus(code int, msg string) error {
	switch code {
	case 400:
		return InvalidParameter("%s", msg)
	case 401:
		return Unauthorized("%s", msg)
	case 403:
		return Forbidden("%s", msg)
	case 404:
		return NotFound("%s", msg)
	case 409:
		return Conflict("%s", msg)
	case 501:
		return NotImplemented("%s", msg)
	case 503:
		return Unavailable("%s", msg)
	}
	return errors.New(msg)
}
