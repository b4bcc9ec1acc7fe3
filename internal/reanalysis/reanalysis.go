// Package reanalysis decides what changed between two reports of the same input, made with
// two versions of the knowledge base (issue 15): which findings were reclassified, which
// treatment and follow-up tags came or went, and whether the DPYD dose recommendation moved,
// each with an impact that says whether the change crosses the actionable line.
//
// The categories follow Variant Alert! (Yauy et al., Bioinformatics 2020;36:5565-5566), which
// compares successive ClinVar releases for the variants a laboratory reported and tells the
// clinician of those whose significance changed. Reclassification is common enough to need
// this: between ClinVar releases a few percent of variants in hereditary-cancer genes change
// class, and 7.7% of variants of uncertain significance were reclassified in Mersch et al.
// (JAMA 2018;320:1266-1274), 91% of them downgraded to benign or likely benign. The classes
// are the five tiers of the ACMG/AMP standards (Richards et al., Genet Med 2015;17:405-424)
// in the report's vocabulary, plus ClinVar's "conflicting" and "not_in_knowledge_base".
//
// Findings are matched by their normalised variant (gene, normalised position, REF and ALT,
// structural type and end), never by their place in the list, and samples by sample_id. The
// package has no I/O; the service adds when a change was seen.
package reanalysis

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/precis-dx/precis/internal/pgx"
	"github.com/precis-dx/precis/internal/report"
)

// Impact values. A major change crosses the actionable line and is pushed to clinicians; a
// minor one is listed with the report.
const (
	Major = "major"
	Minor = "minor"
)

// What values: the aspect of a finding or pharmacogenomic result that changed.
const (
	WhatClassification = "classification"        // the finding's class changed
	WhatSource         = "classification-source" // same class; ClinVar's record (CLNSIG wording, review status, VariationID) changed
	WhatTags           = "tags"                  // same class; the finding's tags changed (e.g. a new condition in ClinVar)
	WhatDPYD           = "dpyd"                  // the DPYD call: diplotype, phenotype, activity score, recommendation or alert
	WhatPGx            = "pgx"                   // the call of another pharmacogene
	WhatNewFinding     = "new-finding"           // a finding only the new report has
	WhatRemovedFinding = "removed-finding"       // a finding only the old report has
)

// Change is one difference between two reports of the same input. From and To are
// classifications (what "classification", "new-finding", "removed-finding"), ClinVar sources
// ("classification-source"), comma-separated tags ("tags") or a pharmacogenomic call
// ("dpyd": diplotype; phenotype and activity score; alert severity and recommendation); ""
// stands for absent. It is a plain value.
type Change struct {
	SampleID string `json:"sample_id"`
	Gene     string `json:"gene"`
	HGVSc    string `json:"hgvs_c"`
	// Variant is the matching key written out: chrom:pos REF>ALT of the normalised allele
	// (1-based, VCF style), with the structural type and end for a structural finding; ""
	// for a pharmacogenomic result.
	Variant string `json:"variant,omitempty"`
	From    string `json:"from"`
	To      string `json:"to"`
	Impact  string `json:"impact"` // major | minor
	KBFrom  string `json:"kb_from"`
	KBTo    string `json:"kb_to"`
	What    string `json:"what"`
	// Reason is the rule that set the impact.
	Reason      string   `json:"reason"`
	TagsAdded   []string `json:"tags_added,omitempty"`
	TagsRemoved []string `json:"tags_removed,omitempty"`
}

// delta is what differs between the two versions of one finding or pharmacogenomic result;
// decide turns it into an impact.
type delta struct {
	added, removed    bool // a finding only in the new, or only in the old, report
	pgxAdded, pgxGone bool // a pharmacogenomic result only in the new, or only in the old, report
	// actionableOld and actionableNew: the finding is P/LP in the old and new report (for an
	// added or removed finding: P/LP or carrying a treatment tag); for an added or removed
	// pharmacogenomic result: it carries a recommendation or a treatment tag.
	actionableOld, actionableNew bool
	classChanged                 bool
	treatmentChanged             bool // a treatment:* tag added or removed
	tagsChanged                  bool // any tag added or removed
	sourceChanged                bool // ClinVar's record behind the same class changed
	doseChanged                  bool // a recommendation (drug and text) or the alert severity changed
	pgxChanged                   bool // diplotype, phenotype, activity score, alert wording, guideline or strength changed
}

// decide is the impact table (issue 15); the first matching row wins, and a delta with
// nothing changed gives no Change. Major rows cross the actionable line: the ACMG/AMP
// standards (Richards et al. 2015) let only pathogenic and likely pathogenic variants guide
// clinical decisions, and Variant Alert! (Yauy et al. 2020) singles out the reclassifications
// that move a variant across that line. Everything else is minor, listed but not alerted:
// Mersch et al. (JAMA 2018) found most reclassifications to be VUS downgraded to benign,
// which change no management.
func decide(d delta) (impact, reason string, ok bool) {
	switch {
	// 1. P/LP ↔ anything else: not_in_knowledge_base → P/LP, VUS → LP, P/LP → conflicting,
	//    P/LP → VUS or benign.
	case d.classChanged && d.actionableOld != d.actionableNew:
		return Major, "crosses the actionable line (pathogenic/likely pathogenic ↔ other)", true
	// 2. A treatment tag added or removed, whatever the class did (a ClinVar condition that
	//    moves a P/LP BRCA variant off hereditary breast and ovarian cancer removes the PARP
	//    inhibitor tag; a DPYD result gains or loses a fluoropyrimidine tag).
	case d.treatmentChanged:
		return Major, "a treatment tag was added or removed", true
	// 3. The DPYD dose recommendation changed: another recommendation text for a drug, or
	//    another alert severity (CPIC: the activity score sets the starting dose).
	case d.doseChanged:
		return Major, "the pharmacogenomic dose recommendation or alert severity changed", true
	// 4. An actionable finding or result appeared or disappeared.
	case (d.added || d.removed || d.pgxAdded || d.pgxGone) && (d.actionableOld || d.actionableNew):
		return Major, "an actionable finding or result appeared or disappeared", true
	// 5. P ↔ LP: still actionable, management unchanged.
	case d.classChanged && d.actionableOld && d.actionableNew:
		return Minor, "pathogenic ↔ likely pathogenic: still actionable", true
	// 6. Reclassified below the line: VUS ↔ LB/B, conflicting ↔ VUS, not_in_knowledge_base
	//    ↔ VUS/LB/B.
	case d.classChanged:
		return Minor, "reclassified without crossing the actionable line", true
	// 7. Same class, ClinVar's record changed: review status, CLNSIG wording
	//    (Pathogenic/Likely_pathogenic → Likely_pathogenic maps to the same class), VariationID;
	//    not for not_in_knowledge_base, which has no class to review.
	case d.sourceChanged:
		return Minor, "same classification; ClinVar's record (review status, wording or VariationID) changed", true
	// 8. Follow-up tags only (counselling, reanalysis, expert review).
	case d.tagsChanged:
		return Minor, "follow-up tags changed; treatment tags unchanged", true
	// 9. A non-actionable finding or result appeared or disappeared.
	case d.added || d.removed || d.pgxAdded || d.pgxGone:
		return Minor, "a non-actionable finding or result appeared or disappeared", true
	// 10. The call changed (diplotype, activity score, phenotype, wording), the dose did not.
	case d.pgxChanged:
		return Minor, "the pharmacogenomic call changed; the dose recommendation did not", true
	}
	return "", "", false
}

// actionable reports whether a classification is pathogenic or likely pathogenic: the
// actionable line of ACMG/AMP 2015 (Richards et al.), the same test as the tag rules in
// internal/annotate.
func actionable(class string) bool {
	return class == "pathogenic" || class == "likely_pathogenic"
}

// treatment reports whether a tag is a treatment tag (DESIGN.md, "Report": treatment:<slug>
// changes what is prescribed; follow-up:<slug> what is done next).
func treatment(tag string) bool { return strings.HasPrefix(tag, "treatment:") }

// Compare returns the changes from prev to next, two reports of the same input, sorted by
// Less. Samples are matched by sample_id (a sample only in one report has all its findings
// added or removed); findings by normalised variant; pharmacogenomic results by gene.
// Unchanged findings give no Change; with no change the result is empty, not nil. A nil
// report counts as one without samples.
func Compare(prev, next *report.Report) []Change {
	var kbFrom, kbTo string
	var ps, ns []report.Sample
	if prev != nil {
		kbFrom, ps = prev.KnowledgeBase.Version, prev.Samples
	}
	if next != nil {
		kbTo, ns = next.KnowledgeBase.Version, next.Samples
	}
	c := comparer{kbFrom: kbFrom, kbTo: kbTo}
	old := map[string]*report.Sample{}
	for i := range ps {
		old[ps[i].SampleID] = &ps[i]
	}
	seen := map[string]bool{}
	for i := range ns {
		s := &ns[i]
		seen[s.SampleID] = true
		c.sample(s.SampleID, old[s.SampleID], s)
	}
	for i := range ps {
		if s := &ps[i]; !seen[s.SampleID] {
			seen[s.SampleID] = true
			c.sample(s.SampleID, s, nil)
		}
	}
	slices.SortStableFunc(c.out, compare)
	if c.out == nil {
		return []Change{} // encodes as [], not null
	}
	return c.out
}

// Summary counts the major and minor changes.
func Summary(changes []Change) (major, minor int) {
	for _, c := range changes {
		switch c.Impact {
		case Major:
			major++
		case Minor:
			minor++
		}
	}
	return major, minor
}

// Less orders changes by sample, gene, HGVS c. name, then variant and what: the order Compare
// returns.
func Less(a, b Change) bool { return compare(a, b) < 0 }

func compare(a, b Change) int {
	return cmp.Or(
		cmp.Compare(a.SampleID, b.SampleID),
		cmp.Compare(a.Gene, b.Gene),
		cmp.Compare(a.HGVSc, b.HGVSc),
		cmp.Compare(a.Variant, b.Variant),
		cmp.Compare(a.What, b.What),
		cmp.Compare(a.From, b.From),
		cmp.Compare(a.To, b.To),
	)
}

type comparer struct {
	kbFrom, kbTo string
	out          []Change
}

// key is a finding's identity across reports: the normalised allele (1-based, trimmed and
// left-aligned, the form matched against the knowledge base), and for a structural finding
// its type and end (1-based, inclusive).
type key struct {
	gene     string
	pos      int
	ref, alt string
	svType   string
	end      int
}

func keyOf(f *report.Finding) key {
	k := key{gene: f.Gene, pos: f.Normalized.Pos, ref: f.Normalized.Ref, alt: f.Normalized.Alt, svType: f.SVType}
	if f.SVType != "" {
		k.end = f.End
	}
	if k.pos == 0 && k.ref == "" && k.alt == "" {
		// A finding written without its normalised form: the input's own allele.
		k.pos, k.ref, k.alt = f.Pos, f.Ref, f.Alt
	}
	return k
}

func variantName(f *report.Finding) string {
	k := keyOf(f)
	s := fmt.Sprintf("%s:%d %s>%s", f.Chrom, k.pos, k.ref, k.alt)
	if k.svType != "" {
		s += " " + k.svType
		if k.end > 0 {
			s += " end " + strconv.Itoa(k.end)
		}
	}
	return s
}

// sample compares one sample's two versions; either may be nil.
func (c *comparer) sample(id string, prev, next *report.Sample) {
	var pf, nf []report.Finding
	var pp, np []pgx.Result
	if prev != nil {
		pf, pp = prev.Findings, prev.PGx
	}
	if next != nil {
		nf, np = next.Findings, next.PGx
	}
	// Index the old findings by key; the same key twice (a duplicated input record) is
	// matched in input order, the k-th old with the k-th new.
	old := map[key][]*report.Finding{}
	for i := range pf {
		k := keyOf(&pf[i])
		old[k] = append(old[k], &pf[i])
	}
	for i := range nf {
		n := &nf[i]
		k := keyOf(n)
		var p *report.Finding
		if q := old[k]; len(q) > 0 {
			p, old[k] = q[0], q[1:]
		}
		c.finding(id, p, n)
	}
	for i := range pf {
		p := &pf[i]
		k := keyOf(p)
		if q := old[k]; len(q) > 0 && q[0] == p {
			old[k] = q[1:]
			c.finding(id, p, nil)
		}
	}
	oldPGx := map[string]*pgx.Result{}
	for i := range pp {
		oldPGx[pp[i].Gene] = &pp[i]
	}
	for i := range np {
		n := &np[i]
		c.pgx(id, oldPGx[n.Gene], n)
		delete(oldPGx, n.Gene)
	}
	for i := range pp {
		if p := &pp[i]; oldPGx[p.Gene] == p {
			c.pgx(id, p, nil)
		}
	}
}

// finding compares one finding's two versions; one of them may be nil.
func (c *comparer) finding(sample string, prev, next *report.Finding) {
	var d delta
	var pClass, nClass string
	var pTags, nTags []string
	ref := next
	switch {
	case prev == nil:
		d.added, ref = true, next
	case next == nil:
		d.removed, ref = true, prev
	}
	if prev != nil {
		pClass, pTags = prev.Classification, prev.Tags
		d.actionableOld = actionable(pClass) || slices.ContainsFunc(pTags, treatment)
	}
	if next != nil {
		nClass, nTags = next.Classification, next.Tags
		d.actionableNew = actionable(nClass) || slices.ContainsFunc(nTags, treatment)
	}
	added, removed := tagDiff(pTags, nTags)
	if prev != nil && next != nil {
		d.classChanged = pClass != nClass
		// Row 1 compares classes only: a treatment tag on a non-P/LP finding (a tumour's
		// ClinVar oncogenicity) is judged by row 2.
		d.actionableOld, d.actionableNew = actionable(pClass), actionable(nClass)
		d.treatmentChanged = slices.ContainsFunc(added, treatment) || slices.ContainsFunc(removed, treatment)
		d.tagsChanged = len(added)+len(removed) > 0
		// Row 7 needs a class to review: a variant ClinVar names without a germline
		// classification ("other", a somatic record only) stays not_in_knowledge_base, and a
		// record appearing or changing there changes nothing a clinician acts on.
		d.sourceChanged = nClass != "not_in_knowledge_base" &&
			sourceKey(prev.ClassificationSource, c.kbFrom, c.kbTo) != sourceKey(next.ClassificationSource, c.kbFrom, c.kbTo)
	}
	impact, reason, ok := decide(d)
	if !ok {
		return
	}
	ch := Change{SampleID: sample, Gene: ref.Gene, HGVSc: ref.HGVSc, Variant: variantName(ref),
		Impact: impact, Reason: reason, KBFrom: c.kbFrom, KBTo: c.kbTo, TagsAdded: added, TagsRemoved: removed}
	switch {
	case d.added:
		ch.What, ch.To = WhatNewFinding, nClass
	case d.removed:
		ch.What, ch.From = WhatRemovedFinding, pClass
	case d.classChanged:
		ch.What, ch.From, ch.To = WhatClassification, pClass, nClass
	case d.tagsChanged:
		ch.What, ch.From, ch.To = WhatTags, strings.Join(sorted(pTags), ", "), strings.Join(sorted(nTags), ", ")
	default:
		ch.What, ch.From, ch.To = WhatSource, prev.ClassificationSource, next.ClassificationSource
	}
	c.out = append(c.out, ch)
}

// pgx compares one pharmacogenomic result's two versions; one of them may be nil.
func (c *comparer) pgx(sample string, prev, next *pgx.Result) {
	var d delta
	ref := next
	switch {
	case prev == nil:
		d.pgxAdded, ref = true, next
		d.actionableNew = len(next.Recommendations) > 0 || slices.ContainsFunc(next.Tags, treatment)
	case next == nil:
		d.pgxGone, ref = true, prev
		d.actionableOld = len(prev.Recommendations) > 0 || slices.ContainsFunc(prev.Tags, treatment)
	default:
		added, removed := tagDiff(prev.Tags, next.Tags)
		d.treatmentChanged = slices.ContainsFunc(added, treatment) || slices.ContainsFunc(removed, treatment)
		d.doseChanged = !slices.Equal(doses(prev), doses(next)) || prev.Alert.Severity != next.Alert.Severity
		d.pgxChanged = callOf(prev) != callOf(next) || prev.Alert.Message != next.Alert.Message ||
			!slices.Equal(prev.Recommendations, next.Recommendations) || len(added)+len(removed) > 0
	}
	impact, reason, ok := decide(d)
	if !ok {
		return
	}
	what := WhatPGx
	if ref.Gene == "DPYD" {
		what = WhatDPYD
	}
	ch := Change{SampleID: sample, Gene: ref.Gene, Impact: impact, Reason: reason, KBFrom: c.kbFrom, KBTo: c.kbTo, What: what}
	var pTags, nTags []string
	if prev != nil {
		ch.From, pTags = describe(prev), prev.Tags
	}
	if next != nil {
		ch.To, nTags = describe(next), next.Tags
	}
	ch.TagsAdded, ch.TagsRemoved = tagDiff(pTags, nTags)
	c.out = append(c.out, ch)
}

// doses is what a result tells the prescriber: each drug's recommendation text, sorted. The
// guideline's name and the strength of the recommendation are not the dose.
func doses(r *pgx.Result) []string {
	out := make([]string, 0, len(r.Recommendations))
	for _, x := range r.Recommendations {
		out = append(out, x.Drug+"\x00"+x.Text)
	}
	slices.Sort(out)
	return out
}

// callOf is the call itself: diplotype, phenotype and activity score.
func callOf(r *pgx.Result) string {
	score := "no activity score"
	if r.ActivityScore != nil {
		score = "activity score " + strconv.FormatFloat(*r.ActivityScore, 'f', -1, 64)
	}
	return r.Diplotype + "; " + r.Phenotype + ", " + score
}

// describe writes a result for From/To: the call, then the alert severity and the distinct
// recommendation texts.
func describe(r *pgx.Result) string {
	var texts []string
	for _, x := range r.Recommendations {
		if !slices.Contains(texts, x.Text) {
			texts = append(texts, x.Text)
		}
	}
	s := callOf(r) + "; alert " + r.Alert.Severity
	if len(texts) > 0 {
		s += ": " + strings.Join(texts, " / ")
	}
	return s
}

// tagDiff returns the tags only in b (added) and only in a (removed), sorted; nil when none.
func tagDiff(a, b []string) (added, removed []string) {
	for _, t := range b {
		if !slices.Contains(a, t) && !slices.Contains(added, t) {
			added = append(added, t)
		}
	}
	for _, t := range a {
		if !slices.Contains(b, t) && !slices.Contains(removed, t) {
			removed = append(removed, t)
		}
	}
	slices.Sort(added)
	slices.Sort(removed)
	return added, removed
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// clinvarRelease is the release that opens a ClinVar classification source ("ClinVar
// 2026-02-26, VariationID 9325: Pathogenic; review status ..."): which release classified a
// finding is not itself a change.
var clinvarRelease = regexp.MustCompile(`^.*?, (VariationID )`)

// sourceKey is the part of a classification source that can change with the same class:
// ClinVar's VariationID, CLNSIG wording and review status. The release it came from and the
// knowledge base's version ("not in the ClinVar releases of knowledge base X") are dropped.
func sourceKey(s, kbFrom, kbTo string) string {
	for _, v := range []string{kbFrom, kbTo} {
		if v != "" {
			s = strings.ReplaceAll(s, v, "")
		}
	}
	return clinvarRelease.ReplaceAllString(s, "$1")
}
