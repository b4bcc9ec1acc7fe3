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

// storeWorker is a worker over a local object store, for tests that hand it jobs directly.
type storeWorker struct {
	t       *testing.T
	objects store.Store
	w       *annotator.Worker
}

func newStoreWorker(t *testing.T) *storeWorker {
	t.Helper()
	_, a := newAnnotator(t)
	objects, err := store.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w := &annotator.Worker{Objects: objects, Events: &events{states: map[string]pipeline.SampleState{}}, Annotator: a,
		Metrics: metrics.New(prometheus.NewRegistry(), nil), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return &storeWorker{t: t, objects: objects, w: w}
}

// put stores b at key.
func (s *storeWorker) put(key string, b []byte) {
	s.t.Helper()
	if err := s.objects.Put(context.Background(), key, bytes.NewReader(b), int64(len(b)), "application/octet-stream"); err != nil {
		s.t.Fatal(err)
	}
}

// putFile stores the repository file path (relative to the repository root) at key.
func (s *storeWorker) putFile(key string, path ...string) {
	s.t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"..", ".."}, path...)...))
	if err != nil {
		s.t.Fatal(err)
	}
	s.put(key, b)
}

// handle hands the worker one job (any value that marshals to a job message) and returns
// what it stored for the job's sample, with Handle's error.
func (s *storeWorker) handle(job any, sample string) (*report.Report, *report.Failure, error) {
	s.t.Helper()
	body, err := json.Marshal(job)
	if err != nil {
		s.t.Fatal(err)
	}
	ctx := context.Background()
	herr := s.w.Handle(ctx, queue.Msg{Subject: "precis.job.annotate.lab1", Data: body, Delivered: 1})
	rc, err := s.objects.Get(ctx, pipeline.ReportKey("lab1", "run1", sample))
	if err != nil {
		s.t.Fatalf("%s: no report stored (%v)", sample, herr)
	}
	defer rc.Close()
	rep, fail, _, err := report.ReadStored(rc)
	if err != nil {
		s.t.Fatal(err)
	}
	return rep, fail, herr
}
