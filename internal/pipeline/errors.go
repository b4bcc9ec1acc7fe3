package pipeline

import (
	"context"
	"errors"
	"fmt"
)

// Kind says what a failure means for whoever has to decide what to do next: retry, give
// up, or tell the user what they did wrong. The zero value, Other, is an error nobody
// classified; see the package documentation for how each edge treats it.
type Kind int

// Kinds.
const (
	Other     Kind = iota // not classified: may pass, retried a bounded number of times
	Invalid               // the input or argument is wrong; no retry can mend it
	Build                 // the genome build is not supported or does not match
	NotExist              // an object, run or subscription does not exist (yet)
	Transient             // a dependency is unavailable or busy; retrying later may succeed
	Permanent             // the work can never succeed; give up
	Conflict              // a concurrent change won; retrying may succeed
)

var kindNames = [...]string{
	Other:     "other",
	Invalid:   "invalid",
	Build:     "build",
	NotExist:  "not-exist",
	Transient: "transient",
	Permanent: "permanent",
	Conflict:  "conflict",
}

func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("kind(%d)", int(k))
	}
	return kindNames[k]
}

// Final reports whether an error of kind k can never succeed on a retry: Invalid, Build and
// Permanent. Every other kind, Other included, may pass.
func (k Kind) Final() bool {
	switch k {
	case Invalid, Build, Permanent:
		return true
	}
	return false
}

// Error is an error with a kind. Its message is Err's: the kind adds no text. Safe for
// concurrent use once built; do not modify a shared one.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// New returns a sentinel error of kind k with the message msg:
//
//	var ErrInvalidKey = pipeline.New(pipeline.Invalid, "store: invalid key")
//
// Wrap it with fmt.Errorf("...: %w", ErrInvalidKey) as any sentinel; errors.Is and KindOf
// see through the wrapping.
func New(k Kind, msg string) error { return &Error{Kind: k, Err: errors.New(msg)} }

// Errorf returns an error of kind k formatted as fmt.Errorf would (%w wraps).
func Errorf(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Err: fmt.Errorf(format, args...)}
}

// Wrap gives err the kind k, keeping its message; nil stays nil.
func Wrap(k Kind, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: k, Err: err}
}

// kinder is implemented by errors of other types that carry a kind.
type kinder interface{ Kind() Kind }

// KindOf returns the kind of the first error in err's tree (depth first, as errors.As
// walks it) that has one: an *Error, or an error with a Kind() Kind method.
// context.DeadlineExceeded without a kind around it is Transient; anything else, and nil,
// is Other.
func KindOf(err error) Kind {
	if err == nil {
		return Other
	}
	var k Kind
	found := false
	walk(err, func(e error) bool {
		switch e := e.(type) {
		case *Error:
			k, found = e.Kind, true
		case kinder:
			k, found = e.Kind(), true
		}
		return found
	})
	switch {
	case found:
		return k
	case errors.Is(err, context.DeadlineExceeded):
		return Transient
	}
	return Other
}

// walk calls f on err and the errors it wraps, depth first, until f returns true.
func walk(err error, f func(error) bool) bool {
	for err != nil {
		if f(err) {
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if walk(e, f) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}
