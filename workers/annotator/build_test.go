package annotator_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/report"
)

// TestJobGenomeBuild: the job's genome_build (the manifest's) reaches the annotator as a
// declared build: a GRCh38 VCF under a GRCh38 job is reported with the declaration among its
// build evidence; a job without the field (written before it existed) detects the build; a
// job declaring GRCh37 for the same GRCh38 VCF fails for good as a genome-build error that
// says where the declaration came from.
func TestJobGenomeBuild(t *testing.T) {
	sw := newStoreWorker(t)
	sw.putFile("runs/lab1/run1/s1.vcf", "testdata", "example.vcf") // ##reference=hg38, PharmCAT's GRCh38 DPYD positions
	// The same DNA written on GRCh37 (vcftest.To37, b37 names; testdata/example.GRCh37.vcf).
	sw.putFile("runs/lab1/run1/s37.vcf", "testdata", "example.GRCh37.vcf")
	handle := func(sample, build string) (*report.Report, *report.Failure, error) {
		t.Helper()
		key := "runs/lab1/run1/s1.vcf"
		if strings.HasPrefix(sample, "g37") {
			key = "runs/lab1/run1/s37.vcf"
		}
		job := map[string]any{"schema_version": pipeline.SchemaVersion, "lab": "lab1", "run_id": "run1", "sample_id": sample,
			"vcf_key": key, "specimen": "germline", "panels": []string{"dpyd"}, "manifest_key": "runs/lab1/run1/manifest.json"}
		if build != "" {
			job["genome_build"] = build
		}
		return sw.handle(job, sample)
	}
	declared := func(rep *report.Report, build string) bool {
		for _, e := range rep.Input.BuildEvidence {
			if e.Kind == "option" && e.Build == build {
				return true
			}
		}
		return false
	}

	t.Run("GRCh38 declared", func(t *testing.T) {
		rep, fail, err := handle("s38", "GRCh38")
		if err != nil || fail != nil {
			t.Fatalf("got %v, failure %+v", err, fail)
		}
		if rep.Input.GenomeBuild != "GRCh38" || !declared(rep, "GRCh38") {
			t.Errorf("genome_build %q, evidence %+v: want GRCh38, declared", rep.Input.GenomeBuild, rep.Input.BuildEvidence)
		}
	})
	t.Run("old job without genome_build", func(t *testing.T) {
		rep, fail, err := handle("sauto", "")
		if err != nil || fail != nil {
			t.Fatalf("got %v, failure %+v", err, fail)
		}
		if rep.Input.GenomeBuild != "GRCh38" || declared(rep, "GRCh38") {
			t.Errorf("genome_build %q, evidence %+v: want GRCh38, detected", rep.Input.GenomeBuild, rep.Input.BuildEvidence)
		}
	})
	t.Run("GRCh37 declared, GRCh37 input", func(t *testing.T) {
		rep, fail, err := handle("g37", "GRCh37")
		if err != nil || fail != nil {
			t.Fatalf("got %v, failure %+v", err, fail)
		}
		ref, _, _ := handle("s38same", "GRCh38")
		if rep.Input.GenomeBuild != "GRCh37" || !declared(rep, "GRCh37") || rep.Input.Liftover == nil {
			t.Errorf("genome_build %q, evidence %+v, liftover %+v: want GRCh37, declared, placed", rep.Input.GenomeBuild, rep.Input.BuildEvidence, rep.Input.Liftover)
		}
		p37, p38 := rep.Samples[0].PGx[0], ref.Samples[0].PGx[0]
		if p37.Diplotype != p38.Diplotype || p37.Alert != p38.Alert || strings.Join(rep.Samples[0].Tags, ",") != strings.Join(ref.Samples[0].Tags, ",") {
			t.Errorf("GRCh37 job: %s %+v %v; the GRCh38 job of the same DNA: %s %+v %v", p37.Diplotype, p37.Alert, rep.Samples[0].Tags, p38.Diplotype, p38.Alert, ref.Samples[0].Tags)
		}
	})
	t.Run("GRCh37 declared, GRCh38 evidence", func(t *testing.T) {
		_, fail, err := handle("s37", "GRCh37")
		if !errors.Is(err, pipeline.ErrPermanent) {
			t.Errorf("Handle: got %v, want a permanent failure", err)
		}
		if fail == nil || fail.Error.Kind != "genome-build" {
			t.Fatalf("failure %+v, want genome-build", fail)
		}
		if msg := fail.Error.Message; !strings.Contains(msg, "the manifest's genome_build is GRCh37") || !strings.Contains(msg, "runs/lab1/run1/s1.vcf") {
			t.Errorf("message %q: want the declared build's origin and the file", msg)
		}
		t.Log(fail.Error.Message)
	})
}
