package reanalysis

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/report"
)

// clinvarRecord is one ClinVar VCF record of the oracle.
type clinvarRecord struct {
	id, chrom      string
	pos            int
	ref, alt, gene string
	clnsig, revst  string
	release        string
}

// oracleTier is the test's own reading of CLNSIG, independent of kb.ClassifyCLNSIG: every
// value the two releases hold, written out. "PLP" marks the combined value, which is on the
// actionable side like P and LP; the tiers are compared for the actionable line and for
// equality only.
var oracleTier = map[string]string{
	"Pathogenic":                   "P",
	"Likely_pathogenic":            "LP",
	"Pathogenic/Likely_pathogenic": "PLP",
	"Pathogenic/Likely_pathogenic/Pathogenic,_low_penetrance": "PLP",
	"Uncertain_significance":                                  "VUS",
	"Likely_benign":                                           "LB",
	"Benign":                                                  "B",
	"Benign/Likely_benign":                                    "BLB",
	"Conflicting_classifications_of_pathogenicity":            "CONF",
	"Conflicting_classifications_of_pathogenicity|association|risk_factor": "CONF",
	"other":         "NONE",
	"not_provided":  "NONE",
	"drug_response": "NONE",
	"no_classification_for_the_single_variant":  "NONE",
	"no_classifications_from_unflagged_records": "NONE",
	"": "NONE", // no CLNSIG: no germline classification (only a somatic one, or none yet)
}

// oracleSameClass: tiers the report vocabulary does not tell apart (the combined values take
// the lower certainty).
func oracleSameClass(a, b string) bool {
	norm := map[string]string{"PLP": "LP", "BLB": "LB"}
	return cmpOr(norm[a], a) == cmpOr(norm[b], b)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func oracleActionable(tier string) bool { return tier == "P" || tier == "LP" || tier == "PLP" }

// readClinVar reads the records of BRCA1, BRCA2 and MLH1 (the genes both files hold) from one
// ClinVar VCF, keyed by VariationID and allele.
func readClinVar(t *testing.T, path, release string) map[string]clinvarRecord {
	t.Helper()
	out := map[string]clinvarRecord{}
	for n, rec := range oracle.Records(t, path) {
		r := clinvarRecord{chrom: rec.Chrom, id: rec.ID, pos: rec.Pos, ref: rec.Ref, alt: rec.Alt, release: release,
			clnsig: rec.Info["CLNSIG"], revst: rec.Info["CLNREVSTAT"]}
		// GENE=BRCA1 (2024 subset); GENEINFO=BRCA1:672|LOC126862571:... (NCBI)
		for _, v := range []string{rec.Info["GENE"], rec.Info["GENEINFO"]} {
			for _, g := range strings.Split(v, "|") {
				g, _, _ = strings.Cut(g, ":")
				if g == "BRCA1" || g == "BRCA2" || g == "MLH1" {
					r.gene = g
					break
				}
			}
		}
		if r.gene == "" {
			continue
		}
		if _, ok := oracleTier[r.clnsig]; !ok {
			t.Fatalf("%s:%d: CLNSIG %q not in the oracle's table", path, n, r.clnsig)
		}
		k := fmt.Sprintf("%s %s:%d %s>%s", r.id, r.chrom, r.pos, r.ref, r.alt)
		if _, dup := out[k]; dup {
			t.Fatalf("%s:%d: %s twice", path, n, k)
		}
		out[k] = r
	}
	return out
}

// clinvarFinding is the finding a report shows for a variant ClinVar classifies as r (nil:
// not in the knowledge base), written as internal/annotate writes it.
func clinvarFinding(gene, chrom string, pos int, ref, alt string, r *clinvarRecord, kbVersion string) report.Finding {
	f := report.Finding{Gene: gene, Chrom: "chr" + chrom, Pos: pos, Ref: ref, Alt: alt,
		Normalized: report.Allele{Pos: pos, Ref: ref, Alt: alt}, Tags: []string{},
		Classification:       "not_in_knowledge_base",
		ClassificationSource: "not in the ClinVar releases of knowledge base " + kbVersion}
	if r != nil {
		stars := kb.ReviewStars(r.revst)
		f.Classification = kb.ClassifyCLNSIG(r.clnsig)
		f.ClinVarID = r.id
		f.ClassificationSource = fmt.Sprintf("ClinVar %s, VariationID %s: %s; review status %s (%d stars)",
			r.release, r.id, r.clnsig, strings.ReplaceAll(r.revst, "_", " "), stars)
	}
	return f
}

// TestCompareClinVarReleases is the oracle of issue 15's acceptance test, computed directly
// from the two real ClinVar files: a report made with a knowledge base of the 2024-12 P/LP
// subset alone, and the same input reported again once the 2026-02 release is added (the
// newer release wins where both classify a variant; a variant only in the older release keeps
// its class). Every BRCA1, BRCA2 and MLH1 variant either file holds is one finding. The
// expected impact of each comes from the two CLNSIG (and CLNREVSTAT) values through the
// test's own table; Compare must give exactly those changes.
func TestCompareClinVarReleases(t *testing.T) {
	dir := filepath.Join(oracle.Dir(t), "clinvar")
	old := readClinVar(t, filepath.Join(dir, "panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz"), "2024-12-15")
	cur := readClinVar(t, filepath.Join(dir, "clinvar_genes.GRCh38.20260226.vcf.gz"), "2026-02-26")
	const kbOld, kbNew = "2024.12-oracle", "2026.02-oracle"

	keys := make([]string, 0, len(old)+len(cur))
	for k := range old {
		keys = append(keys, k)
	}
	for k := range cur {
		if _, ok := old[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)

	prev := &report.Report{KnowledgeBase: report.KnowledgeBase{Version: kbOld}, Samples: []report.Sample{{SampleID: "S1"}}}
	next := &report.Report{KnowledgeBase: report.KnowledgeBase{Version: kbNew}, Samples: []report.Sample{{SampleID: "S1"}}}
	type expectation struct{ impact, category string }
	want := map[string]expectation{} // by Change.Variant
	counts := map[string]int{}
	for _, k := range keys {
		o, inOld := old[k]
		c, inCur := cur[k]
		loc := o
		if !inOld {
			loc = c
		}
		var po, nr *clinvarRecord
		if inOld {
			po = &o
		}
		switch { // newer wins
		case inCur:
			nr = &c
		case inOld:
			nr = &o
		}
		pf := clinvarFinding(loc.gene, loc.chrom, loc.pos, loc.ref, loc.alt, po, kbOld)
		nf := clinvarFinding(loc.gene, loc.chrom, loc.pos, loc.ref, loc.alt, nr, kbNew)
		prev.Samples[0].Findings = append(prev.Samples[0].Findings, pf)
		next.Samples[0].Findings = append(next.Samples[0].Findings, nf)

		// The oracle: impact from the two ClinVar records alone.
		pt, nt := "ABSENT", oracleTier[nr.clnsig]
		if inOld {
			pt = oracleTier[o.clnsig]
		}
		var e expectation
		switch {
		case oracleActionable(pt) != oracleActionable(nt):
			e.impact = Major
			switch {
			case !inOld:
				e.category = "not in the old knowledge base -> P/LP"
			case nt == "CONF":
				e.category = "P/LP -> conflicting"
			default:
				e.category = "P/LP -> " + nt
			}
		case pt == "ABSENT" && nt == "NONE":
			// ClinVar names the variant without a germline class ("other", no CLNSIG): it
			// stays not_in_knowledge_base, nothing to tell.
			e.category = "not in the old knowledge base -> no germline class, unchanged"
		case pt == "ABSENT":
			e = expectation{Minor, "not in the old knowledge base -> " + nt}
		case !oracleSameClass(pt, nt):
			e = expectation{Minor, "P <-> LP"}
		case o.clnsig != nr.clnsig:
			e = expectation{Minor, "same class, CLNSIG wording changed (P/LP <-> LP)"}
		case o.revst != nr.revst || o.id != nr.id:
			e = expectation{Minor, "same class, review status changed"}
		case inCur:
			e.category = "in both, unchanged"
		default:
			e.category = "only in the old release, unchanged"
		}
		counts[e.category]++
		if e.impact != "" {
			want[variantName(&nf)] = e
		}
	}
	// Matching is by variant, never by place: the new report lists its findings in another
	// order.
	slices.Reverse(next.Samples[0].Findings)

	changes := Compare(prev, next)
	seen := map[string]bool{}
	for _, ch := range changes {
		e, ok := want[ch.Variant]
		switch {
		case !ok:
			t.Errorf("unexpected change %+v", ch)
		case seen[ch.Variant]:
			t.Errorf("second change for %s: %+v", ch.Variant, ch)
		case ch.Impact != e.impact:
			t.Errorf("%s (%s): impact %s, want %s; %+v", ch.Variant, e.category, ch.Impact, e.impact, ch)
		case ch.KBFrom != kbOld || ch.KBTo != kbNew || ch.SampleID != "S1":
			t.Errorf("%s: versions or sample wrong: %+v", ch.Variant, ch)
		}
		seen[ch.Variant] = true
	}
	for v, e := range want {
		if !seen[v] {
			t.Errorf("%s (%s): no change, want %s", v, e.category, e.impact)
		}
	}
	if !slices.IsSortedFunc(changes, compare) {
		t.Error("changes not sorted")
	}
	major, minor := Summary(changes)
	t.Logf("%d BRCA1/BRCA2/MLH1 variants (2024-12 P/LP subset: %d, 2026-02 release: %d): %d changes, %d major, %d minor",
		len(keys), len(old), len(cur), len(changes), major, minor)
	cats := make([]string, 0, len(counts))
	for c := range counts {
		cats = append(cats, c)
	}
	slices.Sort(cats)
	for _, c := range cats {
		t.Logf("  %-62s %6d", c, counts[c])
	}
	// The categories of issue 15's acceptance test are all present in the real data.
	for _, c := range []string{"P/LP -> conflicting", "not in the old knowledge base -> P/LP", "P <-> LP", "in both, unchanged"} {
		if counts[c] == 0 {
			t.Errorf("no variant in category %q", c)
		}
	}
}
