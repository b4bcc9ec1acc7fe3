package report_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/guideline/guidelinetest"
	"github.com/precis-dx/precis/internal/report"
)

var update = flag.Bool("update", false, "rewrite the golden text files in testdata")

// TestTextThreeGenes renders the constructed TPMT, NUDT15 and UGT1A1 results (planned:
// FOLFIRI) and compares with testdata/pgx_three.txt (regenerate with -update after a
// deliberate change, and read the diff).
func TestTextThreeGenes(t *testing.T) {
	r := &report.Report{Input: report.Input{File: "pgx.vcf.gz", GenomeBuild: "GRCh38", Specimen: "germline", Panels: []string{}},
		Samples: []report.Sample{{SampleID: "S1", Tags: []string{}}}}
	guidelinetest.Into(t, r, []string{"FOLFIRI"})
	var b strings.Builder
	if err := report.WriteText(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	// UGT1A1 leads (FOLFIRI: irinotecan); no activity score for these genes; a text of several
	// paragraphs stays under its drug; the untested position is named.
	for _, want := range []string{
		"UGT1A1 DOSE ALERT [MODERATE]: UGT1A1 Poor Metabolizer (*28/*28): irinotecan: reduce the starting dose",
		"  diplotype *28/*28; Poor Metabolizer\n",
		"TPMT DOSE ALERT [MODERATE]",
		"NUDT15 DOSE ALERT [NONE]",
		"\n    Other Considerations:",
		"untested positions (1): rs4148323",
		"not a complete test: a position of the allele definition",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	if strings.Index(out, "UGT1A1 DOSE ALERT") > strings.Index(out, "TPMT DOSE ALERT") || strings.Contains(out, "activity score") {
		t.Errorf("UGT1A1 not first for FOLFIRI, or an activity score shown:\n%s", out)
	}
	path := filepath.Join("testdata", "pgx_three.txt")
	if *update {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if out != string(want) {
		t.Errorf("WriteText differs from %s; run with -update and read the diff", path)
	}
}
