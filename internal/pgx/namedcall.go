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
	hap   [2]string // the definition's VCF allele per haplotype; "" missing, "?" undefined
	state int       // phase: the reader's pick (reader.at)
}

// nCaller holds the state of one named-allele call. The genotypes are read by the shared
// reader (reader.go) with the named genes' rules; matching and scoring are PharmCAT's
// NamedAlleleMatcher (named.go).
type nCaller struct {
	*reader
	m         *matcher
	g         []nGenotype
	unknown   []string // undocumented alleles found
	undefined bool     // an undocumented allele in a gene that is then not called
	partial   []string // positions with a partial ALT call
}

// label names a position for people: "rs1142345 (g.18130687T>C; g.18130687T>G)".
func (m *matcher) label(p int) string {
	return m.positions[p].RSID + " (" + m.positions[p].GDNA + ")"
}

// call calls a named-allele gene for one sample.
func (m *matcher) call(sites []Site, opts Options) Result {
	c := &nCaller{m: m, g: make([]nGenotype, len(m.positions))}
	c.reader = newReader(&m.layout, sites, opts, readRules{
		gene:                 m.gene,
		label:                m.label,
		carrierFirst:         true,
		mergeSplit:           true,
		elsewhereIsReference: true,
		undocumented:         c.undocumented,
	})
	c.reader.decode(c.state)
	return c.result()
}

// state decides the state of position p from the genotype the reader read there.
func (c *nCaller) state(p int) {
	g, pk := &c.g[p], &c.at[p]
	g.hap = [2]string{c.name(p, pk.hap[0]), c.name(p, pk.hap[1])}
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

// undocumented applies PharmCAT's rule for an allele the definition does not know at
// position p (NamedAlleleMatcher-101, "Undocumented Variations"): reference for TPMT and
// NUDT15, not called for UGT1A1.
func (c *nCaller) undocumented(p int, s *Site, al Allele) int8 {
	dp := &c.m.positions[p]
	v := fmt.Sprintf("%s:%d %s>%s", s.Chrom, al.Pos, strings.ToUpper(al.Ref), strings.ToUpper(al.Alt))
	if !slices.Contains(c.unknown, v) {
		c.unknown = append(c.unknown, v)
	}
	if c.m.asRef {
		c.warn(fmt.Sprintf("%s %s: allele %s is not in the PharmCAT/CPIC %s definition (defined: %s>%s); treated as reference as PharmCAT does for %s, its function is unknown", c.m.gene, c.m.label(p), v, c.m.gene, dp.Ref, dp.Alt, c.m.gene))
		return codeReference
	}
	c.undefined = true
	c.warn(fmt.Sprintf("%s %s: allele %s is not in the PharmCAT/CPIC %s definition (defined: %s>%s); %s is not called, as PharmCAT does (the sample matches neither the reference nor a defined allele)", c.m.gene, c.m.label(p), v, c.m.gene, dp.Ref, dp.Alt, c.m.gene))
	return codeUndefined
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
	block, nBlocks, _ := c.phaseBlocks(func(p int) bool {
		g := &c.g[p]
		return (g.state == nTested || g.state == nAssumed) && g.hap[0] != g.hap[1]
	})
	if nBlocks > maxUnphasedBlocks {
		c.warn(fmt.Sprintf("%s: %d unphased heterozygous positions or phase sets are more than the %d this caller enumerates; not called", m.gene, nBlocks, maxUnphasedBlocks))
		return nil, nil
	}
	type key struct{ a, b int }
	found := map[key]bool{}
	var pairs [][2]int
	hap := [2][]string{make([]string, len(m.positions)), make([]string, len(m.positions))}
	for mask := 0; mask < 1<<max(nBlocks-1, 0); mask++ {
		for _, p := range present {
			g := &c.g[p]
			swap := false
			if b := block[p]; b > 0 && mask&(1<<(b-1)) != 0 {
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
