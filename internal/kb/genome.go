package kb

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/precis-dx/precis/internal/transcript"
	"github.com/precis-dx/precis/internal/variant"
	"github.com/precis-dx/precis/internal/vcf"
)

// Genome holds reference bases of one genome build for the stretches the knowledge base
// knows (the panel genes); everything else is unknown. Bases are upper-case, plus strand.
//
// A Genome is immutable after Load and safe for concurrent use.
type Genome struct {
	Build  string               // "GRCh38" or "GRCh37"
	chroms map[string][]segment // by canonical contig name; sorted by start, disjoint, never adjacent
}

// segment is a run of known bases.
type segment struct {
	start int    // 1-based position of seq[0]
	seq   string // upper-case bases
	label string // free text: gene and source of the bases
	hasN  bool   // seq contains a base other than A, C, G, T
}

func (s segment) end() int { return s.start + len(s.seq) - 1 } // 1-based inclusive

// Span is a stretch of known reference bases.
type Span struct {
	Chrom string // canonical contig name, "chr1"
	Start int    // 1-based, inclusive
	End   int    // 1-based, inclusive
	Label string // where the bases come from, e.g. "DPYD LRG_722 GRCh38"
}

// Fetch returns the plus-strand reference bases chrom:start-end (1-based, inclusive).
// ok is false when any base in the range is unknown to the knowledge base (outside the
// stored stretches, or an N) or the range is empty. chrom is a canonical name ("chr1");
// "1", "MT" and the like are accepted too.
func (g *Genome) Fetch(chrom string, start, end int) (string, bool) {
	if g == nil || start < 1 || end < start {
		return "", false
	}
	segs, ok := g.chroms[chrom]
	if !ok {
		c, known := vcf.CanonicalChrom(chrom)
		if !known {
			return "", false
		}
		segs = g.chroms[c]
	}
	// The last segment starting at or before start.
	i := sort.Search(len(segs), func(i int) bool { return segs[i].start > start }) - 1
	if i < 0 {
		return "", false
	}
	s := segs[i]
	if end > s.end() {
		return "", false
	}
	out := s.seq[start-s.start : end-s.start+1]
	if s.hasN && !variant.IsACGT(out) {
		return "", false
	}
	return out, true
}

// Spans lists the stretches of known bases, sorted by contig and start.
func (g *Genome) Spans() []Span {
	var out []Span
	for _, c := range sortedChroms(g.chroms) {
		for _, s := range g.chroms[c] {
			out = append(out, Span{Chrom: c, Start: s.start, End: s.end(), Label: s.label})
		}
	}
	return out
}

// Len returns the number of known bases.
func (g *Genome) Len() int {
	n := 0
	for _, segs := range g.chroms {
		for _, s := range segs {
			n += len(s.seq)
		}
	}
	return n
}

// Spliced returns the sequence of t's exons in transcript orientation (reverse
// complemented for a minus-strand transcript): the cDNA of t. ok is false when any exon
// base is unknown.
func (g *Genome) Spliced(t *transcript.Transcript) (string, bool) {
	return txSequence(g, t, 1, t.Len())
}

// Segment is a run of reference bases given to NewGenome.
type Segment struct {
	Chrom string // canonical contig name, "chr1"
	Start int    // 1-based position of Seq[0]
	Seq   string // upper-case bases, plus strand; N for an unknown base
	Label string // free text: gene and source of the bases
}

// NewGenome builds a Genome of the given build from segments, sorting them by position (in
// the order given where two start at the same base), merging adjacent and overlapping ones
// and rejecting overlaps that disagree.
func NewGenome(build string, segs []Segment) (*Genome, error) {
	byChrom := map[string][]segment{}
	for _, s := range segs {
		byChrom[s.Chrom] = append(byChrom[s.Chrom], segment{start: s.Start, seq: s.Seq, label: s.Label, hasN: !variant.IsACGT(s.Seq)})
	}
	return newGenome(build, byChrom)
}

// newGenome builds a Genome from segments, sorting them, merging adjacent ones and
// rejecting overlaps that disagree.
func newGenome(build string, segs map[string][]segment) (*Genome, error) {
	g := &Genome{Build: build, chroms: make(map[string][]segment, len(segs))}
	for c, list := range segs {
		list = append([]segment(nil), list...)
		sort.SliceStable(list, func(i, j int) bool { return list[i].start < list[j].start })
		var merged []segment
		for _, s := range list {
			if len(s.seq) == 0 {
				continue
			}
			if n := len(merged); n > 0 && s.start <= merged[n-1].end()+1 {
				last := &merged[n-1]
				if s.start <= last.end() {
					// Overlap: the shared bases must agree.
					ov := min(last.end(), s.end())
					a := last.seq[s.start-last.start : ov-last.start+1]
					b := s.seq[:ov-s.start+1]
					if a != b {
						return nil, fmt.Errorf("%w: %s %s:%d-%d: overlapping sequences disagree (%s, %s)",
							ErrInconsistent, build, c, s.start, ov, last.label, s.label)
					}
				}
				if s.end() > last.end() {
					last.seq += s.seq[last.end()-s.start+1:]
				}
				if !strings.Contains(last.label, s.label) {
					last.label += "; " + s.label
				}
				last.hasN = last.hasN || s.hasN
				continue
			}
			merged = append(merged, s)
		}
		g.chroms[c] = merged
	}
	return g, nil
}

// WriteFASTA writes g as FASTA, one line of bases per record (so that a reader can keep
// each record's bases without copying). Each record is named "chrom:start-end" (1-based,
// inclusive), followed by its label.
func WriteFASTA(w io.Writer, g *Genome) error {
	bw := bufio.NewWriter(w)
	for _, c := range sortedChroms(g.chroms) {
		for _, s := range g.chroms[c] {
			fmt.Fprintf(bw, ">%s:%d-%d %s\n%s\n", c, s.start, s.end(), s.label, s.seq)
		}
	}
	return bw.Flush()
}

// parseFASTA reads the embedded FASTA format written by WriteFASTA: records named
// "chrom:start-end" (1-based, inclusive; chrom canonical), bases A, C, G, T or N in upper
// case on one or more lines, as many as the range is long. Records must not overlap.
func parseFASTA(build string, data string) (*Genome, error) {
	segs := map[string][]segment{}
	var (
		cur     *segment
		chrom   string
		want    int
		hdrLine int
		lines   []string
	)
	finish := func() error {
		if cur == nil {
			return nil
		}
		seq := strings.Join(lines, "") // no copy for a single line
		if len(seq) != want {
			return fmt.Errorf("%w: %s line %d: record has %d bases, its name says %d",
				ErrFormat, build, hdrLine, len(seq), want)
		}
		cur.seq = seq
		segs[chrom] = append(segs[chrom], *cur)
		cur, lines = nil, lines[:0]
		return nil
	}
	line := 0
	for l := range strings.Lines(data) {
		line++
		l = strings.TrimSuffix(l, "\n")
		if len(l) == 0 {
			continue
		}
		if l[0] == '>' {
			if err := finish(); err != nil {
				return nil, err
			}
			name, label, _ := strings.Cut(l[1:], " ")
			c, rng, ok := strings.Cut(name, ":")
			a, b, ok2 := strings.Cut(rng, "-")
			start, err1 := strconv.Atoi(a)
			end, err2 := strconv.Atoi(b)
			if cc, known := vcf.CanonicalChrom(c); !ok || !ok2 || err1 != nil || err2 != nil || !known || cc != c ||
				start < 1 || end < start || end-start >= 1<<28 {
				return nil, fmt.Errorf("%w: %s line %d: record name %q is not chrN:start-end", ErrFormat, build, line, name)
			}
			chrom, want, hdrLine = c, end-start+1, line
			cur = &segment{start: start, label: label}
			continue
		}
		if cur == nil {
			return nil, fmt.Errorf("%w: %s line %d: bases before the first record name", ErrFormat, build, line)
		}
		if i := strings.IndexFunc(l, func(r rune) bool { return !strings.ContainsRune("ACGTN", r) }); i >= 0 {
			return nil, fmt.Errorf("%w: %s line %d: base %q is not one of A, C, G, T, N", ErrFormat, build, line, l[i])
		}
		cur.hasN = cur.hasN || strings.IndexByte(l, 'N') >= 0
		lines = append(lines, l)
	}
	if err := finish(); err != nil {
		return nil, err
	}
	for c, list := range segs {
		sort.SliceStable(list, func(i, j int) bool { return list[i].start < list[j].start })
		for i := 1; i < len(list); i++ {
			if list[i].start <= list[i-1].end() {
				return nil, fmt.Errorf("%w: %s: records %s:%d and %s:%d overlap", ErrFormat, build, c, list[i-1].start, c, list[i].start)
			}
		}
	}
	return newGenome(build, segs)
}
