package pgx

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/precis-dx/precis/internal/variant"
)

// One genotype reader for every gene. DPYD (activity score, call.go) and the named-allele
// genes (PharmCAT's NamedAlleleMatcher, namedcall.go) read the sample the same way: for each
// definition position, the record that tests it is picked (quality thresholds, gVCF reference
// blocks, split multi-allelic records, records without GT), and its genotype is read through
// the record's own ALT list in normalised form into the definition's alleles. What differs
// between the genes is data (layout) plus the few documented exceptions in readRules; what
// a genotype means (activity score, named-allele matching) stays with each caller.

// layout is the part of a gene definition the reader needs: its positions in genomic order and
// their alleles. It is read-only after loading.
type layout struct {
	chrom     string     // contig of the definition, e.g. "chr1"
	positions []Position // in genomic order
	alts      [][]string // per position: the definition's VCF ALTs (DPYD: exactly one)
	norm      [][]Allele // per position: those ALTs normalised (trimmed) like the sites
	index     map[int]int
}

// lookup returns the definition position at 1-based pos, checking the span first so that
// the many records outside the gene cost no map access.
func (l *layout) lookup(pos int) (int, bool) {
	ps := l.positions
	if len(ps) == 0 || pos < ps[0].Pos || pos > ps[len(ps)-1].Pos {
		return 0, false
	}
	p, ok := l.index[pos]
	return p, ok
}

// match returns j when the normalised allele a is the definition's ALT j at position p, else -1.
func (l *layout) match(p int, a Allele) int {
	return slices.IndexFunc(l.norm[p], func(n Allele) bool {
		return n.Pos == a.Pos && len(n.Ref) == len(a.Ref) && len(n.Alt) == len(a.Alt) &&
			strings.EqualFold(n.Ref, a.Ref) && strings.EqualFold(n.Alt, a.Alt)
	})
}

// Allele codes of one haplotype at one position, as the reader returns them: j > 0 is the
// definition's ALT j (1-based, DPYD: 1 is the CPIC allele).
const (
	codeMissing   int8 = -1 // no allele called
	codeReference int8 = 0  // the reference base (or an allele a gene scores as reference)
	codeUndefined int8 = -2 // an allele the definition does not know that stops the call
)

// readRules are the per-gene exceptions of the reader, each taken by DPYD or by the
// named-allele genes only; each comment says why.
type readRules struct {
	// gene prefixes the reader's warnings ("TPMT rs1142345 (...): ..."). DPYD leaves it
	// empty: its warnings predate the other genes, are part of the DPYD report and alert
	// texts, and must stay byte-identical (goldens, conformance suite).
	gene string
	// label names position p for people (DPYD: rsID and c. name; named genes: rsID and g. name).
	label func(p int) string
	// wholeContig: every record on the definition's contig is read, not only those within
	// the span of its positions. DPYD has always done so, and its output must not change:
	// a low-quality record carrying an ALT anywhere on chr1 is counted among DPYD's
	// low-quality calls ("Low-quality call used", follow-up:confirmation), even outside
	// DPYD (the annotator passes every chr1 record, so MUTYH's too). That is an accident
	// of DPYD's first reader, kept here so DPYD's results stay identical; the named genes
	// read only their span (TestReaderDPYDExceptions). Records outside the span test no
	// position either way.
	wholeContig bool
	// detect: a record with no GT whose reads support an ALT (a tumour caller's record) is
	// read as that allele detected on one strand, zygosity unknown (DPYD only: safety.go
	// turns it into an Indeterminate result with the detection said; DESIGN.md clinical
	// rule 1). PharmCAT's matcher needs a GT; for the named genes such a record is untested.
	detect bool
	// onDetected is called for each definition allele a detect record shows at position p.
	onDetected func(p int, s *Site)
	// documentedFirst: a record whose ALT list holds the definition's allele beats another
	// record at the position (DPYD's rankCPICAllele: DPYD's positions have one CPIC allele,
	// and this is how its reader has always chosen). For the named genes carrierFirst and
	// mergeSplit decide between called records instead.
	documentedFirst bool
	// carrierFirst: a record whose genotype carries an ALT beats a reference call at the
	// same position, so a split multi-allelic site (or a caller's second record for another
	// allele there) cannot hide the allele the sample carries (named genes). Not applied to
	// DPYD, whose output must not change: for a called 0/0 record listing the CPIC allele
	// beside a 0/1 record of an allele CPIC does not define, DPYD uses the 0/0 record (rank
	// rankCPICAllele) and warns that both records cover the position, where carrierFirst
	// would read the undocumented allele and add its "Unclassified variant" note
	// (TestReaderDPYDExceptions). No golden or conformance case has such input.
	carrierFirst bool
	// mergeSplit: called records that both carry an ALT at one position are one
	// multi-allelic site written as several records (bcftools norm -m-) and are merged into
	// one genotype (named genes: a definition position can have several ALTs, e.g. the
	// UGT1A1 TA repeat). DPYD's positions have one CPIC allele each: the record carrying it
	// is used, the other's alleles are scored as reference and a warning says so.
	mergeSplit bool
	// elsewhereIsReference: an ALT of the record that normalises to another position says the
	// definition position itself is reference on that strand (named genes). DPYD keeps its
	// older reading, which must not change: such an ALT is "not in the CPIC DPYD definition"
	// at the position too, scored as reference with that warning (and an "Unclassified
	// variant" note when the position carries a decreased- or no-function allele), which is
	// more cautious than needed (TestReaderDPYDExceptions).
	elsewhereIsReference bool
	// undocumented decides what an ALT the definition does not know at position p is: the
	// gene's rule (PharmCAT NamedAlleleMatcher-101, "Undocumented Variations": reference for
	// DPYD, TPMT and NUDT15, not called for UGT1A1) with its own warnings.
	undocumented func(p int, s *Site, al Allele) int8
}

// pick is the record used at one definition position and the genotype read from it.
type pick struct {
	site   int     // index of the record used, -1 if none
	others []int   // other called records carrying an ALT here (mergeSplit)
	rank   int     // how well that record fits (see gather)
	hap    [2]int8 // allele code per haplotype
	phased bool
	ps     string
}

// reader reads one sample's genotypes at a gene's definition positions.
type reader struct {
	l        *layout
	rules    readRules
	sites    []Site
	opts     Options
	at       []pick // per definition position
	warnings []string
	seen     map[string]bool
	lowQ     map[int]string // positions a low-quality reference record or block left untested: why
	lowCalls []string       // non-reference calls used although below the quality thresholds
}

// newReader checks the options (an unknown missing policy falls back to MissingNoCall with a
// warning) and picks the record that tests each position.
func newReader(l *layout, sites []Site, opts Options, rules readRules) *reader {
	r := &reader{l: l, rules: rules, sites: sites, opts: opts, at: make([]pick, len(l.positions)), seen: map[string]bool{}, lowQ: map[int]string{}}
	switch opts.Missing {
	case "", MissingNoCall:
		r.opts.Missing = MissingNoCall
	case MissingReference:
	default:
		r.warn(fmt.Sprintf("unknown missing-position policy %q; %q used", opts.Missing, MissingNoCall))
		r.opts.Missing = MissingNoCall
	}
	r.gather()
	return r
}

func (r *reader) warn(msg string) {
	if !r.seen[msg] {
		r.seen[msg] = true
		r.warnings = append(r.warnings, msg)
	}
}

// who names position p at the head of a warning.
func (r *reader) who(p int) string {
	if r.rules.gene == "" {
		return r.rules.label(p)
	}
	return r.rules.gene + " " + r.rules.label(p)
}

// geneMsg heads a gene-level warning with the gene name (see readRules.gene).
func (r *reader) geneMsg(msg string) string {
	if r.rules.gene == "" {
		return msg
	}
	return r.rules.gene + ": " + msg
}

// sameChrom reports whether a site's contig is the definition's ("chr6" and "6" are the same).
func sameChrom(site, def string) bool {
	if site == def {
		return true
	}
	if len(def) > 3 && strings.EqualFold(def[:3], "chr") && site == def[3:] {
		return true
	}
	return strings.EqualFold(site, def)
}

// isChr1 reports whether a contig name is chromosome 1 ("chr1" and "1" are the same contig).
func isChr1(chrom string) bool { return sameChrom(chrom, "chr1") }

// Ranks of the records that inform a position; a record with a called genotype adds
// rankCalled, so a called record always beats a no-call.
const (
	rankRefBlock   = 1  // a gVCF reference block covering the position
	rankAtPosition = 2  // a record at the position, or with an allele normalised onto it
	rankCPICAllele = 3  // a record carrying the definition's allele in its ALT list (documentedFirst)
	rankCarrier    = 5  // added when the genotype carries an ALT (carrierFirst)
	rankCalled     = 10 // added when the sample's genotype has at least one called allele
)

// gather picks, for each definition position, the record that tests it: a called record
// beats a no-call; a record at the position or with an allele normalised onto it beats a
// gVCF reference block; then the gene's rules (documentedFirst, carrierFirst).
func (r *reader) gather() {
	for i := range r.at {
		r.at[i].site = -1
	}
	ps := r.l.positions
	if len(ps) == 0 {
		return
	}
	first, last := ps[0], ps[len(ps)-1]
	for si := range r.sites {
		s := &r.sites[si]
		if !sameChrom(s.Chrom, r.l.chrom) {
			continue
		}
		if !r.rules.wholeContig && (max(s.End, s.Pos) < first.Pos || s.Pos > last.Pos+len(last.Ref)) {
			continue // a record outside the gene's span says nothing about it
		}
		called := 0
		for _, a := range s.GT {
			if a >= 0 {
				called = rankCalled
				break
			}
		}
		seen := r.rules.detect && detected(s)
		if seen {
			called = rankCalled
		}
		if why := r.lowQuality(s); why != "" {
			if !carriesAlt(s) && !seen {
				// Not tested: a reference call (or block) below the thresholds says nothing.
				for _, p := range r.covered(s) {
					if _, ok := r.lowQ[p]; !ok {
						r.lowQ[p] = why
					}
				}
				continue
			}
			r.lowCalls = append(r.lowCalls, why)
		}
		if s.RefBlock {
			end := max(s.End, s.Pos)
			from := sort.Search(len(ps), func(i int) bool { return ps[i].Pos >= s.Pos })
			for p := from; p < len(ps) && ps[p].Pos <= end; p++ {
				if ps[p].Pos+len(ps[p].Ref)-1 <= end {
					r.offer(p, si, rankRefBlock+called)
				}
			}
			continue
		}
		if r.rules.carrierFirst && carriesAlt(s) {
			called += rankCarrier
		}
		if p, ok := r.l.lookup(s.Pos); ok {
			r.offer(p, si, rankAtPosition+called)
		}
		for _, a := range s.Alleles {
			if p, ok := r.l.lookup(a.Pos); ok {
				rank := rankAtPosition
				if r.rules.documentedFirst && r.l.match(p, a) >= 0 {
					rank = rankCPICAllele
				}
				r.offer(p, si, rank+called)
			}
		}
	}
}

// offer makes record si the one used at position p if it ranks higher than the current one.
// Two called records that compete are merged (mergeSplit) or, else, named in a warning.
func (r *reader) offer(p, si, rank int) {
	g := &r.at[p]
	switch {
	case g.site == si:
		g.rank = max(g.rank, rank)
		return
	case g.site < 0:
		g.site, g.rank = si, rank
		return
	}
	alt, oldAlt := carriesAlt(&r.sites[si]), carriesAlt(&r.sites[g.site])
	switch {
	case r.rules.mergeSplit && alt && oldAlt:
		// Both carry an ALT: a multi-allelic site written as one record per ALT (as some
		// callers and bcftools norm -m- do). decode merges them, as bcftools norm -m+ would.
		if !slices.Contains(g.others, si) {
			g.others = append(g.others, si)
		}
		return
	case !r.rules.mergeSplit && rank >= rankCalled && g.rank >= rankCalled && (alt || oldAlt):
		r.warn(fmt.Sprintf("%s: records at %s:%d and %s:%d both cover this position; the record carrying the CPIC allele (else the first) is used and alleles of the other are scored as reference",
			r.who(p), r.l.chrom, r.sites[g.site].Pos, r.l.chrom, r.sites[si].Pos))
	}
	if rank > g.rank {
		g.site, g.rank = si, rank
	}
}

// carriesAlt reports whether the sample's genotype in s calls a non-reference allele.
func carriesAlt(s *Site) bool {
	for _, a := range s.GT {
		if a > 0 {
			return true
		}
	}
	return false
}

// detected reports whether s has no GT but its reads support an ALT (a tumour caller's
// record): the variant is seen, its zygosity unknown.
func detected(s *Site) bool { return s.GT == nil && len(s.Detected) > 0 }

// lowQuality says why record s cannot test a position (FORMAT DP or GQ below the thresholds,
// DESIGN.md clinical rule 1), or "" when it can. A site's missing value is not held against
// it (plain VCFs of GT only, as PharmCAT's inputs are, test their positions); a gVCF
// reference block must show its depth and GQ, since a block is only a claim that reads were
// there (package coverage reads blocks the same way).
func (r *reader) lowQuality(s *Site) string {
	var why []string
	for _, q := range []struct {
		name, missing string
		v, min        int
	}{
		{"depth", "no depth (DP or MIN_DP)", s.DP, r.opts.MinDP},
		{"GQ", "no GQ", s.GQ, r.opts.MinGQ},
	} {
		switch {
		case q.min <= 0:
		case q.v >= 0 && q.v < q.min:
			why = append(why, fmt.Sprintf("%s %d < %d", q.name, q.v, q.min))
		case q.v < 0 && s.RefBlock:
			why = append(why, q.missing)
		}
	}
	if len(why) == 0 {
		return ""
	}
	what := "record"
	if s.RefBlock {
		what = "gVCF reference block"
	}
	where := fmt.Sprintf("%s:%d", r.l.chrom, s.Pos)
	if s.RefBlock && s.End > s.Pos {
		where += fmt.Sprintf("-%d", s.End)
	}
	return fmt.Sprintf("%s %s has %s", what, where, strings.Join(why, " and "))
}

// covered lists the definition positions record s speaks for.
func (r *reader) covered(s *Site) []int {
	var out []int
	if s.RefBlock {
		end := max(s.End, s.Pos)
		for p := range r.l.positions {
			if q := r.l.positions[p].Pos; q >= s.Pos && q <= end {
				out = append(out, p)
			}
		}
		return out
	}
	if p, ok := r.l.lookup(s.Pos); ok {
		out = append(out, p)
	}
	for _, a := range s.Alleles {
		if p, ok := r.l.lookup(a.Pos); ok && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// decode reads each position's genotype from its record (merging split records), then calls
// state(p) so the gene can decide what the genotype means there; warnings keep position order.
func (r *reader) decode(state func(p int)) {
	var filtered []string
	for p := range r.at {
		g := &r.at[p]
		g.hap = [2]int8{codeMissing, codeMissing}
		if g.site >= 0 {
			s := &r.sites[g.site]
			g.hap = r.alleles(p, s)
			g.phased, g.ps = s.Phased, s.PhaseSet
			if len(g.others) > 0 {
				r.merge(p, g)
			}
			if f := s.Filter; f != "" && f != "." && f != "PASS" && (g.hap[0] != codeMissing || g.hap[1] != codeMissing) {
				filtered = append(filtered, r.l.positions[p].RSID+" ("+f+")")
			}
		}
		state(p)
	}
	if len(filtered) > 0 {
		r.warn(r.geneMsg("genotypes used although the record FILTER is not PASS: " + strings.Join(filtered, ", ")))
	}
}

// name writes an allele code at position p for people: the definition's VCF allele, "?" for
// an undefined allele.
func (r *reader) name(p int, code int8) string {
	switch {
	case code == codeReference:
		return r.l.positions[p].Ref
	case code > 0:
		return r.l.alts[p][code-1]
	case code == codeUndefined:
		return "?"
	}
	return ""
}

// merge combines the genotype of the record used at position p with the other records that
// carry an ALT there (a split multi-allelic site). Phased records in one phase set merge
// haplotype by haplotype; otherwise the ALTs called across the records make the genotype
// when there are at most two. A conflict leaves the position untested, with a warning.
func (r *reader) merge(p int, g *pick) {
	phased := r.sites[g.site].Phased
	var alts []int8
	for _, a := range g.hap {
		if a != codeMissing && a != codeReference {
			alts = append(alts, a)
		}
	}
	hap := g.hap
	conflict := false
	for _, si := range g.others {
		s := &r.sites[si]
		h := r.alleles(p, s)
		phased = phased && s.Phased && s.PhaseSet == r.sites[g.site].PhaseSet
		for i, a := range h {
			if a == codeMissing || a == codeReference {
				continue
			}
			alts = append(alts, a)
			switch {
			case hap[i] == codeMissing || hap[i] == codeReference:
				hap[i] = a
			case hap[i] != a:
				conflict = true
			}
		}
	}
	names := make([]string, len(alts))
	for i, a := range alts {
		names[i] = r.name(p, a)
	}
	where := fmt.Sprintf("%s: %d records at this position carry alternate alleles (%s)", r.who(p), len(g.others)+1, strings.Join(names, ", "))
	switch {
	case phased && !conflict:
		g.hap = hap
		r.warn(where + "; merged haplotype by haplotype (phased)")
	case !phased && len(alts) <= 2:
		g.hap = [2]int8{codeReference, codeReference}
		copy(g.hap[:], alts)
		g.phased = false
		r.warn(where + "; merged into one unphased genotype")
	default:
		g.hap = [2]int8{codeMissing, codeMissing}
		r.warn(where + " that cannot be one diploid genotype; position treated as untested")
	}
}

// alleles resolves the sample's GT at position p through record s's own ALT list into the
// definition's alleles (allele codes).
func (r *reader) alleles(p int, s *Site) [2]int8 {
	out := [2]int8{codeMissing, codeMissing}
	dp := &r.l.positions[p]
	switch {
	case len(s.GT) > 2:
		// PharmCAT uses the first two alleles and warns (NamedAlleleMatcher-101); a clinical
		// call from a non-diploid genotype is not safe, so the position is untested.
		r.warn(fmt.Sprintf("%s: genotype with %d alleles at %s:%d is not diploid; position treated as untested", r.who(p), len(s.GT), r.l.chrom, s.Pos))
		return out
	case !s.RefBlock && s.Pos == dp.Pos && s.Ref != "" && !strings.EqualFold(s.Ref[:1], dp.Ref[:1]):
		r.warn(fmt.Sprintf("%s: record REF %s at %s:%d disagrees with the definition's %s; position treated as untested", r.who(p), s.Ref, r.l.chrom, s.Pos, dp.Ref))
		return out
	}
	if r.rules.detect && detected(s) {
		for _, a := range s.Detected {
			if a < 1 || a > len(s.Alleles) {
				continue
			}
			if j := r.l.match(p, s.Alleles[a-1]); j >= 0 {
				out[0] = int8(j + 1) // seen in the reads; the other allele is unknown
				if r.rules.onDetected != nil {
					r.rules.onDetected(p, s)
				}
			}
		}
		return out
	}
	for h, a := range s.GT {
		switch {
		case a < 0:
			continue
		case a == 0:
			out[h] = codeReference
			continue
		case a > len(s.Alleles):
			r.warn(fmt.Sprintf("%s: genotype allele %d at %s:%d has no ALT; treated as missing", r.who(p), a, r.l.chrom, s.Pos))
			continue
		}
		al := s.Alleles[a-1]
		if j := r.l.match(p, al); j >= 0 {
			out[h] = int8(j + 1)
			continue
		}
		if s.RefBlock || al.Pos <= 0 || !variant.IsACGT(strings.ToUpper(al.Ref)) || !variant.IsACGT(strings.ToUpper(al.Alt)) {
			r.warn(fmt.Sprintf("%s: the genotype calls a symbolic or unknown allele at %s:%d; treated as missing", r.who(p), r.l.chrom, s.Pos))
			continue
		}
		if r.rules.elsewhereIsReference && al.Pos != dp.Pos && !(al.Pos < dp.Pos && al.Pos+len(al.Ref)-1 >= dp.Pos) {
			out[h] = codeReference // this ALT is a variant elsewhere: the position itself is reference
			continue
		}
		out[h] = r.rules.undocumented(p, s, al)
	}
	if len(s.GT) == 1 && out[0] != codeMissing {
		out[1] = codeMissing // haploid call: the second allele is missing
	}
	return out
}

// phaseBlocks groups the heterozygous positions (het) by what is known of their phase:
// phased genotypes share a block per phase set, each unphased heterozygous genotype is its
// own block. It returns the block of each position (-1 when not heterozygous), the number of
// blocks, and whether any phase information links two heterozygous positions. Both methods
// enumerate the arrangements of these blocks (block 0 fixed): DPYD to find the lowest
// activity score, the named genes to list PharmCAT's candidate diplotypes.
func (r *reader) phaseBlocks(het func(p int) bool) ([]int, int, bool) {
	block := make([]int, len(r.at))
	ids := map[string]int{}
	sizes := map[int]int{}
	for p := range r.at {
		block[p] = -1
		if !het(p) {
			continue
		}
		key := "#" + strconv.Itoa(p)
		if g := &r.at[p]; g.phased {
			key = "|" + g.ps
		}
		id, ok := ids[key]
		if !ok {
			id = len(ids)
			ids[key] = id
		}
		block[p] = id
		sizes[id]++
	}
	linked := false
	for _, n := range sizes {
		linked = linked || n > 1
	}
	return block, len(ids), linked
}
