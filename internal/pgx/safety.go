package pgx

import (
	"fmt"
	"slices"
	"strings"
)

// No false reassurance (DESIGN.md clinical rules 1 and 7). A DPYD result may read as a plain
// Normal Metabolizer with standard dosing only when every AMP Tier-1 position was tested at
// adequate quality and nothing in DPYD suggests loss of function. Otherwise the result is
// stated as incomplete (alert severity "caution") or as possible deficiency ("moderate" or
// "high"), never as a plain normal.

// srcAMP cites the minimum DPYD genotyping panel a complete test must cover.
const srcAMP = "AMP/CAP/CPIC/DPWG/ESPT/PharmGKB/PharmVar joint consensus (Pratt et al., J Mol Diagn 2024;26:851-863): " +
	"Tier 1 DPYD alleles c.1905+1G>A (*2A), c.1679T>G (*13), c.2846A>T, c.1129-5923C>G (HapB3) and c.557A>G must be tested"

// srcEMA cites pre-treatment DPD testing by phenotype, which is what a finding outside the CPIC
// definition asks for.
const srcEMA = "EMA recommendations on DPD testing before treatment with fluorouracil, capecitabine, tegafur and flucytosine " +
	"(EMA/229267/2020, 30 April 2020): pre-treatment testing by phenotyping (blood uracil, or DPD enzyme activity) or genotyping"

// srcTumour explains why a DPYD genotype read from a tumour is not a germline genotype.
const srcTumour = "CPIC guideline for fluoropyrimidines and DPYD (Amstutz et al. 2018): the recommendations rest on germline genotype; " +
	"tumour DNA can show loss of heterozygosity or somatic changes at DPYD, so a germline test is preferred"

// tier1RSIDs are the AMP Tier-1 DPYD positions (srcAMP); HapB3 is its intronic, causal SNP.
var tier1RSIDs = [...]string{"rs3918290", "rs55886062", "rs67376798", hapB3IntronRSID, "rs115232898"}

// Tags beyond the dose tags (DESIGN.md, report contract).
const (
	tagPhenotyping = "follow-up:dpd-phenotyping"
	tagGermline    = "follow-up:germline-confirmation"
)

// Evidence is a DPYD variant outside the CPIC allele definition that suggests loss of
// function: classified pathogenic or likely pathogenic in ClinVar, or predicted to cause loss
// of function (nonsense, frameshift, canonical splice site, start loss, an exon-overlapping
// deletion), including an allele the definition does not know at a CPIC position. CPIC's
// activity score does not account for it. It is a plain value.
type Evidence struct {
	Variant     string `json:"variant"`          // genomic position and alleles, e.g. "chr1:97305283 G>A"
	HGVSc       string `json:"hgvs_c"`           // on NM_000110.4, empty when not derivable
	HGVSp       string `json:"hgvs_p,omitempty"` // protein change, when there is one
	Consequence string `json:"consequence"`      // Sequence Ontology term
	Zygosity    string `json:"zygosity"`         // heterozygous, homozygous, hemizygous or unknown
	Reason      string `json:"reason"`           // why it suggests loss of function, with its source
	Filter      string `json:"filter,omitempty"` // the record's FILTER when not PASS
}

// name writes the evidence for people: "c.2275C>T p.(Arg759Ter) (chr1:97305283 G>A, homozygous)".
func (e Evidence) name() string {
	var parts []string
	for _, s := range []string{e.HGVSc, e.HGVSp} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return e.Variant + " (" + e.Zygosity + ")"
	}
	return strings.Join(parts, " ") + " (" + e.Variant + ", " + e.Zygosity + ")"
}

// alleles is how many copies of the variant the genotype shows: two when homozygous.
func (e Evidence) alleles() int {
	if e.Zygosity == "homozygous" {
		return 2
	}
	return 1
}

// Untested says why a CPIC position counts as untested. It is a plain value.
type Untested struct {
	RSID   string `json:"rsid"`
	Reason string `json:"reason"`
}

// complete reports whether every AMP Tier-1 position was tested (both alleles called at
// adequate quality; assumed-reference positions are not tested).
func (c *caller) complete() (bool, []string) {
	var missing []string
	for _, p := range c.d.tier1 {
		if st := c.g[p].state; st != tested && st != readsOnly { // read-only detections are said on their own
			missing = append(missing, c.d.lowName[p]+" ("+c.d.positions[p].RSID+")")
		}
	}
	return len(missing) == 0, missing
}

// worstHalf is the lowest activity score (half units) the genotype could have if every
// loss-of-function allele outside the definition has no function: the two lowest values
// among those alleles (0 each) and the two alleles CPIC scored.
func (c *caller) worstHalf(k call) int {
	var vals []int
	for _, e := range c.opts.Evidence {
		for range e.alleles() {
			vals = append(vals, 0)
		}
	}
	for _, name := range k.score {
		h := c.d.refHalf
		if i, ok := c.d.byName[name]; ok {
			h = c.d.alleles[i].half
		}
		vals = append(vals, h)
	}
	for len(vals) < 2 {
		vals = append(vals, c.d.refHalf) // no call: the other allele is taken as normal
	}
	slices.Sort(vals)
	return vals[0] + vals[1]
}

// severityRank orders alert severities.
func severityRank(s string) int {
	return slices.Index([]string{"none", "caution", "moderate", "high"}, s)
}

// raise sets the alert severity to at least s.
func raise(a *Alert, s string) {
	if severityRank(s) > severityRank(a.Severity) {
		a.Severity = s
	}
}

// addTag appends a tag once.
func addTag(r *Result, t string) {
	if !slices.Contains(r.Tags, t) {
		r.Tags = append(r.Tags, t)
	}
}

// safety applies rules 1 and 7 to a call: loss-of-function evidence outside the definition,
// incomplete tests, low-quality and read-only calls, and tumour specimens. It runs after
// recommend and only ever makes the result more cautious; each tag it adds carries its own
// reason and source (Result.TagReasons).
func (c *caller) safety(r *Result, k call) {
	ok, missingTier1 := c.complete()
	r.Complete = ok && len(c.noGT) == 0 // a read-only detection is not a tested genotype
	called := k.diplotype != ""         // false: no position tested at all (Indeterminate)
	var notes []string
	because := func(tag, reason, source string) {
		addTag(r, tag)
		if r.TagReasons == nil {
			r.TagReasons = map[string]TagReason{}
		}
		if _, ok := r.TagReasons[tag]; !ok {
			r.TagReasons[tag] = TagReason{Reason: reason, Source: source}
		}
	}

	if ev := c.opts.Evidence; len(ev) > 0 {
		var names []string
		for _, e := range ev {
			names = append(names, e.name())
		}
		worst := c.worstHalf(k)
		sev := "moderate"
		if worst <= 1 {
			sev = "high"
		}
		raise(&r.Alert, sev)
		what := fmt.Sprintf("%s %s outside the CPIC allele definition and %s loss of function", strings.Join(names, "; "), isAre(len(ev)), suggests(len(ev)))
		notes = append(notes, fmt.Sprintf("POSSIBLE DPD DEFICIENCY: %s; the CPIC activity score %s does not account for %s, and the true score could be as low as %.1f. Determine DPD activity before any fluoropyrimidine (pre-treatment plasma uracil or DPD enzyme activity, EMA 2020) and confirm the variant.",
			what, scoreText(r.ActivityScore), itThem(len(ev)), float64(worst)/2))
		r.LossOfFunction = ev
		because(tagPhenotyping, what+": measure DPD activity before treatment", srcEMA)
		because(tagConfirm, what+": confirm the variant with an orthogonal method", srcEMA)
		for _, drug := range fluoropyrimidines {
			r.Recommendations = append(r.Recommendations, Recommendation{Drug: drug, Guideline: srcEMA,
				Text:     "A DPYD variant outside the CPIC allele definition suggests loss of function (" + strings.Join(names, "; ") + "); the CPIC genotype-based recommendation does not account for it. Determine DPD activity (plasma uracil or DPD enzyme activity) before treatment and dose by the result.",
				Strength: "precautionary"})
		}
	}
	if len(c.noGT) > 0 {
		notes = append(notes, fmt.Sprintf("%s detected in the reads (%s) but the record has no genotype (GT): zygosity unknown, so no activity score is given; heterozygous gives %.1f at most, homozygous less. Genotype a germline sample and determine DPD activity before any fluoropyrimidine.",
			strings.Join(c.noGT, ", "), strings.Join(c.noGTReads, "; "), float64(k.half)/2))
		raise(&r.Alert, "moderate")
		head := fmt.Sprintf("DPYD %s (activity score %.1f)", r.Phenotype, float64(k.half)/2)
		r.Alert.Message = strings.Replace(r.Alert.Message, head, fmt.Sprintf("DPYD Indeterminate, zygosity unknown (if heterozygous: %s, activity score %.1f)", r.Phenotype, float64(k.half)/2), 1)
		r.Diplotype = strings.Join(c.noGTNames, " + ") + " (zygosity unknown)"
		r.ActivityScore, r.Phenotype = nil, "Indeterminate"
		why := strings.Join(c.noGT, ", ") + " detected without a genotype"
		because(tagPhenotyping, why+": measure DPD activity before treatment", srcEMA)
		because(tagConfirm, why+": genotype a germline sample", srcAMP)
	}
	if len(c.lowCalls) > 0 {
		notes = append(notes, "Low-quality call used: "+strings.Join(c.lowCalls, ", ")+"; confirm with an orthogonal method.")
		because(tagConfirm, "DPYD call below the quality thresholds: "+strings.Join(c.lowCalls, ", "),
			"ACMG clinical laboratory standards for next-generation sequencing (Rehm et al., Genet Med 2013)")
	}
	if c.opts.Specimen == "tumour" {
		notes = append(notes, "Tumour specimen: loss of heterozygosity or somatic change can distort the germline DPYD genotype; a germline test is preferred.")
		raise(&r.Alert, "caution")
		because(tagGermline, "DPYD genotype read from a tumour specimen", srcTumour)
	}
	if !ok && called {
		notes = append(notes, fmt.Sprintf("INCOMPLETE TEST: AMP Tier-1 %s not tested (%s); a normal result cannot be confirmed.",
			pluralWord(len(missingTier1), "position"), strings.Join(missingTier1, ", ")))
		because(tagConfirm, "AMP Tier-1 DPYD "+pluralWord(len(missingTier1), "position")+" not tested: "+strings.Join(missingTier1, ", "), srcAMP)
	}
	if r.Alert.Severity == "none" && (!r.Complete || len(notes) > 0 || len(c.unknown) > 0 || c.fromExon) {
		r.Alert.Severity = "caution"
	}
	if r.Alert.Severity != "none" && k.half == 2*c.d.refHalf {
		// The CPIC alleles tested are normal, but that is not the whole answer: the headline
		// and the recommendation must not read as a plain normal.
		r.Alert.Message = strings.Replace(r.Alert.Message, "DPYD Normal Metabolizer (", "DPYD Normal Metabolizer at the tested CPIC positions only (", 1)
		r.Alert.Message = strings.Replace(r.Alert.Message, ": standard fluorouracil/capecitabine dosing (CPIC, strong).", ": standard dosing is not confirmed.", 1)
		for i := range r.Recommendations {
			if r.Recommendations[i].Text == recNormal {
				r.Recommendations[i].Text = "For the CPIC positions tested only: " + recNormal + " This does not exclude DPD deficiency: see the alert."
			}
		}
	}
	switch {
	case len(c.opts.Evidence) > 0:
		// The possible deficiency leads: it is what the clinician must act on first.
		r.Alert.Message = "DPYD " + notes[0] + " CPIC alleles alone: " + strings.TrimPrefix(r.Alert.Message, "DPYD ")
		if len(notes) > 1 {
			r.Alert.Message += " " + strings.Join(notes[1:], " ")
		}
	case len(notes) > 0:
		r.Alert.Message += " " + strings.Join(notes, " ")
	}
	for _, p := range sortedKeys(c.lowQ) {
		if c.g[p].state != tested {
			r.UntestedReasons = append(r.UntestedReasons, Untested{RSID: c.d.positions[p].RSID, Reason: c.lowQ[p]})
		}
	}
	if !r.Complete {
		r.Sources = append(r.Sources, srcAMP)
	}
	if len(c.opts.Evidence) > 0 {
		r.Sources = append(r.Sources, srcEMA)
	}
}

// TagReason is why the DPYD call gave one tag, and on what authority. It is a plain value.
type TagReason struct {
	Reason string
	Source string
}

func sortedKeys(m map[int]string) []int {
	ks := make([]int, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func scoreText(s *float64) string {
	if s == nil {
		return "(none)"
	}
	return fmt.Sprintf("%.1f", *s)
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func suggests(n int) string {
	if n == 1 {
		return "suggests"
	}
	return "suggest"
}

func itThem(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func pluralWord(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}
