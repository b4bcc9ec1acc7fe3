package annotator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/precis-dx/precis/internal/metrics"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/store"
	"github.com/precis-dx/precis/workers/annotator"
)

// TestCallableFromStore: a job naming the manifest's callable object gets its coverage from
// that BED; a job naming an absent one fails for good as missing input.
func TestCallableFromStore(t *testing.T) {
	ctx := context.Background()
	_, a := newAnnotator(t)
	objects, err := store.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	put := func(key string, b []byte) {
		if err := objects.Put(ctx, key, bytes.NewReader(b), int64(len(b)), "application/octet-stream"); err != nil {
			t.Fatal(err)
		}
	}
	vcfText, err := os.ReadFile(filepath.Join("..", "..", "testdata", "example.vcf"))
	if err != nil {
		t.Fatal(err)
	}
	put("runs/lab1/run1/s1.vcf", vcfText)
	put("runs/lab1/run1/s1.callable.bed", []byte("chr3\t36993547\t36993665\tCALLABLE\n"))
	w := &annotator.Worker{Objects: objects, Events: &events{states: map[string]pipeline.SampleState{}}, Annotator: a,
		Metrics: metrics.New(prometheus.NewRegistry(), nil), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	handle := func(sample, callable string) *report.Report {
		t.Helper()
		job := pipeline.Job{SchemaVersion: pipeline.SchemaVersion, Lab: "lab1", RunID: "run1", SampleID: sample, VCFKey: "runs/lab1/run1/s1.vcf",
			CallableKey: callable, Specimen: "germline", Panels: []string{"lynch"}, ManifestKey: "runs/lab1/run1/manifest.json"}
		body, err := json.Marshal(job)
		if err != nil {
			t.Fatal(err)
		}
		_ = w.Handle(ctx, queue.Msg{Subject: "precis.job.annotate.lab1", Data: body, Delivered: 1})
		rc, err := objects.Get(ctx, pipeline.ReportKey("lab1", "run1", sample))
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		rep, fail, _, err := report.ReadStored(rc)
		if err != nil {
			t.Fatal(err)
		}
		if fail != nil {
			if callable == "runs/lab1/run1/absent.bed" && fail.Error.Kind == "missing-input" {
				return nil
			}
			t.Fatalf("%s: failed: %+v", sample, fail.Error)
		}
		return rep
	}
	rep := handle("s1", "runs/lab1/run1/s1.callable.bed")
	if rep.Input.Callable != "runs/lab1/run1/s1.callable.bed" {
		t.Errorf("input.callable %q", rep.Input.Callable)
	}
	for _, c := range rep.Samples[0].Coverage {
		if c.Source != "bed" {
			t.Errorf("%s: source %s, want bed", c.Gene, c.Source)
		}
	}
	if rep := handle("s2", "runs/lab1/run1/absent.bed"); rep != nil {
		t.Errorf("absent callable BED: got a report, want a missing-input failure")
	}
}
