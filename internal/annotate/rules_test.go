package annotate

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/transcript"
)

// vcfCall is one sample call written into a test VCF.
type vcfCall struct {
	chrom         string
	pos           int
	ref, alt, fmt string // fmt: the FORMAT values after GT:AD, e.g. "0/1:50,50"
}

// annotateCalls annotates a one-sample GRCh38 VCF holding the calls.
func annotateCalls(t *testing.T, specimen string, calls ...vcfCall) *report.Sample {
	t.Helper()
	var b strings.Builder
	b.WriteString("##fileformat=VCFv4.2\n##reference=GRCh38\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n")
	for _, c := range calls {
		fmt.Fprintf(&b, "%s\t%d\t.\t%s\t%s\t50\tPASS\t.\tGT:AD\t%s\n", c.chrom, c.pos, c.ref, c.alt, c.fmt)
	}
	rep, err := annotator(t).Annotate(context.Background(), strings.NewReader(b.String()), "calls.vcf", fixed(Options{Specimen: specimen}))
	if err != nil {
		t.Fatal(err)
	}
	return &rep.Samples[0]
}

// clinvarCall returns a balanced heterozygous call of a ClinVar entry.
func clinvarCall(e kb.Entry) vcfCall {
	return vcfCall{e.Chrom, e.Pos, e.Ref, e.Alt, "0/1:50,50"}
}

// entryByID finds a ClinVar entry of the knowledge base by Variation ID.
func entryByID(t *testing.T, id string) kb.Entry {
	t.Helper()
	for e := range annotator(t).KB().ClinVar.All() {
		if e.VariationID == id {
			return e
		}
	}
	t.Fatalf("ClinVar Variation %s is not in the knowledge base", id)
	return kb.Entry{}
}

func only(t *testing.T, s *report.Sample, gene string) *report.Finding {
	t.Helper()
	var out *report.Finding
	for i := range s.Findings {
		if s.Findings[i].Gene == gene {
			if out != nil {
				t.Fatalf("two %s findings", gene)
			}
			out = &s.Findings[i]
		}
	}
	if out == nil {
		t.Fatalf("no %s finding in %+v", gene, s.Findings)
	}
	return out
}

func checkTags(t *testing.T, f *report.Finding, have, lack []string) {
	t.Helper()
	for _, tag := range have {
		if !slices.Contains(f.Tags, tag) {
			t.Errorf("%s %s lacks %s (has %v)", f.Gene, f.HGVSc, tag, f.Tags)
		}
	}
	for _, tag := range lack {
		if slices.Contains(f.Tags, tag) {
			t.Errorf("%s %s has %s (tags %v)", f.Gene, f.HGVSc, tag, f.Tags)
		}
	}
}

func reasonOf(s *report.Sample, tag string) string {
	for _, r := range s.TagRationale {
		if r.Tag == tag {
			return r.Reason + " | " + r.Source
		}
	}
	return ""
}

var (
	lynchFollowUps = []string{"follow-up:colonoscopy-surveillance", "follow-up:cascade-testing"}
	germlineOnly   = []string{"follow-up:cascade-testing", "follow-up:risk-reducing-surgery-discussion", "follow-up:colonoscopy-surveillance", "follow-up:genetic-counselling"}
)

// TestEPCAMConditions runs the five EPCAM P/LP records of the knowledge base (ClinVar
// 2024-12-15): four are classified for recessive congenital tufting enteropathy only and get
// no Lynch tags in either specimen; c.556-14A>G also names Lynch syndrome 8 and gets them.
func TestEPCAMConditions(t *testing.T) {
	var epcam []kb.Entry
	for e := range annotator(t).KB().ClinVar.All() {
		if e.Gene == "EPCAM" && kb.IsPLP(e.Classification) {
			epcam = append(epcam, e)
		}
	}
	if len(epcam) != 5 {
		t.Fatalf("%d EPCAM P/LP records, want 5", len(epcam))
	}
	for _, e := range epcam {
		lynch := strings.Contains(e.ConditionText, "Lynch")
		t.Run(fmt.Sprintf("%d %s>%s", e.Pos, e.Ref, e.Alt), func(t *testing.T) {
			g := annotateCalls(t, "germline", clinvarCall(e))
			f := only(t, g, "EPCAM")
			if len(f.Condition) == 0 || f.Condition[0].Name != "Congenital diarrhea 5 with tufting enteropathy" || !slices.Contains(f.Condition[0].IDs, "MONDO:0013184") {
				t.Errorf("condition %+v", f.Condition)
			}
			tum := annotateCalls(t, "tumour", clinvarCall(e))
			ft := only(t, tum, "EPCAM")
			if lynch {
				checkTags(t, f, append(lynchFollowUps, "follow-up:genetic-counselling"), nil)
				checkTags(t, ft, []string{"treatment:immunotherapy-mmr-deficient", "follow-up:germline-confirmation"}, germlineOnly)
				return
			}
			checkTags(t, f, []string{"follow-up:genetic-counselling"}, append(lynchFollowUps, "treatment:immunotherapy-mmr-deficient", "follow-up:expert-review"))
			if r := reasonOf(g, "follow-up:genetic-counselling"); !strings.Contains(r, "tufting enteropathy") || !strings.Contains(r, "not for Lynch syndrome") || !strings.Contains(r, "Sivagnanam") {
				t.Errorf("counselling reason %q", r)
			}
			checkTags(t, ft, []string{"follow-up:germline-confirmation"}, append(germlineOnly, "treatment:immunotherapy-mmr-deficient"))
		})
	}
}

// TestConditionScopes uses real ClinVar records of the BRCA and Lynch genes.
func TestConditionScopes(t *testing.T) {
	hboc := []string{"treatment:parp-inhibitor-candidate", "follow-up:genetic-counselling", "follow-up:cascade-testing", "follow-up:risk-reducing-surgery-discussion"}
	for _, tc := range []struct {
		name, id, gene string
		have, lack     []string
	}{
		// BRCA1 c.68_69del, expert panel: HBOC conditions.
		{"BRCA1 HBOC", "17662", "BRCA1", hboc, []string{"follow-up:expert-review"}},
		// BRCA2 Variation 559592: ClinVar lists Fanconi anaemia D1 only.
		{"BRCA2 Fanconi anaemia only", "559592", "BRCA2", []string{"follow-up:genetic-counselling", "follow-up:expert-review"}, []string{"treatment:parp-inhibitor-candidate", "follow-up:cascade-testing", "follow-up:risk-reducing-surgery-discussion"}},
		// BRCA2 Variation 52826 names "NICE approved PARP inhibitor treatment" first, and HBOC.
		{"BRCA2 many conditions", "52826", "BRCA2", hboc, nil},
		// MLH1 Variation 89945: Lynch syndrome, HNPCC type 2 (expert panel, likely pathogenic).
		{"MLH1 Lynch", "89945", "MLH1", []string{"follow-up:colonoscopy-surveillance", "follow-up:cascade-testing", "follow-up:genetic-counselling"}, nil},
		// MSH6 Variation 1329960: an intellectual developmental disorder only.
		{"MSH6 other condition", "1329960", "MSH6", []string{"follow-up:genetic-counselling", "follow-up:expert-review"}, lynchFollowUps},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := entryByID(t, tc.id)
			if !kb.IsPLP(e.Classification) {
				t.Fatalf("Variation %s is %s", tc.id, e.Classification)
			}
			s := annotateCalls(t, "germline", clinvarCall(e))
			f := only(t, s, tc.gene)
			checkTags(t, f, tc.have, tc.lack)
			if len(f.Condition) == 0 {
				t.Error("no condition")
			}
		})
	}
}

// TestHereditaryCancerPredisposingIsGeneDefault: MONDO:0015356 alone keeps the gene's tags.
func TestHereditaryCancerPredisposingIsGeneDefault(t *testing.T) {
	for _, gene := range []string{"BRCA1", "MSH2"} {
		f := &report.Finding{Gene: gene, Classification: "pathogenic", Condition: []report.Condition{
			{Name: "Hereditary cancer-predisposing syndrome", IDs: []string{"MONDO:0015356"}}, {Name: "not provided"}}}
		if s, d := conditionScope(f); s != scopePanel || !strings.Contains(d, "no specific condition") {
			t.Errorf("%s: scope %d %q", gene, s, d)
		}
	}
	// EPCAM small variants need a Lynch condition.
	f := &report.Finding{Gene: "EPCAM", Classification: "pathogenic", Condition: []report.Condition{{Name: "not provided"}}}
	if s, _ := conditionScope(f); s != scopeOther {
		t.Errorf("EPCAM not provided: scope %d, want other", s)
	}
	tags := findingTags(f, ruleContext{specimen: "germline"})
	if !slices.ContainsFunc(tags, func(r report.Rationale) bool { return r.Tag == "follow-up:expert-review" }) {
		t.Errorf("EPCAM without a condition: %+v", tags)
	}
}

// TestTumourContext: in a tumour, germline conclusions become germline confirmation and
// treatment tags stay (MLH1 c.1559-1G>C of the r12 conformance case; BRCA1 c.68_69del).
func TestTumourContext(t *testing.T) {
	s := annotateCalls(t, "tumour", vcfCall{"chr3", 37040185, "G", "C", "0/1:60,40"})
	f := only(t, s, "MLH1")
	checkTags(t, f, []string{"follow-up:germline-confirmation", "treatment:immunotherapy-mmr-deficient"}, germlineOnly)
	if r := reasonOf(s, "follow-up:germline-confirmation"); !strings.Contains(r, "Mandelker") || !strings.Contains(r, "may be somatic") {
		t.Errorf("reason %q", r)
	}
	s = annotateCalls(t, "tumour", vcfCall{"chr17", 43124027, "ACT", "A", "0/1:60,40"})
	checkTags(t, only(t, s, "BRCA1"), []string{"follow-up:germline-confirmation", "treatment:parp-inhibitor-candidate"}, germlineOnly)
}

// TestSomaticClassification: BRCA2 Variation 3257983 has no germline classification, only
// ClinVar's oncogenicity (Likely oncogenic, a somatic frameshift).
func TestSomaticClassification(t *testing.T) {
	e := entryByID(t, "3257983")
	if e.Somatic == nil || e.Classification != "not_in_knowledge_base" {
		t.Fatalf("entry %+v", e)
	}
	s := annotateCalls(t, "tumour", clinvarCall(e))
	f := only(t, s, "BRCA2")
	checkTags(t, f, []string{"treatment:parp-inhibitor-candidate", "follow-up:expert-review"}, germlineOnly)
	if !strings.Contains(f.ClassificationSource, "ClinVar somatic: oncogenicity Likely oncogenic") {
		t.Errorf("classification source %q", f.ClassificationSource)
	}
	if r := reasonOf(s, "treatment:parp-inhibitor-candidate"); !strings.Contains(r, "Horak") {
		t.Errorf("reason %q", r)
	}
	// In a germline specimen the somatic classification gives no treatment tag.
	g := annotateCalls(t, "germline", clinvarCall(e))
	checkTags(t, only(t, g, "BRCA2"), []string{"follow-up:expert-review"}, []string{"treatment:parp-inhibitor-candidate"})
}

// TestAllelicBalance: BRCA1 c.68_69del (ClinVar pathogenic) at several allele fractions.
func TestAllelicBalance(t *testing.T) {
	for _, tc := range []struct {
		fmt     string
		confirm bool
	}{
		{"0/1:95,5", true}, // the r10 conformance case
		{"0/1:80,20", true},
		{"0/1:20,80", true},
		{"0/1:55,45", false},
		{"1/1:40,60", true},
		{"1/1:5,95", false},
		{"0/1:.", false}, // no AD: nothing to judge
	} {
		t.Run(tc.fmt, func(t *testing.T) {
			s := annotateCalls(t, "germline", vcfCall{"chr17", 43124027, "ACT", "A", tc.fmt})
			f := only(t, s, "BRCA1")
			if !tc.confirm {
				checkTags(t, f, []string{"follow-up:cascade-testing", "follow-up:risk-reducing-surgery-discussion"}, []string{"follow-up:confirmatory-testing"})
				return
			}
			checkTags(t, f, []string{"follow-up:confirmatory-testing", "treatment:parp-inhibitor-candidate", "follow-up:genetic-counselling"},
				[]string{"follow-up:cascade-testing", "follow-up:risk-reducing-surgery-discussion"})
			if r := reasonOf(s, "follow-up:confirmatory-testing"); !strings.Contains(r, "clonal haematopoiesis") || !strings.Contains(r, "follow confirmation") || !strings.Contains(r, "Rehm") {
				t.Errorf("reason %q", r)
			}
		})
	}
	// A tumour's allele fraction says nothing about mosaicism.
	s := annotateCalls(t, "tumour", vcfCall{"chr17", 43124027, "ACT", "A", "0/1:95,5"})
	checkTags(t, only(t, s, "BRCA1"), nil, []string{"follow-up:confirmatory-testing"})
}

// TestNovelLossOfFunction: frameshifts and nonsense variants ClinVar does not list.
func TestNovelLossOfFunction(t *testing.T) {
	// BRCA1 c.2528_2529del p.(Thr843LysfsTer8), the r6 conformance case.
	s := annotateCalls(t, "germline", vcfCall{"chr17", 43093001, "TTG", "T", "0/1:50,50"})
	f := only(t, s, "BRCA1")
	if f.Classification != "not_in_knowledge_base" || f.Consequence != "frameshift_variant" {
		t.Fatalf("%s %s %s", f.HGVSc, f.Classification, f.Consequence)
	}
	checkTags(t, f, []string{"follow-up:expert-review"}, []string{"treatment:parp-inhibitor-candidate", "follow-up:cascade-testing"})
	r := reasonOf(s, "follow-up:expert-review")
	for _, want := range []string{"predicted loss of function, not classified in ClinVar: review against ACMG/AMP (PVS1; ClinGen/ENIGMA/InSiGHT specifications)",
		"expected to trigger NMD", "not a pathogenic classification", "Abou Tayoun", "ENIGMA", "InSiGHT", "Richards"} {
		if !strings.Contains(r, want) {
			t.Errorf("reason lacks %q: %s", want, r)
		}
	}

	// A novel frameshift in the last exon of each gene: NMD escape is said.
	k := annotator(t).KB()
	for _, gene := range lofReviewGenes {
		t.Run(gene+" last exon", func(t *testing.T) {
			tx := k.Transcripts[gene]
			lastStart, _ := tx.ExonTx(len(tx.Exons))
			for c := lastStart - tx.CDSStart + 10; c < tx.CDSEnd-tx.CDSStart-30; c += 7 {
				g, ok := tx.GenomicC(transcript.CPos{Base: c})
				if !ok {
					continue
				}
				ref, ok := k.Genome.Fetch(tx.Chrom, g, g+1)
				if !ok || ref[0] == ref[1] {
					continue // a homopolymer would left-align out of place
				}
				s := annotateCalls(t, "germline", vcfCall{tx.Chrom, g, ref, ref[:1], "0/1:50,50"})
				f := only(t, s, gene)
				if f.Classification != "not_in_knowledge_base" || f.Consequence != "frameshift_variant" {
					continue
				}
				checkTags(t, f, []string{"follow-up:expert-review"}, nil)
				if r := reasonOf(s, "follow-up:expert-review"); !strings.Contains(r, "last exon") || !strings.Contains(r, "escape NMD") {
					t.Errorf("%s %s: reason %q", f.HGVSc, f.HGVSp, r)
				}
				return
			}
			t.Fatal("no novel last-exon frameshift found")
		})
	}
}

func TestNMDNote(t *testing.T) {
	tx := annotator(t).KB().Transcripts["BRCA1"]
	lastStart, _ := tx.ExonTx(len(tx.Exons))
	codonAt := func(txPos int) int { return (txPos-tx.CDSStart)/3 + 1 }
	last := codonAt(lastStart) + 1              // a codon inside the last exon
	edge := codonAt(lastStart-NMDWindow+2) + 1  // within the window before the junction
	far := codonAt(lastStart-NMDWindow-100) - 1 // well upstream
	for _, tc := range []struct{ hgvsp, consequence, want string }{
		{fmt.Sprintf("p.(Arg%dTer)", last), "stop_gained", "last exon"},
		{fmt.Sprintf("p.(Thr%dLysfsTer3)", last-2), "frameshift_variant", "last exon"},
		{fmt.Sprintf("p.(Arg%dTer)", edge), "stop_gained", "may escape NMD"},
		{fmt.Sprintf("p.(Arg%dTer)", far), "stop_gained", "expected to trigger NMD"},
		{fmt.Sprintf("p.(Thr%dLysfsTer8)", far-20), "frameshift_variant", "expected to trigger NMD"},
		{"p.(Thr100LysfsTer?)", "frameshift_variant", "without a stop codon"},
		{"p.(Met1?)", "start_lost", "alternative start codon"},
		{"", "splice_donor_variant", "exon skipping"},
	} {
		f := &report.Finding{HGVSp: tc.hgvsp, Consequence: tc.consequence}
		if got := nmdNote(f, tx); !strings.Contains(got, tc.want) {
			t.Errorf("nmdNote(%s %s) = %q, want %q", tc.hgvsp, tc.consequence, got, tc.want)
		}
	}
}
