package guideline

import (
	"regexp"
	"slices"
	"strings"

	"github.com/precis-dx/precis/internal/pgx"
)

// drugGenes maps each drug ingredient with a pharmacogenomic recommendation in Precis to the
// genes whose results bear on it:
//   - fluorouracil, capecitabine: DPYD (CPIC fluoropyrimidines and DPYD, Amstutz et al. 2018,
//     Table 2 footnote a; internal/pgx);
//   - azathioprine, mercaptopurine, thioguanine: TPMT and NUDT15 (CPIC thiopurines 2018 update,
//     PMID 30447069; DPWG azathioprine/mercaptopurine/thioguanine with TPMT and with NUDT15);
//   - irinotecan: UGT1A1 (DPWG 2022, PMID 36443464; FDA Camptosar and Onivyde labels);
//   - sacituzumab govitecan: UGT1A1 (FDA Trodelvy label, BLA761115).
//
// TestDrugGenes checks the thiopurine and UGT1A1 rows against the drugs and genes of the
// guideline files.
var drugGenes = map[string][]string{
	"fluorouracil":          {"DPYD"},
	"capecitabine":          {"DPYD"},
	"azathioprine":          {"TPMT", "NUDT15"},
	"mercaptopurine":        {"TPMT", "NUDT15"},
	"thioguanine":           {"TPMT", "NUDT15"},
	"irinotecan":            {"UGT1A1"},
	"sacituzumab govitecan": {"UGT1A1"},
}

// synonyms maps other names of an ingredient, lower case, to the name drugGenes uses.
var synonyms = map[string]string{
	"5-fu":                       "fluorouracil",
	"5fu":                        "fluorouracil",
	"5-fluorouracil":             "fluorouracil",
	"6-mp":                       "mercaptopurine",
	"6mp":                        "mercaptopurine",
	"6-mercaptopurine":           "mercaptopurine",
	"6-tg":                       "thioguanine",
	"6-thioguanine":              "thioguanine",
	"tioguanine":                 "thioguanine", // INN spelling (DPWG texts use it)
	"sacituzumab govitecan-hziy": "sacituzumab govitecan",
}

// regimens maps combination regimens, lower case, to their ingredients (folinic acid, given
// with fluorouracil, is left out: it has no pharmacogenomic recommendation):
//   - FOLFIRI: irinotecan, fluorouracil, folinic acid (Tournigand et al., J Clin Oncol
//     2004;22:229-237);
//   - FOLFOX: oxaliplatin, fluorouracil, folinic acid (de Gramont et al., J Clin Oncol
//     2000;18:2938-2947; Tournigand et al. 2004);
//   - FOLFIRINOX: oxaliplatin, irinotecan, fluorouracil, folinic acid (Conroy et al., N Engl J
//     Med 2011;364:1817-1825);
//   - FOLFOXIRI: irinotecan, oxaliplatin, fluorouracil, folinic acid (Falcone et al., J Clin
//     Oncol 2007;25:1670-1676);
//   - CAPOX (CAPEOX, XELOX): capecitabine, oxaliplatin (Cassidy et al., J Clin Oncol
//     2008;26:2006-2012).
var regimens = map[string][]string{
	"folfiri":    {"fluorouracil", "irinotecan"},
	"folfox":     {"fluorouracil", "oxaliplatin"},
	"folfirinox": {"fluorouracil", "irinotecan", "oxaliplatin"},
	"folfoxiri":  {"fluorouracil", "irinotecan", "oxaliplatin"},
	"capox":      {"capecitabine", "oxaliplatin"},
	"capeox":     {"capecitabine", "oxaliplatin"},
	"xelox":      {"capecitabine", "oxaliplatin"},
}

// Normalize writes a planned drug or regimen name canonically: lower case, single spaces,
// synonyms replaced ("5-FU" -> "fluorouracil", "6-MP" -> "mercaptopurine", "FOLFIRI" ->
// "folfiri"). A name Precis does not know is kept, lower-cased: it raises no gene.
func Normalize(name string) string {
	n := strings.ToLower(strings.Join(strings.Fields(name), " "))
	if s, ok := synonyms[n]; ok {
		return s
	}
	return n
}

// NormalizeAll normalises planned drug names, dropping empty names and repeats; the order is
// kept.
func NormalizeAll(planned []string) []string {
	var out []string
	for _, p := range planned {
		if n := Normalize(p); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// regimenVariant reads a regimen name's schedule variants: a leading "m" (modified, as in
// mFOLFOX6, mFOLFIRINOX) and a trailing schedule number (FOLFOX4, FOLFOX6) change doses and
// timing, not the drugs.
var regimenVariant = regexp.MustCompile(`^m?([a-z]+?)[0-9]*$`)

// Ingredients lists the ingredients of planned drugs and regimens, normalised, in the order
// given, each once. A name joining drugs with "+" ("FOLFIRI + bevacizumab") is read part by
// part.
func Ingredients(planned []string) []string {
	var out []string
	for _, p := range NormalizeAll(planned) {
		for part := range strings.SplitSeq(p, "+") {
			part = Normalize(part)
			drugs, ok := regimens[part]
			if m := regimenVariant.FindStringSubmatch(part); !ok && m != nil {
				drugs, ok = regimens[m[1]]
			}
			if !ok {
				drugs = []string{part}
			}
			for _, d := range drugs {
				if d != "" && !slices.Contains(out, d) {
					out = append(out, d)
				}
			}
		}
	}
	return out
}

// Genes lists the genes whose results bear on the planned drugs, in the order the drugs are
// given, each once.
func Genes(planned []string) []string {
	var out []string
	for _, d := range Ingredients(planned) {
		for _, g := range drugGenes[d] {
			if !slices.Contains(out, g) {
				out = append(out, g)
			}
		}
	}
	return out
}

// Drugs lists the ingredients a gene's results bear on, in drugGenes' order of the guidelines
// (alphabetical within a gene).
func Drugs(gene string) []string {
	var out []string
	for d, gs := range drugGenes {
		if slices.Contains(gs, gene) {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out
}

// Raises reports whether result r raises an alert for clinicians when planned are the planned
// drugs (any form Normalize reads): its alert is not "none" (a complete normal test), and,
// when drugs are planned, its gene bears on one of them. Without planned drugs every ordered
// gene's result that is not a complete normal test raises its alert, as DPYD always has.
func Raises(r pgx.Result, planned []string) bool {
	if r.Alert.Severity == "" || r.Alert.Severity == "none" {
		return false
	}
	if len(NormalizeAll(planned)) == 0 {
		return true
	}
	return slices.Contains(Genes(planned), r.Gene)
}

// Order sorts results in place: the genes bearing on the planned drugs first, in the order of
// Genes(planned), then the others in their order. Without planned drugs the order is kept.
func Order(results []pgx.Result, planned []string) {
	genes := Genes(planned)
	rank := func(r pgx.Result) int {
		if i := slices.Index(genes, r.Gene); i >= 0 {
			return i
		}
		return len(genes)
	}
	slices.SortStableFunc(results, func(a, b pgx.Result) int { return rank(a) - rank(b) })
}

// AlertDrugs lists the drugs an alert of gene is about: the planned ingredients the gene bears
// on, or, when none are planned, every drug the gene bears on (Drugs).
func AlertDrugs(gene string, planned []string) []string {
	if len(NormalizeAll(planned)) == 0 {
		return Drugs(gene)
	}
	var out []string
	for _, d := range Ingredients(planned) {
		if slices.Contains(drugGenes[d], gene) {
			out = append(out, d)
		}
	}
	return out
}

// activityScored are the genes CPIC phenotypes by an activity score: DPYD (CPIC
// fluoropyrimidines and DPYD, Amstutz et al. 2018). TPMT and NUDT15 (CPIC thiopurines 2018
// update) and UGT1A1 are phenotyped from the function of the two alleles, without one.
var activityScored = map[string]bool{"DPYD": true}

// ActivityScored reports whether a gene's result carries a CPIC activity score, so that a
// missing score reads as "no call" rather than "not applicable".
func ActivityScored(gene string) bool { return activityScored[gene] }
