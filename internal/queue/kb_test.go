package queue

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/pipeline"
)

// TestKBState: a version must be recorded before it is made active; setting the active one
// again changes nothing; the watch sends the active version at start and at each change; the
// records are listed by publication.
func TestKBState(t *testing.T) {
	q, _ := newQueue(t, testConfig())
	ctx := context.Background()
	const v1, v2 = "2024.12-4339bdbf29", "2026.02-58180dfefc"
	if _, err := q.SetActiveKB(ctx, v1); !errors.Is(err, ErrNotFound) {
		t.Errorf("activating an unrecorded version: %v, want ErrNotFound", err)
	}
	if _, err := q.SetActiveKB(ctx, "2024.12"); !errors.Is(err, ErrInvalid) {
		t.Errorf("activating a bad version: %v, want ErrInvalid", err)
	}
	now := time.Now().UTC()
	for i, v := range []string{v1, v2} {
		if err := q.PutKBVersion(ctx, pipeline.KBPublished{Version: v, PublishedAt: now.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	if changed, err := q.SetActiveKB(ctx, v1); err != nil || !changed {
		t.Fatalf("activate %s: %v %v", v1, changed, err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	watch, err := q.WatchActiveKB(wctx)
	if err != nil {
		t.Fatal(err)
	}
	next := func(want string) {
		t.Helper()
		select {
		case v := <-watch:
			if v != want {
				t.Errorf("watch sent %q, want %q", v, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("the watch sent nothing; want %q", want)
		}
	}
	next(v1)
	if changed, err := q.SetActiveKB(ctx, v1); err != nil || changed {
		t.Errorf("activate %s again: changed %v, %v", v1, changed, err)
	}
	if _, err := q.SetActiveKB(ctx, v2); err != nil {
		t.Fatal(err)
	}
	next(v2)
	if active, err := q.ActiveKB(ctx); err != nil || active != v2 {
		t.Errorf("ActiveKB %q, %v", active, err)
	}
	all, err := q.KBVersions(ctx)
	if err != nil || len(all) != 2 || all[0].Version != v1 || all[1].Version != v2 {
		t.Errorf("KBVersions %+v, %v", all, err)
	}
	// Run state is listed apart from the knowledge-base keys of the same bucket.
	if runs, err := q.ListRuns(ctx, ""); err != nil || len(runs) != 0 {
		t.Errorf("ListRuns beside kb.* keys: %+v, %v", runs, err)
	}
	cancel()
	for range watch { // closed once the context ends
	}
}
