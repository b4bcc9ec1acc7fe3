package annotator_test

import (
	"testing"

	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/report"
)

// TestCallableFromStore: a job naming the manifest's callable object gets its coverage from
// that BED; a job naming an absent one fails for good as missing input.
func TestCallableFromStore(t *testing.T) {
	sw := newStoreWorker(t)
	sw.putFile("runs/lab1/run1/s1.vcf", "testdata", "example.vcf")
	sw.put("runs/lab1/run1/s1.callable.bed", []byte("chr3\t36993547\t36993665\tCALLABLE\n"))
	handle := func(sample, callable string) *report.Report {
		t.Helper()
		job := pipeline.Job{SchemaVersion: pipeline.SchemaVersion, Lab: "lab1", RunID: "run1", SampleID: sample, VCFKey: "runs/lab1/run1/s1.vcf",
			CallableKey: callable, Specimen: "germline", Panels: []string{"lynch"}, ManifestKey: "runs/lab1/run1/manifest.json"}
		rep, fail, _ := sw.handle(job, sample)
		if fail != nil {
			if callable == "runs/lab1/run1/absent.bed" && fail.Error.Kind == "missing-input" {
				return nil
			}
			t.Fatalf("%s: failed: %+v", sample, fail.Error)
		}
		return rep
	}
	rep := handle("s1", "runs/lab1/run1/s1.callable.bed")
	if rep.Input.Callable != "runs/lab1/run1/s1.callable.bed" {
		t.Errorf("input.callable %q", rep.Input.Callable)
	}
	for _, c := range rep.Samples[0].Coverage {
		if c.Source != "bed" {
			t.Errorf("%s: source %s, want bed", c.Gene, c.Source)
		}
	}
	if rep := handle("s2", "runs/lab1/run1/absent.bed"); rep != nil {
		t.Errorf("absent callable BED: got a report, want a missing-input failure")
	}
}
