package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/service/servicetest"
	"github.com/precis-dx/precis/internal/testfile"
)

// TestRunQuick runs the harness end to end in quick mode (500,000 WGS-scale records; 4
// exome-size samples and each side-by-side command once, to keep it short) with a precis built from this
// repository, into a temp dir, and checks that every row is there with sane figures. Without
// bcftools/tabix or MinIO their rows are allowed to be "not measured", except with CI=true.
func TestRunQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end harness run (about a minute the first time): not in -short")
	}
	ci := os.Getenv("CI") == "true"
	haveHTS := true
	for _, tool := range []string{"bgzip", "bcftools", "tabix"} {
		if _, err := exec.LookPath(tool); err != nil {
			if ci {
				t.Fatalf("%s not found in CI: apt-get install bcftools tabix", tool)
			}
			t.Logf("%s not found: its rows must say so", tool)
			haveHTS = false
		}
	}
	bin := buildPrecis(t)

	cfg := QuickConfig()
	cfg.Out = t.TempDir()
	cfg.Summary = filepath.Join(t.TempDir(), "RESULTS.md")
	cfg.Precis = bin
	cfg.Reps = 1
	cfg.Exomes = 4           // the service annotates in this process: slow under -race
	cfg.WGSRecords = 150_000 // the same, for the WGS-scale rows; the size does not change what is checked
	cfg.Reanalyses = 3       // reported with the ClinVar 2024-12 knowledge base, then re-evaluated
	cfg.Command = "go test ./benchmarks/harness -run TestRunQuick"
	cfg.Log = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	if _, err := servicetest.FindMinIO(); err != nil {
		if ci {
			t.Fatal(err)
		}
		t.Logf("%v: the service rows are skipped", err)
		cfg.SkipService = true
	}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}

	sideTools := []string{ToolLimit, ToolBcftoolsT, ToolBcftoolsR, ToolPrecisStream, ToolPrecisIndex}
	for _, file := range []string{"wgs", "exome", "panel"} {
		tools := sideTools
		if file == "wgs" {
			tools = append(tools, ToolPrecisCSI)
		} else if _, ok := res.Row(file, ToolPrecisCSI); ok {
			t.Errorf("%s: a CSI row; want one for the WGS-scale file only", file)
		}
		for _, tool := range tools {
			row, ok := res.Row(file, tool)
			switch {
			case !ok:
				t.Errorf("%s/%s: no row", file, tool)
			case !row.Measured && (haveHTS || !strings.Contains(row.Why, "apt-get install bcftools tabix")):
				t.Errorf("%s/%s: not measured: %s", file, tool, row.Why)
			case row.Measured:
				saneRow(t, row)
			}
		}
		tr, okT := res.Row(file, ToolBcftoolsT)
		rr, okR := res.Row(file, ToolBcftoolsR)
		if okT && okR && tr.Measured && rr.Measured && (tr.RecordsOut == 0 || tr.RecordsOut != rr.RecordsOut) {
			t.Errorf("%s: bcftools -T wrote %d records, -R %d; want the same, more than 0", file, tr.RecordsOut, rr.RecordsOut)
		}
	}
	for _, tool := range []string{ToolServiceS3, ToolServiceS3Idx, ToolServiceS3CSI} {
		row, ok := res.Row("wgs", tool)
		switch {
		case !ok:
			t.Errorf("wgs/%s: no row", tool)
		case !cfg.SkipService && !row.Measured:
			t.Errorf("wgs/%s: not measured: %s", tool, row.Why)
		case row.Measured:
			saneRow(t, row)
		}
	}
	if len(res.Throughput) != 2 {
		t.Fatalf("%d throughput rows, want 2 (cli, service)", len(res.Throughput))
	}
	for _, tp := range res.Throughput {
		switch {
		case tp.Path == "service" && cfg.SkipService:
		case !tp.Measured:
			t.Errorf("%s: not measured: %s", tp.Path, tp.Why)
		case tp.Samples != cfg.Exomes || tp.Wall <= 0 || tp.PerMinute <= 0 || tp.P50 <= 0 || tp.P50 > tp.P95 || tp.P95 > tp.Wall:
			t.Errorf("%s: %+v: want %d samples, wall > 0, 0 < p50 <= p95 <= wall", tp.Path, tp, cfg.Exomes)
		}
	}
	checkReanalysisRow(t, res.Reanalysis, cfg, ci)
	checkClusterRow(t, res.Cluster, cfg)
	if m := res.Memory; m.Ratio <= 0 || m.PanelPeakRSS < 1<<20 || m.WGSPeakRSS < 1<<20 {
		t.Errorf("memory comparison %+v: want both peaks above 1 MiB", m)
	}
	if len(res.Targets) != 5 {
		t.Errorf("%d targets, want 5", len(res.Targets))
	}
	for _, tg := range res.Targets {
		// The 1% target has a verdict per index kind: "met with CSI, not met with .tbi".
		measured := false
		for _, part := range strings.Split(tg.Status, ", ") {
			st, kind, _ := strings.Cut(part, " with ")
			if st != "met" && st != "not met" && st != "not measured" || strings.Contains(tg.Name, "1%") != (kind != "") {
				t.Errorf("target %q: status %q", tg.Name, tg.Status)
			}
			measured = measured || st != "not measured"
		}
		if measured && tg.Got == "" {
			t.Errorf("target %q: %s without a measured figure", tg.Name, tg.Status)
		}
	}
	if haveHTS && !cfg.SkipService {
		if tg := res.Targets[2]; !strings.Contains(tg.Got, "CSI ") || !strings.Contains(tg.Got, ".tbi ") || strings.Contains(tg.Status, "not measured") {
			t.Errorf("1%% target: %q, %q: want both index kinds measured", tg.Got, tg.Status)
		}
	}
	if haveHTS && len(res.Indexes) != 2 {
		t.Errorf("%d index anatomies, want 2 (.tbi, CSI)", len(res.Indexes))
	}

	// The files: the markdown names every row, the JSON reads back, the plot is a PNG.
	md := testfile.Read(t, filepath.Join(cfg.Out, "results.md"))
	for _, row := range res.Rows {
		if !strings.Contains(string(md), "| "+row.File+" | "+row.Label) {
			t.Errorf("results.md has no row %s / %s", row.File, row.Label)
		}
	}
	if haveHTS && !cfg.SkipService {
		for _, want := range []string{"## The WGS-scale file read through its .tbi and through its CSI", "| service, S3 | CSI |", "| precis annotate, local | .tbi |", "**The same bins.**", "**Read in part**"} {
			if !strings.Contains(string(md), want) {
				t.Errorf("results.md lacks %q", want)
			}
		}
	}
	if want := "| " + res.Reanalysis.KBFrom + " -> " + res.Reanalysis.KBTo + " | 3 | "; res.Reanalysis.Measured && !strings.Contains(string(md), want) {
		t.Errorf("results.md has no reanalysis row %q", want)
	}
	if sum, err := os.ReadFile(cfg.Summary); err != nil || !bytes.Contains(sum, []byte("## Targets")) {
		t.Errorf("summary %s: %v, want the markdown", cfg.Summary, err)
	}
	js := testfile.Read(t, filepath.Join(cfg.Out, "results.json"))
	var back Results
	if err := json.Unmarshal(js, &back); err != nil || len(back.Rows) != len(res.Rows) {
		t.Errorf("results.json: %v, %d rows; want %d", err, len(back.Rows), len(res.Rows))
	}
	if c := res.Cluster; c.Measured && !strings.Contains(string(md), "## Cluster: 3 NATS servers (R3)") {
		t.Error("results.md has no cluster section")
	}
	if back.Reanalysis != res.Reanalysis {
		t.Errorf("results.json: reanalysis %+v, want %+v", back.Reanalysis, res.Reanalysis)
	}
	pf := testfile.Read(t, filepath.Join(cfg.Out, "throughput.png"))
	if _, err := png.Decode(bytes.NewReader(pf)); err != nil {
		t.Errorf("throughput.png: %v", err)
	}
}

// checkReanalysisRow checks the reanalysis row: measured with the service (unless the shared
// data folder is missing outside CI), every sample re-evaluated once (the outcomes of
// precis_reanalyses_total add up to Reanalyses) at a positive rate, from the ClinVar
// 2024-12 knowledge base to the embedded one.
func checkReanalysisRow(t *testing.T, re Reanalysis, cfg Config, ci bool) {
	t.Helper()
	switch {
	case re.Label == "":
		t.Error("no reanalysis row")
		return
	case cfg.SkipService:
		if re.Measured {
			t.Errorf("reanalysis measured without the service: %+v", re)
		}
		return
	case !re.Measured && DataDir() == "" && !ci:
		t.Logf("reanalysis not measured without the shared data folder: %s", re.Why)
		return
	case !re.Measured:
		t.Errorf("reanalysis not measured: %s", re.Why)
		return
	}
	if re.Samples != cfg.Reanalyses || re.Major+re.Minor+re.Unchanged != cfg.Reanalyses {
		t.Errorf("reanalysis: %d samples, %d major + %d minor + %d unchanged re-evaluated; want %d each", re.Samples, re.Major, re.Minor, re.Unchanged, cfg.Reanalyses)
	}
	if re.Wall <= 0 || re.PerMinute <= 0 || re.Publish <= 0 || re.Publish > re.Wall {
		t.Errorf("reanalysis: wall %.3f s (publishing %.3f s), %.1f reports/min: want 0 < publishing <= wall, a positive rate", re.Wall, re.Publish, re.PerMinute)
	}
	if re.KBFrom == "" || re.KBFrom == re.KBTo || !strings.HasPrefix(re.KBFrom, "2024.12-") || re.Concurrency != 1 || re.Workers != cfg.Parallel {
		t.Errorf("reanalysis: %s -> %s, %d at a time on %d workers; want from a 2024.12 knowledge base to another, 1 at a time on %d", re.KBFrom, re.KBTo, re.Concurrency, re.Workers, cfg.Parallel)
	}
}

// buildPrecis builds the precis command of this repository into a temp dir and returns its
// path: the harness's end-to-end tests measure it.
func buildPrecis(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "precis")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/precis").CombinedOutput(); err != nil {
		t.Fatalf("build precis: %v\n%s", err, out)
	}
	return bin
}

// saneRow checks one measured row's figures.
func saneRow(t *testing.T, r Row) {
	t.Helper()
	name := r.File + "/" + r.Tool
	if r.Wall <= 0 || r.Wall > 120 || r.RecordsPerSec <= 0 {
		t.Errorf("%s: wall %.3f s, %.0f records/s: want 0 < wall <= 120 s and records/s > 0", name, r.Wall, r.RecordsPerSec)
	}
	if r.Records < 1000 {
		t.Errorf("%s: %d records in the file, want at least 1,000", name, r.Records)
	}
	if r.VsLimit <= 0 {
		t.Errorf("%s: ratio to the decompression limit %.2f, want > 0", name, r.VsLimit)
	}
	switch r.Tool {
	case ToolPrecisIndex, ToolPrecisCSI, ToolServiceS3Idx, ToolServiceS3CSI:
		// Read through an index: the VCF's blocks and the index, split, and far less than the file.
		want := map[string]string{ToolPrecisIndex: "tbi", ToolServiceS3Idx: "tbi", ToolPrecisCSI: "csi", ToolServiceS3CSI: "csi"}[r.Tool]
		if r.File == "wgs" && (r.IndexKind != want || r.VCFBytes <= 0 || r.IndexBytes <= 0 || r.VCFBytes+r.IndexBytes+r.OtherBytes != r.BytesRead || r.BytesRead >= r.FileBytes) {
			t.Errorf("%s: %s index, read %d = VCF %d + index %d + start-up %d of %d: want %s, the parts adding up, more than 0 each, less than the file",
				name, r.IndexKind, r.BytesRead, r.VCFBytes, r.IndexBytes, r.OtherBytes, r.FileBytes, want)
		}
	case ToolLimit, ToolBcftoolsT, ToolPrecisStream, ToolServiceS3:
		// Streaming reads the whole file (a little more for headers, libraries, the BED).
		if r.BytesRead < r.FileBytes {
			t.Errorf("%s: read %d bytes of a %d-byte file, want all of it", name, r.BytesRead, r.FileBytes)
		}
	}
	if strings.HasPrefix(r.Tool, "service") {
		if r.PeakRSS != 0 {
			t.Errorf("%s: peak RSS %d, want 0 (in-process)", name, r.PeakRSS)
		}
	} else if r.PeakRSS < 1<<20 || r.PeakRSS > 4<<30 {
		t.Errorf("%s: peak RSS %d, want between 1 MiB and 4 GiB", name, r.PeakRSS)
	}
}

// checkClusterRow checks the cluster row: measured with the service (nats-server is built from
// the module the repository requires), one row per worker process count with sane figures,
// and the overhead derived from the one-worker row.
func checkClusterRow(t *testing.T, c Cluster, cfg Config) {
	t.Helper()
	if cfg.SkipService {
		if c.Measured {
			t.Error("cluster row measured without the service")
		}
		return
	}
	if !c.Measured || c.Servers != 3 || c.Replicas != 3 || c.Samples != cfg.Exomes {
		t.Fatalf("cluster row %+v: want measured on 3 servers, R3, %d samples", c, cfg.Exomes)
	}
	if len(c.Rows) != len(ClusterWorkers) {
		t.Fatalf("%d cluster rows, want %d", len(c.Rows), len(ClusterWorkers))
	}
	for i, r := range c.Rows {
		if r.Workers != ClusterWorkers[i] || !r.Measured || r.Wall <= 0 || r.PerMinute <= 0 || r.P50 <= 0 || r.P50 > r.P95 || r.P95 > r.Wall {
			t.Errorf("cluster row %+v: want %d workers, wall > 0, 0 < p50 <= p95 <= wall", r, ClusterWorkers[i])
		}
	}
	// The harness's own annotation runs under -race here and the workers' not, so only the
	// derivation is checked, not the overhead's sign.
	if c.Annotate <= 0 || c.Overhead != c.Rows[0].Wall/float64(c.Samples)-c.Annotate {
		t.Errorf("cluster overhead %v, annotate %v: want the one-worker wall per sample less the annotation", c.Overhead, c.Annotate)
	}
}
