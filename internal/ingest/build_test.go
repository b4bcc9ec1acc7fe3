package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/precis-dx/precis/internal/metrics"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/store"
)

// fanout records the run state and the jobs ingest publishes.
type fanout struct {
	state pipeline.RunState
	jobs  []pipeline.Job
}

func (f *fanout) SubmitRun(context.Context, string, string, []byte) error { return nil }

func (f *fanout) PublishJob(_ context.Context, _, _, _ string, body []byte) error {
	var j pipeline.Job
	if err := pipeline.Decode(body, &j); err != nil {
		return err
	}
	f.jobs = append(f.jobs, j)
	return nil
}

func (f *fanout) UpdateRun(_ context.Context, lab, runID string, fn func(*pipeline.RunState, bool)) error {
	exists := f.state.RunID != ""
	if !exists {
		f.state = pipeline.RunState{Lab: lab, RunID: runID}
	}
	fn(&f.state, exists)
	return nil
}

func (f *fanout) PutRun(_ context.Context, st pipeline.RunState) error {
	f.state = st
	return nil
}

// TestJobsCarryBuild: each job of a run, and the run's state, carry the manifest's
// genome_build, GRCh37 as GRCh38; a manifest naming another spelling is rejected with the field named.
func TestJobsCarryBuild(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		build  string
		reject string // "" accepted
	}{
		{"GRCh38", ""},
		{"GRCh37", ""},
		{"hg19", "genome_build: \"hg19\": write GRCh37"},
		{"GRCh39", "genome_build: \"GRCh39\" is not a genome build Precis knows"},
	} {
		t.Run(tc.build, func(t *testing.T) {
			objects, err := store.NewLocal(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			const lab, run = "lab1", "run1"
			man, _ := json.Marshal(map[string]any{"schema_version": "1.0.0", "run_id": run, "lab": lab, "genome_build": tc.build,
				"ordering_unit": "Onkologi", "samples": []map[string]any{
					{"sample_id": "S1", "vcf": "runs/lab1/run1/S1.vcf.gz", "specimen": "germline", "panels": []string{"dpyd"}},
					{"sample_id": "S2", "vcf": "runs/lab1/run1/S2.vcf.gz", "specimen": "tumour", "panels": []string{"brca", "lynch"}},
				}})
			key := pipeline.ManifestKey(lab, run)
			if err := objects.Put(ctx, key, bytes.NewReader(man), int64(len(man)), "application/json"); err != nil {
				t.Fatal(err)
			}
			runs := &fanout{}
			in := &Ingest{Objects: objects, Runs: runs, Metrics: metrics.New(prometheus.NewRegistry(), nil), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			sub, _ := json.Marshal(pipeline.RunSubmitted{SchemaVersion: pipeline.SchemaVersion, Lab: lab, RunID: run, ManifestKey: key,
				SubmittedAt: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), Via: pipeline.ViaCLI})
			err = in.HandleRun(ctx, queue.Msg{Subject: pipeline.SubjectRunSubmitted(lab), Data: sub, Delivered: 1})
			if tc.reject != "" {
				if err == nil || runs.state.Status != pipeline.StatusRejected || !strings.Contains(runs.state.Reason, tc.reject) {
					t.Fatalf("got %v, state %s %q; want the run rejected saying %q", err, runs.state.Status, runs.state.Reason, tc.reject)
				}
				if len(runs.jobs) != 0 {
					t.Errorf("a rejected run published %d jobs", len(runs.jobs))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(runs.jobs) != 2 {
				t.Fatalf("%d jobs, want 2", len(runs.jobs))
			}
			if runs.state.GenomeBuild != tc.build {
				t.Errorf("run state genome_build %q, want %q", runs.state.GenomeBuild, tc.build)
			}
			for _, j := range runs.jobs {
				if j.GenomeBuild != tc.build {
					t.Errorf("job %s: genome_build %q, want %q", j.SampleID, j.GenomeBuild, tc.build)
				}
			}
		})
	}
}
