package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/precis-dx/precis/internal/pipeline"
)

func TestRunState(t *testing.T) {
	q, _ := newQueue(t, testConfig())
	ctx := context.Background()
	if _, err := q.GetRun(ctx, "lab1", "R404"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetRun of a missing run: got %v, want ErrNotFound", err)
	}
	if err := q.UpdateSample(ctx, "lab1", "R404", "S1", func(*pipeline.SampleState) {}); !errors.Is(err, ErrNotFound) {
		t.Errorf("UpdateSample of a missing run: got %v, want ErrNotFound", err)
	}
	if err := q.PutRun(ctx, pipeline.RunState{Lab: "lab 1", RunID: "R1"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("PutRun with a bad lab: got %v, want ErrInvalid", err)
	}
	for _, rs := range []pipeline.RunState{
		{Lab: "lab2", RunID: "R2", Status: pipeline.StatusSubmitted},
		{Lab: "lab1", RunID: "R2", Status: pipeline.StatusRejected, Reason: "sample id looks like a personal identity number"},
		{Lab: "lab1", RunID: "R1", Status: pipeline.StatusSubmitted, Samples: map[string]pipeline.SampleState{"S1": {Status: pipeline.StatusSubmitted}}},
	} {
		if err := q.PutRun(ctx, rs); err != nil {
			t.Fatal(err)
		}
	}
	got, err := q.GetRun(ctx, "lab1", "R2")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != pipeline.StatusRejected || got.Reason == "" || got.Updated.IsZero() {
		t.Errorf("GetRun = %+v, want rejected with reason and time", got)
	}
	for _, tc := range []struct {
		lab  string
		want []string
	}{
		{"lab1", []string{"lab1/R1", "lab1/R2"}},
		{"lab2", []string{"lab2/R2"}},
		{"lab3", nil},
		{"", []string{"lab1/R1", "lab1/R2", "lab2/R2"}},
	} {
		t.Run("ListRuns "+tc.lab, func(t *testing.T) {
			runs, err := q.ListRuns(ctx, tc.lab)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range runs {
				ids = append(ids, r.Lab+"/"+r.RunID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", ids, tc.want)
			}
		})
	}
}

// TestUpdateSampleConcurrent: 20 goroutines, 5 updates each, all on one
// run's key; compare-and-set loses none of the 100 updates.
func TestUpdateSampleConcurrent(t *testing.T) {
	q, _ := newQueue(t, testConfig())
	ctx := context.Background()
	const workers, updates = 20, 5
	samples := map[string]pipeline.SampleState{}
	for i := range workers {
		samples[fmt.Sprintf("S%02d", i)] = pipeline.SampleState{Status: pipeline.StatusSubmitted}
	}
	if err := q.PutRun(ctx, pipeline.RunState{Lab: "lab1", RunID: "R1", Status: pipeline.StatusSubmitted, Samples: samples}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers*(updates+1))
	for i := range workers {
		id := fmt.Sprintf("S%02d", i)
		wg.Go(func() {
			for range updates {
				errs <- q.UpdateSample(ctx, "lab1", "R1", id, func(s *pipeline.SampleState) {
					s.Status = pipeline.StatusProcessing
					s.Attempts++
				})
			}
			status := pipeline.StatusDone
			if id == "S07" {
				status = pipeline.StatusFailed
			}
			errs <- q.UpdateSample(ctx, "lab1", "R1", id, func(s *pipeline.SampleState) {
				s.Status = status
				s.Report = "reports/lab1/R1/" + id + ".json"
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := q.GetRun(ctx, "lab1", "R1")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for id, s := range got.Samples {
		total += s.Attempts
		if s.Attempts != updates {
			t.Errorf("sample %s: %d attempts, want %d", id, s.Attempts, updates)
		}
		if s.Report != "reports/lab1/R1/"+id+".json" {
			t.Errorf("sample %s: report %q lost", id, s.Report)
		}
	}
	if total != workers*updates {
		t.Errorf("got %d updates, want %d", total, workers*updates)
	}
	if got.Status != pipeline.StatusFailed {
		t.Errorf("run status %q with every sample final and S07 failed, want failed", got.Status)
	}
}

// TestUpdateRunKeepsSampleUpdates: a run recorded again (ingest handling its message a second
// time) while workers update its samples loses none of their updates, and a run recorded
// for the first time is created. With a read followed by PutRun, the second recording put
// back the samples as read, over the workers' writes made in between.
func TestUpdateRunKeepsSampleUpdates(t *testing.T) {
	q, _ := newQueue(t, testConfig())
	ctx := context.Background()
	const n = 20
	record := func() error {
		return q.UpdateRun(ctx, "lab1", "R1", func(rs *pipeline.RunState, _ bool) {
			if rs.Samples == nil {
				rs.Samples = map[string]pipeline.SampleState{}
			}
			for i := range n {
				id := fmt.Sprintf("S%02d", i)
				if _, ok := rs.Samples[id]; !ok {
					rs.Samples[id] = pipeline.SampleState{Status: pipeline.StatusSubmitted}
				}
			}
			rs.Status = pipeline.Rollup(*rs)
		})
	}
	if err := record(); err != nil {
		t.Fatal(err)
	}
	if got, err := q.GetRun(ctx, "lab1", "R1"); err != nil || got.Lab != "lab1" || got.RunID != "R1" || len(got.Samples) != n {
		t.Fatalf("the run recorded first: %+v, %v", got, err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		id := fmt.Sprintf("S%02d", i)
		wg.Go(func() {
			errs <- q.UpdateSample(ctx, "lab1", "R1", id, func(s *pipeline.SampleState) {
				s.Status, s.Attempts = pipeline.StatusDone, 1
			})
		})
		wg.Go(func() { errs <- record() })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := q.GetRun(ctx, "lab1", "R1")
	if err != nil {
		t.Fatal(err)
	}
	for id, s := range got.Samples {
		if s.Status != pipeline.StatusDone || s.Attempts != 1 {
			t.Errorf("sample %s: %+v; the worker's update was lost", id, s)
		}
	}
	if got.Status != pipeline.StatusDone {
		t.Errorf("run status %q, want done", got.Status)
	}
}
