package guideline

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/precis-dx/precis/internal/pgx"
)

// Action levels of a recommendation, from its text (level).
const (
	levelNone    = iota // no change from standard dosing, or no recommendation
	levelMonitor        // monitor closely, no dose change stated
	levelReduce         // reduce the (starting) dose
	levelAvoid          // avoid the drug, choose an alternative, or a drastically reduced dose
)

// The tag rule. A recommendation's action level is read from its text (the paragraphs before
// "Other Considerations", which are general remarks), the first rule that matches winning:
//
//  1. avoid: "avoid", "alternative", "drastically reduced", "10-fold", or "6-7%"/"10% of the
//     standard dose" (CPIC thiopurine poor metabolizer rows; DPWG TPMT and NUDT15 poor
//     metabolizer rows);
//  2. reduce: a form of "reduce" in the same sentence as "dose", or "start with/at N% of"
//     (CPIC and DPWG intermediate metabolizer rows, DPWG irinotecan 70%, the Camptosar label's
//     "reduction in the starting dose");
//  3. monitor: "monitor" (the Camptosar label for heterozygous *28 or *6, the Trodelvy label,
//     CPIC rows for an undetermined gene);
//  4. otherwise none.
//
// The tag is the one tagNames gives the drug's class at that level: the words of the tags are
// the vocabulary (treatment:thiopurine-reduce-dose, treatment:thiopurine-avoid-or-
// drastically-reduce, treatment:irinotecan-reduce-start-dose), the level is the text's. No
// tag is ever chosen from a diplotype.
var (
	avoidRE   = regexp.MustCompile(`(?i)\bavoid\b|\balternative\b|drastically reduced|\b10-fold\b|\b(?:6-7|10)% of the standard dose`)
	reduceRE  = regexp.MustCompile(`(?i)\breduc\w*\b[^.]*\bdoses?\b|\bdoses?\b[^.]*\breduc\w*|\bstart (?:with|at) [0-9]+% of\b`)
	monitorRE = regexp.MustCompile(`(?i)\bmonitor`)
)

// level reads the action level of a recommendation text (see the tag rule).
func level(text string) int {
	var main []string
	for p := range strings.SplitSeq(text, "\n\n") {
		if !strings.HasPrefix(p, "Other Considerations:") {
			main = append(main, p)
		}
	}
	t := strings.Join(main, " ")
	switch {
	case avoidRE.MatchString(t):
		return levelAvoid
	case reduceRE.MatchString(t):
		return levelReduce
	case monitorRE.MatchString(t):
		return levelMonitor
	}
	return levelNone
}

// drugClass groups the drugs whose tags share words.
var drugClass = map[string]string{
	"azathioprine":          "thiopurine",
	"mercaptopurine":        "thiopurine",
	"thioguanine":           "thiopurine",
	"irinotecan":            "irinotecan",
	"sacituzumab govitecan": "sacituzumab-govitecan",
}

// tagNames gives each drug class its tag per action level (DESIGN.md tag vocabulary:
// treatment:<slug>, follow-up:<slug>).
var tagNames = map[string][4]string{
	"thiopurine":            {levelMonitor: "follow-up:thiopurine-toxicity-monitoring", levelReduce: "treatment:thiopurine-reduce-dose", levelAvoid: "treatment:thiopurine-avoid-or-drastically-reduce"},
	"irinotecan":            {levelMonitor: "follow-up:irinotecan-toxicity-monitoring", levelReduce: "treatment:irinotecan-reduce-start-dose", levelAvoid: "treatment:irinotecan-avoid"},
	"sacituzumab-govitecan": {levelMonitor: "follow-up:sacituzumab-govitecan-toxicity-monitoring", levelReduce: "treatment:sacituzumab-govitecan-reduce-start-dose", levelAvoid: "treatment:sacituzumab-govitecan-avoid"},
}

// tagConfirm is the follow-up of a test that is not complete (as for DPYD).
const tagConfirm = "follow-up:confirmatory-testing"

// actions says each level in the alert message.
var actions = [4]string{
	levelNone:    "no dose change",
	levelMonitor: "monitor closely for toxicity",
	levelReduce:  "reduce the starting dose",
	levelAvoid:   "avoid, or start at a drastically reduced dose",
}

// severities maps action levels to alert severities (report schema alert.severity: moderate
// and high are possible or known deficiency).
var severities = [4]string{levelNone: "none", levelMonitor: "moderate", levelReduce: "moderate", levelAvoid: "high"}

var severityRank = map[string]int{"": 0, "none": 0, "caution": 1, "moderate": 2, "high": 3}

// Covers reports whether the set has recommendations for gene.
func (s *Set) Covers(gene string) bool {
	for _, g := range s.Guidelines {
		if slices.Contains(g.Genes, gene) {
			return true
		}
	}
	return false
}

// Recommend fills the Recommendations, Alert and Tags (with TagReasons) of every result whose
// gene the set covers (TPMT, NUDT15, UGT1A1), and orders all results with Order: the genes of
// the planned drugs first. Other results (DPYD) keep what internal/pgx gave them.
//
// A CPIC thiopurine row is looked up by the pair of TPMT and NUDT15 phenotypes, a gene absent
// from results being "No Result"; a DPWG row by the gene's diplotype where DPWG keys a row on
// it, else by its phenotype; an FDA row by the diplotype only. Every matching row becomes a
// recommendation. The alert follows the rows the gene's own result is responsible for: a
// diplotype row, or a phenotype row when the gene is an intermediate or poor metabolizer (a
// normal or undetermined TPMT does not take on the dose change that NUDT15 calls for, and the
// other way round). An Indeterminate result, or one that is not complete, is never reported as
// a normal result: its severity is at least "caution" and the message says what was not
// tested. The severity never drops below the one the result came with, and the message the
// result came with (the calling engine's caveats) follows the guideline's.
func (s *Set) Recommend(results []pgx.Result, planned []string) {
	phen := map[string]string{}
	for _, r := range results {
		phen[r.Gene] = lookupPhenotype(r)
	}
	ingredients := Ingredients(planned)
	for i := range results {
		if s.Covers(results[i].Gene) {
			s.fill(&results[i], phen, ingredients)
		}
	}
	Order(results, planned)
}

// lookupPhenotype is the phenotype a result is looked up by.
func lookupPhenotype(r pgx.Result) string {
	if r.Phenotype == "" {
		return NoResult
	}
	return r.Phenotype
}

// abnormal reports whether a phenotype is a decreased-function phenotype (CPIC terms:
// Intermediate, Possible Intermediate and Poor Metabolizer).
func abnormal(phenotype string) bool {
	return strings.HasSuffix(phenotype, "Intermediate Metabolizer") || phenotype == "Poor Metabolizer"
}

// match is one row found for a result.
type match struct {
	g        *Guideline
	row      *Row
	level    int  // the row's action level (level)
	own      bool // the result's own phenotype or diplotype is responsible for the row
	ownLevel int  // the level the gene itself answers for
}

// lookup finds the row of g for result r: a diplotype row first, else the phenotype row.
func (g *Guideline) lookup(r *pgx.Result, phen map[string]string) *Row {
	if d, err := sortDiplotype(r.Diplotype); err == nil {
		for i := range g.Rows {
			if g.Rows[i].Gene == r.Gene && g.Rows[i].Diplotype == d {
				return &g.Rows[i]
			}
		}
	}
	for i := range g.Rows {
		row := &g.Rows[i]
		if row.Phenotypes == nil {
			continue
		}
		ok := true
		for _, gene := range g.Genes {
			p, found := phen[gene]
			if !found {
				p = NoResult
			}
			if row.Phenotypes[gene] != p {
				ok = false
				break
			}
		}
		if ok {
			return row
		}
	}
	return nil
}

// cite is the guideline field of a recommendation: the annotation and its version, the
// recommendation id, the publications, where the text was copied from and whether it is
// known to be PharmCAT 3.1.1's.
func (g *Guideline) cite(row *Row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s (%s", g.Source, g.Name, g.ID)
	if g.Version > 0 {
		fmt.Fprintf(&b, ", annotation version %d", g.Version)
	}
	if g.Data != "" {
		fmt.Fprintf(&b, ", data %s", g.Data)
	}
	fmt.Fprintf(&b, "; recommendation %s)", row.ID)
	if g.Citations != "" {
		b.WriteString("; " + g.Citations)
	}
	b.WriteString("; text from " + g.Origin)
	if row.Verified {
		b.WriteString("; identical in PharmCAT 3.1.1")
	} else {
		b.WriteString("; not verified against PharmCAT 3.1.1")
	}
	return b.String()
}

// label names a guideline source in an alert: "CPIC, Strong", "DPWG", "FDA label".
func (m match) label() string {
	switch {
	case m.g.Source == "FDA":
		return "FDA label"
	case m.row.Strength == "Strong" || m.row.Strength == "Moderate" || m.row.Strength == "Optional":
		return m.g.Source + ", " + m.row.Strength
	}
	return m.g.Source
}

// body names the guideline body of a match without its strength: "CPIC", "DPWG", "FDA label".
func (m match) body() string {
	if m.g.Source == "FDA" {
		return "FDA label"
	}
	return m.g.Source
}

// fill sets the recommendations, alert and tags of one result.
func (s *Set) fill(r *pgx.Result, phen map[string]string, ingredients []string) {
	var ms []match
	for gi := range s.Guidelines {
		g := &s.Guidelines[gi]
		if !slices.Contains(g.Genes, r.Gene) {
			continue
		}
		row := g.lookup(r, phen)
		if row == nil {
			continue
		}
		// The gene's own rows: a diplotype row, or any row when its phenotype is assigned. A
		// normal metabolizer takes no dose change from a pair row (the partner's phenotype
		// makes it), so its level there counts as none.
		m := match{g: g, row: row, level: level(row.Text), own: row.Diplotype != "" || abnormal(r.Phenotype) || r.Phenotype == "Normal Metabolizer"}
		m.ownLevel = m.level
		if row.Diplotype == "" && !abnormal(r.Phenotype) {
			m.ownLevel = levelNone
		}
		ms = append(ms, m)
	}
	// Drugs in the planned order first, then the rest alphabetically; guideline order within
	// a drug (CPIC, DPWG, FDA as the file lists them).
	rank := func(drug string) int {
		if i := slices.Index(ingredients, drug); i >= 0 {
			return i
		}
		return len(ingredients)
	}
	slices.SortStableFunc(ms, func(a, b match) int {
		if d := rank(a.g.Drug) - rank(b.g.Drug); d != 0 {
			return d
		}
		return strings.Compare(a.g.Drug, b.g.Drug)
	})

	r.Recommendations = []pgx.Recommendation{} // an empty list, never null (report schema)
	for _, m := range ms {
		r.Recommendations = append(r.Recommendations, pgx.Recommendation{Drug: m.g.Drug, Guideline: m.g.cite(m.row), Text: m.row.Text, Strength: m.row.Strength})
	}

	head := r.Gene + " " + lookupPhenotype(*r)
	if r.Diplotype != "" {
		head += " (" + r.Diplotype + ")"
	}
	var parts []string
	top := levelNone
	tag := func(t, reason, source string) {
		if !slices.Contains(r.Tags, t) {
			r.Tags = append(r.Tags, t)
		}
		if r.TagReasons == nil {
			r.TagReasons = map[string]pgx.TagReason{}
		}
		if _, ok := r.TagReasons[t]; !ok {
			r.TagReasons[t] = pgx.TagReason{Reason: reason, Source: source}
		}
	}
	var drugs []string // drugs with a row, in order
	for _, m := range ms {
		if !slices.Contains(drugs, m.g.Drug) {
			drugs = append(drugs, m.g.Drug)
		}
	}
	var normal, others []string // drugs without an own action; drugs whose action is the other gene's
	var normalSrc []string
	for _, d := range drugs {
		lvl, any := levelNone, false
		var src []string
		for _, m := range ms {
			if m.g.Drug != d || !m.own {
				continue
			}
			any = true
			if m.ownLevel > lvl {
				lvl = m.ownLevel
			}
		}
		for _, m := range ms {
			if m.g.Drug == d && m.own && m.ownLevel == lvl && !slices.Contains(src, m.label()) {
				src = append(src, m.label())
			}
			if m.g.Drug == d && m.own && m.ownLevel > levelNone {
				t := tagNames[drugClass[d]][m.ownLevel]
				tag(t, fmt.Sprintf("%s: %s: %s", head, d, firstSentence(m.row.Text)), m.g.cite(m.row))
			}
		}
		if lvl > top {
			top = lvl
		}
		switch {
		case lvl > levelNone:
			parts = append(parts, fmt.Sprintf("%s: %s (%s)", d, actions[lvl], strings.Join(src, "; ")))
		case any:
			normal = append(normal, d)
			for _, m := range ms {
				if b := m.body(); m.g.Drug == d && m.own && !slices.Contains(normalSrc, b) {
					normalSrc = append(normalSrc, b)
				}
			}
		}
		for _, m := range ms {
			if m.g.Drug == d && m.ownLevel < m.level && len(m.row.Phenotypes) > 1 && !slices.Contains(others, d) {
				others = append(others, d)
			}
		}
	}
	if len(normal) > 0 {
		parts = append(parts, fmt.Sprintf("%s: no dose change for %s (%s)", strings.Join(normal, ", "), r.Gene, strings.Join(normalSrc, "; ")))
	}
	undetermined := !abnormal(r.Phenotype) && r.Phenotype != "Normal Metabolizer"
	msg := head
	switch {
	case len(parts) > 0:
		msg += ": " + strings.Join(parts, "; ") + "."
	case undetermined: // the note below says what could not be tested
		msg += "."
	default:
		msg += ": no recommendation for this result in the guidelines."
	}
	if strings.Contains(r.Diplotype, " or ") || strings.Contains(r.Diplotype, "||") {
		// PharmCAT lists every possible diplotype of unphased data, the top call first; the
		// phenotype above is the top call's (TPMT *1/*3A versus *3B/*3C differ).
		msg += fmt.Sprintf(" Unphased: more than one diplotype fits (%s); the recommendations are for the first, and another may have a different phenotype.", r.Diplotype)
	}
	if len(others) > 0 {
		var partner []string
		for _, gene := range []string{"TPMT", "NUDT15"} {
			if gene != r.Gene && abnormal(phen[gene]) {
				partner = append(partner, gene+" "+phen[gene])
			}
		}
		if len(partner) > 0 {
			msg += fmt.Sprintf(" CPIC's recommendation for %s follows %s: see that result.", strings.Join(others, ", "), strings.Join(partner, ", "))
		}
	}
	sev := severities[top]
	// No false reassurance (DESIGN.md clinical rules 1 and 7): an undetermined or incomplete
	// result says what could not be tested and is never "none".
	if undetermined || !r.Complete {
		if severityRank[sev] < severityRank["caution"] {
			sev = "caution"
		}
		note := untestedNote(r, undetermined, len(ms) > 0)
		msg += " " + note
		tag(tagConfirm, head+": "+note, "DESIGN.md clinical rules 1 and 7: an incomplete test never reads as normal")
	}
	// What the caller's alert already said (the calling engine's caveats) is kept after the
	// guideline's message, and its severity is never lowered. Recommend run again on its own
	// output finds its message already there and changes nothing.
	switch old := r.Alert.Message; {
	case strings.HasPrefix(old, msg):
		msg = old // this message, with the caveats it already carries
	case old != "" && !strings.Contains(msg, old):
		msg += " " + old
	}
	if severityRank[r.Alert.Severity] > severityRank[sev] {
		sev = r.Alert.Severity
	}
	r.Alert = pgx.Alert{Severity: sev, Message: msg}
}

// untestedNote says what an undetermined or incomplete result could not test.
// rows says whether guideline rows matched the result (an undetermined phenotype has rows in
// CPIC's thiopurine tables, none in DPWG's or the FDA's irinotecan texts).
func untestedNote(r *pgx.Result, undetermined, rows bool) string {
	var b strings.Builder
	switch {
	case undetermined && rows:
		fmt.Fprintf(&b, "No %s phenotype could be assigned from this test: the recommendations for an undetermined %s apply.", r.Gene, r.Gene)
	case undetermined:
		fmt.Fprintf(&b, "No %s phenotype could be assigned from this test, and no guideline gives a recommendation for an undetermined %s: dose as if the phenotype were unknown, and consider confirmatory testing.", r.Gene, r.Gene)
	default:
		fmt.Fprintf(&b, "Not a complete %s test: the phenotype rests on the tested positions only.", r.Gene)
	}
	if n := len(r.UntestedPositions); n > 0 {
		fmt.Fprintf(&b, " Not tested: %s; a variant there would not have been seen.", strings.Join(r.UntestedPositions, ", "))
	}
	return b.String()
}

// firstSentence is the first sentence of a text, for a tag's reason.
func firstSentence(text string) string {
	p, _, _ := strings.Cut(text, "\n\n")
	if i := strings.Index(p, ". "); i >= 0 {
		return p[:i+1]
	}
	return p
}
