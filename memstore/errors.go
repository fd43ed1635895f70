package memstore

import (
	"errors"
	"fmt"
	"strings"
)

// The kinds of failure callers must tell apart. Transports map them once: invalid input and
// "not available" become errors the caller (often a model) can read and act on; anything else is
// an internal failure.
var (
	// ErrInvalid marks a request the caller can fix (see FieldError for which field and how).
	ErrInvalid = errors.New("invalid request")
	// ErrNotFound marks a reference to something that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrUnavailable marks a feature or dependency that is not configured or not reachable.
	ErrUnavailable = errors.New("unavailable")
	// ErrEmbedderMismatch is returned when a store was built with a different embedder than the
	// one configured now: its vectors would be meaningless to the new embedder.
	ErrEmbedderMismatch = errors.New("embedder mismatch")
)

// FieldError says which request field is wrong and how to fix it. It matches ErrInvalid.
type FieldError struct {
	Field   string // the field's name as the caller spelled it, e.g. "messages[2].role"
	Problem string // what is wrong, e.g. `unknown role "bot"`
	Fix     string // what to do instead, e.g. "use one of user, assistant, system"
}

func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.Field)
	b.WriteString(": ")
	b.WriteString(e.Problem)
	if e.Fix != "" {
		b.WriteString("; ")
		b.WriteString(e.Fix)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalid) true for every FieldError.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// Invalid builds a FieldError.
func Invalid(field, problem, fix string) error {
	return &FieldError{Field: field, Problem: problem, Fix: fix}
}

// Invalidf builds a FieldError whose problem is formatted.
func Invalidf(field, fix, format string, args ...any) error {
	return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...), Fix: fix}
}

// unavailableError carries a human explanation for ErrUnavailable.
type unavailableError struct{ msg string }

func (e *unavailableError) Error() string        { return e.msg }
func (e *unavailableError) Is(target error) bool { return target == ErrUnavailable }

// Unavailable returns an error matching ErrUnavailable with the given explanation.
func Unavailable(msg string) error { return &unavailableError{msg: msg} }
