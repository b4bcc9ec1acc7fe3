package annotate

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/precis-dx/precis/internal/hgvs"
	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/transcript"
)

// Clinical tag rules (DESIGN.md, "Report", tags, and clinical rules 7 and 8). Each rule names
// the guideline it comes from; the report carries reason and source beside every tag so a
// clinician can see why a tag is there.
//
// A variant is actionable when ClinVar (or, for POLE in tumours, León-Castillo 2020) calls it
// pathogenic or likely pathogenic. What an actionable variant leads to depends on its context:
//
//   - the condition ClinVar classified it for (conditionScope): Lynch syndrome management only
//     for a Lynch syndrome condition, HBOC management only for a hereditary breast/ovarian
//     cancer condition; another specific condition (EPCAM's recessive congenital tufting
//     enteropathy, Fanconi anaemia) is named, with counselling and no panel tags;
//   - the specimen: in a tumour a variant may be somatic, so germline conclusions are replaced
//     by follow-up:germline-confirmation while treatment tags stay;
//   - the allelic balance of a germline call: a heterozygous call far from half the reads may be
//     mosaic, clonal haematopoiesis or an artefact, so it is confirmed before relatives are
//     tested or surgery is discussed.
//
// A novel predicted loss-of-function variant in BRCA1/2 or a mismatch-repair gene is never
// classified here; it is sent for expert review (DESIGN.md clinical rule 7).
const (
	srcPARP = "ESMO Clinical Practice Guidelines and NCCN Guidelines (breast, ovarian, pancreatic, prostate cancer); " +
		"olaparib/talazoparib/niraparib/rucaparib labels: PARP inhibitors for pathogenic or likely pathogenic BRCA1/2 variants"
	srcHBOC = "NCCN Guidelines: Genetic/Familial High-Risk Assessment: Breast, Ovarian, Pancreatic and Prostate; " +
		"ESMO hereditary breast-ovarian cancer guideline (Sessa et al., Ann Oncol 2023)"
	srcLynch = "NCCN Guidelines: Genetic/Familial High-Risk Assessment: Colorectal, Endometrial and Gastric; " +
		"ESMO/European Hereditary Tumour Group (Seppälä et al., Gut 2021; Lynch syndrome management)"
	srcMMRIO = "Pembrolizumab tissue-agnostic approval for MSI-H/dMMR solid tumours (FDA 2017); KEYNOTE-177 (André et al., N Engl J Med 2020); " +
		"confirm MMR deficiency by immunohistochemistry or MSI testing"
	srcPOLE = "ESGO/ESTRO/ESP guidelines for endometrial carcinoma (Concin et al., Int J Gynecol Cancer 2021); " +
		"León-Castillo et al., J Pathol 2020;250:323-335 (pathogenic POLE exonuclease-domain mutations)"
	srcVUS = "ACMG/AMP standards for the interpretation of sequence variants (Richards et al., Genet Med 2015): " +
		"a variant of uncertain significance should not be used in clinical decision making; reanalyse as evidence accrues"
	srcConfirm = "ACMG clinical laboratory standards for next-generation sequencing (Rehm et al., Genet Med 2013): " +
		"confirm calls of low quality (failed filters, low depth) with an orthogonal method before reporting"
	// srcCondition: the gene-disease relations the condition rules rest on.
	srcCondition = "ClinVar condition (CLNDN with CLNDISDB/MONDO ids) of the classification; ClinGen gene-disease validity " +
		"(BRCA1, BRCA2: hereditary breast and ovarian cancer; MLH1, MSH2, MSH6, PMS2: Lynch syndrome); " +
		"EPCAM: Lynch syndrome only through 3' deletions that silence MSH2 (Ligtenberg et al., Nat Genet 2009;41:112-117; " +
		"Kempers et al., Lancet Oncol 2011;12:49-55), loss of EPCAM function causes recessive congenital tufting enteropathy " +
		"(Sivagnanam et al., Gastroenterology 2008;135:429-437); biallelic BRCA2 and BRCA1 variants cause Fanconi anaemia " +
		"D1 and S, often with a hypomorphic allele (Howlett et al., Science 2002;297:606-609; Sawyer et al., Cancer Discov 2015;5:135-142)"
	// srcCMMRD: why constitutional MMR deficiency counts as a Lynch syndrome condition.
	srcCMMRD = "constitutional mismatch repair deficiency is the biallelic form of Lynch syndrome; heterozygous carriers " +
		"have Lynch syndrome (Wimmer et al., J Med Genet 2014;51:355-365)"
	srcNovelLoF = "ACMG/AMP standards (Richards et al., Genet Med 2015;17:405-424), PVS1 decision tree " +
		"(Abou Tayoun et al., Hum Mutat 2018;39:1517-1524); ClinGen ENIGMA BRCA1/2 VCEP specifications; " +
		"InSiGHT/ClinGen mismatch-repair VCEP specifications; NMD: a premature stop in the last exon or within " +
		"50-55 nt of the last exon-exon junction escapes nonsense-mediated decay (Nagy and Maquat, Trends Biochem Sci 1998;23:198-199)"
	srcTumour = "ESMO Precision Medicine Working Group (Mandelker et al., Ann Oncol 2019;30:1221-1231): a variant found by " +
		"tumour sequencing may be somatic; confirm it in a germline sample before germline conclusions"
	srcOncogenic = "ClinVar somatic classification (ONC oncogenicity: ClinGen/CGC/VICC, Horak et al., Genet Med 2022;24:986-998; " +
		"SCI somatic clinical impact: AMP/ASCO/CAP, Li et al., J Mol Diagn 2017;19:4-23)"
	srcBalance = "ACMG clinical laboratory standards for next-generation sequencing (Rehm et al., Genet Med 2013;15:733-747): " +
		"confirm calls of doubtful quality with an orthogonal method; clonal haematopoiesis and mosaicism confound germline " +
		"testing at low allele fractions (Weitzel et al., Genet Med 2018;20:809-816)"
)

// MinDepth is the read depth below which a reportable variant needs confirmation. 20x is the
// common minimum for germline NGS diagnostics (Rehm et al., Genet Med 2013; EuroGentest/ESHG
// 2016 guidelines for diagnostic NGS).
const MinDepth = 20

// Allelic balance (Rehm et al. 2013; Weitzel et al. 2018): a germline heterozygous call is
// expected near half the reads; below HetVAFLow the variant may be mosaic, clonal
// haematopoiesis (blood) or an artefact, above HetVAFHigh a deletion of the other allele or an
// artefact; a homozygous call below HomVAFMin is doubtful. These are the usual bounds of
// germline pipelines' allele-balance filters.
const (
	HetVAFLow  = 0.25
	HetVAFHigh = 0.75
	HomVAFMin  = 0.85
)

// NMDWindow is how far (nt) upstream of the last exon-exon junction a premature stop still
// escapes nonsense-mediated decay (the 50-55 nt rule; Nagy and Maquat 1998). The upper bound
// is used, so a stop at the edge is reported as possibly escaping: the review decides.
const NMDWindow = 55

// actionable reports whether a classification is pathogenic or likely pathogenic.
func actionable(class string) bool {
	return class == "pathogenic" || class == "likely_pathogenic"
}

// reportable reports whether a classification is worth a clinician's attention: actionable,
// uncertain, or disputed.
func reportable(class string) bool {
	return actionable(class) || class == "uncertain_significance" || class == "conflicting"
}

// The panel gene lists are the knowledge base's (kb.GenesOf); the rules name the groups they
// treat alike.
var (
	brcaGenes  = kb.GenesOf(kb.PanelBRCA)
	lynchGenes = kb.GenesOf(kb.PanelLynch)
	// mmrGenes are the mismatch-repair genes of the Lynch panel. EPCAM is on the panel but is
	// not a mismatch-repair gene: it causes Lynch syndrome only through 3' deletions that
	// silence MSH2, so the rules treat it apart.
	mmrGenes = slices.DeleteFunc(slices.Clone(lynchGenes), func(g string) bool { return g == "EPCAM" })
	// lofReviewGenes: a novel predicted loss-of-function variant asks for expert review
	// (DESIGN.md clinical rule 7). Loss of function is the disease mechanism of all six.
	lofReviewGenes = slices.Concat(brcaGenes, mmrGenes)
)

// ruleContext is what the tag rules know about a finding beyond the finding itself.
type ruleContext struct {
	specimen    string                 // germline | tumour
	poleHotspot bool                   // a POLE exonuclease-domain hotspot
	tx          *transcript.Transcript // the MANE Select transcript (NMD position); nil when unknown
	somatic     *kb.Somatic            // ClinVar's somatic classifications (ONC, SCI); nil when none
}

// findingTags returns the tags (with rationale) one finding raises.
func findingTags(f *report.Finding, c ruleContext) []report.Rationale {
	specimen, poleHotspot, tx := c.specimen, c.poleHotspot, c.tx
	name := f.Gene + " " + firstNonEmpty(f.HGVSc, f.HGVSg)
	var out []report.Rationale
	add := func(tag, reason, source string) {
		out = append(out, report.Rationale{Tag: tag, Reason: reason, Source: source, Finding: name})
	}
	germline := specimen != "tumour"
	class := f.Classification
	imbalance := germline && (reportable(class) || poleHotspot || novelLoF(f)) && allelicImbalance(f) != ""
	if imbalance {
		add("follow-up:confirmatory-testing", allelicImbalance(f)+": possible mosaicism, clonal haematopoiesis or artefact; "+
			"confirm with an orthogonal method (or a second sample) before cascade testing or risk-reducing surgery, which follow confirmation", srcBalance)
	}
	// germlineConfirm replaces the germline-only conclusions of a tumour finding.
	confirmed := false
	germlineConfirm := func(what string) {
		if !confirmed {
			add("follow-up:germline-confirmation", fmt.Sprintf("%s found in a tumour specimen may be somatic: confirm it in a germline sample (blood or saliva) before germline conclusions (%s)", name, what), srcTumour)
			confirmed = true
		}
	}
	scope, detail := conditionScope(f)
	switch {
	case actionable(class) && slices.Contains(brcaGenes, f.Gene) && scope == scopePanel:
		add("treatment:parp-inhibitor-candidate", fmt.Sprintf("%s variant in %s", class, f.Gene), srcPARP)
		if !germline {
			germlineConfirm("genetic counselling, cascade testing, risk-reducing surgery")
			break
		}
		add("follow-up:genetic-counselling", fmt.Sprintf("%s %s variant: hereditary breast and ovarian cancer risk (%s)", class, f.Gene, detail), srcHBOC+"; "+srcCondition)
		if !imbalance {
			add("follow-up:cascade-testing", "germline "+f.Gene+" variant: offer testing to blood relatives", srcHBOC)
			add("follow-up:risk-reducing-surgery-discussion", "germline "+f.Gene+" carrier: discuss risk-reducing mastectomy and salpingo-oophorectomy", srcHBOC)
		}
	case actionable(class) && slices.Contains(lynchGenes, f.Gene) && scope == scopePanel:
		src := srcLynch + "; " + srcCondition
		if strings.Contains(strings.ToLower(detail), "mismatch repair") {
			src += "; " + srcCMMRD
		}
		if !germline {
			add("treatment:immunotherapy-mmr-deficient", fmt.Sprintf("%s %s variant in the tumour: mismatch-repair deficiency likely", class, f.Gene), srcMMRIO)
			germlineConfirm("Lynch syndrome: colonoscopy surveillance, genetic counselling, cascade testing")
			break
		}
		add("follow-up:colonoscopy-surveillance", fmt.Sprintf("%s %s variant: Lynch syndrome colorectal cancer risk (%s)", class, f.Gene, detail), src)
		add("follow-up:genetic-counselling", fmt.Sprintf("%s %s variant: Lynch syndrome (%s)", class, f.Gene, detail), src)
		if !imbalance {
			add("follow-up:cascade-testing", "germline "+f.Gene+" variant: offer testing to blood relatives", srcLynch)
		}
	case actionable(class) && scope == scopeOther:
		// A specific condition outside the panel's syndrome: named, no panel tags.
		reason := fmt.Sprintf("%s %s variant: ClinVar classifies it for %s, not for %s; %s management does not follow from it",
			class, f.Gene, detail, panelSyndrome(f.Gene), panelSyndrome(f.Gene))
		if strings.HasPrefix(detail, "no ") {
			reason = fmt.Sprintf("%s %s variant with %s in ClinVar: EPCAM small variants cause recessive congenital tufting enteropathy, "+
				"and Lynch syndrome only when they act like a 3' deletion that silences MSH2; Lynch syndrome management does not follow without review", class, f.Gene, detail)
		}
		switch {
		case f.Gene == "EPCAM" && strings.HasPrefix(detail, "no "):
			add("follow-up:expert-review", reason+"; review whether it affects EPCAM's 3' end (MSH2 silencing)", srcCondition)
		case f.Gene != "EPCAM":
			// BRCA1/2 and MMR loss of function is the panel syndrome's mechanism: whether a
			// variant ClinVar lists for another condition (a tumour type, Fanconi anaemia, a
			// neurodevelopmental disorder) also carries the syndrome's risk is for an expert.
			add("follow-up:expert-review", reason+"; review whether "+panelSyndrome(f.Gene)+" risk applies", srcCondition)
		}
		if !germline {
			germlineConfirm("counselling about " + detail)
			break
		}
		add("follow-up:genetic-counselling", reason+"; counsel about the condition named (carrier status where it is recessive)", srcCondition)
	case f.Gene == "POLE" && poleHotspot && !germline:
		add("treatment:adjuvant-de-escalation-candidate", "pathogenic POLE exonuclease-domain mutation "+f.HGVSp+" in the tumour: POLE-ultramutated endometrial carcinoma", srcPOLE)
	}
	if onc := oncogenic(c.somatic); !germline && !actionable(class) && onc != "" {
		// ClinVar's somatic classification: treatment follows tumour biology; no germline
		// conclusion is drawn, so none needs confirming.
		switch {
		case slices.Contains(brcaGenes, f.Gene):
			add("treatment:parp-inhibitor-candidate", fmt.Sprintf("%s: %s in the tumour", f.Gene, onc), srcPARP+"; "+srcOncogenic)
		case slices.Contains(mmrGenes, f.Gene):
			add("treatment:immunotherapy-mmr-deficient", fmt.Sprintf("%s: %s in the tumour: mismatch-repair deficiency possible", f.Gene, onc), srcMMRIO+"; "+srcOncogenic)
		}
	}
	if novelLoF(f) {
		reason := "predicted loss of function, not classified in ClinVar: review against ACMG/AMP (PVS1; ClinGen/ENIGMA/InSiGHT specifications)"
		if note := nmdNote(f, tx); note != "" {
			reason += "; " + note
		}
		reason += "; not a pathogenic classification"
		add("follow-up:expert-review", reason, srcNovelLoF)
	}
	if class == "uncertain_significance" || class == "conflicting" {
		add("follow-up:reanalysis", fmt.Sprintf("%s variant in %s", class, f.Gene), srcVUS)
	}
	if reportable(class) || poleHotspot || novelLoF(f) {
		lowDepth := f.Depth != nil && *f.Depth < MinDepth
		failed := f.Filter != "PASS" && f.Filter != "." && f.Filter != ""
		switch {
		case failed && lowDepth:
			add("follow-up:confirmatory-testing", fmt.Sprintf("call failed filter %s and has depth %d (< %d)", f.Filter, *f.Depth, MinDepth), srcConfirm)
		case failed:
			add("follow-up:confirmatory-testing", "call failed filter "+f.Filter, srcConfirm)
		case lowDepth:
			add("follow-up:confirmatory-testing", fmt.Sprintf("depth %d is below %d", *f.Depth, MinDepth), srcConfirm)
		}
	}
	return out
}

func panelSyndrome(gene string) string {
	if slices.Contains(brcaGenes, gene) {
		return "hereditary breast and ovarian cancer"
	}
	if slices.Contains(lynchGenes, gene) {
		return "Lynch syndrome"
	}
	return "the panel's syndrome"
}

// allelicImbalance describes a germline call whose allele fraction does not fit its
// zygosity, or returns "".
func allelicImbalance(f *report.Finding) string {
	if f.VAF == nil || f.SVType != "" {
		return ""
	}
	v := *f.VAF
	switch {
	case f.Zygosity == "heterozygous" && (v < HetVAFLow || v > HetVAFHigh):
		return fmt.Sprintf("heterozygous call with allele fraction %.2f (expected %.2f-%.2f)", v, HetVAFLow, HetVAFHigh)
	case f.Zygosity == "homozygous" && v < HomVAFMin:
		return fmt.Sprintf("homozygous call with allele fraction %.2f (expected >= %.2f)", v, HomVAFMin)
	}
	return ""
}

// novelLoF reports whether f is a predicted loss-of-function variant in BRCA1/2 or a
// mismatch-repair gene that ClinVar does not classify.
func novelLoF(f *report.Finding) bool {
	return f.Classification == "not_in_knowledge_base" && f.SVType == "" &&
		slices.Contains(lofReviewGenes, f.Gene) && hgvs.LossOfFunction(f.Consequence)
}

// hgvsStop reads the protein position of a premature stop from an HGVS p. name:
// p.(Arg1443Ter) stops at codon 1443; p.(Thr843LysfsTer8) at codon 843+8-1.
var hgvsStop = regexp.MustCompile(`^p\.\(?[A-Z][a-z]{2}(\d+)(?:[A-Z][a-z]{2})?(fsTer(\d+|\?)|Ter)\)?$`)

// nmdNote says where a novel loss-of-function variant sits with respect to nonsense-mediated
// decay and PVS1's other caveats (Abou Tayoun et al. 2018), or "".
func nmdNote(f *report.Finding, tx *transcript.Transcript) string {
	switch f.Consequence {
	case "start_lost":
		return "initiation codon: PVS1 strength depends on an in-frame alternative start codon downstream"
	case "splice_donor_variant", "splice_acceptor_variant":
		return "canonical splice site: PVS1 strength depends on the predicted exon skipping or cryptic site use and whether the reading frame is kept"
	}
	if tx == nil || len(tx.Exons) < 1 {
		return ""
	}
	lastStart, _ := tx.ExonTx(len(tx.Exons)) // transcript position of the last exon's first base
	stopTx := 0
	if m := hgvsStop.FindStringSubmatch(f.HGVSp); m != nil {
		codon, _ := strconv.Atoi(m[1])
		switch {
		case m[2] == "Ter":
		case m[3] == "?":
			return "frameshift without a stop codon in the new frame: NMD cannot be predicted"
		default:
			n, _ := strconv.Atoi(m[3])
			codon += n - 1
		}
		stopTx = tx.CDSStart + (codon-1)*3
	} else if loc := tx.Locate(f.Normalized.Pos); loc.Exon == len(tx.Exons) {
		stopTx = loc.Tx // the stop lies at or after the variant
	}
	switch {
	case stopTx == 0:
		return ""
	case stopTx >= lastStart:
		return fmt.Sprintf("the premature stop lies in the last exon (exon %d): the transcript is expected to escape NMD, so PVS1 applies at reduced strength unless the truncated region is critical", len(tx.Exons))
	case lastStart-stopTx <= NMDWindow:
		return fmt.Sprintf("the premature stop lies %d nt before the last exon-exon junction (within %d nt, 50-55 nt rule): the transcript may escape NMD, so PVS1 may apply at reduced strength", lastStart-stopTx, NMDWindow)
	}
	return "the premature stop is expected to trigger NMD"
}

// oncogenic describes ClinVar's somatic classification when it calls the variant oncogenic or
// likely oncogenic, or gives it tier I or II somatic clinical impact; else "".
func oncogenic(s *kb.Somatic) string {
	if s == nil {
		return ""
	}
	var parts []string
	if s.Oncogenicity == "Oncogenic" || s.Oncogenicity == "Likely_oncogenic" {
		parts = append(parts, "ClinVar oncogenicity "+humanize(s.Oncogenicity))
	}
	if strings.HasPrefix(s.ClinicalImpact, "Tier_I_") || strings.HasPrefix(s.ClinicalImpact, "Tier_II_") {
		parts = append(parts, "ClinVar somatic clinical impact "+humanize(s.ClinicalImpact))
	}
	return strings.Join(parts, ", ")
}

// humanize writes a ClinVar VCF value with spaces for its underscores.
func humanize(s string) string { return strings.ReplaceAll(s, "_", " ") }

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
