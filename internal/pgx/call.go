package pgx

import (
	"fmt"
	"slices"
	"strings"
)

// Missing-position policies (Options.Missing).
const (
	// MissingNoCall treats a position the input does not cover as untested: the call is made
	// from the tested positions and the untested ones are reported (PharmCAT's behaviour).
	MissingNoCall = "no-call"
	// MissingReference assumes an uncovered position is homozygous reference, for
	// single-sample VCFs from callers that omit hom-ref sites. The result records the choice.
	MissingReference = "reference"
)

// maxPhaseBlocks bounds how many independently phased blocks are combined explicitly
// (2^(n-1) arrangements); beyond it the unphased method, whose score is a lower bound of
// every arrangement, is used.
const maxPhaseBlocks = 4

// Allele is one ALT of a Site in normalised form (trimmed, left-aligned, VCF anchor base).
// It is a plain value, safe for concurrent use.
type Allele struct {
	Pos int    // 1-based (VCF) position of the first base of Ref after normalisation
	Ref string // plus-strand reference bases
	Alt string // plus-strand alternate bases; empty for a symbolic ALT (<NON_REF>, <*>, *)
}

// Site is one VCF record for one sample, as read. It is a plain value; Call only reads it.
type Site struct {
	Chrom    string   // contig, "chr1" or "1"
	Pos      int      // 1-based (VCF) POS of the record
	Ref      string   // REF as written in the record
	End      int      // 1-based inclusive last reference base covered; END= for gVCF reference blocks
	RefBlock bool     // gVCF reference block (<NON_REF>/<*>, END=): every covered position is tested reference
	Alleles  []Allele // normalised form of each ALT: index i is ALT i+1
	GT       []int    // allele index per haplotype; -1 is a missing allele (".")
	Phased   bool     // GT written with '|'
	PhaseSet string   // FORMAT/PS; empty means the whole contig is one phase set
	Filter   string   // FILTER column
	DP       int      // FORMAT MIN_DP of a gVCF block when given, else FORMAT DP; -1 when the record gives neither
	GQ       int      // FORMAT GQ; -1 when not given
	Detected []int    // when GT is nil (a tumour caller's record): the 1-based ALTs the sample's reads support
	Reads    string   // the read support of a Detected record in words, e.g. "AD 50,50"
}

// Options controls a call. It is a plain value.
type Options struct {
	Missing string // MissingNoCall (default when empty) or MissingReference
	// MinDP and MinGQ: a record or gVCF block tests a position only with DP >= MinDP and GQ >=
	// MinGQ (when it gives them); below, a reference call leaves the position untested with
	// the reason, and a non-reference call is used but needs confirmation. 0 disables a check.
	MinDP, MinGQ int
	Specimen     string     // "tumour": the result carries the germline caveat
	Evidence     []Evidence // DPYD loss-of-function evidence outside the definition, found by the annotator
	// InputRef gives, by definition position (GRCh38 POS), the base of the input's own
	// reference genome where it differs from the definition's REF: GRCh37 has G (c.85C,
	// rs1801265, *9A) where GRCh38 has A. A caller calls against its own reference, so
	// under MissingReference a position absent from such an input is assumed to carry
	// that base on both strands: the definition's ALT when it is that base (a warning says
	// so), else the position is untested.
	InputRef map[int]string
}

// Recommendation is one guideline recommendation for one drug. It is a plain value.
type Recommendation struct {
	Drug      string `json:"drug"`
	Guideline string `json:"guideline"`
	Text      string `json:"text"`
	Strength  string `json:"strength"` // CPIC classification of the recommendation: "strong", "moderate"
}

// Alert is the dose alert pushed to clinicians. It is a plain value.
type Alert struct {
	Severity string `json:"severity"` // "none" (complete normal test only), "caution" (incomplete test), "moderate" (reduced dose or possible deficiency) or "high" (avoid)
	Message  string `json:"message"`
}

// Result is a DPYD call for one sample; its JSON form is the report's pgx entry
// (DESIGN.md) with extra keys. It is a plain value.
type Result struct {
	Gene              string           `json:"gene"`
	Diplotype         string           `json:"diplotype"`      // "A/B"; unphased: "a || b || c" (PharmCAT's list); several possible phasings: "A/B or C/D"
	ActivityScore     *float64         `json:"activity_score"` // nil when no call is possible
	Phenotype         string           `json:"phenotype"`
	UntestedPositions []string         `json:"untested_positions"` // rsIDs of positions with no genotype (or only one allele called)
	Recommendations   []Recommendation `json:"recommendations"`
	Alert             Alert            `json:"alert"`
	Alleles           []string         `json:"alleles"`       // named alleles found (not Reference)
	ScoreAlleles      []string         `json:"score_alleles"` // the two alleles whose values make the activity score
	Phased            bool             `json:"phased"`        // the call rests on one known phasing (phased, or effectively phased)
	Warnings          []string         `json:"warnings"`
	MissingPolicy     string           `json:"missing_policy"`
	Tags              []string         `json:"tags"`
	Sources           []string         `json:"sources"`
	// Complete: DPYD: every AMP Tier-1 position was tested at adequate quality (rule 7);
	// UGT1A1, TPMT, NUDT15: every definition position was tested (none assumed, none below
	// the quality thresholds). Only then can a normal result have alert severity "none".
	Complete        bool       `json:"complete_test"`
	UntestedReasons []Untested `json:"untested_reasons,omitempty"` // positions a low-quality record or block left untested
	LossOfFunction  []Evidence `json:"loss_of_function_evidence,omitempty"`
	// Named-allele genes (TPMT, NUDT15, UGT1A1) only; empty and omitted for DPYD.
	Candidates         []Candidate `json:"candidates,omitempty"`          // every diplotype the genotypes allow, PharmCAT order (highest score first); the first is the call
	Functions          []string    `json:"functions,omitempty"`           // CPIC function of the two alleles of the call, e.g. ["Normal function", "No function"]
	PhenotypeAmbiguous bool        `json:"phenotype_ambiguous,omitempty"` // some candidate has a different phenotype from the call's: read Candidates, not only the call
	// TagReasons says why a tag was given where the reason is narrower than the whole alert
	// (the report's tag_rationale carries it); not part of the JSON entry.
	TagReasons map[string]TagReason `json:"-"`
}

// Position states of one call.
const (
	untested  = iota // no genotype
	tested           // both alleles called
	half             // one allele called, the other missing
	assumed          // untested, assumed reference (MissingReference)
	readsOnly        // an allele seen in the reads of a record without GT: detected, zygosity unknown
)

// genotype is the sample's genotype at one definition position.
type genotype struct {
	gt    [2]int8 // per haplotype: -1 missing, 0 reference (or an allele CPIC does not define), 1 the CPIC allele
	state int     // phase: the reader's pick (reader.at)
}

// caller holds the state of one Call. The genotypes are read by the shared reader
// (reader.go) with DPYD's rules (dpydRules); what follows is DPYD's own: the activity score,
// HapB3 and the CPIC allele ranks.
type caller struct {
	*reader
	d        *Definition
	g        []genotype
	fromExon bool     // HapB3 inferred from the exonic tag SNP only
	unknown  []string // undocumented alleles found at positions of decreased- or no-function alleles
	mismatch bool     // intronic and exonic HapB3 SNPs disagree

	noGT      []string // CPIC alleles detected by reads in a record without GT
	noGTNames []string // their allele names
	noGTReads []string // their read support
}

// Call calls DPYD for one sample from its records (any order; records on other contigs are
// ignored). It never fails: a sample with no usable DPYD genotype gets an Indeterminate
// result with a null activity score.
//
// A named-allele gene (TPMT, NUDT15, UGT1A1) is called by PharmCAT's NamedAlleleMatcher
// (named.go); Options.Evidence and Options.InputRef apply to DPYD only.
func (d *Definition) Call(sites []Site, opts Options) Result {
	if d.named != nil {
		return d.named.call(sites, opts)
	}
	c := &caller{d: d, g: make([]genotype, len(d.positions))}
	c.reader = newReader(&d.layout, sites, opts, readRules{
		label:           d.label,
		wholeContig:     true,
		detect:          true,
		onDetected:      c.detectedAt,
		documentedFirst: true,
		undocumented:    c.undocumented,
	})
	c.reader.decode(c.state)
	return c.result()
}

// label names a position for people, e.g. "rs3918290 (c.1905+1G>A)".
func (d *Definition) label(p int) string {
	return d.positions[p].RSID + " (" + d.positions[p].CDNA + ")"
}

// label names a position for people, e.g. "rs3918290 (c.1905+1G>A)".
func (c *caller) label(p int) string { return c.d.label(p) }

// state decides the DPYD state of position p from the genotype the reader read there.
func (c *caller) state(p int) {
	g, pk := &c.g[p], &c.at[p]
	g.gt = pk.hap
	switch {
	case g.gt[0] >= 0 && g.gt[1] >= 0:
		g.state = tested
	case g.gt[0] >= 0 || g.gt[1] >= 0:
		g.state = half
		if pk.site >= 0 && detected(&c.sites[pk.site]) {
			g.state = readsOnly // said by safety: detected, zygosity unknown
			break
		}
		c.warn(fmt.Sprintf("%s: only one allele called (half-call); the called allele is used and the other is untested", c.label(p)))
	case c.opts.Missing == MissingReference:
		g.state, g.gt = assumed, [2]int8{0, 0}
		if dp := &c.d.positions[p]; c.opts.InputRef[dp.Pos] != "" {
			switch base := c.opts.InputRef[dp.Pos]; {
			case strings.EqualFold(base, dp.Alt):
				g.gt = [2]int8{1, 1}
				c.warn(fmt.Sprintf("%s: not in the input; assumed to carry %s, the base of the input's genome build at chr1:%d (the GRCh38 REF is %s; missing policy %q)",
					c.label(p), strings.ToUpper(base), dp.Pos, dp.Ref, MissingReference))
			default:
				g.state, g.gt = untested, [2]int8{-1, -1}
				c.warn(fmt.Sprintf("%s: not in the input, and the input's genome build has %s at chr1:%d, neither the definition's REF %s nor its ALT %s; position untested",
					c.label(p), strings.ToUpper(base), dp.Pos, dp.Ref, dp.Alt))
			}
		}
	default:
		g.state = untested
	}
}

// detectedAt records a CPIC allele seen in the reads of a record without GT at position p.
func (c *caller) detectedAt(p int, s *Site) {
	c.noGT = append(c.noGT, c.label(p))
	c.noGTNames = append(c.noGTNames, c.d.lowName[p])
	if s.Reads != "" {
		c.noGTReads = append(c.noGTReads, c.d.positions[p].RSID+" "+s.Reads)
	}
}

// undocumented scores an allele the CPIC definition does not know at position p as
// reference, as CPIC and PharmCAT do (PharmCAT NamedAlleleMatcher
// TREAT_UNDOCUMENTED_VARIATIONS_AS_REFERENCE), and records it when it sits at the position of
// a decreased- or no-function allele (safety.go raises the alert).
func (c *caller) undocumented(p int, _ *Site, al Allele) int8 {
	dp := &c.d.positions[p]
	v := fmt.Sprintf("chr1:%d %s>%s", al.Pos, strings.ToUpper(al.Ref), strings.ToUpper(al.Alt))
	c.warn(fmt.Sprintf("%s: allele %s is not in the CPIC DPYD definition (CPIC allele %s>%s); scored as reference, its function is unknown", c.label(p), v, dp.Ref, dp.Alt))
	if dp.ActivityValue < float64(c.d.refHalf)/2 {
		v += " at the " + c.d.lowName[p] + " position"
		if !slices.Contains(c.unknown, v) {
			c.unknown = append(c.unknown, v)
		}
	}
	return codeReference
}

// strandCall is one haplotype of a diplotype.
type strandCall struct {
	names []string // sorted allele names, empty for Reference
	low   int      // lowest activity value on the strand, half units
	lowAt string   // the allele with that value
}

// hapB3 decides which HapB3 allele strand s carries (-1 for none), PharmCAT/CPIC style: the
// intronic c.1129-5923C>G decides when called; HapB3 needs the exonic tag on the same strand
// too, else the strand carries the intronic allele alone. When the intronic SNP is not
// called, the exonic tag calls HapB3 and a warning says so.
func (c *caller) hapB3(gt func(p, s int) int8, s int) int {
	in, ex := gt(c.d.intronPos, s), gt(c.d.exonPos, s)
	switch {
	case in == 1 && ex == 1:
		return c.d.hapB3
	case in == 1:
		return c.d.intronic
	case in == 0:
		if ex == 1 {
			c.mismatch = true
		}
		return -1
	case ex == 1:
		c.fromExon = true
		return c.d.hapB3
	}
	return -1
}

// strand builds haplotype s of an arrangement.
func (c *caller) strand(gt func(p, s int) int8, s int) strandCall {
	sc := strandCall{low: c.d.refHalf, lowAt: referenceName}
	add := func(ai int) {
		a := &c.d.alleles[ai]
		sc.names = append(sc.names, a.name)
		if a.half < sc.low || a.half == sc.low && sc.lowAt != referenceName && compareNames(a.name, sc.lowAt) < 0 {
			sc.low, sc.lowAt = a.half, a.name
		}
	}
	for p, ai := range c.d.single {
		if ai >= 0 && p != c.d.intronPos && gt(p, s) == 1 {
			add(ai)
		}
	}
	if ai := c.hapB3(gt, s); ai >= 0 {
		add(ai)
	}
	slices.SortFunc(sc.names, compareNames)
	return sc
}

// call is the outcome of one calling method.
type call struct {
	diplotype string
	half      int // activity score in half units
	score     []string
	alleles   []string
	phased    bool
}

// callStrands calls a diplotype for every arrangement of the phase blocks (block 0 fixed)
// and keeps the lowest activity score, listing every distinct diplotype.
func (c *caller) callStrands(block []int, nBlocks int) call {
	type cand struct {
		name  string
		half  int
		score []string
		names []string
	}
	var cands []cand
	for mask := 0; mask < 1<<max(nBlocks-1, 0); mask++ {
		gt := func(p, s int) int8 {
			if b := block[p]; b > 0 && mask&(1<<(b-1)) != 0 {
				s = 1 - s
			}
			return c.g[p].gt[s]
		}
		a, b := c.strand(gt, 0), c.strand(gt, 1)
		score := []string{a.lowAt, b.lowAt}
		slices.SortFunc(score, compareNames)
		cands = append(cands, cand{name: diplotypeName(a.names, b.names), half: a.low + b.low, score: score,
			names: append(append([]string(nil), a.names...), b.names...)})
	}
	slices.SortStableFunc(cands, func(x, y cand) int {
		if x.half != y.half {
			return x.half - y.half
		}
		return strings.Compare(x.name, y.name)
	})
	out := call{half: cands[0].half, score: cands[0].score}
	var names []string
	for _, cd := range cands {
		if !slices.Contains(names, cd.name) {
			names = append(names, cd.name)
		}
		out.alleles = append(out.alleles, cd.names...)
	}
	out.diplotype, out.phased = strings.Join(names, " or "), len(names) == 1
	if len(names) > 1 {
		c.warn(fmt.Sprintf("phase between %d phase sets is unknown: %d diplotypes are possible; the lowest activity score is used", nBlocks, len(names)))
	}
	return out
}

// callList is PharmCAT's unphased DPYD method: list every allele found (twice when it can
// be on both strands) and score the two lowest values, Reference filling up.
func (c *caller) callList() call {
	counts := map[string]int{}
	refPossible := true
	for p, ai := range c.d.single {
		if ai < 0 || p == c.d.intronPos {
			continue
		}
		n := 0
		for _, a := range c.g[p].gt {
			if a == 1 {
				n++
			}
		}
		if n > 0 {
			counts[c.d.alleles[ai].name] += n
		}
		refPossible = refPossible && n < 2
	}
	distinct := len(counts)
	// HapB3 from counts (PharmCAT DpydHapB3Matcher): as many HapB3 as strands carrying both
	// SNPs can make, the remaining intronic SNPs as c.1129-5923C>G; more exonic than
	// intronic SNPs is a mismatch, the intronic SNP decides.
	in, ex := c.g[c.d.intronPos], c.g[c.d.exonPos]
	nIn, nEx := countAlt(in.gt), countAlt(ex.gt)
	known := func(g genotype) bool { return g.gt[0] >= 0 || g.gt[1] >= 0 }
	hap, intr := 0, 0
	switch {
	case known(in):
		if known(ex) {
			hap = min(nIn, nEx)
			c.mismatch = c.mismatch || nEx > nIn
		}
		intr = nIn - hap
	case known(ex):
		hap = nEx
		c.fromExon = c.fromExon || nEx > 0
	}
	if hap > 0 {
		counts[hapB3Name] += hap
	}
	if intr > 0 {
		counts[hapB3IntronName] += intr
	}
	// Reference is listed only while it is one of at most two calls (PharmCAT strips it
	// from longer lists to prefer non-reference alleles).
	if refPossible && distinct+1+hap+intr <= 2 {
		counts[referenceName] = 1
	}
	type val struct {
		name string
		half int
	}
	var vals []val
	out := call{diplotype: listName(counts)}
	for name, n := range counts {
		h := c.d.refHalf
		if name != referenceName {
			h = c.d.alleles[c.d.byName[name]].half
			out.alleles = append(out.alleles, name)
		}
		for range n {
			vals = append(vals, val{name, h})
		}
	}
	for len(vals) < 2 {
		vals = append(vals, val{referenceName, c.d.refHalf})
	}
	slices.SortFunc(vals, func(a, b val) int {
		if a.half != b.half {
			return a.half - b.half
		}
		return compareNames(a.name, b.name)
	})
	out.half = vals[0].half + vals[1].half
	out.score = []string{vals[0].name, vals[1].name}
	return out
}

func countAlt(gt [2]int8) int {
	n := 0
	for _, a := range gt {
		if a == 1 {
			n++
		}
	}
	return n
}

// result makes the call and writes the Result.
func (c *caller) result() Result {
	r := Result{Gene: gene, MissingPolicy: c.opts.Missing, UntestedPositions: []string{}, Recommendations: []Recommendation{},
		Alleles: []string{}, ScoreAlleles: []string{}, Tags: []string{}, Sources: c.d.sources()}
	anyTested := false
	var risky []int // untested (or half-called, or assumed) positions that may hide a lower-function allele
	for p, g := range c.g {
		if g.state == tested || g.state == half || g.state == readsOnly {
			anyTested = true
		}
		if g.state == tested || g.state == readsOnly {
			continue // a read-only detection is seen, not untested
		}
		r.UntestedPositions = append(r.UntestedPositions, c.d.positions[p].RSID)
		// The exonic tag SNP does not matter once the intronic, causal SNP is tested (CPIC
		// January 2024 update).
		if p == c.d.exonPos && c.g[c.d.intronPos].state == tested {
			continue
		}
		if c.d.positions[p].ActivityValue < float64(c.d.refHalf)/2 {
			risky = append(risky, p)
		}
	}
	if !anyTested && c.opts.Missing != MissingReference {
		r.Diplotype, r.Phenotype = unknownName, "Indeterminate"
		r.Alert = Alert{Severity: "moderate", Message: fmt.Sprintf(
			"DPYD Indeterminate: none of the %d DPYD positions was tested, so no genotype-guided fluorouracil/capecitabine dose can be given; DPYD status is unknown.", len(c.d.positions))}
		r.Tags = append(r.Tags, tagConfirm)
		c.safety(&r, call{})
		r.Warnings = append(c.warnings, r.Alert.Message)
		return r
	}

	block, nBlocks, linked := c.phaseBlocks(func(p int) bool { return (c.g[p].gt[0] == 1) != (c.g[p].gt[1] == 1) })
	var k call
	switch {
	case nBlocks <= 1 || linked && nBlocks <= maxPhaseBlocks:
		k = c.callStrands(block, nBlocks)
	default:
		k = c.callList()
	}
	as := float64(k.half) / 2
	r.Diplotype, r.ActivityScore, r.Phenotype, r.Phased, r.ScoreAlleles = k.diplotype, &as, c.d.phenotype[k.half], k.phased, k.score
	seen := map[string]bool{}
	for _, a := range k.alleles {
		if !seen[a] {
			seen[a] = true
			r.Alleles = append(r.Alleles, a)
		}
	}
	slices.SortFunc(r.Alleles, compareNames)

	if c.mismatch {
		c.warn(fmt.Sprintf("HapB3: the intronic c.1129-5923C>G (%s) and the exonic tag c.1236G>A (%s) disagree; the intronic, causal variant decides (CPIC, PharmCAT)", hapB3IntronRSID, hapB3ExonRSID))
	}
	if c.fromExon {
		c.warn(fmt.Sprintf("HapB3: decreased function was inferred from the exonic tag SNP c.1236G>A (%s) because the causal intronic c.1129-5923C>G (%s) was not tested; in rare cases the causal variant is absent despite the tag SNP, so genotype %s to confirm (CPIC January 2024 update)", hapB3ExonRSID, hapB3IntronRSID, hapB3IntronRSID))
	}
	caveat := ""
	if len(risky) > 0 && k.half > 0 {
		caveat = c.caveat(risky)
	}
	c.recommend(&r, k, caveat)
	c.safety(&r, k)
	r.Warnings = c.warnings
	if caveat != "" {
		r.Warnings = append(r.Warnings, caveat)
	}
	if r.Warnings == nil {
		r.Warnings = []string{}
	}
	return r
}

// caveat says which untested positions could lower the score.
func (c *caller) caveat(risky []int) string {
	var names []string
	for _, p := range risky {
		if len(names) == 3 {
			names = append(names, fmt.Sprintf("%d more", len(risky)-3))
			break
		}
		names = append(names, c.d.lowName[p]+" ("+strings.ToLower(c.d.positions[p].Function)+", "+c.d.positions[p].RSID+")")
	}
	var n [5]int
	for _, g := range c.g {
		n[g.state]++
	}
	var what []string
	if n[untested] > 0 {
		what = append(what, plural(n[untested], "DPYD position")+" untested")
	}
	if n[assumed] > 0 {
		what = append(what, fmt.Sprintf("%s not in the input and assumed reference (missing policy %q)", plural(n[assumed], "DPYD position"), MissingReference))
	}
	if n[half] > 0 {
		what = append(what, plural(n[half], "position")+" with only one allele called")
	}
	joiner := ", including "
	if len(risky) == n[untested]+n[assumed]+n[half] {
		joiner = ": "
	}
	return fmt.Sprintf("CAUTION: %s%s%s; the true activity score could be lower than reported.", strings.Join(what, ", "), joiner, strings.Join(names, ", "))
}

// plural writes "1 position" or "3 positions".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
