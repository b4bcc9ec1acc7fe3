package pipeline

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// kindErr is an error of another type that carries a kind.
type kindErr struct{ k Kind }

func (e kindErr) Error() string { return "kind " + e.k.String() }
func (e kindErr) Kind() Kind    { return e.k }

func TestKindOf(t *testing.T) {
	errInvalid := New(Invalid, "x: invalid")
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{"nil", nil, Other},
		{"unknown", errors.New("something else"), Other},
		{"sentinel", errInvalid, Invalid},
		{"wrapped sentinel", fmt.Errorf("put a: %w", errInvalid), Invalid},
		{"Errorf", Errorf(Build, "build %s", "GRCh37"), Build},
		{"Wrap", Wrap(Transient, errors.New("connection reset")), Transient},
		{"outermost kind wins", Wrap(Permanent, fmt.Errorf("a: %w", Wrap(Transient, errors.New("b")))), Permanent},
		{"first of a join", fmt.Errorf("%w (%w)", ErrMalformed, ErrPermanent), Invalid},
		{"second of a join", fmt.Errorf("%w (%w)", errors.New("plain"), New(Conflict, "c")), Conflict},
		{"Kind method", fmt.Errorf("x: %w", kindErr{NotExist}), NotExist},
		{"deadline", fmt.Errorf("get: %w", context.DeadlineExceeded), Transient},
		{"deadline inside a kind", Wrap(Invalid, context.DeadlineExceeded), Invalid},
		{"canceled", context.Canceled, Other},
		{"permanent", fmt.Errorf("%w: no samples", ErrPermanent), Permanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := KindOf(tt.err); got != tt.want {
				t.Errorf("KindOf(%v): got %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestErrorKeepsMessageAndIdentity(t *testing.T) {
	errNotExist := New(NotExist, "store: object does not exist")
	err := fmt.Errorf("get a: %w", errNotExist)
	if got, want := err.Error(), "get a: store: object does not exist"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if !errors.Is(err, errNotExist) {
		t.Error("errors.Is lost the sentinel")
	}
	inner := errors.New("inner")
	if w := Wrap(Transient, inner); w.Error() != "inner" || !errors.Is(w, inner) {
		t.Errorf("Wrap: got %q, errors.Is %v", w, errors.Is(w, inner))
	}
	if Wrap(Transient, nil) != nil {
		t.Error("Wrap(nil) is not nil")
	}
}

func TestFinal(t *testing.T) {
	for k, want := range map[Kind]bool{Other: false, Invalid: true, Build: true, NotExist: false,
		Transient: false, Permanent: true, Conflict: false} {
		if got := k.Final(); got != want {
			t.Errorf("%v.Final(): got %v, want %v", k, got, want)
		}
	}
}
