package vcftest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/vcf"
)

// GRCh37Length returns the GRCh37 length of a primary chromosome ("chr1", "1", "X" and the
// like), or 0.
func GRCh37Length(chrom string) int {
	c, ok := vcf.CanonicalChrom(chrom)
	if !ok {
		return 0
	}
	for _, g := range contigs {
		if g.name == c {
			return g.grch37
		}
	}
	return 0
}

// ErrUnmapped: a record of the GRCh38 input has no place on GRCh37 in the map (outside the
// panel genes' slices, across an indel between the builds, or in POLE, whose GRCh37 bases
// are unknown).
var ErrUnmapped = errors.New("vcftest: record not mapped to GRCh37")

// To37Options choose how To37 writes the GRCh37 file.
type To37Options struct {
	// Chr writes hg19-style contig names ("chr1", contig assembly=hg19); false writes
	// b37-style names ("1", assembly=b37).
	Chr bool
	// Reference writes a ##reference=GRCh37 line after ##fileformat. Without it the output
	// has no ##reference or ##assembly line at all (the GRCh38 ones are always dropped), so
	// that only the contig lengths and the REF alleles tell the build.
	Reference bool
	// SkipUnmapped leaves out the records the map cannot place and lists them in
	// To37Stats.Unmapped; without it the first such record is an error (ErrUnmapped) that
	// names its line.
	SkipUnmapped bool
	// ExonModel places records in POLE's exon-model blocks (kb.EvidenceExonModel: a GRCh37
	// exon matched to its GRCh38 counterpart by length, no GRCh37 bases to compare) and keeps
	// their GRCh38 REF bases, taking the exon model's word that the exon's bases are the same
	// on both builds. Without it those records are unmapped, like POLE's introns always are.
	ExonModel bool
	// Filler writes the records that lie outside the panel genes as they are, at the same
	// POS and END, with only the contig renamed: the genome-wide off-panel filler of a
	// generated file (Write), whose only role is a realistic file size and record density.
	// Its REF bases are not GRCh37's (nor, outside the built-in sequence, GRCh38's): a
	// converted generated file is the same DNA as its GRCh38 source only inside the genes.
	//
	// A record is filler when its GRCh38 span (REF, and END= where given) overlaps none of
	// the panel genes' GRCh38 slices (the map's blocks of each gene from first to last, and
	// g38's known bases) nor a span of Panel, and is no breakend. Filler is written only where
	// the same span lies inside the GRCh37 contig and overlaps no gene's GRCh37 slice (so it
	// never lands in a GRCh37 panel region or on a GRCh37 reference base the knowledge base
	// knows); other filler is left out and counted in To37Stats.FillerDropped, not listed in
	// Unmapped. Records inside the genes are converted (or unmapped) as without Filler.
	//
	// Because mapped records move and filler does not, the output is sorted by POS within
	// each contig (stable: records at one POS keep their order), holding one contig's
	// records in memory at a time.
	Filler bool
	// Panel adds GRCh38 spans (1-based, inclusive; the panel regions) that Filler treats as
	// inside the panel genes, for regions that reach beyond the map's slices (a first exon,
	// splice padding): a record there is converted or unmapped, never passed through.
	Panel []Span
}

// To37Stats counts what To37 did.
type To37Stats struct {
	Records int // data lines read
	Written int // data lines written (split blocks and reference-difference records included)
	// Swapped counts records whose alleles were re-listed because their REF span holds a
	// reference difference (kb.RefDiff): the GRCh37 reference allele is REF and GT indices
	// follow.
	Swapped int
	// Split counts reference blocks written in more than one piece (across an indel between
	// the builds or around a reference difference); DiffRecords the explicit variant records
	// written at reference differences inside blocks.
	Split, DiffRecords int
	// DroppedBlockBases counts GRCh38 bases of reference blocks that have no GRCh37
	// counterpart in the map (GRCh38-only bases, outside the slices) and were left out.
	DroppedBlockBases int
	Unmapped          []Unmapped // records left out (SkipUnmapped)
	// Filler counts the records written unchanged in position (To37Options.Filler);
	// FillerDropped the filler records left out (beyond the GRCh37 contig's end, or on a
	// gene's GRCh37 slice).
	Filler, FillerDropped int
}

// Unmapped is a record To37 could not place.
type Unmapped struct {
	Line     int    // 1-based line of the input
	Chrom    string // as written
	Pos, End int    // GRCh38 span (1-based, inclusive)
	Reason   string
}

func (u Unmapped) String() string {
	return fmt.Sprintf("line %d %s:%d-%d: %s", u.Line, u.Chrom, u.Pos, u.End, u.Reason)
}

// To37 rewrites the GRCh38 VCF src (text) as a GRCh37 VCF of the same DNA, on dst, using the
// knowledge base's sequence-derived map lo and its GRCh38 bases g38:
//
//   - ##contig lines of chr1..22, X and Y get GRCh37 names (opts.Chr) and lengths, and an
//     assembly= of b37 or hg19 (md5 and URL are dropped); other contigs' lines are dropped.
//     ##reference and ##assembly lines are dropped, and ##reference=GRCh37 written when
//     opts.Reference says so.
//   - A record is placed by lo.Interval37 over its REF span (and over END= for records that
//     carry one); its REF becomes the GRCh37 bases (the input REF with the GRCh37 base put
//     back at each reference difference: lo.Fetch37's bases when the input REF agrees with
//     GRCh38).
//   - Where the REF span holds a reference difference the alleles are re-listed: the GRCh37
//     reference allele first, then the record's other alleles (the GRCh38 REF first) in
//     their order; GT indices, and FORMAT and INFO fields of Number A, R and G, follow the
//     new order. Unphased genotypes are written with ascending indices (GRCh38 A>G 0/1 is
//     GRCh37 G>A 0/1, 0/0 is 1/1); phased ones keep their order (0|1 becomes 1|0). A value the
//     input does not give (a Number=A value of the GRCh38 REF, now an ALT; a Number=R value
//     of the GRCh37 reference base when no GRCh38 allele carries it) is missing ("."), except
//     in Integer Number=R fields (allele depths), where an allele the caller did not list
//     had no reads: 0, so that allele fractions stay computable; a Number=G field that needs
//     such an allele is written missing.
//   - gVCF reference blocks (END= and only <NON_REF>, <*> or no ALT) are cut to the map's
//     blocks, so one crossing an indel between the builds comes out in pieces and bases with
//     no GRCh37 counterpart are left out; a reference difference inside a block is written as
//     an explicit record (REF the GRCh37 base, ALT the GRCh38 base and the block's symbolic
//     ALT, GT with the GRCh38 base) carrying the block's FORMAT values.
//   - Symbolic structural variants have POS and END mapped one by one; breakend mates are
//     mapped in the ALT.
//
// ID, QUAL, FILTER, INFO (END= rewritten) and FORMAT are kept; records stay in input order,
// which the map keeps sorted (with opts.Filler they are sorted by POS within each contig).
// Records the map cannot place are an error naming the line, or left out and counted with
// opts.SkipUnmapped; with opts.Filler, records outside the panel genes are written at their
// GRCh38 position (see To37Options.Filler).
func To37(lo *kb.Liftover, g38 *kb.Genome, src io.Reader, dst io.Writer, opts To37Options) (To37Stats, error) {
	c := &converter{lo: lo, g38: g38, opts: opts, fields: map[string]string{}, types: map[string]string{}, blocks: map[string][]kb.LiftBlock{}}
	for _, b := range lo.Blocks() {
		c.blocks[b.Chrom] = append(c.blocks[b.Chrom], b)
	}
	for _, bs := range c.blocks {
		sort.Slice(bs, func(i, j int) bool { return bs[i].Start38 < bs[j].Start38 })
	}
	c.diffs = lo.RefDiffs()
	if opts.Filler {
		c.genes38, c.genes37 = geneSlices(lo, g38, opts.Panel)
	}
	sc := bufio.NewScanner(src)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	w := bufio.NewWriterSize(dst, 1<<16)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		var err error
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "##"):
			c.header(w, n, line)
		case strings.HasPrefix(line, "#"):
			if c.opts.Reference && !c.refWritten {
				w.WriteString("##reference=GRCh37\n")
				c.refWritten = true
			}
			w.WriteString(line + "\n")
		default:
			c.stats.Records++
			err = c.record(w, n, line)
		}
		if err != nil {
			return c.stats, err
		}
	}
	if err := sc.Err(); err != nil {
		return c.stats, err
	}
	c.flush(w)
	return c.stats, w.Flush()
}

type converter struct {
	lo         *kb.Liftover
	g38        *kb.Genome
	opts       To37Options
	blocks     map[string][]kb.LiftBlock // by contig, sorted by Start38
	diffs      []kb.RefDiff
	fields     map[string]string // "INFO/AC", "FORMAT/AD" -> Number
	types      map[string]string // same keys -> Type
	refWritten bool
	stats      To37Stats
	// With opts.Filler: the genes' slices on each build, and the records of the current
	// output contig, written sorted when the contig changes.
	genes38, genes37 spans
	pendChrom        string
	pend             []pendingLine
}

type pendingLine struct {
	pos  int
	line string
}

// spans is a set of intervals by canonical contig, each list sorted and merged (1-based,
// inclusive).
type spans map[string][][2]int

func (s spans) add(chrom string, start, end int) { s[chrom] = append(s[chrom], [2]int{start, end}) }

func (s spans) merge() {
	for c, ivs := range s {
		slices.SortFunc(ivs, func(a, b [2]int) int { return a[0] - b[0] })
		out := ivs[:0]
		for _, iv := range ivs {
			if n := len(out); n > 0 && iv[0] <= out[n-1][1]+1 {
				out[n-1][1] = max(out[n-1][1], iv[1])
				continue
			}
			out = append(out, iv)
		}
		s[c] = out
	}
}

// overlaps reports whether chrom:start-end overlaps an interval of s.
func (s spans) overlaps(chrom string, start, end int) bool {
	ivs := s[chrom]
	i := sort.Search(len(ivs), func(i int) bool { return ivs[i][1] >= start })
	return i < len(ivs) && ivs[i][0] <= end
}

// geneSlices returns the panel genes' slices on GRCh38 (each gene's map blocks from first
// to last, g38's known bases and the extra GRCh38 spans panel) and on GRCh37 (each gene's
// blocks from first to last).
func geneSlices(lo *kb.Liftover, g38 *kb.Genome, panel []Span) (s38, s37 spans) {
	s38, s37 = spans{}, spans{}
	type hull struct {
		chrom              string
		s37, e37, s38, e38 int
	}
	genes := map[string]*hull{}
	for _, b := range lo.Blocks() {
		h, ok := genes[b.Gene+"\x00"+b.Chrom]
		if !ok {
			h = &hull{b.Chrom, b.Start37, b.End37(), b.Start38, b.End38()}
			genes[b.Gene+"\x00"+b.Chrom] = h
		}
		h.s37, h.e37 = min(h.s37, b.Start37), max(h.e37, b.End37())
		h.s38, h.e38 = min(h.s38, b.Start38), max(h.e38, b.End38())
	}
	for _, h := range genes {
		s37.add(h.chrom, h.s37, h.e37)
		s38.add(h.chrom, h.s38, h.e38)
	}
	if g38 != nil {
		for _, sp := range g38.Spans() {
			s38.add(sp.Chrom, sp.Start, sp.End)
		}
	}
	for _, sp := range panel {
		if c, ok := vcf.CanonicalChrom(sp.Chrom); ok {
			s38.add(c, sp.Start, sp.End)
		}
	}
	s38.merge()
	s37.merge()
	return s38, s37
}

// filler writes an off-panel record (opts.Filler) at its GRCh38 position on GRCh37, or
// leaves it out where that position is beyond the GRCh37 contig or on a gene's GRCh37
// slice.
func (c *converter) filler(w *bufio.Writer, f []string, canon string, pos, span int) {
	if span > GRCh37Length(canon) || c.genes37.overlaps(canon, pos, span) {
		c.stats.FillerDropped++
		return
	}
	f[0] = c.name37(canon)
	c.stats.Filler++
	c.write(w, f)
}

// flush writes the held records of the current contig (opts.Filler), sorted by POS.
func (c *converter) flush(w *bufio.Writer) {
	slices.SortStableFunc(c.pend, func(a, b pendingLine) int { return a.pos - b.pos })
	for _, p := range c.pend {
		w.WriteString(p.line)
		w.WriteByte('\n')
	}
	clear(c.pend)
	c.pend = c.pend[:0]
}

var (
	metaID     = regexp.MustCompile(`^##(INFO|FORMAT)=<(.*)>$`)
	contigLine = regexp.MustCompile(`^##contig=<(.*)>$`)
)

// attrs splits the inside of a structured header line into key=value pairs, keeping quoted
// values whole.
func attrs(s string) [][2]string {
	var out [][2]string
	for len(s) > 0 {
		k, rest, _ := strings.Cut(s, "=")
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := 1
			for end < len(rest) && (rest[end] != '"' || rest[end-1] == '\\') {
				end++
			}
			v, rest = rest[:min(end+1, len(rest))], rest[min(end+1, len(rest)):]
			rest = strings.TrimPrefix(rest, ",")
		} else {
			v, rest, _ = strings.Cut(rest, ",")
		}
		out = append(out, [2]string{k, v})
		s = rest
	}
	return out
}

func (c *converter) name37(canon string) string {
	if c.opts.Chr {
		return canon
	}
	return strings.TrimPrefix(canon, "chr")
}

func (c *converter) header(w *bufio.Writer, n int, line string) {
	if m := metaID.FindStringSubmatch(line); m != nil {
		var id, number, typ string
		for _, kv := range attrs(m[2]) {
			switch kv[0] {
			case "ID":
				id = kv[1]
			case "Number":
				number = kv[1]
			case "Type":
				typ = kv[1]
			}
		}
		c.fields[m[1]+"/"+id] = number
		c.types[m[1]+"/"+id] = typ
	}
	switch {
	case strings.HasPrefix(line, "##reference=") || strings.HasPrefix(line, "##assembly="):
		return
	case contigLine.MatchString(line):
		var out []string
		var canon string
		for _, kv := range attrs(contigLine.FindStringSubmatch(line)[1]) {
			switch kv[0] {
			case "ID":
				canon, _ = vcf.CanonicalChrom(kv[1])
			case "length", "assembly", "md5", "URL", "url":
			default:
				out = append(out, kv[0]+"="+kv[1])
			}
		}
		l := GRCh37Length(canon)
		if l == 0 {
			return // not a primary chromosome: no GRCh37 counterpart written
		}
		asm := "b37"
		if c.opts.Chr {
			asm = "hg19"
		}
		out = append([]string{"ID=" + c.name37(canon), "length=" + strconv.Itoa(l), "assembly=" + asm}, out...)
		w.WriteString("##contig=<" + strings.Join(out, ",") + ">\n")
		return
	}
	w.WriteString(line + "\n")
	if n == 1 && strings.HasPrefix(line, "##fileformat=") && c.opts.Reference {
		w.WriteString("##reference=GRCh37\n")
		c.refWritten = true
	}
}

// unmapped records a record that has no GRCh37 place, or fails.
func (c *converter) unmapped(u Unmapped) error {
	if c.opts.SkipUnmapped {
		c.stats.Unmapped = append(c.stats.Unmapped, u)
		return nil
	}
	return fmt.Errorf("%w: %s", ErrUnmapped, u)
}

// infoEnd returns the INFO END= value, or 0.
func infoEnd(info string) (int, error) {
	for _, kv := range strings.Split(info, ";") {
		if v, ok := strings.CutPrefix(kv, "END="); ok {
			return strconv.Atoi(v)
		}
	}
	return 0, nil
}

func setInfoEnd(info string, end int) string {
	kvs := strings.Split(info, ";")
	for i, kv := range kvs {
		if strings.HasPrefix(kv, "END=") {
			kvs[i] = "END=" + strconv.Itoa(end)
		}
	}
	return strings.Join(kvs, ";")
}

func dropInfoEnd(info string) string {
	var out []string
	for _, kv := range strings.Split(info, ";") {
		if !strings.HasPrefix(kv, "END=") {
			out = append(out, kv)
		}
	}
	if len(out) == 0 {
		return "."
	}
	return strings.Join(out, ";")
}

func isRefSymbolic(a string) bool { return a == "<NON_REF>" || a == "<*>" || a == "." }

func isSymbolic(a string) bool {
	return strings.HasPrefix(a, "<") || strings.ContainsAny(a, "[]")
}

func (c *converter) record(w *bufio.Writer, n int, line string) error {
	f := strings.Split(line, "\t")
	if len(f) < 8 {
		return fmt.Errorf("vcftest: line %d: %d columns, want at least 8", n, len(f))
	}
	pos, err := strconv.Atoi(f[1])
	if err != nil {
		return fmt.Errorf("vcftest: line %d: POS %q", n, f[1])
	}
	end, err := infoEnd(f[7])
	if err != nil {
		return fmt.Errorf("vcftest: line %d: INFO END in %q", n, f[7])
	}
	canon, ok := vcf.CanonicalChrom(f[0])
	refEnd := pos + max(len(f[3]), 1) - 1
	span := max(refEnd, end)
	if !ok || GRCh37Length(canon) == 0 {
		return c.unmapped(Unmapped{n, f[0], pos, span, "not a primary chromosome"})
	}
	if c.opts.Filler && !strings.ContainsAny(f[4], "[]") && !c.genes38.overlaps(canon, pos, span) {
		c.filler(w, f, canon, pos, span)
		return nil
	}
	alts := strings.Split(f[4], ",")
	symbolic := slices.ContainsFunc(alts, isSymbolic)
	switch {
	case end > 0 && !slices.ContainsFunc(alts, func(a string) bool { return !isRefSymbolic(a) }):
		return c.refBlock(w, n, f, canon, pos, end)
	case symbolic && !slices.ContainsFunc(alts, func(a string) bool { return isRefSymbolic(a) && a != "." }):
		return c.structural(w, n, f, canon, pos, end)
	}
	c37, s37, e37, ok := c.lo.Interval37(canon, pos, refEnd)
	if !ok {
		return c.unmapped(Unmapped{n, f[0], pos, span, "REF span not inside one block of the map"})
	}
	ref37, reason := c.ref37(canon, pos, f[3], c37, s37, e37)
	if reason != "" {
		return c.unmapped(Unmapped{n, f[0], pos, span, reason})
	}
	if end > 0 {
		_, end37, ok := c.lo.To37(canon, end)
		if !ok {
			return c.unmapped(Unmapped{n, f[0], pos, span, "END not mapped"})
		}
		f[7] = setInfoEnd(f[7], end37)
	}
	f[0], f[1] = c.name37(c37), strconv.Itoa(s37)
	if ref37 != f[3] {
		c.relist(f, ref37)
		c.stats.Swapped++
	}
	c.write(w, f)
	return nil
}

// ref37 returns the GRCh37 REF of a record at GRCh38 canon:pos with REF ref38 placed at
// c37:s37-e37: the input REF with the GRCh37 base put back at each reference difference
// (which is lo.Fetch37's bases when the input REF agrees with GRCh38). reason says why there
// is none.
func (c *converter) ref37(canon string, pos int, ref38, c37 string, s37, e37 int) (string, string) {
	b := c.block38(canon, pos)
	if b.Evidence != kb.EvidenceSequence {
		if c.opts.ExonModel && b.Evidence == kb.EvidenceExonModel {
			return ref38, ""
		}
		return "", "in an exon-model block (" + b.Gene + "): no GRCh37 bases"
	}
	if _, ok := c.lo.Fetch37(c.g38, c37, s37, e37); !ok {
		return "", "no GRCh37 bases in the map"
	}
	out := []byte(ref38)
	for i := range out {
		if d, ok := c.lo.RefDiff(canon, pos+i); ok {
			out[i] = d.Base37
		}
	}
	return string(out), ""
}

// block38 returns the map block holding GRCh38 canon:pos (zero when none).
func (c *converter) block38(canon string, pos int) kb.LiftBlock {
	bs := c.blocks[canon]
	i := sort.Search(len(bs), func(i int) bool { return bs[i].Start38 > pos }) - 1
	if i < 0 || pos > bs[i].End38() {
		return kb.LiftBlock{}
	}
	return bs[i]
}

func (c *converter) write(w *bufio.Writer, f []string) {
	c.stats.Written++
	if !c.opts.Filler {
		w.WriteString(strings.Join(f, "\t"))
		w.WriteByte('\n')
		return
	}
	if f[0] != c.pendChrom {
		c.flush(w)
		c.pendChrom = f[0]
	}
	pos, _ := strconv.Atoi(f[1])
	c.pend = append(c.pend, pendingLine{pos, strings.Join(f, "\t")})
}

// relist rewrites the alleles of record f (already placed on GRCh37) so that ref37 is REF:
// old allele i goes to index perm[i].
func (c *converter) relist(f []string, ref37 string) {
	old := []string{f[3]}
	if f[4] != "." {
		old = append(old, strings.Split(f[4], ",")...)
	}
	alleles := []string{ref37}
	perm := make([]int, len(old))
	for i, a := range old {
		if a == ref37 {
			perm[i] = 0
			continue
		}
		perm[i] = len(alleles)
		alleles = append(alleles, a)
	}
	f[3] = ref37
	if len(alleles) == 1 {
		f[4] = "."
	} else {
		f[4] = strings.Join(alleles[1:], ",")
	}
	f[7] = c.remapInfo(f[7], perm, len(alleles))
	if len(f) > 9 {
		keys := strings.Split(f[8], ":")
		for s := 9; s < len(f); s++ {
			f[s] = c.remapSample(keys, f[s], perm, len(alleles))
		}
	}
}

func (c *converter) remapInfo(info string, perm []int, n int) string {
	if info == "." {
		return info
	}
	kvs := strings.Split(info, ";")
	for i, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		kvs[i] = k + "=" + c.remapValue("INFO/"+k, v, perm, n, 2)
	}
	return strings.Join(kvs, ";")
}

func (c *converter) remapSample(keys []string, sample string, perm []int, n int) string {
	vals := strings.Split(sample, ":")
	ploidy := 2
	for i, k := range keys {
		if k == "GT" && i < len(vals) {
			ploidy = strings.Count(vals[i], "/") + strings.Count(vals[i], "|") + 1
		}
	}
	for i := range vals {
		if i >= len(keys) {
			break
		}
		if keys[i] == "GT" {
			vals[i] = remapGT(vals[i], perm)
			continue
		}
		vals[i] = c.remapValue("FORMAT/"+keys[i], vals[i], perm, n, ploidy)
	}
	return strings.Join(vals, ":")
}

// remapGT rewrites a GT value with old allele i as perm[i]; unphased genotypes are written
// with ascending indices (missing last), phased ones keep their order.
func remapGT(gt string, perm []int) string {
	if strings.Contains(gt, "|") && !strings.Contains(gt, "/") {
		parts := strings.Split(gt, "|")
		for i, p := range parts {
			parts[i] = remapAllele(p, perm)
		}
		return strings.Join(parts, "|")
	}
	if strings.Contains(gt, "|") {
		// mixed separators: remap in place, keep the text's shape
		var sb strings.Builder
		start := 0
		for i := 0; i <= len(gt); i++ {
			if i == len(gt) || gt[i] == '/' || gt[i] == '|' {
				sb.WriteString(remapAllele(gt[start:i], perm))
				if i < len(gt) {
					sb.WriteByte(gt[i])
				}
				start = i + 1
			}
		}
		return sb.String()
	}
	parts := strings.Split(gt, "/")
	idx := make([]int, len(parts))
	for i, p := range parts {
		idx[i] = -1
		if k, err := strconv.Atoi(p); err == nil && k >= 0 && k < len(perm) {
			idx[i] = perm[k]
		}
	}
	sort.Slice(idx, func(i, j int) bool {
		if (idx[i] < 0) != (idx[j] < 0) {
			return idx[j] < 0
		}
		return idx[i] < idx[j]
	})
	for i, k := range idx {
		parts[i] = "."
		if k >= 0 {
			parts[i] = strconv.Itoa(k)
		}
	}
	return strings.Join(parts, "/")
}

func remapAllele(p string, perm []int) string {
	if k, err := strconv.Atoi(p); err == nil && k >= 0 && k < len(perm) {
		return strconv.Itoa(perm[k])
	}
	return p
}

// remapValue reorders a Number=A, R or G value for the new allele order; other values are
// returned as they are.
func (c *converter) remapValue(key, v string, perm []int, n, ploidy int) string {
	number, ok := c.fields[key]
	if !ok {
		number = reservedNumber[key]
	}
	if v == "." || (number != "A" && number != "R" && number != "G") {
		return v
	}
	fill := "."
	if t, ok := c.types[key]; number == "R" && (t == "Integer" || (!ok && strings.HasSuffix(key, "/AD"))) {
		fill = "0"
	}
	old := strings.Split(v, ",")
	switch number {
	case "R", "A":
		off := 0
		if number == "A" {
			off = 1
		}
		if len(old) != len(perm)-off {
			return v
		}
		out := make([]string, n-off)
		for i := range out {
			out[i] = fill
		}
		for i, val := range old {
			if j := perm[i+off] - off; j >= 0 {
				out[j] = val
			}
		}
		return strings.Join(out, ",")
	default: // G
		oldG, newG := genotypes(len(perm), ploidy), genotypes(n, ploidy)
		if len(old) != len(oldG) {
			return v
		}
		at := map[string]string{}
		for i, g := range oldG {
			m := make([]int, len(g))
			for j, a := range g {
				m[j] = perm[a]
			}
			slices.Sort(m)
			at[fmt.Sprint(m)] = old[i]
		}
		out := make([]string, len(newG))
		for i, g := range newG {
			val, ok := at[fmt.Sprint(g)]
			if !ok {
				return "."
			}
			out[i] = val
		}
		return strings.Join(out, ",")
	}
}

// reservedNumber gives the Number of the VCF specification's reserved keys (VCFv4.3 sections
// 1.6.1 and 1.6.2) whose values follow the alleles, for files that use them undeclared.
var reservedNumber = map[string]string{
	"INFO/AC": "A", "INFO/AF": "A", "INFO/AD": "R", "INFO/ADF": "R", "INFO/ADR": "R",
	"FORMAT/AD": "R", "FORMAT/ADF": "R", "FORMAT/ADR": "R", "FORMAT/EC": "A",
	"FORMAT/GL": "G", "FORMAT/GP": "G", "FORMAT/PL": "G",
}

// genotypes lists the genotypes of n alleles at ploidy 1 or 2 in VCF order (for diploid
// j/k, index k(k+1)/2+j).
func genotypes(n, ploidy int) [][]int {
	var out [][]int
	if ploidy == 1 {
		for a := range n {
			out = append(out, []int{a})
		}
		return out
	}
	for k := range n {
		for j := 0; j <= k; j++ {
			out = append(out, []int{j, k})
		}
	}
	return out
}

// refBlock writes a gVCF reference block GRCh38 canon:pos-end as the pieces the map places,
// with an explicit record at each reference difference.
func (c *converter) refBlock(w *bufio.Writer, n int, f []string, canon string, pos, end int) error {
	if end < pos {
		return fmt.Errorf("vcftest: line %d: END %d before POS %d", n, end, pos)
	}
	type piece struct {
		s38, e38 int
		b        kb.LiftBlock
	}
	var pieces []piece
	placed := 0
	for _, b := range c.blocks[canon] {
		lo, hi := max(pos, b.Start38), min(end, b.End38())
		if lo > hi {
			continue
		}
		if b.Evidence != kb.EvidenceSequence && !c.opts.ExonModel {
			continue
		}
		pieces = append(pieces, piece{lo, hi, b})
		placed += hi - lo + 1
	}
	if len(pieces) == 0 {
		return c.unmapped(Unmapped{n, f[0], pos, end, "reference block outside the map"})
	}
	c.stats.DroppedBlockBases += end - pos + 1 - placed
	written := 0
	emit := func(b kb.LiftBlock, s38, e38 int) error {
		s37, e37 := b.Start37+s38-b.Start38, b.Start37+e38-b.Start38
		ref, ok := c.lo.Fetch37(c.g38, canon, s37, s37)
		if !ok {
			if ref, ok = c.g38.Fetch(canon, s38, s38); !ok {
				return fmt.Errorf("vcftest: line %d: no reference base at GRCh38 %s:%d", n, canon, s38)
			}
		}
		g := slices.Clone(f)
		g[0], g[1], g[3], g[7] = c.name37(canon), strconv.Itoa(s37), ref, setInfoEnd(f[7], e37)
		c.write(w, g)
		written++
		return nil
	}
	for _, p := range pieces {
		next := p.s38
		for _, d := range c.diffs {
			if d.Chrom != canon || d.Pos38 < p.s38 || d.Pos38 > p.e38 {
				continue
			}
			if d.Pos38 > next {
				if err := emit(p.b, next, d.Pos38-1); err != nil {
					return err
				}
			}
			// The block says GRCh38's base, d.Base38, on every haplotype called.
			g := slices.Clone(f)
			g[0], g[1], g[7] = c.name37(canon), strconv.Itoa(d.Pos37), dropInfoEnd(f[7])
			g[3] = string(d.Base38)
			c.relist(g, string(d.Base37))
			c.write(w, g)
			c.stats.DiffRecords++
			written++
			next = d.Pos38 + 1
		}
		if next <= p.e38 {
			if err := emit(p.b, next, p.e38); err != nil {
				return err
			}
		}
	}
	if written > 1 {
		c.stats.Split++
	}
	return nil
}

var breakend = regexp.MustCompile(`([\[\]])([^:\[\]]+):(\d+)([\[\]])`)

// structural writes a symbolic or breakend record with POS and END (and a breakend mate)
// mapped one by one.
func (c *converter) structural(w *bufio.Writer, n int, f []string, canon string, pos, end int) error {
	span := max(end, pos)
	c37, s37, ok := c.lo.To37(canon, pos)
	if !ok {
		return c.unmapped(Unmapped{n, f[0], pos, span, "POS not mapped"})
	}
	if end > 0 {
		ce, e37, ok := c.lo.To37(canon, end)
		if !ok || ce != c37 {
			return c.unmapped(Unmapped{n, f[0], pos, span, "END not mapped"})
		}
		f[7] = setInfoEnd(f[7], e37)
	}
	if f[3] != "N" && f[3] != "." {
		_, _, e, ok := c.lo.Interval37(canon, pos, pos+len(f[3])-1)
		if !ok {
			return c.unmapped(Unmapped{n, f[0], pos, span, "REF span not inside one block of the map"})
		}
		ref, reason := c.ref37(canon, pos, f[3], c37, s37, e)
		if reason != "" {
			return c.unmapped(Unmapped{n, f[0], pos, span, reason})
		}
		old := f[3]
		f[3] = ref
		// A breakend ALT repeats the REF base.
		if ref != old {
			f[4] = strings.ReplaceAll(f[4], old, ref)
		}
	}
	var mateErr string
	f[4] = breakend.ReplaceAllStringFunc(f[4], func(m string) string {
		p := breakend.FindStringSubmatch(m)
		mc, ok := vcf.CanonicalChrom(p[2])
		mp, _ := strconv.Atoi(p[3])
		if !ok {
			mateErr = "breakend mate on " + p[2]
			return m
		}
		m37c, m37, ok := c.lo.To37(mc, mp)
		if !ok {
			mateErr = "breakend mate not mapped"
			return m
		}
		return p[1] + c.name37(m37c) + ":" + strconv.Itoa(m37) + p[4]
	})
	if mateErr != "" {
		return c.unmapped(Unmapped{n, f[0], pos, span, mateErr})
	}
	f[0], f[1] = c.name37(c37), strconv.Itoa(s37)
	c.write(w, f)
	return nil
}
