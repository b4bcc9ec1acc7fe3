package kb

import (
	"github.com/precis-dx/precis/internal/oracle"
	"path/filepath"
	"strings"
	"testing"
)

// TestClinVarREFAgreesWithGenome checks every REF allele of the panel-gene records of both
// GRCh38 ClinVar files against the genome. Records whose bases the knowledge base does not
// hold (POLE introns, sites beyond the slices) cannot be checked and are counted.
func TestClinVarREFAgreesWithGenome(t *testing.T) {
	src := oracle.Dir(t)
	k := testKB(t)
	for _, file := range []string{clinvar2026, clinvar2024} {
		t.Run(filepath.Base(file), func(t *testing.T) {
			checked, unknown, other := 0, 0, 0
			for _, r := range readVCF(t, filepath.Join(src, file)) {
				if r.panelGeneOf() == "" {
					other++
					continue
				}
				got, ok := k.Genome.Fetch(r.chrom, r.pos, r.pos+len(r.ref)-1)
				if !ok {
					unknown++
					continue
				}
				checked++
				if got != r.ref {
					t.Errorf("line %d: %s:%d REF %s, genome %s", r.line, r.chrom, r.pos, r.ref, got)
				}
			}
			t.Logf("%s: %d REF alleles agree with the genome, %d outside the known bases, %d records of other genes",
				filepath.Base(file), checked, unknown, other)
			if checked < 9000 {
				t.Errorf("only %d REF alleles checked", checked)
			}
		})
	}
}

// TestDPYDPositionsAgreeWithGenome checks all PharmCAT DPYD positions' REF alleles.
func TestDPYDPositionsAgreeWithGenome(t *testing.T) {
	k := testKB(t)
	vs := cpicPositions(t, k)
	if len(vs) != 83 {
		t.Errorf("got %d DPYD positions, want 83", len(vs))
	}
	for _, v := range vs {
		got, ok := k.Genome.Fetch(v.Chromosome, v.Position, v.Position+len(v.Ref)-1)
		if !ok || got != v.Ref {
			t.Errorf("%s %s:%d: REF %s, genome %q (%v)", v.RSID, v.Chromosome, v.Position, v.Ref, got, ok)
		}
	}
}

// wantClass is the CLNSIG -> classification table of the design, written out here
// independently of ClassifyCLNSIG.
var wantClass = map[string]string{
	"Pathogenic":                   "pathogenic",
	"Likely_pathogenic":            "likely_pathogenic",
	"Pathogenic/Likely_pathogenic": "likely_pathogenic",
	"Uncertain_significance":       "uncertain_significance",
	"Likely_benign":                "likely_benign",
	"Benign":                       "benign",
	"Benign/Likely_benign":         "likely_benign",
	"Conflicting_classifications_of_pathogenicity": "conflicting",
	"other":         "not_in_knowledge_base",
	"not_provided":  "not_in_knowledge_base",
	"drug_response": "not_in_knowledge_base",
	"":              "not_in_knowledge_base", // no germline classification (somatic or oncogenicity only)
}

var wantStars = map[string]int{
	"practice_guideline":                                   4,
	"reviewed_by_expert_panel":                             3,
	"criteria_provided,_multiple_submitters,_no_conflicts": 2,
	"criteria_provided,_single_submitter":                  1,
	"criteria_provided,_conflicting_classifications":       1,
	"no_assertion_criteria_provided":                       0,
	"no_classification_provided":                           0,
}

// TestLookup picks records from the ClinVar files (the first of each CLNSIG class, and
// BRCA1 c.68_69del, Variation 17662) and checks what Lookup returns.
func TestLookup(t *testing.T) {
	src := oracle.Dir(t)
	k := testKB(t)
	recs26 := readVCF(t, filepath.Join(src, clinvar2026))
	recs24 := readVCF(t, filepath.Join(src, clinvar2024))
	in26 := map[string]bool{}
	for _, r := range recs26 {
		in26[r.chrom+":"+itoa(r.pos)+":"+r.ref+":"+r.alt] = true
	}
	type pick struct {
		name    string
		r       vcfRecord
		release string
	}
	var picks []pick
	seen := map[string]bool{}
	for _, r := range recs26 {
		sig := r.infoValue("CLNSIG")
		if _, known := wantClass[sig]; r.panelGeneOf() == "" || r.alt == "." || seen[sig] || !known {
			continue
		}
		seen[sig] = true
		picks = append(picks, pick{"2026 CLNSIG=" + sig, r, "ClinVar 2026-02-26"})
	}
	for _, r := range recs26 {
		if r.id == "17662" {
			picks = append(picks, pick{"BRCA1 c.68_69del", r, "ClinVar 2026-02-26"})
		}
	}
	var only24, both int
	for _, r := range recs24 {
		key := r.chrom + ":" + itoa(r.pos) + ":" + r.ref + ":" + r.alt
		if !in26[key] && only24 < 3 {
			only24++
			picks = append(picks, pick{"2024 only " + r.panelGeneOf(), r, "ClinVar 2024-12-15"})
		}
		if in26[key] && both < 2 {
			both++
			picks = append(picks, pick{"in both, 2026 wins", r, "ClinVar 2026-02-26"})
		}
	}
	if len(seen) < 10 || only24 < 3 || both < 2 {
		t.Fatalf("picked %d classes, %d 2024-only, %d in both", len(seen), only24, both)
	}
	for _, p := range picks {
		t.Run(p.name, func(t *testing.T) {
			r := p.r
			if p.release == "ClinVar 2026-02-26" && !strings.HasPrefix(p.name, "2026") && p.name != "BRCA1 c.68_69del" {
				// The 2026 record of the same variant is the oracle.
				for _, r26 := range recs26 {
					if r26.chrom == r.chrom && r26.pos == r.pos && r26.ref == r.ref && r26.alt == r.alt {
						r = r26
						break
					}
				}
			}
			e, ok := k.ClinVar.Lookup("chr"+r.chrom, r.pos, r.ref, r.alt)
			if !ok {
				t.Fatalf("Lookup(chr%s, %d, %s, %s) found nothing", r.chrom, r.pos, r.ref, r.alt)
			}
			sig, rev := r.infoValue("CLNSIG"), r.infoValue("CLNREVSTAT")
			if e.Release != p.release || e.VariationID != r.id || e.CLNSIG != sig || e.ReviewStatus != rev {
				t.Errorf("got %s %s %s %s, want %s %s %s %s", e.Release, e.VariationID, e.CLNSIG, e.ReviewStatus, p.release, r.id, sig, rev)
			}
			if want, ok := wantClass[sig]; ok && e.Classification != want {
				t.Errorf("classification %s, want %s", e.Classification, want)
			}
			if want, ok := wantStars[rev]; ok && e.Stars != want {
				t.Errorf("stars %d, want %d", e.Stars, want)
			}
			if e.Gene != r.panelGeneOf() || e.Chrom != "chr"+r.chrom || e.Pos != r.pos {
				t.Errorf("got %s %s:%d, want %s chr%s:%d", e.Gene, e.Chrom, e.Pos, r.panelGeneOf(), r.chrom, r.pos)
			}
			if rs := r.infoValue("RS"); rs != "" && e.RSID != "rs"+rs {
				t.Errorf("RSID %q, want rs%s", e.RSID, rs)
			}
			if mc := r.infoValue("MC"); mc != "" && len(e.MC) != strings.Count(mc, ",")+1 {
				t.Errorf("MC %v, want the labels of %s", e.MC, mc)
			}
			// The unprefixed contig name finds it too; another ALT does not.
			if _, ok := k.ClinVar.Lookup(r.chrom, r.pos, r.ref, r.alt); !ok {
				t.Errorf("Lookup(%s, ...) without chr found nothing", r.chrom)
			}
			if _, ok := k.ClinVar.Lookup("chr"+r.chrom, r.pos, r.ref, r.alt+"A"); ok {
				t.Error("Lookup found an ALT that is not in ClinVar")
			}
		})
	}
	if e, ok := k.ClinVar.Lookup("chr17", 43124027, "ACT", "A"); !ok || e.Classification != ClassPathogenic || e.Stars != 3 || e.Gene != "BRCA1" {
		t.Errorf("BRCA1 c.68_69del: got %+v, %v", e, ok)
	}
}

// TestClinVarContent checks that the knowledge base holds exactly the panel-gene records of
// both files (apart from ClinVar's reference-allele records), one per variant.
func TestClinVarContent(t *testing.T) {
	src := oracle.Dir(t)
	k := testKB(t)
	want := map[string]bool{}
	for _, file := range []string{clinvar2026, clinvar2024} {
		for _, r := range readVCF(t, filepath.Join(src, file)) {
			if r.panelGeneOf() != "" && r.alt != "." {
				want["chr"+r.chrom+":"+itoa(r.pos)+":"+r.ref+":"+r.alt] = true
			}
		}
	}
	n := 0
	for e := range k.ClinVar.All() {
		n++
		if !want[e.Chrom+":"+itoa(e.Pos)+":"+e.Ref+":"+e.Alt] {
			t.Errorf("%s:%d %s>%s is not in the source files", e.Chrom, e.Pos, e.Ref, e.Alt)
		}
		if !isClassification(e.Classification) || e.Stars < 0 || e.Stars > 4 {
			t.Errorf("%s:%d: classification %q, stars %d", e.Chrom, e.Pos, e.Classification, e.Stars)
		}
	}
	if n != len(want) || n != k.ClinVar.Len() {
		t.Errorf("got %d entries (Len %d), want %d", n, k.ClinVar.Len(), len(want))
	}
}

func TestClassifyCLNSIG(t *testing.T) {
	cases := map[string]string{
		"Pathogenic,_low_penetrance":                                           "pathogenic",
		"Likely_pathogenic,_low_penetrance":                                    "likely_pathogenic",
		"Pathogenic/Likely_pathogenic/Pathogenic,_low_penetrance":              "likely_pathogenic",
		"Conflicting_interpretations_of_pathogenicity":                         "conflicting",
		"Conflicting_classifications_of_pathogenicity|association|risk_factor": "conflicting",
		"Pathogenic|risk_factor":                                               "pathogenic",
		"risk_factor":                                                          "not_in_knowledge_base",
		"association":                                                          "not_in_knowledge_base",
		"Affects":                                                              "not_in_knowledge_base",
		"protective":                                                           "not_in_knowledge_base",
		"Uncertain_risk_allele":                                                "not_in_knowledge_base",
		"no_classification_for_the_single_variant":                             "not_in_knowledge_base",
		"":                              "not_in_knowledge_base",
		"Pathogenic/Likely_risk_allele": "not_in_knowledge_base",
	}
	checkCases(t, "ClassifyCLNSIG", ClassifyCLNSIG, cases, wantClass)
}

func TestReviewStars(t *testing.T) {
	cases := map[string]int{"criteria_provided,_conflicting_interpretations": 1, "": 0, "no_classifications_from_unflagged_records": 0}
	checkCases(t, "ReviewStars", ReviewStars, cases, wantStars)
}

// checkCases runs f, named name, on every string the tables name, each as a subtest, and
// wants the value the table gives it (the last table that names it).
func checkCases[T comparable](t *testing.T, name string, f func(string) T, tables ...map[string]T) {
	t.Helper()
	cases := map[string]T{}
	for _, tab := range tables {
		for in, want := range tab {
			cases[in] = want
		}
	}
	for in, want := range cases {
		t.Run(in, func(t *testing.T) {
			if got := f(in); got != want {
				t.Errorf("%s(%q) = %v, want %v", name, in, got, want)
			}
		})
	}
}

func itoa(n int) string { return strconvItoa(n) }
