package annotate

import (
	"fmt"
	"slices"

	"github.com/precis-dx/precis/internal/report"
)

// Clinical tag rules (DESIGN.md, "Report", tags; issue "Core" item 8). Each rule names the
// guideline it comes from; the report carries reason and source beside every tag so a
// clinician can see why a tag is there.
//
// A variant is actionable when ClinVar (or, for POLE in tumours, León-Castillo 2020) calls it
// pathogenic or likely pathogenic.
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
)

// MinDepth is the read depth below which a reportable variant needs confirmation. 20x is the
// common minimum for germline NGS diagnostics (Rehm et al., Genet Med 2013; EuroGentest/ESHG
// 2016 guidelines for diagnostic NGS).
const MinDepth = 20

// actionable reports whether a classification is pathogenic or likely pathogenic.
func actionable(class string) bool {
	return class == "pathogenic" || class == "likely_pathogenic"
}

// reportable reports whether a classification is worth a clinician's attention: actionable,
// uncertain, or disputed.
func reportable(class string) bool {
	return actionable(class) || class == "uncertain_significance" || class == "conflicting"
}

// findingTags returns the tags (with rationale) one finding raises.
func findingTags(f *report.Finding, specimen string, poleHotspot bool) []report.Rationale {
	name := f.Gene + " " + firstNonEmpty(f.HGVSc, f.HGVSg)
	var out []report.Rationale
	add := func(tag, reason, source string) {
		out = append(out, report.Rationale{Tag: tag, Reason: reason, Source: source, Finding: name})
	}
	germline := specimen == "germline"
	class := f.Classification
	switch {
	case actionable(class) && (f.Gene == "BRCA1" || f.Gene == "BRCA2"):
		add("treatment:parp-inhibitor-candidate", fmt.Sprintf("%s variant in %s", class, f.Gene), srcPARP)
		add("follow-up:genetic-counselling", fmt.Sprintf("%s %s variant: hereditary breast and ovarian cancer risk", class, f.Gene), srcHBOC)
		if germline {
			add("follow-up:cascade-testing", "germline "+f.Gene+" variant: offer testing to blood relatives", srcHBOC)
			add("follow-up:risk-reducing-surgery-discussion", "germline "+f.Gene+" carrier: discuss risk-reducing mastectomy and salpingo-oophorectomy", srcHBOC)
		}
	case actionable(class) && slices.Contains([]string{"MLH1", "MSH2", "MSH6", "PMS2", "EPCAM"}, f.Gene):
		add("follow-up:colonoscopy-surveillance", fmt.Sprintf("%s %s variant: Lynch syndrome colorectal cancer risk", class, f.Gene), srcLynch)
		add("follow-up:genetic-counselling", fmt.Sprintf("%s %s variant: Lynch syndrome", class, f.Gene), srcLynch)
		if germline {
			add("follow-up:cascade-testing", "germline "+f.Gene+" variant: offer testing to blood relatives", srcLynch)
		} else {
			add("treatment:immunotherapy-mmr-deficient", fmt.Sprintf("%s %s variant in the tumour: mismatch-repair deficiency likely", class, f.Gene), srcMMRIO)
		}
	case f.Gene == "POLE" && poleHotspot && !germline:
		add("treatment:adjuvant-de-escalation-candidate", "pathogenic POLE exonuclease-domain mutation "+f.HGVSp+" in the tumour: POLE-ultramutated endometrial carcinoma", srcPOLE)
	}
	if class == "uncertain_significance" || class == "conflicting" {
		add("follow-up:reanalysis", fmt.Sprintf("%s variant in %s", class, f.Gene), srcVUS)
	}
	if reportable(class) || poleHotspot {
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

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
