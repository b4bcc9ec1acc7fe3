package coverage

import (
	"fmt"
	"strconv"

	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/vcf"
)

// Thresholds below which a gVCF block or site does not count as covered (DESIGN.md clinical
// rule 1; --min-dp, --min-gq).
type Thresholds struct {
	MinDP int // depth: FORMAT MIN_DP of a block where written, else FORMAT DP
	MinGQ int // FORMAT GQ
}

// GVCF collects the coverage that one sample's gVCF records show over a set of genes. Feed
// it every record that overlaps the genes' targets (in any order) with Add, then read
// Coverage. A GVCF is not safe for concurrent use.
type GVCF struct {
	th      Thresholds
	tallies []*tally
}

// NewGVCF starts a tally over genes.
func NewGVCF(genes []Gene, th Thresholds) *GVCF {
	g := &GVCF{th: th}
	for _, gene := range genes {
		g.tallies = append(g.tallies, newTally(gene))
	}
	return g
}

// Add records what rec says about sample s. chrom is rec's canonical contig name ("chr17"
// for "17"). A reference block spans POS..END; any other record spans its REF. A nil s (a
// file without sample columns) says nothing.
func (g *GVCF) Add(chrom string, rec *vcf.Record, s *vcf.Sample) {
	if s == nil {
		return
	}
	start, end := rec.Pos, rec.Pos+max(len(rec.Ref), 1)-1
	if rec.IsRefBlock() {
		end = max(end, rec.End)
	}
	dp, ok := Passes(rec, s, g.th)
	for _, t := range g.tallies {
		if t.gene.Chrom == chrom {
			t.add(start, end, dp, ok)
		}
	}
}

// Passes reports whether sample s of rec counts as covered under th, and the depth it was
// read at (-1 when the record gives none): depth (MIN_DP of a block, else DP) >= th.MinDP,
// GQ >= th.MinGQ, and a GT that is not all missing. A record without a depth or a GQ does
// not pass.
func Passes(rec *vcf.Record, s *vcf.Sample, th Thresholds) (dp int, ok bool) {
	dp = s.DP
	if rec.IsRefBlock() {
		if v, ok := intField(s, "MIN_DP"); ok {
			dp = v
		}
	}
	gq, hasGQ := intField(s, "GQ")
	if dp < 0 || !hasGQ {
		return dp, false
	}
	if s.GT != nil {
		called := false
		for _, a := range s.GT {
			called = called || a >= 0
		}
		if !called {
			return dp, false
		}
	}
	return dp, dp >= th.MinDP && gq >= th.MinGQ
}

func intField(s *vcf.Sample, key string) (int, bool) {
	v, ok := s.Field(key)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// Coverage returns one entry per gene, in the order given to NewGVCF.
func (g *GVCF) Coverage() []report.Coverage {
	how := fmt.Sprintf("in the gVCF (blocks and sites with depth ≥ %d and GQ ≥ %d)", g.th.MinDP, g.th.MinGQ)
	out := make([]report.Coverage, len(g.tallies))
	for i, t := range g.tallies {
		out[i] = t.result(SourceGVCF, how, true)
	}
	return out
}
