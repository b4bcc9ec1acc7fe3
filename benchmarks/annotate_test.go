package benchmarks_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/precis-dx/precis/benchmarks/harness"
	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/kb/kbtest"
	"github.com/precis-dx/precis/internal/vcf/vcftest"
)

// The end-to-end benchmarks run the real `precis` binary on generated files, so the figures
// include start-up, knowledge-base loading, decompression, filtering, annotation and JSON
// output, and the peak RSS is the process's own (harness.Measure reads its VmHWM).
//
//	go test ./benchmarks -run '^$' -bench AnnotateWGS -benchtime 3x
//
// Generated inputs are cached in $TMPDIR/precis-bench (the 4.5M-record file takes about a
// minute to make). `go run ./cmd/precis-bench` runs these side by side with bgzip and bcftools.

func buildPrecis(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "precis")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/precis")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("build precis: %v", err)
	}
	return bin
}

// input returns a cached generated BGZF VCF with real ClinVar P/LP variants planted.
func input(b *testing.B, name string, spec vcftest.Spec, k *kb.KB) string {
	b.Helper()
	if spec.Plants == nil {
		spec.Plants = harness.Plants(k, 200)
	}
	path, err := harness.Input(filepath.Join(os.TempDir(), "precis-bench"), name, spec, k)
	if err != nil {
		b.Fatal(err)
	}
	return path
}

func benchAnnotate(b *testing.B, name string, spec vcftest.Spec) {
	k := kbtest.Load(b)
	path := input(b, name, spec, k)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	bin := buildPrecis(b)
	var peak int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Streaming: the harness (precis-bench) has the indexed figures (the cached input may have a .tbi).
		cmd := exec.Command(bin, "annotate", "--format", "json", "--index", "off", path)
		cmd.Stdout = io.Discard
		var stderr strings.Builder
		cmd.Stderr = &stderr
		u, err := harness.Measure(context.Background(), cmd)
		if err != nil {
			b.Fatalf("precis annotate %s: %v\n%s", path, err, stderr.String())
		}
		peak = max(peak, u.PeakRSS)
	}
	b.StopTimer()
	secs := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(spec.Records)/secs, "records/s")
	b.ReportMetric(float64(st.Size())/secs/1e6, "MB/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
}

// BenchmarkAnnotateWGS: a whole-genome-scale single-sample BGZF VCF, 4.5 million records.
func BenchmarkAnnotateWGS(b *testing.B) {
	benchAnnotate(b, "wgs", vcftest.Spec{Records: 4_500_000, Seed: 1})
}

// BenchmarkAnnotatePanel: a panel-size file (records only inside the panel genes' exons).
func BenchmarkAnnotatePanel(b *testing.B) {
	k := kbtest.Load(b)
	benchAnnotate(b, "panel", vcftest.Spec{Records: 2_000, Seed: 3, Spans: harness.PanelSpans(k)})
}
