package pipeline_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/pipeline"
	"github.com/precis-dx/precis/internal/pipeline/pipelinetest"
	"github.com/precis-dx/precis/internal/report"
)

var schemaDefs = pipelinetest.Defs

func schemaErr(t testing.TB, def string, data []byte) error {
	t.Helper()
	return pipelinetest.SchemaErr(t, def, data)
}

func validate(t testing.TB, def string, data []byte) {
	t.Helper()
	pipelinetest.Validate(t, def, data)
}

// goldenReport is a real report written by the annotate package from a real
// VCF; the examples below take their values from it.
type goldenReport struct {
	bytes  []byte
	parsed report.Report
}

func readGoldenReport(t testing.TB) goldenReport {
	t.Helper()
	var g goldenReport
	var err error
	g.bytes, err = os.ReadFile(filepath.Join("..", "annotate", "testdata", "golden", "example.json"))
	if err != nil {
		t.Fatalf("golden report: %v", err)
	}
	if err := json.Unmarshal(g.bytes, &g.parsed); err != nil {
		t.Fatalf("golden report: %v", err)
	}
	if len(g.parsed.Samples) == 0 || len(g.parsed.Samples[0].PGx) == 0 {
		t.Fatal("golden report has no sample with a PGx entry")
	}
	return g
}

// examples returns one message of each kind, keyed by $def name.
func examples(t testing.TB) map[string]any {
	t.Helper()
	g := readGoldenReport(t)
	s := g.parsed.Samples[0]
	p := s.PGx[0]
	sum := sha256.Sum256(g.bytes)
	const lab, run = "karolinska-molpat", "RUN-2025-0117"
	manifest := "runs/" + lab + "/" + run + "/manifest.json"
	report := "reports/" + lab + "/" + run + "/" + s.SampleID + ".json"
	job := pipeline.Job{
		SchemaVersion: pipeline.SchemaVersion, Lab: lab, RunID: run, SampleID: s.SampleID,
		VCFKey:   "runs/" + lab + "/" + run + "/" + g.parsed.Input.File,
		Specimen: g.parsed.Input.Specimen, Panels: g.parsed.Input.Panels, ManifestKey: manifest,
		GenomeBuild: g.parsed.Input.GenomeBuild, PlannedDrugs: []string{"folfiri", "bevacizumab"},
	}
	jobBody, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"RunSubmitted": pipeline.RunSubmitted{
			SchemaVersion: pipeline.SchemaVersion, Lab: lab, RunID: run, ManifestKey: manifest,
			SubmittedAt: time.Date(2025, 1, 17, 9, 30, 0, 0, time.UTC), Via: pipeline.ViaS3,
		},
		"Job": job,
		"ReportReady": pipeline.ReportReady{
			SchemaVersion: pipeline.SchemaVersion, Lab: lab, RunID: run, SampleID: s.SampleID,
			ReportKey: report, ReportSHA256: hex.EncodeToString(sum[:]), Tags: s.Tags,
		},
		"PGxAlert": pipeline.PGxAlert{
			SchemaVersion: pipeline.SchemaVersion, Lab: lab, RunID: run, SampleID: s.SampleID,
			Gene: p.Gene, Diplotype: p.Diplotype, Phenotype: p.Phenotype, ActivityScore: p.ActivityScore,
			Drugs: []string{"fluorouracil", "capecitabine"}, Severity: p.Alert.Severity, Message: p.Alert.Message, ReportKey: report,
		},
		"ReanalyseJob": pipeline.ReanalyseJob{
			SchemaVersion: pipeline.SchemaVersion, Lab: lab, RunID: run, SampleID: s.SampleID, KBVersion: "2026.02-4339bdbf29",
		},
		"ReclassifiedAlert": pipeline.ReclassifiedAlert{
			SchemaVersion: pipeline.SchemaVersion, Lab: lab, RunID: run, SampleID: s.SampleID, ReportKey: report,
			KBFrom: "2024.12-0123456789", KBTo: "2026.02-4339bdbf29", Previous: 1,
			Changes: []pipeline.Change{{
				SampleID: s.SampleID, Gene: "BRCA2", HGVSc: "c.8487+1G>A", Variant: "chr13:32356611 G>A",
				From: "likely_pathogenic", To: "conflicting", Impact: pipeline.ImpactMajor,
				KBFrom: "2024.12-0123456789", KBTo: "2026.02-4339bdbf29", At: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC),
				What: "classification", Reason: "crosses the actionable line (pathogenic/likely pathogenic ↔ other)",
				TagsRemoved: []string{"treatment:parp-inhibitor"},
			}},
			At: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC),
		},
		"Dead": pipeline.Dead{
			SchemaVersion: pipeline.SchemaVersion, Kind: "job", Subject: pipeline.SubjectJob(lab),
			Reason: "pipeline: permanent failure: vcf " + job.VCFKey + ": not found", Delivered: 1,
			Data: pipeline.DeadData(jobBody),
		},
	}
}

// TestMessagesMatchSchema marshals an example of each message, validates it
// against its $def and the whole schema, and decodes it back.
func TestMessagesMatchSchema(t *testing.T) {
	ex := examples(t)
	for _, def := range schemaDefs {
		t.Run(def, func(t *testing.T) {
			b, err := json.Marshal(ex[def])
			if err != nil {
				t.Fatal(err)
			}
			validate(t, def, b)
			validate(t, "", b)
			if err := pipeline.Decode(b, newMessage(def)); err != nil {
				t.Errorf("Decode: %v", err)
			}
		})
	}
}

func newMessage(def string) any {
	switch def {
	case "RunSubmitted":
		return &pipeline.RunSubmitted{}
	case "Job":
		return &pipeline.Job{}
	case "ReportReady":
		return &pipeline.ReportReady{}
	case "PGxAlert":
		return &pipeline.PGxAlert{}
	case "ReanalyseJob":
		return &pipeline.ReanalyseJob{}
	case "ReclassifiedAlert":
		return &pipeline.ReclassifiedAlert{}
	case "Dead":
		return &pipeline.Dead{}
	}
	return nil
}

// TestJobGenomeBuild: a job carries the manifest's genome_build, GRCh38 or GRCh37; a job
// written before the field existed has none, and means a build detected from the VCF.
func TestJobGenomeBuild(t *testing.T) {
	ex := examples(t)
	job := ex["Job"].(pipeline.Job)
	if job.GenomeBuild != "GRCh38" {
		t.Fatalf("example job's build %q, want the golden report's GRCh38", job.GenomeBuild)
	}
	for _, build := range []string{"GRCh38", "GRCh37", ""} {
		t.Run(build, func(t *testing.T) {
			j := job
			j.GenomeBuild = build
			b, err := json.Marshal(j)
			if err != nil {
				t.Fatal(err)
			}
			if got := bytes.Contains(b, []byte(`"genome_build"`)); got != (build != "") {
				t.Errorf("genome_build in the body: %v, want %v (%s)", got, build != "", b)
			}
			validate(t, "Job", b)
			var back pipeline.Job
			if err := pipeline.Decode(b, &back); err != nil {
				t.Fatal(err)
			}
			if back.GenomeBuild != build {
				t.Errorf("decoded build %q, want %q", back.GenomeBuild, build)
			}
		})
	}
}

// TestInvalidMessages breaks one rule at a time: the schema and Decode must
// both refuse the result.
func TestInvalidMessages(t *testing.T) {
	ex := examples(t)
	for _, tc := range []struct {
		name, def string
		edit      func(m map[string]any)
	}{
		{"no schema_version", "RunSubmitted", func(m map[string]any) { delete(m, "schema_version") }},
		{"schema_version 2", "RunSubmitted", func(m map[string]any) { m["schema_version"] = "2.0.0" }},
		{"via ftp", "RunSubmitted", func(m map[string]any) { m["via"] = "ftp" }},
		{"lab with dot", "RunSubmitted", func(m map[string]any) { m["lab"] = "lab.1" }},
		{"manifest outside runs/", "RunSubmitted", func(m map[string]any) { m["manifest_key"] = "tmp/manifest.json" }},
		{"no submitted_at", "RunSubmitted", func(m map[string]any) { delete(m, "submitted_at") }},
		{"sample id with space", "Job", func(m map[string]any) { m["sample_id"] = "S 1" }},
		{"no panels", "Job", func(m map[string]any) { m["panels"] = []any{} }},
		{"unknown panel", "Job", func(m map[string]any) { m["panels"] = []any{"cardio"} }},
		{"repeated panel", "Job", func(m map[string]any) { m["panels"] = []any{"dpyd", "dpyd"} }},
		{"specimen tumor", "Job", func(m map[string]any) { m["specimen"] = "blood" }},
		{"no vcf_key", "Job", func(m map[string]any) { delete(m, "vcf_key") }},
		{"genome_build hg19", "Job", func(m map[string]any) { m["genome_build"] = "hg19" }},
		{"genome_build auto", "Job", func(m map[string]any) { m["genome_build"] = "auto" }},
		{"sha256 upper case", "ReportReady", func(m map[string]any) { m["report_sha256"] = "ABCDEF" }},
		{"bad tag", "ReportReady", func(m map[string]any) { m["tags"] = []any{"treatment:Reduce Dose"} }},
		{"no tags", "ReportReady", func(m map[string]any) { delete(m, "tags") }},
		{"report key not json", "ReportReady", func(m map[string]any) { m["report_key"] = "reports/a/b/c.txt" }},
		{"planned drug upper case", "Job", func(m map[string]any) { m["planned_drugs"] = []any{"FOLFIRI"} }},
		{"planned drug twice", "Job", func(m map[string]any) { m["planned_drugs"] = []any{"irinotecan", "irinotecan"} }},
		{"gene CYP2D6", "PGxAlert", func(m map[string]any) { m["gene"] = "CYP2D6" }},
		{"drug upper case", "PGxAlert", func(m map[string]any) { m["drugs"] = []any{"Irinotecan"} }},
		{"activity score 3", "PGxAlert", func(m map[string]any) { m["activity_score"] = 3 }},
		{"unknown phenotype", "PGxAlert", func(m map[string]any) { m["phenotype"] = "Rapid Metabolizer" }},
		{"severity low", "PGxAlert", func(m map[string]any) { m["severity"] = "low" }},
		{"empty message", "PGxAlert", func(m map[string]any) { m["message"] = "" }},
		{"kb_version with underscore", "ReanalyseJob", func(m map[string]any) { m["kb_version"] = "2026_02-4339bdbf29" }},
		{"no kb_version", "ReanalyseJob", func(m map[string]any) { delete(m, "kb_version") }},
		{"sample id with dot", "ReanalyseJob", func(m map[string]any) { m["sample_id"] = "S.1" }},
		{"no changes", "ReclassifiedAlert", func(m map[string]any) { m["changes"] = []any{} }},
		{"previous 0", "ReclassifiedAlert", func(m map[string]any) { m["previous"] = 0 }},
		{"bad kb_to", "ReclassifiedAlert", func(m map[string]any) { m["kb_to"] = "latest" }},
		{"no at", "ReclassifiedAlert", func(m map[string]any) { delete(m, "at") }},
		{"minor change", "ReclassifiedAlert", func(m map[string]any) {
			m["changes"].([]any)[0].(map[string]any)["impact"] = "minor"
		}},
		{"change without gene", "ReclassifiedAlert", func(m map[string]any) {
			m["changes"].([]any)[0].(map[string]any)["gene"] = ""
		}},
		{"report key of a version", "ReclassifiedAlert", func(m map[string]any) { m["report_key"] = "reports/a/b/c/v1.json" }},
		{"delivered 0", "Dead", func(m map[string]any) { m["delivered"] = 0 }},
		{"no reason", "Dead", func(m map[string]any) { delete(m, "reason") }},
		{"no data", "Dead", func(m map[string]any) { delete(m, "data") }},
	} {
		t.Run(tc.def+"/"+tc.name, func(t *testing.T) {
			b, err := json.Marshal(ex[tc.def])
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			tc.edit(m)
			if b, err = json.Marshal(m); err != nil {
				t.Fatal(err)
			}
			if err := schemaErr(t, tc.def, b); err == nil {
				t.Errorf("schema accepted %s", b)
			}
			err = pipeline.Decode(b, newMessage(tc.def))
			if !errors.Is(err, pipeline.ErrMalformed) || !errors.Is(err, pipeline.ErrPermanent) {
				t.Errorf("Decode: got %v, want ErrMalformed and ErrPermanent", err)
			}
		})
	}
}

func TestDecodeNotJSON(t *testing.T) {
	for _, tc := range []struct{ name, data string }{
		{"empty", ""},
		{"truncated", `{"schema_version":"1.0.0"`},
		{"two values", `{} {}`},
		{"array", `[]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := pipeline.Decode([]byte(tc.data), &pipeline.Job{}); !errors.Is(err, pipeline.ErrMalformed) {
				t.Errorf("got %v, want ErrMalformed", err)
			}
		})
	}
	if err := pipeline.Decode([]byte(`{}`), &struct{}{}); err == nil || errors.Is(err, pipeline.ErrMalformed) {
		t.Errorf("Decode into a non-message: got %v, want a usage error", err)
	}
}

func TestDeadData(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"json object compacted", "{\n  \"a\": 1\n}", `{"a":1}`},
		{"not json", "not json", `"not json"`},
		{"empty", "", `""`},
		{"invalid utf-8", "\xff{", `"\ufffd{"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(pipeline.DeadData([]byte(tc.in))); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// FuzzDecode checks that Decode never panics and that whatever it accepts,
// written back out, satisfies the schema (Decode is never looser than
// schemas/messages.schema.json).
func FuzzDecode(f *testing.F) {
	ex := examples(f)
	for i, def := range schemaDefs {
		b, err := json.Marshal(ex[def])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), b)
	}
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		def := schemaDefs[int(kind)%len(schemaDefs)]
		v := newMessage(def)
		if err := pipeline.Decode(data, v); err != nil {
			if !errors.Is(err, pipeline.ErrMalformed) {
				t.Fatalf("Decode error %v does not wrap ErrMalformed", err)
			}
			return
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("accepted %q but cannot marshal it: %v", data, err)
		}
		if err := schemaErr(t, def, b); err != nil {
			t.Fatalf("Decode accepted %q as %s, schema refuses %s: %v", data, def, b, err)
		}
	})
}

// TestPGxAlertGenes: alerts of the thiopurine and irinotecan genes, with the phenotypes their
// tables use, pass the schema and Decode; so do jobs ordering their panels.
func TestPGxAlertGenes(t *testing.T) {
	for _, a := range []pipeline.PGxAlert{
		{Gene: "TPMT", Diplotype: "*1/*3A", Phenotype: "Intermediate Metabolizer", Drugs: []string{"mercaptopurine"}, Severity: "moderate"},
		{Gene: "NUDT15", Diplotype: "*1/*5", Phenotype: "Possible Intermediate Metabolizer", Severity: "moderate"},
		{Gene: "UGT1A1", Diplotype: "*28/*28", Phenotype: "Poor Metabolizer", Drugs: []string{"irinotecan", "sacituzumab govitecan"}, Severity: "moderate"},
	} {
		a.SchemaVersion, a.Lab, a.RunID, a.SampleID = pipeline.SchemaVersion, "lab1", "run1", "S1"
		a.Message, a.ReportKey = "m", "reports/lab1/run1/S1.json"
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		if err := schemaErr(t, "PGxAlert", b); err != nil {
			t.Errorf("%s: schema: %v", a.Gene, err)
		}
		if err := pipeline.Decode(b, &pipeline.PGxAlert{}); err != nil {
			t.Errorf("%s: Decode: %v", a.Gene, err)
		}
	}
	job := pipeline.Job{SchemaVersion: pipeline.SchemaVersion, Lab: "lab1", RunID: "run1", SampleID: "S1",
		VCFKey: "runs/lab1/run1/S1.vcf.gz", Specimen: "germline", Panels: []string{"ugt1a1", "tpmt", "nudt15"},
		PlannedDrugs: []string{"mercaptopurine"}, ManifestKey: "runs/lab1/run1/manifest.json"}
	b, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	if err := schemaErr(t, "Job", b); err != nil {
		t.Errorf("job: schema: %v", err)
	}
	if err := pipeline.Decode(b, &pipeline.Job{}); err != nil {
		t.Errorf("job: Decode: %v", err)
	}
}
