package harness

import (
	"bytes"
	"fmt"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/precis-dx/precis/benchmarks/harness/plot"
)

func TestQuantile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var out []time.Duration
		for _, x := range v {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		lat  []time.Duration
		q    float64
		want time.Duration
	}{
		{"none", nil, 0.5, 0},
		{"one", ms(7), 0.95, 7 * time.Millisecond},
		{"median of 5", ms(5, 1, 4, 2, 3), 0.5, 3 * time.Millisecond},
		{"p95 of 20", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20), 0.95, 19 * time.Millisecond},
		{"p50 of 4", ms(40, 10, 30, 20), 0.5, 20 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := (Batch{Latencies: tc.lat}).Quantile(tc.q); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if got := (Batch{Samples: 30, Wall: 15 * time.Second}).PerMinute(); got != 120 {
		t.Errorf("30 samples in 15 s: got %v/min, want 120", got)
	}
}

func TestFormatting(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{thousands(0), "0"},
		{thousands(999), "999"},
		{thousands(4_500_000), "4,500,000"},
		{thousands(-12345), "-12,345"},
		{mb(49_600_000), "49.6 MB"},
		{mb(605_475), "605.5 kB"},
		{mib(57 << 20), "57.0 MiB"},
		{mb2(1_352_767), "1.35 MB"},
		{mb2(605_475), "605.5 kB"},
		{margin(1.1, 1.3, "x"), "15% under the limit"},
		{margin(1.56, 1.2, "x"), "30% over the limit"},
		{margin(0.45, 0.9, "x"), "50% short of the minimum"},
		{margin(8.9, 0.9, "x"), "889% above the minimum"},
		{margin(0.5, 1, "%"), "50% under the limit"},
		{margin(1.005, 1, "%"), "0.5% over the limit"},
		{margin(0.948, 1, "%"), "5.2% under the limit"},
		{fmt.Sprint(median([]float64{3, 1, 2})), "2"},
		{fmt.Sprint(median([]float64{4, 1, 2, 3})), "2.5"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// TestLabelsHaveGlyphs: every character the plot's labels use has a glyph in the plot's font.
func TestLabelsHaveGlyphs(t *testing.T) {
	r := sampleResults()
	labels := []string{"4,500,000 records: wall time (s) 0.99X limit 466/MIN"}
	for _, row := range r.Rows {
		labels = append(labels, row.Label)
	}
	for _, tp := range r.Throughput {
		labels = append(labels, tp.Label)
	}
	for _, l := range labels {
		if u := plot.Unknown(l); len(u) > 0 {
			t.Errorf("label %q: no glyph for %q", l, u)
		}
	}
}

// sampleResults is a small Results as a run would leave it.
func sampleResults() *Results {
	return &Results{Mode: "quick", Command: "precis bench --quick",
		Rows: []Row{
			{File: "wgs", Tool: ToolLimit, Label: "decompression limit (bgzip -dc)", Measured: true, Wall: 1, Runs: []float64{1}, VsLimit: 1, Records: 100, RecordsPerSec: 100, BytesRead: 50, FileBytes: 50, PeakRSS: 4 << 20},
			{File: "wgs", Tool: ToolBcftoolsT, Label: "bcftools view -T (streaming)", Why: "bcftools not found: apt-get install bcftools tabix", BytesRead: -1},
			{File: "wgs", Tool: ToolPrecisStream, Label: "precis annotate (streaming)", Measured: true, Wall: 1.2, Runs: []float64{1.2}, VsLimit: 1.2, Records: 100, BytesRead: 50, FileBytes: 50, PeakRSS: 57 << 20},
			{File: "wgs", Tool: ToolServiceS3Idx, Label: "service, S3 (indexed)", Measured: true, Wall: 0.3, Runs: []float64{0.3}, VsLimit: 0.3, Records: 100, RecordsPerSec: 333.3, BytesRead: 1, FileBytes: 50},
		},
		Throughput: []Throughput{
			{Path: "cli", Label: "precis annotate", Measured: true, Samples: 10, Parallel: 2, Wall: 3, PerMinute: 200, P50: 0.5, P95: 0.7},
			{Path: "service", Label: "service (MinIO + NATS JetStream)", Why: "--skip-service", Samples: 10, Parallel: 2},
		},
		Reanalysis: Reanalysis{Label: reanalysisLabel, Measured: true, Samples: 4, Workers: 2, Concurrency: 1, KBFrom: "2024.12-aaaa", KBTo: "2026.02-bbbb",
			Publish: 0.25, Wall: 2, PerMinute: 120, Major: 1, Minor: 2, Unchanged: 1, Command: "one run"},
		Targets: []Target{{Name: "t", Want: "w", Got: "g", Status: "met"}},
	}
}

// TestMarkdownAndPlot: the markdown names every row, says why a row was not measured, and
// the plot is a PNG.
func TestMarkdownAndPlot(t *testing.T) {
	r := sampleResults()
	md := r.Markdown("throughput.png")
	for _, want := range []string{
		"| wgs | decompression limit (bgzip -dc) | 1.000 | 1.00 | 50 B | 100.00% | 4.0 MiB | 100 |",
		"| wgs | bcftools view -T (streaming) | not measured: bcftools not found: apt-get install bcftools tabix |",
		"| wgs | service, S3 (indexed) | 0.300 | 0.30 | 1 B | 2.00% | — (in-process) | 333 |",
		"| precis annotate | 10 | 3.00 | 200 | 0.500 | 0.700 |",
		"| service (MinIO + NATS JetStream) | 10 | not measured: --skip-service |",
		"| t | w | g | **met** |",
		"![wall time",
		"## Reanalysis: a new knowledge base published",
		"| 2024.12-aaaa -> 2026.02-bbbb | 4 | 2.00 | 0.25 | **120.0** | 1 | 2 | 1 |",
		"- " + reanalysisLabel + ": one run.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	r.Reanalysis = Reanalysis{Label: reanalysisLabel, Samples: 4, Why: "--skip-reanalysis"}
	if md := r.Markdown(""); !strings.Contains(md, "| — | 4 | not measured: --skip-reanalysis |") {
		t.Errorf("markdown lacks the reanalysis row not measured:\n%s", md)
	}
	b, err := r.Plot()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if w := img.Bounds().Dx(); w != 1100 {
		t.Errorf("plot width %d, want 1100", w)
	}
}
