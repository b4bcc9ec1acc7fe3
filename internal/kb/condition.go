package kb

import "strings"

// Condition is one disease or phenotype ClinVar names for a classification: the CLNDN name
// (spaces for ClinVar's underscores) and the CLNDISDB database ids kept by the knowledge base
// (MONDO, MedGen and OMIM, written "MONDO:0005835", "MedGen:C4552100", "OMIM:609310"). It is a
// plain value.
type Condition struct {
	Name string
	IDs  []string
}

// Somatic is ClinVar's somatic classifications of a variant (the ONC and SCI INFO fields of
// ClinVar's VCF, https://www.ncbi.nlm.nih.gov/clinvar/docs/clinsig/): oncogenicity (ClinGen/
// CGC/VICC, Horak et al., Genet Med 2022) and somatic clinical impact (AMP/ASCO/CAP tiers,
// Li et al., J Mol Diagn 2017). Values are ClinVar's, verbatim; an empty value means ClinVar
// has none. Conditions are encoded as in the embedded table (see ParseConditions). A Somatic
// is a plain value.
type Somatic struct {
	Oncogenicity           string // ONC, e.g. "Oncogenic", "Likely_oncogenic"
	OncogenicityReview     string // ONCREVSTAT
	OncogenicityConditions string // ONCDN with ONCDISDB ids
	ClinicalImpact         string // SCI, e.g. "Tier_II_-_Potential"
	ClinicalImpactReview   string // SCIREVSTAT
	ClinicalImpactConds    string // SCIDN with SCIDISDB ids
}

// Conditions returns the entry's germline conditions (CLNDN with CLNDISDB ids).
func (e Entry) Conditions() []Condition { return ParseConditions(e.ConditionText) }

// ParseConditions decodes a condition list as the embedded table writes it: conditions
// separated by '|', each ClinVar's CLNDN name (underscores for spaces, as in ClinVar's VCF),
// followed by '=' and its comma-separated ids when it has any:
// "Lynch_syndrome=MONDO:0005835,MedGen:C4552100|not_provided". ClinVar's names contain
// neither '|' (its own separator) nor '=' (reserved in VCF INFO).
func ParseConditions(s string) []Condition {
	if s == "" {
		return nil
	}
	var out []Condition
	for _, c := range strings.Split(s, "|") {
		name, ids, _ := strings.Cut(c, "=")
		cond := Condition{Name: strings.ReplaceAll(name, "_", " ")}
		if ids != "" {
			cond.IDs = strings.Split(ids, ",")
		}
		out = append(out, cond)
	}
	return out
}
