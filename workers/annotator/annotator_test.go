package annotator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/precis-dx/precis/internal/annotate"
	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/metrics"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/queue"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/service/servicetest"
	"github.com/precis-dx/precis/internal/store"
	"github.com/precis-dx/precis/internal/vcf/index/indextest"
	"github.com/precis-dx/precis/workers/annotator"
)

// events is the queue side of a worker, recorded.
type events struct {
	mu     sync.Mutex
	states map[string]pipeline.SampleState
}

func (e *events) PublishEvent(context.Context, string, string, []byte) error { return nil }

func (e *events) UpdateSample(_ context.Context, lab, run, sample string, f func(*pipeline.SampleState)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.states[lab+"/"+run+"/"+sample]
	f(&s)
	e.states[lab+"/"+run+"/"+sample] = s
	return nil
}

// counting is a store that counts the bytes read from each object.
type counting struct {
	store.Store
	mu   sync.Mutex
	read map[string]int64
}

type countedBody struct {
	io.ReadCloser
	add func(int)
}

func (b countedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.add(n)
	return n, err
}

func (c *counting) body(key string, rc io.ReadCloser, err error) (io.ReadCloser, error) {
	if err != nil {
		return nil, err
	}
	return countedBody{rc, func(n int) {
		c.mu.Lock()
		c.read[key] += int64(n)
		c.mu.Unlock()
	}}, nil
}

func (c *counting) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := c.Store.Get(ctx, key)
	return c.body(key, rc, err)
}

func (c *counting) GetRange(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	rc, err := c.Store.GetRange(ctx, key, off, n)
	return c.body(key, rc, err)
}

func (c *counting) take(key string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.read[key]
	c.read = map[string]int64{}
	return n
}

// bytesRead returns precis_bytes_read_total.
func bytesRead(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "precis_bytes_read_total" {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatal("no precis_bytes_read_total")
	return 0
}

// answer is what must not depend on how the file was read (see the annotate tests).
func answer(t *testing.T, rep *report.Report) string {
	t.Helper()
	var out []any
	for _, s := range rep.Samples {
		fs := append([]report.Finding(nil), s.Findings...)
		for i := range fs {
			fs[i].InputLine = 0
		}
		out = append(out, s.SampleID, fs, s.PGx, s.Tags, s.TagRationale)
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newAnnotator loads the embedded knowledge base and builds an annotator over it.
func newAnnotator(t testing.TB) (*kb.KB, *annotate.Annotator) {
	t.Helper()
	k, err := kb.Load()
	if err != nil {
		t.Fatal(err)
	}
	a, err := annotate.New(k, "test")
	if err != nil {
		t.Fatal(err)
	}
	return k, a
}

// TestIndexedFromS3 runs the worker on MinIO: with the job's index, a whole-genome-scale VCF
// costs at most 1% of its bytes in range requests and gives the report of the local file
// read whole.
func TestIndexedFromS3(t *testing.T) {
	data := oracle.Dir(t)
	ctx := context.Background()
	k, a := newAnnotator(t)
	wgs := indextest.WGS(t, k.Genome, k.Version, 700_000)
	m := servicetest.StartMinIO(t)
	s3, err := store.NewS3(ctx, store.S3Config{Endpoint: m.Addr, Bucket: "precis-test", AccessKey: servicetest.User, SecretKey: servicetest.Password})
	if err != nil {
		t.Fatal(err)
	}
	objects := &counting{Store: s3, read: map[string]int64{}}
	put := func(key, path string) int64 {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s3.Put(ctx, key, bytes.NewReader(b), int64(len(b)), "application/octet-stream"); err != nil {
			t.Fatal(err)
		}
		return int64(len(b))
	}
	panel9 := filepath.Join(data, "clinvar", "panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz")
	wgsSize := put("runs/lab1/run1/wgs.vcf.gz", wgs)
	put("runs/lab1/run1/wgs.vcf.gz.tbi", wgs+".tbi")
	put("runs/lab1/run1/panel9.vcf.gz", panel9)
	put("runs/lab1/run1/panel9.vcf.gz.csi", filepath.Join("..", "..", "internal", "vcf", "index", "testdata", "panel9.vcf.gz.csi"))

	reg := prometheus.NewRegistry()
	w := &annotator.Worker{Objects: objects, Events: &events{states: map[string]pipeline.SampleState{}}, Annotator: a,
		Metrics: metrics.New(reg, nil), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	handle := func(sample, vcfKey, indexKey string, panels []string) (*report.Report, time.Duration) {
		t.Helper()
		job := pipeline.Job{SchemaVersion: pipeline.SchemaVersion, Lab: "lab1", RunID: "run1", SampleID: sample, VCFKey: vcfKey, IndexKey: indexKey,
			Specimen: "germline", Panels: panels, ManifestKey: "runs/lab1/run1/manifest.json"}
		body, err := json.Marshal(job)
		if err != nil {
			t.Fatal(err)
		}
		before := bytesRead(t, reg)
		start := time.Now()
		if err := w.Handle(ctx, queue.Msg{Subject: "precis.job.annotate.lab1", Data: body, Delivered: 1}); err != nil {
			t.Fatalf("job %s: %v", sample, err)
		}
		took := time.Since(start)
		vcfRead := objects.take(vcfKey)
		if got := bytesRead(t, reg) - before; int64(got) != vcfRead {
			t.Errorf("precis_bytes_read_total grew by %.0f, the store served %d bytes of the VCF", got, vcfRead)
		}
		rc, err := s3.Get(ctx, pipeline.ReportKey("lab1", "run1", sample))
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		var rep report.Report
		if err := json.NewDecoder(rc).Decode(&rep); err != nil {
			t.Fatal(err)
		}
		if acc := rep.Input.Access; acc != nil && acc.BytesRead != vcfRead {
			t.Errorf("input.access.bytes_read %d, the store served %d", acc.BytesRead, vcfRead)
		}
		return &rep, took
	}
	local := func(path string, panels []string) *report.Report {
		t.Helper()
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rep, err := a.Annotate(ctx, f, path, annotate.Options{Panels: panels})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}

	all := []string{"dpyd", "brca", "lynch", "pole"}
	t.Run("WGS tbi", func(t *testing.T) {
		want := local(wgs, all)
		streamRep, streamTook := handle("wgs-stream", "runs/lab1/run1/wgs.vcf.gz", "", all)
		rep, took := handle("wgs-indexed", "runs/lab1/run1/wgs.vcf.gz", "runs/lab1/run1/wgs.vcf.gz.tbi", all)
		acc := rep.Input.Access
		if acc == nil || acc.Mode != "indexed" {
			t.Fatalf("access %+v, want indexed (warnings %q)", acc, rep.Input.Warnings)
		}
		if frac := float64(acc.BytesRead) / float64(wgsSize); frac > 0.01 {
			t.Errorf("read %d of %d bytes (%.2f%%), want at most 1%%", acc.BytesRead, wgsSize, 100*frac)
		}
		if got, w := answer(t, rep), answer(t, want); got != w {
			t.Errorf("indexed report from S3 differs from the local file read whole")
		}
		if got, w := answer(t, streamRep), answer(t, want); got != w {
			t.Errorf("streamed report from S3 differs from the local file read whole")
		}
		t.Logf("S3 %d bytes: streamed job %s; indexed job %s, %d bytes (%.3f%%) in %d range requests",
			wgsSize, streamTook.Round(time.Millisecond), took.Round(time.Millisecond), acc.BytesRead, 100*float64(acc.BytesRead)/float64(wgsSize), acc.Requests)
	})
	t.Run("panel9 csi", func(t *testing.T) {
		panels := []string{"lynch", "pole"}
		rep, _ := handle("panel9-csi", "runs/lab1/run1/panel9.vcf.gz", "runs/lab1/run1/panel9.vcf.gz.csi", panels)
		if acc := rep.Input.Access; acc == nil || acc.Mode != "indexed" || acc.BytesRead >= acc.ObjectBytes {
			t.Fatalf("access %+v, want a partial indexed read (warnings %q)", acc, rep.Input.Warnings)
		}
		if got, want := answer(t, rep), answer(t, local(panel9, panels)); got != want {
			t.Errorf("indexed report from S3 differs from the local file read whole")
		}
	})
	t.Run("missing index", func(t *testing.T) {
		panels := []string{"pole"}
		rep, _ := handle("panel9-noindex", "runs/lab1/run1/panel9.vcf.gz", "runs/lab1/run1/absent.vcf.gz.tbi", panels)
		if acc := rep.Input.Access; acc == nil || acc.Mode != "stream" || len(rep.Input.Warnings) == 0 || !strings.Contains(rep.Input.Warnings[0], "index not used") {
			t.Fatalf("access %+v, warnings %q: want the whole file read and a warning", acc, rep.Input.Warnings)
		}
		if got, want := answer(t, rep), answer(t, local(panel9, panels)); got != want {
			t.Errorf("report differs from the local file read whole")
		}
	})
}
