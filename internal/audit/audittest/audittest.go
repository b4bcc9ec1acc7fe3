// Package audittest holds an in-memory audit trail for the tests of the packages that record
// to one (api, web). It is test support, never linked into the precis binary.
package audittest

import (
	"context"
	"slices"
	"sync"

	"github.com/precis-dx/precis/internal/audit"
)

// Recorder keeps the events it is given in memory; after Fail, every Record returns that
// error instead. The zero value is ready to use. Safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	events []audit.Event
	err    error
}

// Record keeps e, or returns the error given to Fail.
func (r *Recorder) Record(ctx context.Context, e audit.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.events = append(r.events, e)
	return nil
}

// Events returns a copy of the events kept so far, in the order they were recorded.
func (r *Recorder) Events() []audit.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Actions returns the Action of each event kept so far, in order.
func (r *Recorder) Actions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.Action)
	}
	return out
}

// Fail makes every later Record return err (nil: record again).
func (r *Recorder) Fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
}
