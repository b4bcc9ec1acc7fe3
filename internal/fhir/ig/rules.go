package ig

import (
	"cmp"
	"strings"

	"github.com/precis-dx/precis/internal/pgx"
	"github.com/precis-dx/precis/internal/report"
)

// pseudonym is the identifier of a sample's Patient: the manifest's pseudonymous sample id
// when the service made the report (the id the lab and the alerts use), else the VCF column.
func Pseudonym(rep *report.Report, s *report.Sample) string {
	return cmp.Or(rep.ManifestSample(), s.SampleID)
}

// PartialNormal returns the text that stands for a Normal Metabolizer that is not a complete
// normal test (alert severity other than none: DESIGN.md clinical rule 7), which is never
// coded as "Normal metabolizer"; ok is false for every other result. A result with
// loss-of-function evidence outside the CPIC definition is not coded either, whatever its
// CPIC phenotype: the true phenotype could be lower than the code would say.
func PartialNormal(p *pgx.Result) (string, bool) {
	if len(p.LossOfFunction) > 0 && p.Phenotype != "Indeterminate" {
		return "Indeterminate: CPIC alleles give " + p.Phenotype + ", but loss-of-function evidence outside the CPIC definition could lower it (alert " + p.Alert.Severity + "; see note)", true
	}
	if p.Phenotype != "Normal Metabolizer" || p.Alert.Severity == "none" || p.Alert.Severity == "" {
		return "", false
	}
	return "Indeterminate: normal at the tested CPIC positions only (alert " + p.Alert.Severity + "; see note)", true
}

// GuidelineBody is the body a recommendation's guideline field names first: "CPIC" for
// "CPIC guideline for fluoropyrimidines ..." (internal/pgx), "DPWG" for "DPWG: Annotation of
// ..." (package guideline).
func GuidelineBody(guideline string) string {
	w, _, _ := strings.Cut(guideline, " ")
	return strings.TrimSuffix(w, ":")
}
