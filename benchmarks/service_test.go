package benchmarks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/ingest"
	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/service"
	"github.com/precis-dx/precis/internal/service/servicetest"
	"github.com/precis-dx/precis/internal/store"
)

// BenchmarkServiceVsCLI runs 100 exome-size samples (50,000 records each, BGZF) through the
// service (MinIO + embedded NATS JetStream + 2 workers) and through `precis annotate` on the
// same files (2 processes at a time, the same parallelism), and reports both throughputs and
// their ratio. Uploading the files to MinIO is not timed; the service time runs from the
// run's submission to its last report stored.
//
//	go test ./benchmarks -run '^$' -bench ServiceVsCLI -benchtime 2x
func BenchmarkServiceVsCLI(b *testing.B) {
	const samples, records = 100, 50_000
	k, err := kb.Load()
	if err != nil {
		b.Fatal(err)
	}
	files := make([]string, samples)
	for i := range files {
		files[i] = input(b, fmt.Sprintf("exome%03d", i), Spec{Records: records, Seed: uint64(100 + i)}, k)
	}
	bin := buildPrecis(b)

	m := servicetest.StartMinIO(b)
	ctx := context.Background()
	svc, err := service.Start(ctx, service.Config{DataDir: b.TempDir(), NATSPort: 0,
		S3:      store.S3Config{Endpoint: m.Addr, Bucket: "precis-bench", AccessKey: servicetest.User, SecretKey: servicetest.Password},
		Workers: 2, Ingest: true, Version: "bench", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Shutdown(ctx)
	for i, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			b.Fatal(err)
		}
		st, _ := fh.Stat()
		err = svc.Objects.Put(ctx, fmt.Sprintf("runs/bench/inputs/S%03d.vcf.gz", i), fh, st.Size(), "application/gzip")
		fh.Close()
		if err != nil {
			b.Fatal(err)
		}
	}

	var cliTotal, svcTotal time.Duration
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		cliTotal += runCLIs(b, bin, files, 2)
		svcTotal += runService(b, svc, fmt.Sprintf("run-%d-%d", n, time.Now().UnixNano()), samples)
	}
	b.StopTimer()
	cliRate := float64(samples*b.N) / cliTotal.Minutes()
	svcRate := float64(samples*b.N) / svcTotal.Minutes()
	b.ReportMetric(cliRate, "cli-samples/min")
	b.ReportMetric(svcRate, "service-samples/min")
	b.ReportMetric(svcRate/cliRate, "service/cli")
}

// runCLIs runs `precis annotate` over the files, par processes at a time.
func runCLIs(b *testing.B, bin string, files []string, par int) time.Duration {
	start := time.Now()
	next := make(chan string)
	var wg sync.WaitGroup
	for i := 0; i < par; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range next {
				cmd := exec.Command(bin, "annotate", f)
				var stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = io.Discard, &stderr
				if err := cmd.Run(); err != nil {
					b.Errorf("precis annotate %s: %v %s", f, err, stderr.String())
				}
			}
		}()
	}
	for _, f := range files {
		next <- f
	}
	close(next)
	wg.Wait()
	return time.Since(start)
}

// runService submits one run of all the uploaded inputs and waits for its last report.
func runService(b *testing.B, svc *service.Service, runID string, samples int) time.Duration {
	ctx := context.Background()
	type sample struct {
		ID       string   `json:"sample_id"`
		VCF      string   `json:"vcf"`
		Specimen string   `json:"specimen"`
		Panels   []string `json:"panels"`
	}
	ss := make([]sample, samples)
	for i := range ss {
		ss[i] = sample{ID: fmt.Sprintf("S%03d", i), VCF: fmt.Sprintf("runs/bench/%s/S%03d.vcf.gz", runID, i), Specimen: "germline", Panels: []string{"dpyd", "brca", "lynch", "pole"}}
		// The manifest names objects under its own run: copy the uploaded input there (not timed).
		rc, err := svc.Objects.Get(ctx, fmt.Sprintf("runs/bench/inputs/S%03d.vcf.gz", i))
		if err != nil {
			b.Fatal(err)
		}
		err = svc.Objects.Put(ctx, ss[i].VCF, rc, -1, "application/gzip")
		rc.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
	man, _ := json.Marshal(map[string]any{"schema_version": "1.0.0", "run_id": runID, "lab": "bench", "genome_build": "GRCh38", "ordering_unit": "benchmark", "samples": ss})
	if err := svc.Objects.Put(ctx, ingest.ManifestKey("bench", runID), bytes.NewReader(man), int64(len(man)), "application/json"); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := ingest.Submit(ctx, svc.Queue, "bench", runID, "cli"); err != nil {
		b.Fatal(err)
	}
	for {
		st, err := svc.Queue.GetRun(ctx, "bench", runID)
		if err == nil && (st.Status == "done" || st.Status == "failed") {
			if st.Status != "done" {
				b.Fatalf("run %s: %+v", runID, st)
			}
			return time.Since(start)
		}
		if time.Since(start) > 10*time.Minute {
			b.Fatalf("run %s not done after 10 minutes", runID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
