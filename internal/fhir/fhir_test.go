package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/fhir/fhirtest"
	"github.com/precis-dx/precis/internal/fhir/ig"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/pgx"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/testfile"
)

var update = flag.Bool("update", false, "rewrite the golden bundles in testdata/golden")

// inputs are the real reports the tests convert: the annotator's golden reports (real
// annotations of real VCFs) and, in testdata/reports, the report of igv-reports'
// variants.hg38 VCF (homozygous calls with allele frequencies, benign ClinVar variants).
func inputs(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, pat := range []string{"../annotate/testdata/golden/*.json", "testdata/reports/*.json"} {
		files, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			out[strings.TrimSuffix(filepath.Base(f), ".json")] = f
		}
	}
	if len(out) < 8 {
		t.Fatalf("found %d input reports, want at least 8", len(out))
	}
	return out
}

func readReport(t *testing.T, path string) *report.Report {
	t.Helper()
	b := testfile.Read(t, path)
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &r
}

func render(t *testing.T, r *report.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestGolden converts every input report, validates the bundle against the rules and the
// report, and compares it with testdata/golden (-update rewrites).
func TestGolden(t *testing.T) {
	for name, path := range inputs(t) {
		t.Run(name, func(t *testing.T) {
			r := readReport(t, path)
			got := render(t, r)
			for _, p := range fhirtest.ValidateFor(r, got) {
				t.Errorf("problem: %s", p)
			}
			golden := filepath.Join("testdata", "golden", name+".fhir.json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				testfile.Write(t, golden, got)
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("bundle differs from %s (run go test -update and review the diff)", golden)
			}
		})
	}
}

// TestDeterministic: the same report gives the same bytes; another report id gives other
// entry ids.
func TestDeterministic(t *testing.T) {
	r := readReport(t, "../annotate/testdata/golden/example.json")
	a, b := render(t, r), render(t, r)
	if !bytes.Equal(a, b) {
		t.Fatal("two conversions of one report differ")
	}
	r2 := readReport(t, "../annotate/testdata/golden/example.json")
	r2.ReportID = "11111111-1111-4111-8111-111111111111"
	c := render(t, r2)
	var x, y Collection
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(c, &y); err != nil {
		t.Fatal(err)
	}
	if len(x.Entry) != len(y.Entry) {
		t.Fatalf("got %d entries, want %d", len(y.Entry), len(x.Entry))
	}
	for i := range x.Entry {
		if x.Entry[i].FullURL == y.Entry[i].FullURL {
			t.Errorf("entry %d: fullUrl %s unchanged by a new report id", i, x.Entry[i].FullURL)
		}
	}
	if p := fhirtest.ValidateFor(r2, c); len(p) != 0 {
		t.Errorf("got %d problems, want 0: %v", len(p), p)
	}
}

// TestHGVSExact re-reads every bundle: each finding's c., p. and g. HGVS is the code of the
// matching component of one Variant observation, character for character.
func TestHGVSExact(t *testing.T) {
	total := 0
	for name, path := range inputs(t) {
		r := readReport(t, path)
		var b struct {
			Entry []struct {
				Resource Observation `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(render(t, r), &b); err != nil {
			t.Fatal(err)
		}
		type triple struct{ c, p, g string }
		seen := map[triple]int{}
		for _, e := range b.Entry {
			o := e.Resource
			if o.Meta == nil || o.Meta.Profile[0] != ig.ProfileVariant {
				continue
			}
			var tr triple
			for _, c := range o.Component {
				if len(c.Code.Coding) == 0 || c.ValueCodeableConcept == nil || len(c.ValueCodeableConcept.Coding) == 0 {
					continue
				}
				code := c.ValueCodeableConcept.Coding[0].Code
				switch c.Code.Coding[0].Code {
				case ig.LOINCHGVSc:
					tr.c = code
				case ig.LOINCHGVSp:
					tr.p = code
				case ig.LOINCHGVSg:
					tr.g = code
				}
			}
			seen[tr]++
		}
		for _, s := range r.Samples {
			for _, f := range s.Findings {
				tr := triple{f.HGVSc, f.HGVSp, f.HGVSg}
				if seen[tr] == 0 {
					t.Errorf("%s: finding %s %s / %s / %s has no Variant with exactly these HGVS", name, f.Gene, f.HGVSc, f.HGVSp, f.HGVSg)
				}
				seen[tr]--
				total++
			}
		}
		for tr, n := range seen {
			if n != 0 {
				t.Errorf("%s: %d extra Variant(s) with HGVS %v", name, n, tr)
			}
		}
	}
	if total < 10 {
		t.Errorf("checked %d findings, want at least 10", total)
	}
}

// TestContent checks what the example report (BRCA2 pathogenic, MLH1 VUS, DPYD c.2846A>T
// Intermediate Metabolizer) becomes.
func TestContent(t *testing.T) {
	r := readReport(t, "../annotate/testdata/golden/example.json")
	b, err := Bundle(r)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	var tasks []*Task
	var brca2 *Observation
	for _, e := range b.Entry {
		switch x := e.Resource.(type) {
		case *Patient:
			count["Patient"]++
			if len(x.Identifier) != 1 || x.Identifier[0].Value != "DEMO-0001" {
				t.Errorf("Patient identifier: got %+v, want the sample id DEMO-0001 alone", x.Identifier)
			}
		case *DiagnosticReport:
			count["GenomicReport"]++
			if x.Issued != r.GeneratedAt {
				t.Errorf("issued: got %q, want %q", x.Issued, r.GeneratedAt)
			}
			if got, want := len(x.Result), 3+3+1+1+2+9; got != want {
				t.Errorf("results: got %d, want %d (3 variants, 3 diagnostic, 1 finding-therapeutic, 1 genotype, 2 DPYD therapeutic, 9 regions studied)", got, want)
			}
		case *Observation:
			count[x.Meta.Profile[0]]++
			if x.Meta.Profile[0] == ig.ProfileVariant && x.Component[0].ValueCodeableConcept.Coding[0].Display == "BRCA2" {
				brca2 = x
			}
		case *Task:
			tasks = append(tasks, x)
		}
	}
	for k, want := range map[string]int{"Patient": 1, "GenomicReport": 1, ig.ProfileVariant: 3, ig.ProfileDiagnosticImplication: 3,
		ig.ProfileGenotype: 1, ig.ProfileTherapeuticImplication: 3} {
		if count[k] != want {
			t.Errorf("%s: got %d, want %d", k, count[k], want)
		}
	}
	if brca2 == nil {
		t.Fatal("no BRCA2 Variant")
	}
	want := map[string]string{
		ig.LOINCGene: "HGNC:1101", ig.LOINCHGVSc: "NM_000059.4:c.5946del", ig.LOINCHGVSp: "p.(Ser1982ArgfsTer22)",
		ig.LOINCHGVSg: "NC_000013.11:g.32340301del", ig.LOINCAssembly: ig.AnswerGRCh38, ig.LOINCAllelicState: "LA6706-1",
		ig.LOINCClinSig: "LA6668-3", ig.LOINCTranscript: "NM_000059.4", ig.LOINCVariationCode: "9325", ig.LOINCSourceClass: ig.AnswerGermline,
	}
	for _, c := range brca2.Component {
		code := c.Code.Coding[0].Code
		if w, ok := want[code]; ok {
			if got := c.ValueCodeableConcept.Coding[0].Code; got != w {
				t.Errorf("BRCA2 component %s: got %q, want %q", code, got, w)
			}
			delete(want, code)
		}
	}
	for code := range want {
		t.Errorf("BRCA2 Variant lacks component %s", code)
	}
	if len(tasks) != 6 {
		t.Fatalf("tasks: got %d, want 6 (one per tag)", len(tasks))
	}
	for _, task := range tasks {
		tg := task.Input[0].ValueString
		if tg == "treatment:fluoropyrimidine-reduce-50pct" {
			if task.Code == nil || task.Code.Coding[0].Code != "LA26422-8" {
				t.Errorf("%s: got code %+v, want LOINC LA26422-8 (Decrease dose)", tg, task.Code)
			}
			if task.Meta.Profile[0] != ig.ProfileMedicationRecommendation {
				t.Errorf("%s: got profile %s, want medication-recommendation", tg, task.Meta.Profile[0])
			}
		}
		if task.Status != "requested" || task.Intent != "proposal" {
			t.Errorf("%s: got %s/%s, want requested/proposal", tg, task.Status, task.Intent)
		}
	}
}

func TestBundleRefuses(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*report.Report)
	}{
		{"no report id", func(r *report.Report) { r.ReportID = "" }},
		{"bad time", func(r *report.Report) { r.GeneratedAt = "yesterday" }},
		// 19121212-1212 is the Swedish Tax Agency's published test personnummer.
		{"identity number", func(r *report.Report) { r.Samples[0].SampleID = "19121212-1212" }},
		{"empty sample id", func(r *report.Report) { r.Samples[0].SampleID = " " }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := readReport(t, "../annotate/testdata/golden/example.json")
			tc.mutate(r)
			_, err := Bundle(r)
			if !errors.Is(err, ErrReport) {
				t.Errorf("got %v, want ErrReport", err)
			}
		})
	}
	if _, err := Bundle(nil); !errors.Is(err, ErrReport) {
		t.Errorf("nil report: got %v, want ErrReport", err)
	}
}

// TestHGNCFromMANE checks the HGNC ids against the MANE v1.0 summary they were taken from.
func TestHGNCFromMANE(t *testing.T) {
	found := map[string]string{}
	for _, col := range oracle.DataLines(t, filepath.Join(oracle.Dir(t), "genes", "MANE.GRCh38.v1.0.summary.txt.gz")) {
		if len(col) > 9 && col[9] == "MANE Select" {
			if _, ok := ig.HGNC[col[3]]; ok {
				found[col[3]] = col[2]
			}
		}
	}
	for gene, id := range ig.HGNC {
		if found[gene] != id {
			t.Errorf("%s: got %s, MANE says %q", gene, id, found[gene])
		}
	}
}

// TestIncompleteDPYDNotCodedNormal: a Normal Metabolizer that is not a complete normal test
// (alert severity caution or above: DESIGN.md clinical rule 7) is never coded as the LOINC
// answer "Normal metabolizer" (LA25391-6); a complete one is.
func TestIncompleteDPYDNotCodedNormal(t *testing.T) {
	for _, sev := range []string{"none", "caution", "high"} {
		r := readReport(t, "../annotate/testdata/golden/example.json")
		p := &r.Samples[0].PGx[0]
		two := 2.0
		p.ActivityScore, p.Phenotype, p.Complete = &two, "Normal Metabolizer", sev == "none"
		p.Alert = pgx.Alert{Severity: sev, Message: "DPYD Normal Metabolizer (activity score 2.0)"}
		p.LossOfFunction = nil
		if sev == "high" {
			p.LossOfFunction = []pgx.Evidence{{Variant: "chr1:97305283 G>A", HGVSc: "NM_000110.4:c.2275C>T", Zygosity: "homozygous", Reason: "ClinVar likely pathogenic"}}
		}
		got := render(t, r)
		for _, pr := range fhirtest.ValidateFor(r, got) {
			t.Errorf("%s: problem: %s", sev, pr)
		}
		coded := bytes.Contains(got, []byte(`"LA25391-6"`))
		if coded != (sev == "none") {
			t.Errorf("severity %s: coded Normal metabolizer %v", sev, coded)
		}
		if sev == "high" && !bytes.Contains(got, []byte("c.2275C>T")) {
			t.Errorf("loss-of-function evidence not in the bundle")
		}
	}
	// With loss-of-function evidence an Intermediate Metabolizer is not coded either: the
	// true phenotype could be Poor.
	r := readReport(t, "../annotate/testdata/golden/example.json")
	p := &r.Samples[0].PGx[0]
	p.Phenotype, p.Alert.Severity = "Intermediate Metabolizer", "high"
	p.LossOfFunction = []pgx.Evidence{{Variant: "chr1:97305283 G>A", HGVSc: "NM_000110.4:c.2275C>T", Zygosity: "heterozygous", Reason: "ClinVar likely pathogenic"}}
	got := render(t, r)
	for _, pr := range fhirtest.ValidateFor(r, got) {
		t.Errorf("intermediate with evidence: problem: %s", pr)
	}
	if bytes.Contains(got, []byte(`"LA10317-8"`)) {
		t.Errorf("Intermediate Metabolizer with loss-of-function evidence coded LA10317-8")
	}
}
