package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/manifest"
	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/store"
	"github.com/precis-dx/precis/internal/vcf"
	"github.com/precis-dx/precis/internal/vcf/vcftest"
)

// TestRunGRCh37 runs the harness (annotate rows only, small files) on GRCh38 and then on
// GRCh37, the same generated inputs converted: the GRCh37 files are converted ones with their
// own index, every report says GRCh37 (the harness refuses a run whose report does not), and
// each file's findings are the GRCh38 run's less those at records the converter skipped
// (panel-gene records the map cannot place).
func TestRunGRCh37(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end harness run on both builds: not in -short")
	}
	bin := buildPrecis(t)
	_, errTabix := exec.LookPath("tabix")

	cfg := QuickConfig()
	cfg.Cache = t.TempDir()
	cfg.Precis = bin
	cfg.Reps, cfg.Exomes, cfg.SkipService = 1, 2, true
	cfg.WGSRecords, cfg.ExomeRecords, cfg.PanelRecords = 20_000, 5_000, 2_000
	cfg.Log = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	run := func(build string) *Results {
		c := cfg
		c.GenomeBuild, c.Out = build, t.TempDir()
		res, err := Run(context.Background(), c)
		if err != nil {
			t.Fatalf("%s: %v", build, err)
		}
		if res.GenomeBuild != build {
			t.Errorf("results genome_build %q, want %s", res.GenomeBuild, build)
		}
		md, err := os.ReadFile(filepath.Join(c.Out, "results.md"))
		if err != nil || !strings.Contains(string(md), "**Genome build:** "+build) {
			t.Errorf("%s: results.md (%v) does not name the build", build, err)
		}
		return res
	}
	res38, res37 := run(DefaultBuild), run(GRCh37)

	if len(res37.Files) != len(res38.Files) {
		t.Fatalf("%d GRCh37 files, %d GRCh38", len(res37.Files), len(res38.Files))
	}
	if !strings.HasSuffix(res37.BED, "panels.GRCh37.bed") || res37.BEDIntervals == 0 {
		t.Errorf("GRCh37 BED %s with %d intervals, want panels.GRCh37.bed", res37.BED, res37.BEDIntervals)
	}
	for i, f37 := range res37.Files {
		f38 := res38.Files[i]
		c := f37.Conversion
		switch {
		case f38.Build != DefaultBuild || f38.Conversion != nil:
			t.Errorf("%s: GRCh38 file %+v", f38.Kind, f38)
		case f37.Build != GRCh37 || c == nil || c.From != f38.Path || f37.Path == f38.Path:
			t.Fatalf("%s: GRCh37 file %+v, want one converted from %s", f37.Kind, f37, f38.Path)
		case c.Written+c.FillerDropped+len(c.Unmapped) != c.Records || c.Records != f38.Records || f37.Records != c.Written:
			t.Errorf("%s: conversion %d read (GRCh38 file %d), %d written (file %d), %d filler dropped, %d unmapped: does not add up",
				f37.Kind, c.Records, f38.Records, c.Written, f37.Records, c.FillerDropped, len(c.Unmapped))
		}
		if f37.Kind != "panel" && c.Filler < c.Records/2 {
			t.Errorf("%s: %d of %d records passed through as filler, want most (a file of the GRCh38 one's size)", f37.Kind, c.Filler, c.Records)
		}
		// The index is the converted file's own.
		if f37.Index != f37.Path+".tbi" || (errTabix == nil && !strings.Contains(f37.Indexer, "tabix")) {
			t.Errorf("%s: index %s by %q, want %s.tbi", f37.Kind, f37.Index, f37.Indexer, f37.Path)
		}
		if f37.Kind == "wgs" && errTabix == nil && (f37.CSI == "" || !strings.Contains(f37.CSIPath, filepath.Base(f37.Path))) {
			t.Errorf("wgs: CSI %s beside %s, want one for the converted file", f37.CSI, f37.CSIPath)
		}

		want := 0
		row38, ok38 := res38.Row(f38.Kind, ToolPrecisStream)
		if ok38 && row38.Measured {
			want = row38.Findings - findingsAt(t, bin, f38.Path, c.Unmapped)
		}
		for _, tool := range []string{ToolPrecisStream, ToolPrecisIndex} {
			r38, _ := res38.Row(f38.Kind, tool)
			r37, ok := res37.Row(f37.Kind, tool)
			if !ok || !r37.Measured || !r38.Measured {
				t.Errorf("%s/%s: GRCh37 %v, GRCh38 %v: %s%s", f37.Kind, tool, r37.Measured, r38.Measured, r37.Why, r38.Why)
				continue
			}
			if r38.Findings != row38.Findings || r38.Findings == 0 {
				t.Errorf("%s/%s: GRCh38 %d findings, streaming %d: want the same, more than 0", f38.Kind, tool, r38.Findings, row38.Findings)
			}
			if r37.Findings != want {
				t.Errorf("%s/%s: GRCh37 %d findings, want %d (GRCh38 %d less those at the %d records the converter skipped)",
					f37.Kind, tool, r37.Findings, want, row38.Findings, len(c.Unmapped))
			}
		}
		t.Logf("%s: %d records, %d filler (%d dropped), %d skipped; findings GRCh38 %d, GRCh37 %d", f37.Kind, c.Records, c.Filler, c.FillerDropped, len(c.Unmapped), row38.Findings, want)
	}
	if cli := res37.Throughput[0]; !cli.Measured {
		t.Errorf("GRCh37 CLI throughput not measured: %s", cli.Why)
	}
}

// findingsAt counts the findings of precis's GRCh38 report on path at the records listed.
func findingsAt(t *testing.T, bin, path string, recs []vcftest.Unmapped) int {
	t.Helper()
	if len(recs) == 0 {
		return 0
	}
	out, err := exec.Command(bin, "annotate", "--format", "json", "--index", "off", path).Output()
	if err != nil {
		t.Fatalf("precis annotate %s: %v", path, err)
	}
	var rep struct {
		Samples []struct {
			Findings []struct {
				Chrom string `json:"chrom"`
				Pos   int    `json:"pos"`
			} `json:"findings"`
		} `json:"samples"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range rep.Samples {
		for _, f := range s.Findings {
			for _, u := range recs {
				fc, _ := vcf.CanonicalChrom(f.Chrom)
				uc, _ := vcf.CanonicalChrom(u.Chrom)
				if fc == uc && f.Pos >= u.Pos && f.Pos <= u.End {
					n++
					break
				}
			}
		}
	}
	return n
}

// TestCheckReport: a report is taken only when it says the build asked for.
func TestCheckReport(t *testing.T) {
	body := []byte(`{"input":{"genome_build":"GRCh37","warnings":["w"]},"samples":[{"findings":[{},{}]},{"findings":[{}]}]}`)
	rep, err := checkReport(body, GRCh37)
	if err != nil || rep.findings != 3 {
		t.Errorf("GRCh37 report: %v, %d findings; want 3", err, rep.findings)
	}
	for _, build := range []string{"", DefaultBuild} {
		if _, err := checkReport(body, build); !errors.Is(err, ErrRun) || !strings.Contains(err.Error(), `"GRCh37", want GRCh38`) {
			t.Errorf("GRCh37 report checked for %q: %v, want ErrRun", build, err)
		}
	}
	if _, err := checkReport([]byte("not json"), GRCh37); !errors.Is(err, ErrRun) {
		t.Errorf("not JSON: %v", err)
	}
}

// TestCheckStored: the service's stored reports are read back and must say the manifest's
// build.
func TestCheckStored(t *testing.T) {
	st, err := store.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m, err := runManifest("bench", "run-1", GRCh37, 2, "")
	if err != nil {
		t.Fatal(err)
	}
	put := func(sample, build string) {
		body := []byte(`{"input":{"genome_build":"` + build + `"},"samples":[]}`)
		if err := st.Put(ctx, pipeline.ReportKey("bench", "run-1", sample), bytes.NewReader(body), int64(len(body)), "application/json"); err != nil {
			t.Fatal(err)
		}
	}
	put("S000", GRCh37)
	put("S001", GRCh37)
	if err := checkStored(ctx, st, m); err != nil {
		t.Errorf("both GRCh37: %v", err)
	}
	put("S001", DefaultBuild)
	if err := checkStored(ctx, st, m); !errors.Is(err, ErrRun) || !strings.Contains(err.Error(), "S001") {
		t.Errorf("S001 GRCh38: %v, want ErrRun naming S001", err)
	}
	m.Samples = append(m.Samples, manifest.Sample{ID: "S002"})
	put("S001", GRCh37)
	if err := checkStored(ctx, st, m); !errors.Is(err, ErrRun) {
		t.Errorf("S002 missing: %v, want ErrRun", err)
	}
}
