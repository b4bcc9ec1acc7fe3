package benchmarks_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/precis-dx/precis/benchmarks/harness"
	"github.com/precis-dx/precis/internal/kb/kbtest"
	"github.com/precis-dx/precis/internal/service"
	"github.com/precis-dx/precis/internal/service/servicetest"
	"github.com/precis-dx/precis/internal/store"
	"github.com/precis-dx/precis/internal/vcf/vcftest"
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
	k := kbtest.Load(b)
	files := make([]string, samples)
	for i := range files {
		files[i] = input(b, fmt.Sprintf("exome%03d", i), vcftest.Spec{Records: records, Seed: uint64(100 + i)}, k)
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

	var cliTotal, svcTotal time.Duration
	for n := 0; n < b.N; n++ {
		cli, err := harness.RunCLIs(ctx, bin, files, 2)
		if err != nil {
			b.Fatal(err)
		}
		// RunService uploads the files before it starts its clock.
		s, err := harness.RunService(ctx, svc, "bench", fmt.Sprintf("run-%d-%d", n, time.Now().UnixNano()), files, "")
		if err != nil {
			b.Fatal(err)
		}
		cliTotal += cli.Wall
		svcTotal += s.Wall
	}
	cliRate := float64(samples*b.N) / cliTotal.Minutes()
	svcRate := float64(samples*b.N) / svcTotal.Minutes()
	b.ReportMetric(cliRate, "cli-samples/min")
	b.ReportMetric(svcRate, "service-samples/min")
	b.ReportMetric(svcRate/cliRate, "service/cli")
}
