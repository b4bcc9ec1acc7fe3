package service

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/submit"
)

// multiSampleVCF writes a copy of a single-sample VCF with the sample column repeated
// under the given names: a multi-sample file of other people.
func multiSampleVCF(t *testing.T, src, dst string, names ...string) {
	t.Helper()
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for line := range strings.Lines(string(raw)) {
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "#CHROM"):
			cols := strings.Split(line, "\t")
			line = strings.Join(append(cols[:9], names...), "\t")
		case strings.HasPrefix(line, "#"), line == "":
		default:
			cols := strings.Split(line, "\t")
			for range names[1:] {
				cols = append(cols, cols[9])
			}
			line = strings.Join(cols, "\t")
		}
		b.WriteString(line + "\n")
	}
	if err := os.WriteFile(dst, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSampleColumn: a manifest sample is reported from its own VCF column only (DESIGN.md
// rule 6). A multi-sample VCF without a column of the sample's id, and without vcf_sample
// naming one, fails that sample with a reason (it reported all the people in the file);
// vcf_sample picks a column; a column that vcf_sample names and the VCF lacks fails; a
// single-sample VCF is reported from its one column whatever it is called.
func TestSampleColumn(t *testing.T) {
	s := start(t, Config{Workers: 2, Ingest: true})
	const lab, run = "lab-cols", "run-cols"
	dir := t.TempDir()
	src := data(t, "pgx/pharmcat/tests/DPYD_c2846het.vcf")
	multiSampleVCF(t, src, filepath.Join(dir, "family.vcf"), "RELATIVE-1", "P-COL", "RELATIVE-2")
	multiSampleVCF(t, src, filepath.Join(dir, "single.vcf"), "LANE7-BARCODE3")
	key := func(name string) string { return "runs/" + lab + "/" + run + "/" + name }
	samples := []map[string]any{
		{"sample_id": "P-NOCOL", "vcf": key("family.vcf")},
		{"sample_id": "P-COL", "vcf": key("family.vcf")},
		{"sample_id": "P-NAMED", "vcf": key("family.vcf"), "vcf_sample": "RELATIVE-2"},
		{"sample_id": "P-BADCOL", "vcf": key("family.vcf"), "vcf_sample": "RELATIVE-9"},
		{"sample_id": "P-SINGLE", "vcf": key("single.vcf")},
	}
	for _, smp := range samples {
		smp["specimen"], smp["panels"] = "germline", []string{"dpyd"}
	}
	m, _ := json.Marshal(map[string]any{"schema_version": "1.0.0", "run_id": run, "lab": lab, "genome_build": "GRCh38",
		"ordering_unit": "test clinic", "samples": samples})
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), m, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := submit.Run(context.Background(), dir, submitOptions(t, s, dir)); err != nil {
		t.Fatal(err)
	}
	st := waitRun(t, s, lab, run, time.Minute)
	stored := func(sample string) string {
		t.Helper()
		rc, err := s.Objects.Get(context.Background(), "reports/"+lab+"/"+run+"/"+sample+".json")
		if err != nil {
			t.Fatalf("%s: %v", sample, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	for _, tc := range []struct{ sample, column string }{
		{"P-COL", "P-COL"}, {"P-NAMED", "RELATIVE-2"}, {"P-SINGLE", "LANE7-BARCODE3"},
	} {
		if got := st.Samples[tc.sample]; got.Status != "done" {
			t.Errorf("%s: %+v, want done", tc.sample, got)
			continue
		}
		var rep report.Report
		if err := json.Unmarshal([]byte(stored(tc.sample)), &rep); err != nil {
			t.Fatal(err)
		}
		if len(rep.Samples) != 1 || rep.Samples[0].SampleID != tc.column {
			var cols []string
			for _, r := range rep.Samples {
				cols = append(cols, r.SampleID)
			}
			t.Errorf("%s: report of columns %q, want only %q", tc.sample, cols, tc.column)
		}
	}
	for _, tc := range []struct{ sample, reason string }{
		{"P-NOCOL", "none is named \"P-NOCOL\""},
		{"P-BADCOL", "vcf_sample \"RELATIVE-9\" is not a sample column"},
	} {
		got := st.Samples[tc.sample]
		if got.Status != "failed" || !strings.Contains(got.Reason, tc.reason) || !strings.Contains(got.Reason, "vcf_sample") {
			t.Errorf("%s: %+v, want failed saying %q and naming vcf_sample", tc.sample, got, tc.reason)
		}
		if got.Attempts != 1 {
			t.Errorf("%s: attempted %d times, want 1 (no retry mends it)", tc.sample, got.Attempts)
		}
		doc := stored(tc.sample)
		var f report.Failure
		if err := json.Unmarshal([]byte(doc), &f); err != nil || f.Status != "failed" || f.Error.Kind != "invalid-input" {
			t.Errorf("%s: stored document %s (%v), want an invalid-input failure", tc.sample, doc, err)
		}
		if strings.Contains(doc, "RELATIVE-1") || strings.Contains(doc, "\"findings\"") {
			t.Errorf("%s: the failure names or reports other people: %s", tc.sample, doc)
		}
	}
}
