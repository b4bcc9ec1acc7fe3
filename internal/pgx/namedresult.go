package pgx

import (
	"fmt"
	"slices"
	"strings"
)

// phenotypeSeverity is the alert severity a named-allele gene's phenotype sets before the
// honesty rules (DESIGN.md clinical rules 1 and 7) raise it: "none" only for a normal
// metabolizer on a complete test, "moderate" for an intermediate (or possible intermediate)
// metabolizer, whose dose CPIC and DPWG reduce, "high" for a poor metabolizer, for whom they
// advise a drastic reduction or an alternative, and "caution" for anything that cannot be
// read (Indeterminate, no call). Drug-specific texts are the recommendation package's.
func phenotypeSeverity(phenotype string) string {
	switch phenotype {
	case "Normal Metabolizer":
		return "none"
	case "Intermediate Metabolizer", "Possible Intermediate Metabolizer":
		return "moderate"
	case "Poor Metabolizer":
		return "high"
	}
	return "caution"
}

// result writes a named-allele gene's Result.
func (c *nCaller) result() Result {
	m := c.m
	r := Result{Gene: m.gene, MissingPolicy: c.opts.Missing, UntestedPositions: []string{}, Recommendations: []Recommendation{},
		Alleles: []string{}, ScoreAlleles: []string{}, Tags: []string{}, Sources: m.sources(), Candidates: []Candidate{}, Functions: []string{}}
	var risky []string
	tested, assumed := 0, 0
	for p, g := range c.g {
		switch g.state {
		case nTested, nUndefined:
			tested++
			continue
		case nAssumed:
			assumed++
		}
		r.UntestedPositions = append(r.UntestedPositions, m.positions[p].RSID)
		if functionRank(m.positions[p].Function) <= 1 {
			risky = append(risky, strings.Join(m.positions[p].Alleles, ", ")+" ("+strings.ToLower(m.positions[p].Function)+", "+m.positions[p].RSID+")")
		}
	}
	for _, p := range sortedKeys(c.lowQ) {
		if c.g[p].state != nTested {
			r.UntestedReasons = append(r.UntestedReasons, Untested{RSID: m.positions[p].RSID, Reason: c.lowQ[p]})
		}
	}
	r.Complete = tested == len(m.positions) && len(c.lowCalls) == 0
	var notes []string
	confirm := func(note string) {
		notes = append(notes, note)
		addTag(&r, tagConfirm)
		if r.TagReasons == nil {
			r.TagReasons = map[string]TagReason{tagConfirm: {Reason: m.gene + ": " + note, Source: srcMatcher}}
		}
	}

	var cands []Candidate
	var pairs [][2]int
	switch {
	case tested == 0 && c.opts.Missing != MissingReference:
		c.warn(fmt.Sprintf("%s: none of the %d definition positions was tested; no call is possible", m.gene, len(m.positions)))
	case c.undefined:
	case len(c.partial) > 0:
	default:
		cands, pairs = c.match()
	}
	if len(cands) == 0 {
		r.Diplotype, r.Phenotype = unknownDiplotype, "Indeterminate"
		why := "no pair of named alleles matches the genotypes"
		switch {
		case tested == 0:
			why = "no definition position was tested"
		case c.undefined:
			why = "an allele the definition does not know was found"
		case len(c.partial) > 0:
			why = "a genotype has only one allele called"
		}
		r.Alert = Alert{Severity: "caution", Message: fmt.Sprintf("%s not called (%s; PharmCAT reports \"Not called\"): %s status is unknown; genotype-guided dosing is not possible.", m.gene, why, m.gene)}
		if tested > 0 && !c.undefined && len(c.partial) == 0 {
			c.warn(fmt.Sprintf("%s: the genotypes match no pair of named alleles (a novel haplotype or alleles in cis that the definition does not combine); not called", m.gene))
		}
		addTag(&r, tagConfirm)
		r.TagReasons = map[string]TagReason{tagConfirm: {Reason: r.Alert.Message, Source: srcMatcher}}
	} else {
		r.Candidates = cands
		top := cands[0].Score
		var tops []string
		for _, cd := range cands {
			if cd.Score == top {
				tops = append(tops, cd.Diplotype)
			}
		}
		best := cands[0]
		r.Diplotype, r.Phenotype, r.Functions = strings.Join(tops, " or "), best.Phenotype, best.Functions[:]
		r.Phased = len(cands) == 1
		for _, ai := range pairs[0] {
			if !m.alleles[ai].ref && !slices.Contains(r.Alleles, m.alleles[ai].name) {
				r.Alleles = append(r.Alleles, m.alleles[ai].name)
			}
		}
		slices.SortFunc(r.Alleles, compareStar)
		if best.Functions[0] == "n/a" || best.Functions[1] == "n/a" {
			c.warn(fmt.Sprintf("%s %s: the phenotype table (%s_phenotype.json %s) has no function for this allele, so no phenotype can be given; reported as Indeterminate (PharmCAT 3.1.1 prints phenotype N/A, Disclaimers.md Table 1)", m.gene, best.Diplotype, m.gene, m.versions[1]))
		}
		r.Alert = Alert{Severity: phenotypeSeverity(best.Phenotype)}
		sev := r.Alert.Severity
		var others []string
		for _, cd := range cands[1:] {
			if cd.Phenotype != best.Phenotype {
				r.PhenotypeAmbiguous = true
				others = append(others, cd.Diplotype+" ("+cd.Phenotype+")")
				if cd.Score == top && severityRank(phenotypeSeverity(cd.Phenotype)) > severityRank(sev) {
					sev = phenotypeSeverity(cd.Phenotype)
				}
			}
		}
		raise(&r.Alert, sev)
		head := best.Phenotype
		if !r.Complete && best.Phenotype == "Normal Metabolizer" {
			head = "Normal Metabolizer at the tested positions only"
		}
		r.Alert.Message = fmt.Sprintf("%s %s (%s: %s/%s).", m.gene, head, r.Diplotype, best.Functions[0], best.Functions[1])
		if len(cands) > 1 {
			what := "the genotypes are unphased"
			if len(r.UntestedPositions) > 0 {
				what = "the genotypes are unphased or positions are untested"
			}
			c.warn(fmt.Sprintf("%s: %d diplotypes are possible because %s: %s; PharmCAT reports the highest-scoring one (%s) but the others cannot be ruled out (Disclaimers.md item 8)",
				m.gene, len(cands), what, candidateList(cands), cands[0].Diplotype))
		}
		if r.PhenotypeAmbiguous {
			confirm(fmt.Sprintf("AMBIGUOUS: also possible with a different phenotype: %s; phased data or a confirmatory test can tell them apart.", strings.Join(others, ", ")))
		}
	}
	switch {
	case len(cands) == 0 && len(r.UntestedPositions) > assumed:
		notes = append(notes, fmt.Sprintf("%d of %d %s positions untested.", len(r.UntestedPositions)-assumed, len(m.positions), m.gene))
	case len(cands) == 0:
	case len(risky) > 0:
		confirm(fmt.Sprintf("INCOMPLETE TEST: %s untested, including %s; the true phenotype could be lower than reported.", plural(len(r.UntestedPositions), m.gene+" position"), strings.Join(firstN(risky, 3), ", ")))
	case len(r.UntestedPositions) > assumed:
		confirm(fmt.Sprintf("INCOMPLETE TEST: %s untested; the alleles defined there cannot be excluded.", plural(len(r.UntestedPositions)-assumed, m.gene+" position")))
	}
	if assumed > 0 {
		notes = append(notes, fmt.Sprintf("%s not in the input assumed reference (missing policy %q).", plural(assumed, m.gene+" position"), MissingReference))
	}
	if len(c.unknown) > 0 {
		how := "treated as reference (PharmCAT, undocumented variation as reference)"
		if !m.asRef {
			how = "so the gene is not called"
		}
		confirm(fmt.Sprintf("Undocumented allele %s at a %s definition position, %s; its function is unknown.", strings.Join(c.unknown, ", "), m.gene, how))
	}
	if len(c.lowCalls) > 0 {
		confirm("Low-quality call used: " + strings.Join(c.lowCalls, ", ") + "; confirm with an orthogonal method.")
	}
	if c.opts.Specimen == "tumour" {
		notes = append(notes, "Tumour specimen: loss of heterozygosity or somatic change can distort the germline genotype; a germline test is preferred.")
		addTag(&r, tagGermline)
	}
	for _, n := range notes {
		if n != "" {
			r.Alert.Message += " " + n
		}
	}
	if r.Alert.Severity == "none" && (!r.Complete || len(notes) > 0 || len(c.warnings) > 0) {
		r.Alert.Severity = "caution"
	}
	r.Warnings = c.warnings
	if r.Warnings == nil {
		r.Warnings = []string{}
	}
	return r
}

func candidateList(cs []Candidate) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s (score %d, %s)", c.Diplotype, c.Score, c.Phenotype)
	}
	return strings.Join(parts, ", ")
}

func firstN(xs []string, n int) []string {
	if len(xs) <= n {
		return xs
	}
	return append(slices.Clone(xs[:n]), fmt.Sprintf("%d more", len(xs)-n))
}

// sources lists what a named-allele gene's result depends on.
func (m *matcher) sources() []string {
	out := []string{fmt.Sprintf("PharmCAT %s definition (%s_translation.json %s, %s phenotype %s; PharmCAT v3.1.1 @5431bf1, MPL-2.0)", m.gene, m.gene, m.versions[0], m.gene, m.versions[1]), srcMatcher}
	return append(out, geneSources[m.gene]...)
}
