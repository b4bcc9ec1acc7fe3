package kb

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/precis-dx/precis/internal/vcf"
)

// LiftBlock is a gap-free stretch of the alignment of one gene's GRCh37 slice to its
// GRCh38 slice: GRCh37 Start37+i is GRCh38 Start38+i for 0 <= i < Len. Bases inside a
// block are equal on both builds except at the RefDiffs listed for it. Between two blocks
// of a gene one build has bases the other lacks (an indel between the builds).
//
// A LiftBlock is a plain value, safe for concurrent use.
type LiftBlock struct {
	Gene    string // panel gene whose slices were aligned
	Chrom   string // canonical contig, "chr1" (the same on both builds)
	Start37 int    // 1-based GRCh37 position of the block's first base
	Start38 int    // 1-based GRCh38 position of the block's first base
	Len     int    // bases
	// Evidence says how the block was derived: EvidenceSequence (both builds' bases
	// aligned and compared one by one) or EvidenceExonModel (POLE: a GRCh37 exon placed
	// onto its GRCh38 counterpart of the same length; no GRCh37 bases to compare).
	Evidence string
}

// Evidence of a LiftBlock.
const (
	EvidenceSequence  = "sequence"
	EvidenceExonModel = "exon-model"
)

// End37 and End38 are the block's last positions (1-based, inclusive).
func (b LiftBlock) End37() int { return b.Start37 + b.Len - 1 }
func (b LiftBlock) End38() int { return b.Start38 + b.Len - 1 }

// RefDiff is an aligned position where the two builds' reference bases differ: a GRCh37
// VCF writes the same DNA with REF Base37 where a GRCh38 VCF writes REF Base38, so a
// genotype's REF and ALT can be exchanged between builds (DPYD c.85T>C, rs1801265).
//
// A RefDiff is a plain value, safe for concurrent use.
type RefDiff struct {
	Gene   string
	Chrom  string // canonical contig, "chr1"
	Pos37  int    // 1-based GRCh37 position
	Pos38  int    // 1-based GRCh38 position
	Base37 byte   // GRCh37 reference base
	Base38 byte   // GRCh38 reference base
}

// Liftover maps positions between GRCh37 and GRCh38 inside the panel genes' sequence
// slices. It is derived by package kb/build from the real sequence of both builds (an
// anchored alignment of each gene's slices), not from a chain file, and holds nothing
// outside those slices: POLE, which has no GRCh37 sequence source, is not covered.
//
// A Liftover is immutable after Load and safe for concurrent use.
type Liftover struct {
	by37  map[string][]LiftBlock // by contig, sorted by Start37
	by38  map[string][]LiftBlock // by contig, sorted by Start38
	diffs map[posKey]RefDiff     // by GRCh38 position
	d37   map[posKey]RefDiff     // by GRCh37 position
	list  []RefDiff              // sorted by contig and GRCh38 position
}

type posKey struct {
	chrom string
	pos   int
}

// NewLiftover checks and indexes blocks and their reference differences: blocks of one
// contig must not overlap on either build and must be in the same order on both, and every
// difference must lie in a block at the same offset on both builds.
func NewLiftover(blocks []LiftBlock, diffs []RefDiff) (*Liftover, error) {
	l := &Liftover{by37: map[string][]LiftBlock{}, by38: map[string][]LiftBlock{},
		diffs: map[posKey]RefDiff{}, d37: map[posKey]RefDiff{}}
	for _, b := range blocks {
		if b.Len < 1 || b.Start37 < 1 || b.Start38 < 1 || b.Chrom == "" {
			return nil, fmt.Errorf("%w: liftover block %+v", ErrFormat, b)
		}
		l.by37[b.Chrom] = append(l.by37[b.Chrom], b)
		l.by38[b.Chrom] = append(l.by38[b.Chrom], b)
	}
	for c, bs := range l.by37 {
		sort.Slice(bs, func(i, j int) bool { return bs[i].Start37 < bs[j].Start37 })
		for i := 1; i < len(bs); i++ {
			if bs[i].Start37 <= bs[i-1].End37() || bs[i].Start38 <= bs[i-1].End38() {
				return nil, fmt.Errorf("%w: liftover blocks %s:%d and %s:%d (GRCh37) overlap or cross", ErrInconsistent, c, bs[i-1].Start37, c, bs[i].Start37)
			}
		}
		b38 := l.by38[c]
		sort.Slice(b38, func(i, j int) bool { return b38[i].Start38 < b38[j].Start38 })
	}
	for _, d := range diffs {
		c37, p37, ok := l.To37(d.Chrom, d.Pos38)
		if !ok || c37 != d.Chrom || p37 != d.Pos37 || d.Base37 == d.Base38 {
			return nil, fmt.Errorf("%w: reference difference %s GRCh37 %d %c / GRCh38 %d %c is not an aligned mismatch",
				ErrInconsistent, d.Chrom, d.Pos37, d.Base37, d.Pos38, d.Base38)
		}
		l.diffs[posKey{d.Chrom, d.Pos38}] = d
		l.d37[posKey{d.Chrom, d.Pos37}] = d
		l.list = append(l.list, d)
	}
	sort.Slice(l.list, func(i, j int) bool {
		if l.list[i].Chrom != l.list[j].Chrom {
			return chromRank(l.list[i].Chrom) < chromRank(l.list[j].Chrom)
		}
		return l.list[i].Pos38 < l.list[j].Pos38
	})
	return l, nil
}

func canonical(chrom string) string {
	if c, ok := vcf.CanonicalChrom(chrom); ok {
		return c
	}
	return chrom
}

// find returns the block of bs (sorted by start) holding pos, where start and end give a
// block's first and last position on the build searched.
func find(bs []LiftBlock, pos int, start, end func(LiftBlock) int) (LiftBlock, bool) {
	i := sort.Search(len(bs), func(i int) bool { return start(bs[i]) > pos }) - 1
	if i < 0 || pos > end(bs[i]) {
		return LiftBlock{}, false
	}
	return bs[i], true
}

func start37(b LiftBlock) int { return b.Start37 }
func start38(b LiftBlock) int { return b.Start38 }

// block37 returns the block holding GRCh37 chrom:pos.
func (l *Liftover) block37(chrom string, pos int) (LiftBlock, bool) {
	return find(l.by37[canonical(chrom)], pos, start37, LiftBlock.End37)
}

// block38 returns the block holding GRCh38 chrom:pos.
func (l *Liftover) block38(chrom string, pos int) (LiftBlock, bool) {
	return find(l.by38[canonical(chrom)], pos, start38, LiftBlock.End38)
}

// To38 maps GRCh37 chrom:pos (1-based; "1", "chr1" and the like accepted) to GRCh38. ok is
// false outside the aligned slices and at GRCh37 bases GRCh38 lacks.
func (l *Liftover) To38(chrom string, pos37 int) (chrom38 string, pos38 int, ok bool) {
	b, ok := l.block37(chrom, pos37)
	if !ok {
		return "", 0, false
	}
	return b.Chrom, b.Start38 + pos37 - b.Start37, true
}

// To37 maps GRCh38 chrom:pos (1-based) to GRCh37; ok is false outside the aligned slices
// and at GRCh38 bases GRCh37 lacks.
func (l *Liftover) To37(chrom string, pos38 int) (chrom37 string, pos37 int, ok bool) {
	b, ok := l.block38(chrom, pos38)
	if !ok {
		return "", 0, false
	}
	return b.Chrom, b.Start37 + pos38 - b.Start38, true
}

// Interval38 maps the GRCh37 interval chrom:start37-end37 (1-based, inclusive) to GRCh38.
// ok is false unless the whole interval lies in one block: an interval that spans an
// indel between the builds has no single-interval image.
func (l *Liftover) Interval38(chrom string, start37, end37 int) (chrom38 string, start38, end38 int, ok bool) {
	b, ok := l.block37(chrom, start37)
	if !ok || end37 < start37 || end37 > b.End37() {
		return "", 0, 0, false
	}
	return b.Chrom, b.Start38 + start37 - b.Start37, b.Start38 + end37 - b.Start37, true
}

// Interval37 maps the GRCh38 interval chrom:start38-end38 (1-based, inclusive) to GRCh37,
// under the same condition as Interval38.
func (l *Liftover) Interval37(chrom string, start38, end38 int) (chrom37 string, start37, end37 int, ok bool) {
	b, ok := l.block38(chrom, start38)
	if !ok || end38 < start38 || end38 > b.End38() {
		return "", 0, 0, false
	}
	return b.Chrom, b.Start37 + start38 - b.Start38, b.Start37 + end38 - b.Start38, true
}

// RefDiff reports the reference difference at GRCh38 chrom:pos38, if there is one.
func (l *Liftover) RefDiff(chrom string, pos38 int) (RefDiff, bool) {
	d, ok := l.diffs[posKey{canonical(chrom), pos38}]
	return d, ok
}

// RefDiff37 reports the reference difference at GRCh37 chrom:pos37, if there is one.
func (l *Liftover) RefDiff37(chrom string, pos37 int) (RefDiff, bool) {
	d, ok := l.d37[posKey{canonical(chrom), pos37}]
	return d, ok
}

// Lifted is a GRCh37 VCF record's position and reference placed on GRCh38.
type Lifted struct {
	Chrom string // canonical contig, "chr1"
	Pos   int    // 1-based GRCh38 position of the record's first REF base
	Ref   string // GRCh38 reference bases over the record's REF span
	// RefChanged is true when Ref differs from the GRCh37 REF: the record spans a
	// reference difference. The record's alleles are the same DNA on both builds; on
	// GRCh38 the allele equal to Ref is the reference one, so a GRCh37 ALT may be the
	// GRCh38 REF (REF and ALT exchanged) or the GRCh37 REF a GRCh38 ALT.
	RefChanged bool
	Diffs      []RefDiff // the reference differences inside the REF span
}

// Lift places a GRCh37 record (chrom, 1-based pos, REF bases as read from the GRCh37
// reference) on GRCh38. ok is false when the REF span is not inside one block (outside
// the slices, or across an indel between the builds). Lift does not check ref37 against
// the GRCh37 reference; the caller does that with the GRCh37 genome. The record's ALT
// alleles need no mapping: they are bases, the same on both builds.
func (l *Liftover) Lift(chrom string, pos37 int, ref37 string) (Lifted, bool) {
	c, s, _, ok := l.Interval38(chrom, pos37, pos37+max(len(ref37), 1)-1)
	if !ok {
		return Lifted{}, false
	}
	out := Lifted{Chrom: c, Pos: s, Ref: ref37}
	ref := []byte(ref37)
	for i := range ref {
		if d, ok := l.diffs[posKey{c, s + i}]; ok {
			ref[i] = d.Base38
			out.Diffs = append(out.Diffs, d)
		}
	}
	if len(out.Diffs) > 0 {
		out.Ref, out.RefChanged = string(ref), true
	}
	return out, true
}

// Fetch37 returns the GRCh37 bases chrom:start-end (1-based, inclusive) as the map and the
// GRCh38 genome g38 give them: the GRCh38 bases of the interval's image with the GRCh37
// base put back at every reference difference. ok is false unless the interval lies in
// one sequence block (compared base by base when the map was built) whose GRCh38 bases g38
// holds; POLE's exon-model blocks never qualify. It reaches every panel position the map
// covers, including the deep-intronic CPIC positions that KB.GRCh37 (exons ±GRCh37Flank)
// lacks.
func (l *Liftover) Fetch37(g38 *Genome, chrom string, start, end int) (string, bool) {
	b, ok := l.block37(chrom, start)
	if !ok || b.Evidence != EvidenceSequence || end < start || end > b.End37() {
		return "", false
	}
	s38 := b.Start38 + start - b.Start37
	bases, ok := g38.Fetch(b.Chrom, s38, s38+end-start)
	if !ok {
		return "", false
	}
	out := []byte(bases)
	for i := range out {
		if d, ok := l.diffs[posKey{b.Chrom, s38 + i}]; ok {
			out[i] = d.Base37
		}
	}
	return string(out), true
}

// Regions37 places GRCh38 regions (such as KB.RegionsFor's) on GRCh37: each region is cut
// to the blocks it overlaps and mapped, so a region interrupted by an indel between the
// builds comes out in pieces. The bases of a region that no block maps (outside the
// slices, GRCh38-only bases, POLE outside its exons) are returned in unmapped, on GRCh38.
// Both lists keep the regions' order (GRCh37 and GRCh38 orders agree inside a contig).
func (l *Liftover) Regions37(regions []Region) (mapped, unmapped []Region) {
	for _, r := range regions {
		next := r.Start // first GRCh38 base of r not yet placed
		for _, b := range l.by38[r.Chrom] {
			lo, hi := max(r.Start, b.Start38), min(r.End, b.End38())
			if lo > hi {
				continue
			}
			if lo > next {
				unmapped = append(unmapped, Region{r.Chrom, next, lo - 1, r.Gene, r.Panel, r.Kind})
			}
			mapped = append(mapped, Region{r.Chrom, b.Start37 + lo - b.Start38, b.Start37 + hi - b.Start38, r.Gene, r.Panel, r.Kind})
			next = hi + 1
		}
		if next <= r.End {
			unmapped = append(unmapped, Region{r.Chrom, next, r.End, r.Gene, r.Panel, r.Kind})
		}
	}
	return mapped, unmapped
}

// Regions37Of places the regions of the given panels (all when none) on GRCh37, as
// Regions37 does, and returns the mapped ones.
func (l *Liftover) Regions37Of(regions []Region, panels []string) []Region {
	var in []Region
	for _, r := range regions {
		if len(panels) == 0 || slices.Contains(panels, r.Panel) {
			in = append(in, r)
		}
	}
	mapped, _ := l.Regions37(in)
	return mapped
}

// Piece is one gap-free part of a GRCh37 interval placed on GRCh38 (1-based, inclusive).
type Piece struct {
	Start37, End37 int
	Start38, End38 int
}

// Pieces38 cuts the GRCh37 interval chrom:start37-end37 (1-based, inclusive) to the blocks
// it overlaps and places each part on GRCh38, in order. Bases no block holds (outside the
// slices, or GRCh37 bases GRCh38 lacks) are left out; chrom38 is "" when nothing maps. A
// gVCF reference block or a callable-regions interval is lifted this way: the GRCh38 bases
// between two pieces (bases GRCh37 lacks) are not covered by it.
func (l *Liftover) Pieces38(chrom string, start37, end37 int) (chrom38 string, pieces []Piece) {
	for _, b := range l.by37[canonical(chrom)] {
		lo, hi := max(start37, b.Start37), min(end37, b.End37())
		if lo > hi {
			continue
		}
		chrom38 = b.Chrom
		pieces = append(pieces, Piece{lo, hi, b.Start38 + lo - b.Start37, b.Start38 + hi - b.Start37})
	}
	return chrom38, pieces
}

// Near38 places GRCh37 chrom:pos37 on GRCh38 through the block holding it or, outside the
// blocks, through the nearest block of the contig (exact is then false): the end of a
// structural variant reaching beyond a gene's slice is placed approximately, which decides
// nothing inside the gene. ok is false on a contig with no block.
func (l *Liftover) Near38(chrom string, pos37 int) (chrom38 string, pos38 int, exact, ok bool) {
	bs := l.by37[canonical(chrom)]
	if len(bs) == 0 {
		return "", 0, false, false
	}
	best, dist := bs[0], -1
	for _, b := range bs {
		if pos37 >= b.Start37 && pos37 <= b.End37() {
			return b.Chrom, b.Start38 + pos37 - b.Start37, true, true
		}
		d := min(abs(pos37-b.Start37), abs(pos37-b.End37()))
		if dist < 0 || d < dist {
			best, dist = b, d
		}
	}
	return best.Chrom, best.Start38 + pos37 - best.Start37, false, true
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Blocks lists the aligned blocks, sorted by contig and GRCh37 start.
func (l *Liftover) Blocks() []LiftBlock {
	var out []LiftBlock
	for _, c := range sortedChroms(l.by37) {
		out = append(out, l.by37[c]...)
	}
	return out
}

// RefDiffs lists the reference differences, sorted by contig and GRCh38 position.
func (l *Liftover) RefDiffs() []RefDiff { return l.list }

// liftoverHeader is the first line of liftover.tsv.
const liftoverHeader = "#kind\tgene\tchrom\tpos37\tpos38\tlength_or_bases\tevidence\t(block: start37 start38 length; diff: pos37 pos38 base37>base38; positions 1-based)"

// WriteLiftover writes l as TSV: one "block" row per aligned block (gene order as given
// by the blocks' contig and start) and one "diff" row per reference difference.
func WriteLiftover(w io.Writer, l *Liftover) error {
	var sb strings.Builder
	sb.WriteString(liftoverHeader + "\n")
	for _, b := range l.Blocks() {
		fmt.Fprintf(&sb, "block\t%s\t%s\t%d\t%d\t%d\t%s\n", b.Gene, b.Chrom, b.Start37, b.Start38, b.Len, b.Evidence)
	}
	for _, d := range l.list {
		fmt.Fprintf(&sb, "diff\t%s\t%s\t%d\t%d\t%c>%c\t%s\n", d.Gene, d.Chrom, d.Pos37, d.Pos38, d.Base37, d.Base38, EvidenceSequence)
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

// parseLiftover reads liftover.tsv.
func parseLiftover(data string) (*Liftover, error) {
	var blocks []LiftBlock
	var diffs []RefDiff
	err := EachLine(data, func(n int, line string) error {
		f := strings.Split(line, "\t")
		if len(f) != 7 || (f[6] != EvidenceSequence && f[6] != EvidenceExonModel) {
			return fmt.Errorf("%w: %s line %d: %d fields, want 7 ending in the evidence", ErrFormat, FileLiftover, n, len(f))
		}
		p37, err1 := strconv.Atoi(f[3])
		p38, err2 := strconv.Atoi(f[4])
		if err1 != nil || err2 != nil {
			return fmt.Errorf("%w: %s line %d: positions %q %q", ErrFormat, FileLiftover, n, f[3], f[4])
		}
		switch f[0] {
		case "block":
			length, err := strconv.Atoi(f[5])
			if err != nil {
				return fmt.Errorf("%w: %s line %d: length %q", ErrFormat, FileLiftover, n, f[5])
			}
			blocks = append(blocks, LiftBlock{Gene: f[1], Chrom: f[2], Start37: p37, Start38: p38, Len: length, Evidence: f[6]})
		case "diff":
			if len(f[5]) != 3 || f[5][1] != '>' || f[6] != EvidenceSequence {
				return fmt.Errorf("%w: %s line %d: bases %q, want X>Y", ErrFormat, FileLiftover, n, f[5])
			}
			diffs = append(diffs, RefDiff{Gene: f[1], Chrom: f[2], Pos37: p37, Pos38: p38, Base37: f[5][0], Base38: f[5][2]})
		default:
			return fmt.Errorf("%w: %s line %d: kind %q", ErrFormat, FileLiftover, n, f[0])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return NewLiftover(blocks, diffs)
}
