package kb

import (
	"bufio"
	"fmt"
	"io"
	"iter"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/precis-dx/precis/internal/vcf"
)

// Classifications, the report's germline classification vocabulary.
const (
	ClassPathogenic         = "pathogenic"
	ClassLikelyPathogenic   = "likely_pathogenic"
	ClassUncertain          = "uncertain_significance"
	ClassLikelyBenign       = "likely_benign"
	ClassBenign             = "benign"
	ClassConflicting        = "conflicting"
	ClassNotInKnowledgeBase = "not_in_knowledge_base"
)

// classificationVocabulary lists the classifications, for error messages.
const classificationVocabulary = "pathogenic likely_pathogenic uncertain_significance likely_benign benign conflicting not_in_knowledge_base"

// Entry is ClinVar's aggregate germline classification of one variant in one release.
//
// An Entry is a plain value, safe for concurrent use.
type Entry struct {
	Chrom          string   // canonical contig, "chr17"
	Pos            int      // 1-based (VCF) position of the first base of Ref
	Ref, Alt       string   // VCF-style alleles as ClinVar's VCF writes them (left-aligned, with anchor base)
	VariationID    string   // ClinVar Variation ID (the VCF ID column)
	Gene           string   // the panel gene the record names (GENEINFO or GENE)
	CLNSIG         string   // ClinVar's CLNSIG value, verbatim; "" when the record has no germline classification
	ReviewStatus   string   // ClinVar's CLNREVSTAT value, verbatim
	Stars          int      // review status as ClinVar's 0-4 gold stars
	Classification string   // CLNSIG mapped to the report vocabulary (ClassifyCLNSIG)
	Release        string   // "ClinVar 2026-02-26"
	MC             []string // molecular consequences, ClinVar's Sequence Ontology labels (e.g. "missense_variant"; ClinVar labels SO:0001587 "nonsense")
	RSID           string   // dbSNP id, "rs80357906", or ""
	// ConditionText is ClinVar's conditions for the germline classification: CLNDN with its
	// CLNDISDB ids (2026 file), or CLNDISDB_MONDO (2024 P/LP extract), encoded as
	// ParseConditions reads it; "" when ClinVar names none. Conditions decodes it. It stays
	// encoded (a substring of the loaded table) so that the table costs no allocation per
	// condition: only a finding's entry is ever decoded.
	ConditionText string
	Somatic       *Somatic // ClinVar's somatic classifications (ONC, SCI); nil when it has none
}

// ClinVar holds ClinVar entries of the panel genes, at most one per (contig, position,
// REF, ALT); where two releases have the same variant the newer one is kept.
//
// A ClinVar is immutable after Load and safe for concurrent use.
type ClinVar struct {
	chroms map[string][]Entry // by canonical contig; sorted by Pos, Ref, Alt
	n      int
}

// Lookup returns the entry for the variant chrom:pos ref>alt, written VCF-style and
// left-aligned as in ClinVar's VCF (normalise the query first). chrom is canonical
// ("chr17"); "17" is accepted too.
func (c *ClinVar) Lookup(chrom string, pos int, ref, alt string) (Entry, bool) {
	for _, e := range c.At(chrom, pos) {
		if e.Ref == ref && e.Alt == alt {
			return e, true
		}
	}
	return Entry{}, false
}

// At returns the entries whose VCF position is chrom:pos (1-based), any alleles. The
// slice is shared: do not modify it.
func (c *ClinVar) At(chrom string, pos int) []Entry {
	if c == nil {
		return nil
	}
	list, ok := c.chroms[chrom]
	if !ok {
		cc, known := vcf.CanonicalChrom(chrom)
		if !known {
			return nil
		}
		list = c.chroms[cc]
	}
	i := sort.Search(len(list), func(i int) bool { return list[i].Pos >= pos })
	j := i
	for j < len(list) && list[j].Pos == pos {
		j++
	}
	return list[i:j:j]
}

// Len returns the number of entries.
func (c *ClinVar) Len() int { return c.n }

// All yields every entry, sorted by contig, position, REF and ALT.
func (c *ClinVar) All() iter.Seq[Entry] {
	return func(yield func(Entry) bool) {
		for _, chrom := range sortedChroms(c.chroms) {
			for _, e := range c.chroms[chrom] {
				if !yield(e) {
					return
				}
			}
		}
	}
}

// NewClinVar indexes entries, rejecting a duplicate variant. entries is sorted in place
// (it usually is already: the embedded table is written sorted) and kept.
func NewClinVar(entries []Entry) (*ClinVar, error) {
	if !sort.SliceIsSorted(entries, func(i, j int) bool { return entryLess(entries[i], entries[j]) }) {
		sort.SliceStable(entries, func(i, j int) bool { return entryLess(entries[i], entries[j]) })
	}
	c := &ClinVar{chroms: map[string][]Entry{}, n: len(entries)}
	start := 0
	for i := 1; i <= len(entries); i++ {
		if i < len(entries) && entries[i].Chrom == entries[start].Chrom {
			a, b := entries[i-1], entries[i]
			if a.Pos == b.Pos && a.Ref == b.Ref && a.Alt == b.Alt {
				return nil, fmt.Errorf("%w: ClinVar: %s:%d %s>%s listed twice", ErrInconsistent, a.Chrom, a.Pos, a.Ref, a.Alt)
			}
			continue
		}
		c.chroms[entries[start].Chrom] = entries[start:i:i]
		start = i
	}
	return c, nil
}

func entryLess(a, b Entry) bool {
	if a.Chrom != b.Chrom {
		return chromRank(a.Chrom) < chromRank(b.Chrom)
	}
	if a.Pos != b.Pos {
		return a.Pos < b.Pos
	}
	if a.Ref != b.Ref {
		return a.Ref < b.Ref
	}
	return a.Alt < b.Alt
}

// ClassifyCLNSIG maps ClinVar's aggregate germline classification (the CLNSIG INFO value)
// to the report vocabulary. Terms follow ClinVar's classification vocabulary
// (https://www.ncbi.nlm.nih.gov/clinvar/docs/clinsig/):
//
//   - Pathogenic, Likely_pathogenic, Uncertain_significance, Likely_benign, Benign map to
//     themselves; "Pathogenic,_low_penetrance" and "Likely_pathogenic,_low_penetrance" are
//     ClinVar's low-penetrance forms of the same classes and map to pathogenic and
//     likely_pathogenic.
//   - Combined values ("Pathogenic/Likely_pathogenic", "Benign/Likely_benign") mean the
//     submitters agree on the side but not on the certainty; they map to the lower
//     certainty (likely_pathogenic, likely_benign), so a report never claims more
//     certainty than every submitter did.
//   - "Conflicting_classifications_of_pathogenicity" (and the pre-2024 spelling
//     "Conflicting_interpretations_of_pathogenicity") map to conflicting.
//   - Values that are not a germline pathogenicity class (drug_response, risk_factor,
//     association, protective, Affects, other, not_provided, the risk-allele classes, no
//     classification) map to not_in_knowledge_base; the entry keeps CLNSIG so a report
//     can say why.
//
// ClinVar separates a variant's further, non-pathogenicity terms with '|'
// ("Pathogenic|risk_factor"); the first term that is a pathogenicity class decides.
func ClassifyCLNSIG(clnsig string) string {
	for _, term := range strings.Split(clnsig, "|") {
		if c := classifyTerm(strings.TrimSpace(term)); c != ClassNotInKnowledgeBase {
			return c
		}
	}
	return ClassNotInKnowledgeBase
}

func classifyTerm(term string) string {
	switch strings.ToLower(term) {
	case "conflicting_classifications_of_pathogenicity", "conflicting_interpretations_of_pathogenicity":
		return ClassConflicting
	}
	// A '/'-combined value: every part must be a class on the same side.
	var path, benign, likely, uncertain int
	parts := strings.Split(term, "/")
	for _, p := range parts {
		switch strings.ToLower(p) {
		case "pathogenic", "pathogenic,_low_penetrance":
			path++
		case "likely_pathogenic", "likely_pathogenic,_low_penetrance":
			path++
			likely++
		case "benign":
			benign++
		case "likely_benign":
			benign++
			likely++
		case "uncertain_significance":
			uncertain++
		default:
			return ClassNotInKnowledgeBase
		}
	}
	switch {
	case uncertain == len(parts):
		return ClassUncertain
	case path == len(parts) && likely > 0:
		return ClassLikelyPathogenic
	case path == len(parts):
		return ClassPathogenic
	case benign == len(parts) && likely > 0:
		return ClassLikelyBenign
	case benign == len(parts):
		return ClassBenign
	}
	// Parts on different sides (ClinVar does not write this, but it would be a conflict).
	return ClassConflicting
}

// ReviewStars maps ClinVar's review status (CLNREVSTAT) to its gold stars, per ClinVar's
// review status table (https://www.ncbi.nlm.nih.gov/clinvar/docs/review_status/):
// practice guideline 4; reviewed by expert panel 3; criteria provided, multiple
// submitters, no conflicts 2; criteria provided, single submitter 1; criteria provided,
// conflicting classifications 1; anything else (no assertion criteria, no
// classification) 0.
func ReviewStars(revstat string) int {
	switch strings.ToLower(strings.TrimSpace(revstat)) {
	case "practice_guideline":
		return 4
	case "reviewed_by_expert_panel":
		return 3
	case "criteria_provided,_multiple_submitters,_no_conflicts":
		return 2
	case "criteria_provided,_single_submitter",
		"criteria_provided,_conflicting_classifications",
		"criteria_provided,_conflicting_interpretations":
		return 1
	}
	return 0
}

// IsPLP reports whether a classification is pathogenic or likely pathogenic.
func IsPLP(classification string) bool {
	return classification == ClassPathogenic || classification == ClassLikelyPathogenic
}

// IsAlleles reports whether s is a non-empty run of the bases A, C, G, T and N: an allele
// as ClinVar's and PharmCAT's files and the ClinVar table write it.
func IsAlleles(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'A', 'C', 'G', 'T', 'N':
		default:
			return false
		}
	}
	return true
}

// clinvarHeader heads the embedded ClinVar table.
//
// conditions is ClinVar's CLNDN with CLNDISDB ids (MONDO, MedGen, OMIM), or the 2024
// extract's CLNDISDB_MONDO, as ParseConditions reads it. onc, onc_revstat and onc_conditions
// are ClinVar's oncogenicity classification (ONC, ONCREVSTAT, ONCDN with ONCDISDB); sci,
// sci_revstat and sci_conditions its somatic clinical impact (SCI, SCIREVSTAT, SCIDN with
// SCIDISDB). The six somatic columns are '.' for the many records without one.
const clinvarHeader = "#chrom\tpos\tref\talt\tvariation_id\tgene\tclnsig\tclnrevstat\tstars\tclassification\trelease\tmc\trsid" +
	"\tconditions\tonc\tonc_revstat\tonc_conditions\tsci\tsci_revstat\tsci_conditions" +
	"\t(pos: 1-based VCF position; '.' marks an empty field; conditions: name=ID,ID|name)\n"

// clinvarFields is the number of columns of the embedded ClinVar table.
const clinvarFields = 20

// WriteClinVar writes the embedded ClinVar table, sorted by contig, position and alleles.
func WriteClinVar(w io.Writer, c *ClinVar) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(clinvarHeader)
	for e := range c.All() {
		var som Somatic
		if e.Somatic != nil {
			som = *e.Somatic
		}
		fmt.Fprintf(bw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			e.Chrom, e.Pos, e.Ref, e.Alt, dot(e.VariationID), e.Gene, dot(e.CLNSIG), dot(e.ReviewStatus),
			e.Stars, e.Classification, e.Release, dot(strings.Join(e.MC, ",")), dot(e.RSID), dot(e.ConditionText),
			dot(som.Oncogenicity), dot(som.OncogenicityReview), dot(som.OncogenicityConditions),
			dot(som.ClinicalImpact), dot(som.ClinicalImpactReview), dot(som.ClinicalImpactConds))
	}
	return bw.Flush()
}

// parseClinVar reads the table written by WriteClinVar. The entries' strings share data's
// memory. The table is cut at line boundaries into parts parsed on parallel goroutines,
// each into its own stretch of one slice: the parse is most of what loading the knowledge
// base costs.
func parseClinVar(data string) (*ClinVar, error) {
	parts := clinvarParts(data, max(1, min(runtime.GOMAXPROCS(0), 4)))
	counts := make([]int, len(parts))
	total := 0
	for i, p := range parts {
		counts[i] = strings.Count(p.text, "\n") + 1 // at most this many entries
		total += counts[i]
	}
	entries := make([]Entry, total)
	used := make([]int, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	at := 0
	for i, p := range parts {
		out := entries[at : at+counts[i]]
		at += counts[i]
		wg.Go(func() {
			used[i], errs[i] = parseClinVarLines(p.text, p.line, out)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err // the first in the table
		}
	}
	// Close the gaps the line counts left (comment and empty lines).
	n, at := 0, 0
	for i := range parts {
		n += copy(entries[n:], entries[at:at+used[i]])
		at += counts[i]
	}
	return NewClinVar(entries[:n:n])
}

// clinvarPart is a run of whole lines of the table and the number of the line before it.
type clinvarPart struct {
	text string
	line int
}

// clinvarParts cuts data into about n runs of whole lines.
func clinvarParts(data string, n int) []clinvarPart {
	var out []clinvarPart
	line := 0
	for k := n; k > 1 && len(data) > 0; k-- {
		cut := len(data) / k
		if i := strings.IndexByte(data[cut:], '\n'); i >= 0 {
			cut += i + 1
		} else {
			cut = len(data)
		}
		out = append(out, clinvarPart{data[:cut], line})
		line += strings.Count(data[:cut], "\n")
		data = data[cut:]
	}
	return append(out, clinvarPart{data, line})
}

// parseClinVarLines parses the table lines of text, whose first line is line+1 of the table,
// into out, and returns how many entries it wrote.
func parseClinVarLines(text string, line int, out []Entry) (int, error) {
	used := 0
	err := EachLine(text, func(n int, l string) error {
		n += line
		var f [clinvarFields]string
		rest := l
		for i := range f {
			if i == len(f)-1 {
				f[i] = rest
				if strings.IndexByte(rest, '\t') >= 0 {
					return fmt.Errorf("%w: clinvar line %d: more than %d fields", ErrFormat, n, clinvarFields)
				}
				break
			}
			var ok bool
			f[i], rest, ok = strings.Cut(rest, "\t")
			if !ok {
				return fmt.Errorf("%w: clinvar line %d: %d fields, want %d", ErrFormat, n, i+1, clinvarFields)
			}
		}
		chrom, known := vcf.CanonicalChrom(f[0])
		pos, err := strconv.Atoi(f[1])
		if !known || chrom != f[0] || err != nil || pos < 1 {
			return fmt.Errorf("%w: clinvar line %d: locus %s:%s", ErrFormat, n, f[0], f[1])
		}
		stars, err := strconv.Atoi(f[8])
		if err != nil || stars < 0 || stars > 4 {
			return fmt.Errorf("%w: clinvar line %d: stars %q", ErrFormat, n, f[8])
		}
		if !IsAlleles(f[2]) || !IsAlleles(f[3]) {
			return fmt.Errorf("%w: clinvar line %d: alleles %q>%q", ErrFormat, n, f[2], f[3])
		}
		if !isPanelGene(f[5]) || f[10] == "" {
			return fmt.Errorf("%w: clinvar line %d: gene %q, release %q", ErrFormat, n, f[5], f[10])
		}
		if !isClassification(f[9]) {
			return fmt.Errorf("%w: clinvar line %d: classification %q is not one of %s", ErrFormat, n, f[9], classificationVocabulary)
		}
		e := Entry{Chrom: chrom, Pos: pos, Ref: f[2], Alt: f[3], VariationID: undot(f[4]), Gene: f[5],
			CLNSIG: undot(f[6]), ReviewStatus: undot(f[7]), Stars: stars, Classification: f[9], Release: f[10], RSID: undot(f[12]),
			ConditionText: undot(f[13])}
		if f[14] != "." || f[17] != "." {
			e.Somatic = &Somatic{Oncogenicity: undot(f[14]), OncogenicityReview: undot(f[15]), OncogenicityConditions: undot(f[16]),
				ClinicalImpact: undot(f[17]), ClinicalImpactReview: undot(f[18]), ClinicalImpactConds: undot(f[19])}
		}
		if mc := undot(f[11]); mc != "" {
			e.MC = strings.Split(mc, ",")
		}
		out[used] = e
		used++
		return nil
	})
	return used, err
}

func isClassification(s string) bool {
	switch s {
	case ClassPathogenic, ClassLikelyPathogenic, ClassUncertain, ClassLikelyBenign, ClassBenign,
		ClassConflicting, ClassNotInKnowledgeBase:
		return true
	}
	return false
}
