package annotate

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/guideline"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/pgx"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/testfile"
)

// TestNamedGenesEndToEnd runs every PharmCAT test VCF of TPMT, NUDT15 and UGT1A1 through the
// annotator with --panels tpmt,nudt15,ugt1a1 and holds each gene's entry to PharmCAT's
// expectations (../pgx/testdata/pharmcat_expected.tsv, from tests/EXPECTED_ONCO.md): the
// whole candidate list in PharmCAT's order, the phenotype and the alert severity. The other
// two genes, not in the file, are not called and never read as normal.
func TestNamedGenesEndToEnd(t *testing.T) {
	data := oracle.Dir(t)
	path := filepath.Join("..", "pgx", "testdata", "pharmcat_expected.tsv")
	rows := 0
	for i, line := range strings.Split(string(testfile.Read(t, path)), "\n") {
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "gene\t") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 6 {
			t.Fatalf("%s line %d: %d columns", path, i+1, len(f))
		}
		rows++
		gene, file, cands, phenotype, severity := f[0], f[1], f[2], f[4], f[5]
		t.Run(gene+"/"+file, func(t *testing.T) {
			rep := mustAnnotate(t, filepath.Join(data, "pgx", "pharmcat", "tests", gene, file), fixed(Options{Panels: []string{"ugt1a1", "tpmt", "nudt15"}}))
			b, err := json.Marshal(rep)
			if err != nil {
				t.Fatal(err)
			}
			validate(t, b)
			s := rep.Samples[0]
			var genes []string
			for _, p := range s.PGx {
				genes = append(genes, p.Gene)
			}
			if !slices.Equal(genes, []string{"UGT1A1", "TPMT", "NUDT15"}) {
				t.Fatalf("pgx entries %v, want UGT1A1, TPMT, NUDT15", genes)
			}
			if len(s.Findings) != 0 {
				t.Errorf("%d findings from PGx-only panels", len(s.Findings))
			}
			for _, p := range s.PGx {
				if p.Gene != gene {
					if p.Diplotype != "Unknown/Unknown" || p.Alert.Severity == "none" {
						t.Errorf("%s (not in the file): %q severity %q", p.Gene, p.Diplotype, p.Alert.Severity)
					}
					continue
				}
				var got []string
				for _, c := range p.Candidates {
					got = append(got, c.Diplotype)
				}
				want := []string(nil)
				if cands != "-" {
					want = strings.Split(cands, ",")
				}
				// The guideline texts (package guideline) may raise the call's severity, never lower it.
				if !slices.Equal(got, want) || p.Phenotype != phenotype || sevRank[p.Alert.Severity] < sevRank[severity] {
					t.Errorf("%s: candidates %q phenotype %q severity %q; want %q %q %q", gene, got, p.Phenotype, p.Alert.Severity, want, phenotype, severity)
				}
				if p.ActivityScore != nil {
					t.Errorf("%s: activity score %v; want none (phenotyped from allele function)", gene, *p.ActivityScore)
				}
				// Every result of these genes carries the CPIC/DPWG/FDA texts for its drugs.
				// An undetermined UGT1A1 has no DPWG or FDA text: the alert says so instead.
				if len(p.Recommendations) == 0 && (p.Phenotype != "Indeterminate" || !strings.Contains(p.Alert.Message, "no guideline gives a recommendation")) {
					t.Errorf("%s %s (%s): no recommendation, and the alert does not say why: %s", gene, p.Diplotype, p.Phenotype, p.Alert.Message)
				}
				for _, rec := range p.Recommendations {
					if !slices.Contains(guideline.Drugs(gene), rec.Drug) || rec.Text == "" || rec.Guideline == "" {
						t.Errorf("%s: recommendation %+v", gene, rec)
					}
				}
				if !strings.Contains(strings.Join(p.Sources, " "), "PharmCAT "+gene+" definition") {
					t.Errorf("%s: sources %v", gene, p.Sources)
				}
			}
		})
	}
	if rows < 41 {
		t.Fatalf("%d expectation rows, want every PharmCAT test file (41)", rows)
	}
}

// sevRank orders alert severities.
var sevRank = map[string]int{"none": 0, "caution": 1, "moderate": 2, "high": 3}

// TestPGxOrderAndPanels: DPYD first, then UGT1A1, TPMT, NUDT15 (pgx.Genes); only ordered
// panels are called (DESIGN.md rule 5); the default panels do not include the new genes.
func TestPGxOrderAndPanels(t *testing.T) {
	file := filepath.Join(oracle.Dir(t), "vcf-real", "pharmcat-preprocessor", "raw_chr.vcf")
	rep := mustAnnotate(t, file, fixed(Options{Panels: []string{"dpyd", "ugt1a1", "tpmt", "nudt15"}}))
	var genes []string
	for _, p := range rep.Samples[0].PGx {
		genes = append(genes, p.Gene)
	}
	if !slices.Equal(genes, pgx.Genes) {
		t.Errorf("pgx order %v, want %v", genes, pgx.Genes)
	}
	for _, o := range []Options{{}, {Panels: []string{"brca"}}, {Panels: []string{"tpmt"}}} {
		rep := mustAnnotate(t, file, fixed(o))
		var got []string
		for _, p := range rep.Samples[0].PGx {
			got = append(got, p.Gene)
		}
		want := map[string][]string{"": {"DPYD"}, "brca": nil, "tpmt": {"TPMT"}}[strings.Join(o.Panels, ",")]
		if !slices.Equal(got, want) {
			t.Errorf("panels %v: pgx %v, want %v", o.Panels, got, want)
		}
	}
}

// TestNamedGenesGRCh37: the knowledge base cannot place these genes on GRCh37; the report
// says so and never reads as normal, even with --missing reference.
func TestNamedGenesGRCh37(t *testing.T) {
	for _, missing := range []string{"no-call", "reference"} {
		rep := mustAnnotate(t, filepath.Join("..", "..", "testdata", "example.GRCh37.vcf"), fixed(Options{Panels: []string{"ugt1a1", "tpmt", "nudt15"}, Missing: missing}))
		if rep.Input.GenomeBuild != "GRCh37" {
			t.Fatalf("build %q", rep.Input.GenomeBuild)
		}
		for _, p := range rep.Samples[0].PGx {
			if p.Diplotype != "Unknown/Unknown" || p.Alert.Severity != "caution" || !strings.Contains(p.Alert.Message, "not covered on GRCh37") {
				t.Errorf("%s (missing %s): %q %q %q", p.Gene, missing, p.Diplotype, p.Alert.Severity, p.Alert.Message)
			}
		}
	}
}

// BenchmarkPGx100Samples measures the per-sample cost of calling all four pharmacogenes
// (DPYD, UGT1A1, TPMT, NUDT15) end to end — BGZF decompression, VCF parsing, panel filter,
// normalisation and the calls — on PharmCAT's 100-sample test file. PharmCAT publishes
// 0.55-5.9 s per sample for its whole pipeline.
//
//	go test -run '^$' -bench BenchmarkPGx100Samples -benchtime 20x ./internal/annotate
func BenchmarkPGx100Samples(b *testing.B) {
	data := testfile.Read(b, filepath.Join(oracle.Dir(b), "pgx", "pharmcat", "tests", "100samples.vcf.bgz"))
	a := annotator(b)
	opts := fixed(Options{Panels: []string{"dpyd", "ugt1a1", "tpmt", "nudt15"}, Concurrency: 1})
	samples := 0
	for b.Loop() {
		rep, err := a.Annotate(context.Background(), bytes.NewReader(data), "100samples.vcf.bgz", opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Samples[0].PGx) != 4 {
			b.Fatalf("%d pgx entries, want 4", len(rep.Samples[0].PGx))
		}
		samples += len(rep.Samples)
	}
	ns := float64(b.Elapsed().Nanoseconds()) / float64(samples)
	b.ReportMetric(ns, "ns/sample")
	b.ReportMetric(1e9/ns, "samples/s")
}

// TestPlannedDrugs: the planned drugs are recorded, put their genes' results first and decide
// which results raise an alert; every ordered gene is still reported, and the text report
// says which results raise none (issue 17). Real PharmCAT input: UGT1A1 *28/*37.
func TestPlannedDrugs(t *testing.T) {
	file := filepath.Join(oracle.Dir(t), "pgx", "pharmcat", "tests", "UGT1A1", "s28s37.vcf")
	for _, tc := range []struct {
		planned      []string
		recorded     []string
		order, raise []string
	}{
		{[]string{"FOLFIRI"}, []string{"folfiri"}, []string{"DPYD", "UGT1A1", "TPMT", "NUDT15"}, []string{"DPYD", "UGT1A1"}},
		{[]string{"6-MP"}, []string{"mercaptopurine"}, []string{"TPMT", "NUDT15", "DPYD", "UGT1A1"}, []string{"TPMT", "NUDT15"}},
		{nil, nil, []string{"DPYD", "UGT1A1", "TPMT", "NUDT15"}, []string{"DPYD", "UGT1A1", "TPMT", "NUDT15"}},
	} {
		rep := mustAnnotate(t, file, fixed(Options{Panels: []string{"dpyd", "ugt1a1", "tpmt", "nudt15"}, PlannedDrugs: tc.planned}))
		if !slices.Equal(rep.Input.PlannedDrugs, tc.recorded) {
			t.Errorf("planned %q: input.planned_drugs %q, want %q", tc.planned, rep.Input.PlannedDrugs, tc.recorded)
		}
		var order, raise []string
		for _, p := range rep.Samples[0].PGx {
			order = append(order, p.Gene)
			if guideline.Raises(p, rep.Input.PlannedDrugs) {
				raise = append(raise, p.Gene)
			}
			if p.Gene == "UGT1A1" {
				if p.Diplotype != "*28/*37" || p.Phenotype != "Poor Metabolizer" || !slices.Contains(p.Tags, "treatment:irinotecan-reduce-start-dose") {
					t.Errorf("planned %q: UGT1A1 %s %s tags %v", tc.planned, p.Diplotype, p.Phenotype, p.Tags)
				}
				if len(p.Recommendations) == 0 || p.Recommendations[0].Drug != "irinotecan" {
					t.Errorf("planned %q: UGT1A1 recommendations %+v, want irinotecan first", tc.planned, p.Recommendations)
				}
			}
		}
		if !slices.Equal(order, tc.order) || !slices.Equal(raise, tc.raise) {
			t.Errorf("planned %q: order %v raising %v; want %v raising %v", tc.planned, order, raise, tc.order, tc.raise)
		}
		var text strings.Builder
		if err := report.WriteText(&text, rep); err != nil {
			t.Fatal(err)
		}
		for _, p := range rep.Samples[0].PGx {
			alert := strings.Contains(text.String(), p.Gene+" DOSE ALERT [")
			if raised := slices.Contains(tc.raise, p.Gene); alert != raised {
				t.Errorf("planned %q: text shows %s as a dose alert: %v, want %v", tc.planned, p.Gene, alert, raised)
			}
		}
	}
}
