package pipelinetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/precis-dx/precis/internal/pipeline"
)

// Kinds holds one example error of each pipeline.Kind, wrapped as the packages wrap theirs:
// a sentinel from pipeline.New under fmt.Errorf context, pipeline.Errorf, pipeline.Wrap
// around an error of another package, the bare sentinel, and an error nobody classified.
var Kinds = []struct {
	Kind pipeline.Kind
	Err  error
}{
	{pipeline.Other, errors.New("disk full")},
	{pipeline.Invalid, fmt.Errorf("x.vcf: %w: no primary contig", pipeline.New(pipeline.Invalid, "annotate: invalid input"))},
	{pipeline.Build, fmt.Errorf("x.vcf: %w", pipeline.New(pipeline.Build, "assembly: genome build mismatch"))},
	{pipeline.NotExist, pipeline.Errorf(pipeline.NotExist, "x.vcf: not in the object store")},
	{pipeline.Transient, pipeline.Wrap(pipeline.Transient, errors.New("connection refused"))},
	{pipeline.Permanent, pipeline.ErrPermanent},
	{pipeline.Conflict, fmt.Errorf("update: %w", pipeline.New(pipeline.Conflict, "queue: too many concurrent updates"))},
}

// Example is an error an edge treats by more than its kind (an error of its own package, an
// unclassified error it recognises), and what the edge should make of it.
type Example[T any] struct {
	Name string
	Err  error
	Want T
}

// CheckMapping checks an edge's mapping f from errors to what it answers (an exit code, an
// HTTP status, a failure kind): f of each error in Kinds must be want of its kind, or rest
// for a kind want does not name, and f of each example its Want.
func CheckMapping[T comparable](t *testing.T, name string, f func(error) T, want map[pipeline.Kind]T, rest T, examples []Example[T]) {
	t.Helper()
	for _, k := range Kinds {
		w, ok := want[k.Kind]
		if !ok {
			w = rest
		}
		if got := f(k.Err); got != w {
			t.Errorf("%v: %s(%v) = %v, want %v", k.Kind, name, k.Err, got, w)
		}
	}
	for _, e := range examples {
		if got := f(e.Err); got != e.Want {
			t.Errorf("%s: %s(%v) = %v, want %v", e.Name, name, e.Err, got, e.Want)
		}
	}
}
