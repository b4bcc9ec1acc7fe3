package fhir

import (
	"bytes"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/assembly"
	"github.com/precis-dx/precis/internal/fhir/fhirtest"
	"github.com/precis-dx/precis/internal/fhir/ig"
)

// TestGRCh37Assembly: a report of GRCh37 input is coded as GRCh37 (LOINC LA14029-5 in the
// answer list LL1040-6 of 62374-4), with its GRCh37 RefSeq accessions, and never as GRCh38.
// The report is the golden example.json with its input moved to GRCh37: the findings at the
// GRCh37 positions of the same DNA, mapped exon by exon on the MANE exon models of both
// builds in ../shared/data/genes/sequence/exon_models.tsv (DPYD c.2846A>T at chr1:97547947,
// as genes/build_markers.GRCh37_vs_GRCh38.tsv gives rs67376798), hgvs_c and hgvs_p unchanged.
func TestGRCh37Assembly(t *testing.T) {
	r := readReport(t, "../annotate/testdata/golden/example.json")
	r.Input.GenomeBuild = "GRCh37"
	r.Input.BuildEvidence = []assembly.Evidence{{Kind: "header", Detail: "##reference=GRCh37", Build: "GRCh37"}}
	moved := map[string]struct {
		chrom  string
		pos    int
		hgvsG  string
		accGRC string
	}{
		"DPYD":  {"1", 97547947, "NC_000001.10:g.97547947T>A", "NC_000001.10"},
		"BRCA2": {"13", 32914437, "NC_000013.10:g.32914438del", "NC_000013.10"},
		"MLH1":  {"3", 37081677, "NC_000003.11:g.37081677T>A", "NC_000003.11"},
	}
	wantAcc := map[string]string{} // hgvs_g -> accession
	for i := range r.Samples {
		for j := range r.Samples[i].Findings {
			f := &r.Samples[i].Findings[j]
			m, ok := moved[f.Gene]
			if !ok {
				t.Fatalf("example.json has a %s finding this test does not move to GRCh37", f.Gene)
			}
			f.Chrom, f.Pos, f.HGVSg = m.chrom, m.pos, m.hgvsG
			wantAcc[m.hgvsG] = m.accGRC
		}
	}
	if len(wantAcc) != len(moved) {
		t.Fatalf("moved %d findings, want %d", len(wantAcc), len(moved))
	}

	got := render(t, r)
	for _, p := range fhirtest.ValidateFor(r, got) {
		t.Error(p)
	}
	for _, grch38 := range []string{ig.AnswerGRCh38, "NC_000001.11", "NC_000013.11", "NC_000003.12", `"GRCh38"`} {
		if bytes.Contains(got, []byte(grch38)) {
			t.Errorf("the bundle of a GRCh37 report holds %s", grch38)
		}
	}
	if !bytes.Contains(got, []byte(`Genome build: GRCh37`)) {
		t.Error("the report's narrative does not say Genome build: GRCh37")
	}

	b, err := Bundle(r)
	if err != nil {
		t.Fatal(err)
	}
	variants := 0
	for _, e := range b.Entry {
		o, ok := e.Resource.(*Observation)
		if !ok || o.Meta == nil || o.Meta.Profile[0] != ig.ProfileVariant {
			continue
		}
		variants++
		values := map[string]string{}
		for _, c := range o.Component {
			code := c.Code.Coding[0].Code
			switch {
			case c.ValueCodeableConcept == nil:
			case code == ig.LOINCAssembly:
				cc := c.ValueCodeableConcept
				if len(cc.Coding) != 1 || cc.Coding[0].System != ig.SysLOINC || cc.Coding[0].Code != ig.AnswerGRCh37 || cc.Coding[0].Display != "GRCh37" {
					t.Errorf("assembly component %+v, want LOINC %s GRCh37", cc, ig.AnswerGRCh37)
				}
				values[code] = cc.Coding[0].Code
			case len(c.ValueCodeableConcept.Coding) > 0:
				values[code] = c.ValueCodeableConcept.Coding[0].Code
			}
		}
		g := values[ig.LOINCHGVSg]
		acc, ok := wantAcc[g]
		if !ok {
			t.Errorf("Variant with genomic HGVS %q, want one of the moved findings'", g)
			continue
		}
		if values[ig.LOINCAssembly] != ig.AnswerGRCh37 {
			t.Errorf("%s: no GRCh37 assembly component", g)
		}
		if got := values[ig.LOINCGenomicRefSeq]; got != acc {
			t.Errorf("%s: genomic reference sequence %q, want %s", g, got, acc)
		}
		delete(wantAcc, g)
	}
	if variants != len(moved) || len(wantAcc) != 0 {
		t.Errorf("%d Variants, findings without one: %v", variants, keys(wantAcc))
	}
}

func keys(m map[string]string) string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return strings.Join(out, ", ")
}
