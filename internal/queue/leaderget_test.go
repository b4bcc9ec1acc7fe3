package queue

import (
	"context"
	"errors"
	"testing"

	"github.com/precis-dx/precis/internal/pipeline"
)

// TestGetRunFromLeader: run state read from the stream's leader follows the bucket's puts,
// deletes and purges as the key-value package's own Get does.
func TestGetRunFromLeader(t *testing.T) {
	q, _ := newQueue(t, testConfig())
	ctx := context.Background()
	if _, err := q.GetRun(ctx, "lab1", "never"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetRun of a run never written: %v, want ErrNotFound", err)
	}
	for _, remove := range []struct {
		name string
		f    func(key string) error
	}{
		{"delete", func(key string) error { return q.kv.Delete(ctx, key) }},
		{"purge", func(key string) error { return q.kv.Purge(ctx, key) }},
	} {
		for i, status := range []string{pipeline.StatusSubmitted, pipeline.StatusProcessing} {
			if err := q.PutRun(ctx, pipeline.RunState{Lab: "lab1", RunID: "r1", Status: status}); err != nil {
				t.Fatal(err)
			}
			got, err := q.GetRun(ctx, "lab1", "r1")
			if err != nil || got.Status != status {
				t.Fatalf("%s %d: GetRun = %+v, %v; want status %s", remove.name, i, got, err, status)
			}
			e, err := q.kv.Get(ctx, runKey("lab1", "r1"))
			if err != nil {
				t.Fatal(err)
			}
			if _, rev, err := q.getRun(ctx, runKey("lab1", "r1")); err != nil || rev != e.Revision() {
				t.Errorf("%s %d: revision %d, %v; the bucket says %d", remove.name, i, rev, err, e.Revision())
			}
		}
		if err := remove.f(runKey("lab1", "r1")); err != nil {
			t.Fatal(err)
		}
		if _, err := q.GetRun(ctx, "lab1", "r1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetRun after %s: %v, want ErrNotFound", remove.name, err)
		}
	}
}
