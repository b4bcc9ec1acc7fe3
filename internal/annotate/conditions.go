package annotate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/report"
)

// Condition rules (DESIGN.md clinical rule 8): a panel's management follows from a
// pathogenic variant only when ClinVar classified it for the panel's syndrome. The ids and
// names below are those ClinVar uses for the panel genes (CLNDN/CLNDISDB of the 2026 file
// and CLNDISDB_MONDO of the 2024 P/LP extract in the knowledge base).

// scope says which rules a finding's conditions call for.
type scope int

const (
	scopeNone  scope = iota // not a BRCA or Lynch gene: no condition rule
	scopePanel              // the panel's syndrome (Lynch, HBOC), or no specific condition (the gene's default)
	scopeOther              // only specific conditions outside the panel's syndrome
)

// lynchMONDO are the MONDO ids of Lynch syndrome and its subtypes as ClinVar lists them for
// the Lynch genes: Lynch syndrome 0005835; Lynch syndrome 1 (MSH2) 0007356; hereditary
// nonpolyposis colorectal cancer type 2 (MLH1) 0012249; Lynch syndrome 4 (PMS2) 0013699;
// Lynch syndrome 5 (MSH6) 0013710; Lynch syndrome 8 (EPCAM) 0013196; hereditary nonpolyposis
// colon cancer 0018630; Muir-Torré syndrome (a Lynch syndrome phenotype) 0008018; and
// mismatch repair cancer syndromes 1-4 (constitutional MMR deficiency, the biallelic form of
// Lynch syndrome: Wimmer et al., J Med Genet 2014) 0010159, 0030840, 0030841, 0030843.
var lynchMONDO = []string{
	"MONDO:0005835", "MONDO:0007356", "MONDO:0012249", "MONDO:0013699", "MONDO:0013710", "MONDO:0013196",
	"MONDO:0018630", "MONDO:0008018", "MONDO:0010159", "MONDO:0030840", "MONDO:0030841", "MONDO:0030843",
}

// lynchNames match Lynch syndrome conditions without a MONDO id ("Hereditary nonpolyposis
// colorectal neoplasms", "Inherited MMR deficiency (Lynch syndrome)", "Lynch-like syndrome").
var lynchNames = []string{"lynch", "nonpolyposis", "hnpcc", "muir-torr", "mismatch repair cancer syndrome", "mmr deficiency"}

// lynchCancers are Lynch-spectrum cancers: a submitter's colorectal or endometrial cancer
// condition for an MLH1, MSH2, MSH6 or PMS2 variant is the Lynch syndrome phenotype (ClinGen:
// these genes' only established cancer mechanism is Lynch syndrome). Not for EPCAM, whose
// point variants do not cause Lynch syndrome.
var lynchCancers = []string{"colorectal", "colon", "rectal", "endometri", "uterine", "uteri"}

// hbocMONDO: hereditary breast and ovarian cancer syndrome 0003582; breast-ovarian cancer,
// familial, susceptibility to 1 (BRCA1) 0011450 and 2 (BRCA2) 0012933; BRCA1- and
// BRCA2-related cancer predisposition 0700268, 0700269 (ClinGen's names for the HBOC
// spectrum); familial cancer of breast 0016419.
var hbocMONDO = []string{"MONDO:0003582", "MONDO:0011450", "MONDO:0012933", "MONDO:0700268", "MONDO:0700269", "MONDO:0016419"}

// hbocNames match HBOC conditions and the BRCA-related cancers ClinVar submitters name
// ("Breast and/or ovarian cancer", "Inherited breast cancer and ovarian cancer", "Malignant
// tumor of breast", "Pancreatic cancer, susceptibility to, 4", "Familial prostate cancer"):
// breast, ovarian, tubal, peritoneal, pancreatic and prostate cancer are the BRCA1/2 cancer
// spectrum of the NCCN and ESMO guidelines the HBOC tags cite. Fanconi anaemia and the
// childhood tumours of biallelic BRCA2 (medulloblastoma, Wilms tumour, glioma) are not:
// biallelic FA alleles are often hypomorphic (Howlett et al. 2002; Sawyer et al. 2015), so an
// FA condition alone does not establish a heterozygote's breast/ovarian cancer risk.
var hbocNames = []string{"breast", "ovar", "hboc", "brca1-related cancer", "brca2-related cancer", "fallopian", "peritone", "pancrea", "prostate"}

// nonSpecific are ClinVar conditions that name no disease (submitters' placeholders) or only
// a cancer predisposition in general. They leave the gene's default rules in force: ClinVar
// classified the variant for the gene's cancer predisposition (MONDO:0015356, hereditary
// cancer-predisposing syndrome, is how most clinical laboratories submit BRCA and MMR
// variants), and for BRCA1/2 and the MMR genes that is HBOC or Lynch syndrome.
var nonSpecific = []string{
	"not provided", "not specified", "hereditary cancer-predisposing syndrome", "inborn genetic diseases",
	"hereditary cancer", "hereditary cancer syndrome", "see cases", "neoplasm", "cancer", "tumor",
	"nice approved parp inhibitor treatment",
}

// conditionScope classifies a finding's ClinVar conditions for its gene and describes the
// conditions that decided it. When a record lists several conditions, any condition of the
// panel's syndrome qualifies.
func conditionScope(f *report.Finding) (scope, string) {
	brca, lynch := slices.Contains(brcaGenes, f.Gene), slices.Contains(lynchGenes, f.Gene)
	if !brca && !lynch {
		return scopeNone, ""
	}
	var qualifying, specific, general []string
	for _, c := range f.Condition {
		switch {
		case brca && isHBOC(c), lynch && isLynch(c, f.Gene):
			qualifying = append(qualifying, conditionLabel(c))
		case isNonSpecific(c, f.Gene):
			general = append(general, c.Name)
		default:
			specific = append(specific, conditionLabel(c))
		}
	}
	switch {
	case len(qualifying) > 0:
		return scopePanel, "ClinVar condition: " + listSome(qualifying)
	case len(specific) > 0:
		return scopeOther, listSome(specific)
	case f.Gene == "EPCAM" && f.SVType == "":
		// EPCAM small variants cause Lynch syndrome only if they act like a 3' deletion.
		what := "no condition"
		if len(general) > 0 {
			what = "no specific condition (" + listSome(general) + ")"
		}
		return scopeOther, what
	case len(general) > 0:
		return scopePanel, "ClinVar gives no specific condition (" + listSome(general) + "): " + f.Gene + " default"
	}
	return scopePanel, "no ClinVar condition: " + f.Gene + " default"
}

func isLynch(c report.Condition, gene string) bool {
	if hasAnyID(c, lynchMONDO) || containsAny(c.Name, lynchNames) {
		return true
	}
	return gene != "EPCAM" && containsAny(c.Name, lynchCancers)
}

func isHBOC(c report.Condition) bool {
	return hasAnyID(c, hbocMONDO) || containsAny(c.Name, hbocNames)
}

func isNonSpecific(c report.Condition, gene string) bool {
	n := strings.ToLower(strings.TrimSpace(c.Name))
	return n == "" || slices.Contains(nonSpecific, n) || n == strings.ToLower(gene)+"-related disorder" ||
		slices.Contains(c.IDs, "MONDO:0015356")
}

func hasAnyID(c report.Condition, ids []string) bool {
	for _, id := range c.IDs {
		if slices.Contains(ids, id) {
			return true
		}
	}
	return false
}

func containsAny(name string, parts []string) bool {
	n := strings.ToLower(name)
	for _, p := range parts {
		if strings.Contains(n, p) {
			return true
		}
	}
	return false
}

// conditionLabel names a condition with its MONDO id when it has one.
func conditionLabel(c report.Condition) string {
	for _, id := range c.IDs {
		if strings.HasPrefix(id, "MONDO:") {
			return c.Name + " (" + id + ")"
		}
	}
	return c.Name
}

// listSome joins up to three names and counts the rest.
func listSome(names []string) string {
	if len(names) <= 3 {
		return strings.Join(names, "; ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:3], "; "), len(names)-3)
}

// somaticSource describes ClinVar's somatic classifications for a tumour finding's
// classification_source: "ClinVar somatic: oncogenicity Likely oncogenic (criteria provided,
// single submitter; Neoplasm)". "" when ClinVar has none.
func somaticSource(s *kb.Somatic) string {
	if s == nil {
		return ""
	}
	var parts []string
	one := func(what, class, review, conds string) {
		if class == "" {
			return
		}
		p := what + " " + humanize(class)
		var in []string
		if review != "" {
			in = append(in, humanize(review))
		}
		for _, c := range kb.ParseConditions(conds) {
			in = append(in, c.Name)
		}
		if len(in) > 0 {
			p += " (" + strings.Join(in, "; ") + ")"
		}
		parts = append(parts, p)
	}
	one("oncogenicity", s.Oncogenicity, s.OncogenicityReview, s.OncogenicityConditions)
	one("clinical impact", s.ClinicalImpact, s.ClinicalImpactReview, s.ClinicalImpactConds)
	if len(parts) == 0 {
		return ""
	}
	return "ClinVar somatic: " + strings.Join(parts, "; ")
}
