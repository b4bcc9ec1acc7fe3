package pgx

import (
	"fmt"
	"slices"
	"strings"
)

// unknownDiplotype is the diplotype of a named-allele gene that cannot be called; PharmCAT's
// reporter prints "Unknown/Unknown" (and "Not called" in the summary).
const unknownDiplotype = "Unknown/Unknown"

// Named-allele position states.
const (
	nUntested  = iota // no usable genotype
	nTested           // both alleles called
	nAssumed          // not in the input, assumed reference (MissingReference)
	nPartial          // one allele called: a reference partial is untested, an ALT partial prevents the call
	nUndefined        // an undocumented ALT in a gene PharmCAT does not set to reference: not called
)

// nGenotype is the sample's genotype at one definition position.
type nGenotype struct {
	site   int
	others []int // other called records carrying an ALT here (a split multi-allelic site)
	rank   int
	hap    [2]string // the definition's VCF allele per haplotype; "" missing
	phased bool
	ps     string
	state  int
}

// nCaller holds the state of one named-allele call.
type nCaller struct {
	m         *matcher
	sites     []Site
	opts      Options
	g         []nGenotype
	warnings  []string
	seen      map[string]bool
	unknown   []string       // undocumented alleles found
	lowQ      map[int]string // positions a low-quality reference record left untested
	lowCalls  []string       // non-reference calls below the quality thresholds
	undefined bool           // an undocumented allele in a gene that is then not called
	partial   []string       // positions with a partial ALT call
}

func (c *nCaller) warn(msg string) {
	if !c.seen[msg] {
		c.seen[msg] = true
		c.warnings = append(c.warnings, msg)
	}
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

// label names a position for people: "rs1142345 (g.18130687T>C; g.18130687T>G)".
func (m *matcher) label(p int) string {
	return m.positions[p].RSID + " (" + m.positions[p].GDNA + ")"
}

// call calls a named-allele gene for one sample.
func (m *matcher) call(sites []Site, opts Options) Result {
	c := &nCaller{m: m, sites: sites, opts: opts, g: make([]nGenotype, len(m.positions)), seen: map[string]bool{}, lowQ: map[int]string{}}
	switch opts.Missing {
	case "", MissingNoCall:
		c.opts.Missing = MissingNoCall
	case MissingReference:
	default:
		c.warn(fmt.Sprintf("unknown missing-position policy %q; %q used", opts.Missing, MissingNoCall))
		c.opts.Missing = MissingNoCall
	}
	c.gather()
	c.decode()
	return c.result()
}

// gather picks, for each definition position, the record that tests it: a called record
// beats a no-call; a record at the position or with an allele normalised onto it beats a
// gVCF reference block.
func (c *nCaller) gather() {
	for i := range c.g {
		c.g[i].site = -1
	}
	ps := c.m.positions
	for si := range c.sites {
		s := &c.sites[si]
		if !sameChrom(s.Chrom, c.m.chrom) || max(s.End, s.Pos) < ps[0].Pos || s.Pos > ps[len(ps)-1].Pos+len(ps[len(ps)-1].Ref) {
			continue
		}
		called := 0
		for _, a := range s.GT {
			if a >= 0 {
				called = rankCalled
				break
			}
		}
		if why := c.lowQuality(s); why != "" {
			if !carriesAlt(s) {
				for p := range ps {
					if covers(s, ps[p]) {
						if _, ok := c.lowQ[p]; !ok {
							c.lowQ[p] = why
						}
					}
				}
				continue
			}
			c.lowCalls = append(c.lowCalls, why)
		}
		if s.RefBlock {
			for p := range ps {
				if ps[p].Pos >= s.Pos && ps[p].Pos+len(ps[p].Ref)-1 <= max(s.End, s.Pos) {
					c.offer(p, si, rankRefBlock+called)
				}
			}
			continue
		}
		// A record whose genotype carries an ALT beats a reference call at the same
		// position: a split multi-allelic site (or a caller's second record for another
		// allele there) must not hide the allele the sample carries.
		if carriesAlt(s) {
			called += rankCarrier
		}
		if p, ok := c.m.index[s.Pos]; ok {
			c.offer(p, si, rankAtPosition+called)
		}
		for _, a := range s.Alleles {
			if p, ok := c.m.index[a.Pos]; ok {
				c.offer(p, si, rankAtPosition+called)
			}
		}
	}
}

// covers reports whether record s speaks for position p.
func covers(s *Site, p Position) bool {
	if s.RefBlock {
		return p.Pos >= s.Pos && p.Pos <= max(s.End, s.Pos)
	}
	if s.Pos == p.Pos {
		return true
	}
	for _, a := range s.Alleles {
		if a.Pos == p.Pos {
			return true
		}
	}
	return false
}

// rankCarrier is added to the rank of a record whose genotype carries an ALT.
const rankCarrier = 5

func (c *nCaller) offer(p, si, rank int) {
	g := &c.g[p]
	switch {
	case g.site == si:
		g.rank = max(g.rank, rank)
		return
	case g.site < 0:
		g.site, g.rank = si, rank
		return
	}
	if carriesAlt(&c.sites[si]) && carriesAlt(&c.sites[g.site]) {
		// Both carry an ALT: a multi-allelic site written as one record per ALT (as some
		// callers and bcftools norm -m- do). decode merges them, as bcftools norm -m+ would.
		if !slices.Contains(g.others, si) {
			g.others = append(g.others, si)
		}
		return
	}
	if rank > g.rank {
		g.site, g.rank = si, rank
	}
}

// merge combines the genotype of the record used at position p with the other records that
// carry an ALT there (a split multi-allelic site). Phased records in one phase set merge
// haplotype by haplotype; otherwise the ALTs called across the records make the genotype
// when there are at most two. A conflict leaves the position untested, with a warning.
func (c *nCaller) merge(p int, g *nGenotype) {
	ref := c.m.positions[p].Ref
	phased := c.sites[g.site].Phased
	var alts []string
	for _, a := range g.hap {
		if a != "" && a != ref {
			alts = append(alts, a)
		}
	}
	hap := g.hap
	conflict := false
	for _, si := range g.others {
		s := &c.sites[si]
		h := c.alleles(p, s)
		phased = phased && s.Phased && s.PhaseSet == c.sites[g.site].PhaseSet
		for i, a := range h {
			if a == "" || a == ref {
				continue
			}
			alts = append(alts, a)
			switch {
			case hap[i] == "" || hap[i] == ref:
				hap[i] = a
			case hap[i] != a:
				conflict = true
			}
		}
	}
	where := fmt.Sprintf("%s %s: %d records at this position carry alternate alleles (%s)", c.m.gene, c.m.label(p), len(g.others)+1, strings.Join(alts, ", "))
	switch {
	case phased && !conflict:
		g.hap = hap
		c.warn(where + "; merged haplotype by haplotype (phased)")
	case !phased && len(alts) <= 2:
		g.hap = [2]string{ref, ref}
		copy(g.hap[:], alts)
		g.phased = false
		c.warn(where + "; merged into one unphased genotype")
	default:
		g.hap = [2]string{}
		c.warn(where + " that cannot be one diploid genotype; position treated as untested")
	}
}

// lowQuality says why record s cannot test a position (DP or GQ below the thresholds), as
// for DPYD (DESIGN.md clinical rule 1), or "".
func (c *nCaller) lowQuality(s *Site) string {
	var why []string
	if c.opts.MinDP > 0 && (s.DP >= 0 && s.DP < c.opts.MinDP || s.DP < 0 && s.RefBlock) {
		why = append(why, fmt.Sprintf("depth %d < %d", s.DP, c.opts.MinDP))
	}
	if c.opts.MinGQ > 0 && (s.GQ >= 0 && s.GQ < c.opts.MinGQ || s.GQ < 0 && s.RefBlock) {
		why = append(why, fmt.Sprintf("GQ %d < %d", s.GQ, c.opts.MinGQ))
	}
	if len(why) == 0 {
		return ""
	}
	what := "record"
	if s.RefBlock {
		what = "gVCF reference block"
	}
	return fmt.Sprintf("%s %s:%d has %s", what, s.Chrom, s.Pos, strings.Join(why, " and "))
}

// decode reads each position's genotype from its record.
func (c *nCaller) decode() {
	var filtered []string
	for p := range c.g {
		g := &c.g[p]
		if g.site >= 0 {
			s := &c.sites[g.site]
			g.hap = c.alleles(p, s)
			g.phased, g.ps = s.Phased, s.PhaseSet
			if len(g.others) > 0 {
				c.merge(p, g)
			}
			if f := s.Filter; f != "" && f != "." && f != "PASS" && (g.hap[0] != "" || g.hap[1] != "") {
				filtered = append(filtered, c.m.positions[p].RSID+" ("+f+")")
			}
		}
		ref := c.m.positions[p].Ref
		switch {
		case g.hap[0] == "?" || g.hap[1] == "?":
			g.state = nUndefined
		case g.hap[0] != "" && g.hap[1] != "":
			g.state = nTested
		case g.hap[0] != "" || g.hap[1] != "":
			g.state = nPartial
			called := g.hap[0] + g.hap[1]
			if called == ref {
				// PharmCAT: a partial reference call is ignored, the position is missing.
				c.warn(fmt.Sprintf("%s %s: only one allele called (reference); position treated as missing (PharmCAT NamedAlleleMatcher, partial genotypes)", c.m.gene, c.m.label(p)))
				g.hap = [2]string{}
			} else {
				c.partial = append(c.partial, c.m.label(p))
				c.warn(fmt.Sprintf("%s %s: only one allele called, and it is an alternate allele (%s): no diplotype can be called (PharmCAT NamedAlleleMatcher, partial genotypes)", c.m.gene, c.m.label(p), called))
			}
		case c.opts.Missing == MissingReference:
			g.state, g.hap = nAssumed, [2]string{ref, ref}
		default:
			g.state = nUntested
		}
	}
	if len(filtered) > 0 {
		c.warn(c.m.gene + ": genotypes used although the record FILTER is not PASS: " + strings.Join(filtered, ", "))
	}
}

// alleles resolves the sample's GT at position p through record s's own ALT list into the
// definition's VCF alleles ("" missing, "?" an undocumented allele that stops the call).
func (c *nCaller) alleles(p int, s *Site) [2]string {
	var out [2]string
	dp := &c.m.positions[p]
	switch {
	case len(s.GT) > 2:
		// PharmCAT uses the first two alleles and warns (NamedAlleleMatcher-101); a clinical
		// call from a non-diploid genotype is not safe, so the position is untested.
		c.warn(fmt.Sprintf("%s %s: genotype with %d alleles at %s:%d is not diploid; position treated as untested", c.m.gene, c.m.label(p), len(s.GT), s.Chrom, s.Pos))
		return out
	case !s.RefBlock && s.Pos == dp.Pos && s.Ref != "" && !strings.EqualFold(s.Ref[:1], dp.Ref[:1]):
		c.warn(fmt.Sprintf("%s %s: record REF %s at %s:%d disagrees with the definition's %s; position treated as untested", c.m.gene, c.m.label(p), s.Ref, s.Chrom, s.Pos, dp.Ref))
		return out
	}
	for h, a := range s.GT {
		switch {
		case a < 0:
			continue
		case a == 0:
			out[h] = dp.Ref
			continue
		case a > len(s.Alleles):
			c.warn(fmt.Sprintf("%s %s: genotype allele %d at %s:%d has no ALT; treated as missing", c.m.gene, c.m.label(p), a, s.Chrom, s.Pos))
			continue
		}
		al := s.Alleles[a-1]
		if al.Pos <= 0 || s.RefBlock {
			c.warn(fmt.Sprintf("%s %s: the genotype calls a symbolic allele at %s:%d; treated as missing", c.m.gene, c.m.label(p), s.Chrom, s.Pos))
			continue
		}
		if j := slices.IndexFunc(c.m.norm[p], func(n Allele) bool {
			return n.Pos == al.Pos && strings.EqualFold(n.Ref, al.Ref) && strings.EqualFold(n.Alt, al.Alt)
		}); j >= 0 {
			out[h] = c.m.alts[p][j]
			continue
		}
		if al.Pos != dp.Pos && !(al.Pos < dp.Pos && al.Pos+len(al.Ref)-1 >= dp.Pos) {
			out[h] = dp.Ref // this ALT is a variant elsewhere: the position itself is reference
			continue
		}
		v := fmt.Sprintf("%s:%d %s>%s", s.Chrom, al.Pos, strings.ToUpper(al.Ref), strings.ToUpper(al.Alt))
		if !slices.Contains(c.unknown, v) {
			c.unknown = append(c.unknown, v)
		}
		if c.m.asRef {
			// PharmCAT sets undocumented variation to reference for TPMT and NUDT15
			// (NamedAlleleMatcher-101, "Undocumented Variations").
			out[h] = dp.Ref
			c.warn(fmt.Sprintf("%s %s: allele %s is not in the PharmCAT/CPIC %s definition (defined: %s>%s); treated as reference as PharmCAT does for %s, its function is unknown", c.m.gene, c.m.label(p), v, c.m.gene, dp.Ref, dp.Alt, c.m.gene))
		} else {
			out[h] = "?"
			c.undefined = true
			c.warn(fmt.Sprintf("%s %s: allele %s is not in the PharmCAT/CPIC %s definition (defined: %s>%s); %s is not called, as PharmCAT does (the sample matches neither the reference nor a defined allele)", c.m.gene, c.m.label(p), v, c.m.gene, dp.Ref, dp.Alt, c.m.gene))
		}
	}
	if len(s.GT) == 1 && out[0] != "" {
		out[1] = ""
	}
	return out
}

// match enumerates the candidate diplotypes, PharmCAT order (highest score first).
func (c *nCaller) match() ([]Candidate, [][2]int) {
	var present []int
	for p, g := range c.g {
		if g.state == nTested || g.state == nAssumed {
			present = append(present, p)
		}
	}
	m := c.m
	// Alleles after dropping the missing positions: an allele left with no defining position
	// can never be matched (NamedAlleleMatcher-101, "Missing Positions").
	var usable []int
	score := make([]int, len(m.alleles))
	for ai, a := range m.alleles {
		for _, p := range present {
			if a.ref || a.at[p] != "" {
				score[ai]++
			}
		}
		if a.ref || score[ai] > 0 {
			usable = append(usable, ai)
		}
	}
	// Phase blocks of the heterozygous positions.
	block := map[int]int{}
	ids := map[string]int{}
	for _, p := range present {
		g := &c.g[p]
		if g.hap[0] == g.hap[1] {
			continue
		}
		key := fmt.Sprintf("#%d", p)
		if g.phased {
			key = "|" + g.ps
		}
		id, ok := ids[key]
		if !ok {
			id = len(ids)
			ids[key] = id
		}
		block[p] = id
	}
	if len(ids) > maxUnphasedBlocks {
		c.warn(fmt.Sprintf("%s: %d unphased heterozygous positions or phase sets are more than the %d this caller enumerates; not called", m.gene, len(ids), maxUnphasedBlocks))
		return nil, nil
	}
	type key struct{ a, b int }
	found := map[key]bool{}
	var pairs [][2]int
	hap := [2][]string{make([]string, len(m.positions)), make([]string, len(m.positions))}
	for mask := 0; mask < 1<<max(len(ids)-1, 0); mask++ {
		for _, p := range present {
			g := &c.g[p]
			swap := false
			if b, ok := block[p]; ok && b > 0 && mask&(1<<(b-1)) != 0 {
				swap = true
			}
			if swap {
				hap[0][p], hap[1][p] = g.hap[1], g.hap[0]
			} else {
				hap[0][p], hap[1][p] = g.hap[0], g.hap[1]
			}
		}
		var ms [2][]int
		for h := range 2 {
			for _, ai := range usable {
				a := &m.alleles[ai]
				ok := true
				for _, p := range present {
					want := a.at[p]
					if want == "" {
						want = m.positions[p].Ref
					}
					if hap[h][p] != want {
						ok = false
						break
					}
				}
				if ok {
					ms[h] = append(ms[h], ai)
				}
			}
		}
		for _, a0 := range ms[0] {
			for _, b0 := range ms[1] {
				a, b := a0, b0
				if m.compareAlleles(a, b) > 0 {
					a, b = b, a
				}
				if !found[key{a, b}] {
					found[key{a, b}] = true
					pairs = append(pairs, [2]int{a, b})
				}
			}
		}
	}
	slices.SortFunc(pairs, func(x, y [2]int) int {
		if sx, sy := score[x[0]]+score[x[1]], score[y[0]]+score[y[1]]; sx != sy {
			return sy - sx
		}
		if r := m.compareAlleles(x[0], y[0]); r != 0 {
			return r
		}
		return m.compareAlleles(x[1], y[1])
	})
	out := make([]Candidate, len(pairs))
	for i, pr := range pairs {
		a, b := m.alleles[pr[0]], m.alleles[pr[1]]
		out[i] = Candidate{Diplotype: a.name + "/" + b.name, Score: score[pr[0]] + score[pr[1]], Phenotype: m.phenotypeOf(a.name, b.name),
			Functions: [2]string{cmpOr(a.function, "n/a"), cmpOr(b.function, "n/a")}}
	}
	return out, pairs
}

func cmpOr(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// phenotypeOf looks a diplotype up in the phenotype table. A diplotype with an allele the
// table has no row for (TPMT *42-*44, NUDT15 *10-*21 in the 2025-11-05 data) has no
// phenotype; PharmCAT reports "N/A" there (Disclaimers.md Table 1 writes N/A for such
// genotypes). The report contract's word for "no phenotype can be given" is Indeterminate,
// which is used; the warning says PharmCAT's N/A.
func (m *matcher) phenotypeOf(a, b string) string {
	if p, ok := m.pheno[pairKey(a, b)]; ok {
		return p
	}
	return "Indeterminate"
}
