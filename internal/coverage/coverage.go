package coverage

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/transcript"
)

// Defaults of the thresholds (DESIGN.md clinical rule 1: DP >= 10 and GQ >= 20).
const (
	DefaultMinDP = 10
	DefaultMinGQ = 20
)

// Sources of a Coverage (report.Coverage.Source).
const (
	SourceGVCF = "gvcf"
	SourceBED  = "bed"
	SourceNone = "none"
)

// SpliceFlank is the number of intronic bases kept beside each coding exon boundary that
// is a splice junction: the canonical splice donor and acceptor dinucleotides.
const SpliceFlank = 2

// Exon is the target part of one coding exon. Start and End are 1-based, inclusive, plus
// strand (VCF coordinates).
type Exon struct {
	Number int // 1-based, transcript order (MANE Select exon number)
	Start  int // 1-based, inclusive
	End    int // 1-based, inclusive
}

// Gene is the target of one gene: its coding exons ±2 bp on its MANE Select transcript.
// It is a plain value, safe for concurrent reads.
type Gene struct {
	Name       string // HGNC symbol
	Transcript string // RefSeq accession, e.g. "NM_007294.4"
	Chrom      string // canonical contig name, "chr17"
	Exons      []Exon // coding exons in transcript order
}

// Bases returns the number of target bases of g.
func (g Gene) Bases() int {
	n := 0
	for _, e := range g.Exons {
		n += e.End - e.Start + 1
	}
	return n
}

// Targets returns the coding exons of t with SpliceFlank intronic bases beside every exon
// boundary of the coding part that is a splice junction (not the first base of the first
// exon nor the last of the last, and not where the coding part starts or ends inside the
// exon). Exons without a coding base are left out.
func Targets(t *transcript.Transcript) Gene {
	g := Gene{Name: t.Gene, Transcript: t.ID, Chrom: t.Chrom}
	for i, e := range t.Exons {
		n := i + 1
		a, b := t.ExonTx(n) // transcript positions of the exon
		ca, cb := max(a, t.CDSStart), min(b, t.CDSEnd)
		if ca > cb {
			continue
		}
		acceptor := ca == a && n > 1         // 5' end of the coding part is an intron boundary
		donor := cb == b && n < len(t.Exons) // 3' end of the coding part is an intron boundary
		var x Exon
		if t.Strand > 0 {
			x = Exon{Number: n, Start: e.Start + (ca - a), End: e.Start + (cb - a)}
			if acceptor {
				x.Start -= SpliceFlank
			}
			if donor {
				x.End += SpliceFlank
			}
		} else {
			x = Exon{Number: n, Start: e.End - (cb - a), End: e.End - (ca - a)}
			if acceptor {
				x.End += SpliceFlank
			}
			if donor {
				x.Start -= SpliceFlank
			}
		}
		g.Exons = append(g.Exons, x)
	}
	return g
}

// span is an interval of bases, 1-based inclusive, with the depth it was read at (-1
// unknown).
type span struct {
	start, end int
	dp         int
}

// tally collects, per exon of one gene, the covered and the failing spans that overlap it,
// clipped to it.
type tally struct {
	gene Gene
	pass [][]span // by index in gene.Exons
	fail [][]span
}

func newTally(g Gene) *tally {
	return &tally{gene: g, pass: make([][]span, len(g.Exons)), fail: make([][]span, len(g.Exons))}
}

// add records that [start, end] (1-based inclusive) is covered (ok) or not, at depth dp.
func (t *tally) add(start, end, dp int, ok bool) {
	for i, e := range t.gene.Exons {
		s, en := max(start, e.Start), min(end, e.End)
		if s > en {
			continue
		}
		if ok {
			t.pass[i] = append(t.pass[i], span{s, en, dp})
		} else {
			t.fail[i] = append(t.fail[i], span{s, en, -1})
		}
	}
}

// merge sorts spans and merges those that overlap or touch; depths are dropped.
func merge(ss []span) []span {
	ss = append([]span(nil), ss...)
	sort.Slice(ss, func(i, j int) bool { return ss[i].start < ss[j].start })
	var out []span
	for _, s := range ss {
		if n := len(out); n > 0 && s.start <= out[n-1].end+1 {
			out[n-1].end = max(out[n-1].end, s.end)
			continue
		}
		out = append(out, span{s.start, s.end, -1})
	}
	return out
}

// subtract returns the parts of the merged spans a not in the merged spans b.
func subtract(a, b []span) []span {
	var out []span
	j := 0
	for _, s := range a {
		cur := s.start
		for j < len(b) && b[j].end < cur {
			j++
		}
		for k := j; k < len(b) && b[k].start <= s.end; k++ {
			if b[k].start > cur {
				out = append(out, span{cur, b[k].start - 1, -1})
			}
			cur = max(cur, b[k].end+1)
		}
		if cur <= s.end {
			out = append(out, span{cur, s.end, -1})
		}
	}
	return out
}

func overlaps(s span, ms []span) bool {
	for _, m := range ms {
		if m.start <= s.end && s.start <= m.end {
			return true
		}
	}
	return false
}

// result turns the tally into the gene's report entry. withDP says whether the source
// gives depths (gVCF) so min_dp can be stated.
func (t *tally) result(source, how string, withDP bool) report.Coverage {
	c := report.Coverage{Gene: t.gene.Name, Source: source, UncoveredExons: []int{}}
	total, covered, minDP := 0, 0, math.MaxInt
	for i, e := range t.gene.Exons {
		n := e.End - e.Start + 1
		total += n
		cov := subtract(merge(t.pass[i]), merge(t.fail[i]))
		got := 0
		for _, s := range cov {
			got += s.end - s.start + 1
		}
		covered += got
		if got < n {
			c.UncoveredExons = append(c.UncoveredExons, e.Number)
		}
		if withDP {
			for _, s := range t.pass[i] {
				if s.dp >= 0 && s.dp < minDP && overlaps(s, cov) {
					minDP = s.dp
				}
			}
		}
	}
	if total == 0 {
		return none(t.gene.Name, "the knowledge base has no coding exons for "+t.gene.Name+": its coverage cannot be stated")
	}
	f := math.Round(float64(covered)/float64(total)*10000) / 10000
	c.CoveredFraction = &f
	if withDP && minDP != math.MaxInt {
		c.MinDP = &minDP
	}
	c.Note = note(t.gene, c, how)
	return c
}

// note says the result in words.
func note(g Gene, c report.Coverage, how string) string {
	region := fmt.Sprintf("the coding exons ±%d bp of %s (%s, %d bases)", SpliceFlank, g.Name, g.Transcript, g.Bases())
	if len(c.UncoveredExons) == 0 {
		return fmt.Sprintf("all of %s covered %s", region, how)
	}
	pct := strconv.FormatFloat(*c.CoveredFraction*100, 'f', 1, 64)
	return fmt.Sprintf("%s%% of %s covered %s; not fully covered: exon%s %s: a negative result cannot exclude variants in the uncovered bases of %s",
		pct, region, how, plural(len(c.UncoveredExons)), joinInts(c.UncoveredExons), g.Name)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

// NoneNote is the note of a gene whose input cannot show which bases were sequenced.
func NoneNote(gene string) string {
	return "the input does not show which bases were sequenced (no gVCF reference blocks and no callable-regions file): a negative result cannot exclude variants in " + gene
}

// None returns the entries of genes for an input that cannot show what was sequenced:
// source "none", covered_fraction and min_dp null, and NoneNote.
func None(genes []Gene) []report.Coverage {
	out := make([]report.Coverage, len(genes))
	for i, g := range genes {
		out[i] = none(g.Name, NoneNote(g.Name))
	}
	return out
}

// Unknown returns source "none" entries for genes with a note of the caller's (why the
// coverage could not be computed).
func Unknown(genes []Gene, why string) []report.Coverage {
	out := make([]report.Coverage, len(genes))
	for i, g := range genes {
		out[i] = none(g.Name, why+": a negative result cannot exclude variants in "+g.Name)
	}
	return out
}

func none(gene, note string) report.Coverage {
	return report.Coverage{Gene: gene, Source: SourceNone, UncoveredExons: []int{}, Note: note}
}
