package web

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/report"
)

// TestSampleIDFromManifest: a report made by the service is headed with the manifest's
// pseudonymous sample id, which the run, the alerts and the printout share; the VCF's own
// column name is shown beside it, never in its place.
func TestSampleIDFromManifest(t *testing.T) {
	rep := loadGolden(t, "dpyd_c1679c1156.json")
	column := rep.Samples[0].SampleID
	rep.Run = &report.Run{Lab: "lab-a", RunID: "run-1", Sample: "WEB-0001"}
	var buf bytes.Buffer
	if err := RenderReport(&buf, rep, "en"); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	h1 := regexp.MustCompile(`(?s)<h1>.*?</h1>`).FindString(page)
	if !strings.Contains(h1, "WEB-0001") || strings.Contains(h1, column) {
		t.Errorf("heading %q: want the manifest id WEB-0001, not the VCF column %q", h1, column)
	}
	if !strings.Contains(page, "VCF sample column") || !strings.Contains(page, column) {
		t.Errorf("the VCF column %q is not shown", column)
	}
	// A report made by the CLI has no run: the VCF column is the id.
	rep.Run = nil
	buf.Reset()
	if err := RenderReport(&buf, rep, "en"); err != nil {
		t.Fatal(err)
	}
	if h1 := regexp.MustCompile(`(?s)<h1>.*?</h1>`).FindString(buf.String()); !strings.Contains(h1, column) || strings.Contains(buf.String(), "VCF sample column") {
		t.Errorf("CLI report heading %q: want the VCF column and no second line", h1)
	}
}
