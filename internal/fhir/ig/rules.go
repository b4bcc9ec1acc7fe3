package ig

import (
	"cmp"

	"github.com/precis-dx/precis/internal/pgx"
	"github.com/precis-dx/precis/internal/report"
)

// pseudonym is the identifier of a sample's Patient: the manifest's pseudonymous sample id
// when the service made the report (the id the lab and the alerts use), else the VCF column.
func Pseudonym(rep *report.Report, s *report.Sample) string {
	return cmp.Or(rep.ManifestSample(), s.SampleID)
}

// partialNormal returns the text that stands for a Normal Metabolizer that is not a complete
// normal test (alert severity other than none: DESIGN.md clinical rule 7), which is never
// coded as "Normal metabolizer"; ok is false for every other result.
func PartialNormal(p *pgx.Result) (string, bool) {
	if p.Phenotype != "Normal Metabolizer" || p.Alert.Severity == "none" || p.Alert.Severity == "" {
		return "", false
	}
	return "Indeterminate: normal at the tested CPIC positions only (alert " + p.Alert.Severity + "; see note)", true
}
