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

// keptDB lists the CLNDISDB databases the knowledge base keeps, by ClinVar's tag, with the
// prefix an id is written with. MONDO is the ontology ClinGen and the condition rules use;
// MedGen is ClinVar's own concept id; OMIM names the Mendelian entry. MeSH, Orphanet and HPO
// ids add size without changing a rule.
var keptDB = map[string]string{"MONDO": "", "MedGen": "MedGen:", "OMIM": "OMIM:"}

// encodeConditions pairs ClinVar's CLNDN names with its CLNDISDB id lists (both
// '|'-separated, in the same order; "." for a condition without ids) in the table's encoding.
// ClinVar writes MONDO ids twice prefixed ("MONDO:MONDO:0005835"); the id is kept once.
func encodeConditions(clndn, clndisdb string) string {
	if clndn == "" || clndn == "." {
		return ""
	}
	names := strings.Split(clndn, "|")
	dbs := strings.Split(clndisdb, "|")
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString(cleanConditionName(n))
		if i >= len(dbs) {
			continue
		}
		first := true
		for _, id := range strings.Split(dbs[i], ",") {
			tag, val, ok := strings.Cut(id, ":")
			prefix, keep := keptDB[tag]
			if !ok || !keep || val == "" {
				continue
			}
			if first {
				b.WriteByte('=')
				first = false
			} else {
				b.WriteByte(',')
			}
			b.WriteString(prefix + val)
		}
	}
	return b.String()
}

// encodeMONDO converts the 2024 P/LP extract's CLNDISDB_MONDO value ("0010130|Name,
// 0013196|Name", commas inside names written %2C) to the table's encoding.
func encodeMONDO(v string) string {
	if v == "" || v == "." || v == "-" {
		return ""
	}
	var parts []string
	for _, c := range strings.Split(v, ",") {
		id, name, ok := strings.Cut(c, "|")
		if !ok {
			id, name = "", id
		}
		name = cleanConditionName(strings.ReplaceAll(name, "%2C", ","))
		if id != "" {
			name += "=MONDO:" + id
		}
		parts = append(parts, name)
	}
	return strings.Join(parts, "|")
}

// cleanConditionName keeps a name inside the table's encoding: no tab, '|' or '=' (ClinVar
// writes none), spaces as ClinVar's underscores.
func cleanConditionName(n string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '\t', '|', '=', ' ':
			return '_'
		}
		return r
	}, n)
}

// noSomatic reports whether an ONC or SCI value says ClinVar has no somatic classification.
func noSomatic(v string) bool {
	return v == "" || v == "." || strings.HasPrefix(v, "no_classification")
}
