package fhir

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/fhir/fhirtest"
	"github.com/precis-dx/precis/internal/report"
)

// TestServicePseudonym: a report made by the service names its Patient by the manifest's
// pseudonymous sample id, not the VCF column, and the bundle still validates against it.
func TestServicePseudonym(t *testing.T) {
	rep := readReport(t, filepath.Join("..", "annotate", "testdata", "golden", "dpyd_c1679c1156.json"))
	column := rep.Samples[0].SampleID
	rep.Run = &report.Run{Lab: "lab-a", RunID: "run-1", Sample: "WEB-0001"}
	var buf bytes.Buffer
	if err := Write(&buf, rep); err != nil {
		t.Fatal(err)
	}
	if p := fhirtest.ValidateFor(rep, buf.Bytes()); len(p) != 0 {
		t.Fatalf("ValidateFor: %v", p)
	}
	if !strings.Contains(buf.String(), `"value": "WEB-0001"`) || strings.Contains(buf.String(), `"value": "`+column+`"`) {
		t.Errorf("Patient identifier: want WEB-0001, not the VCF column %q", column)
	}
	rep.Run.Sample = "19121212-1212"
	if _, err := Bundle(rep); err == nil {
		t.Error("a manifest sample id shaped like a personnummer became a Patient identifier")
	}
}
