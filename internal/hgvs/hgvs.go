// Package hgvs names a variant on a transcript as HGVS does (g., c. and p. descriptions,
// https://hgvs-nomenclature.org, version 21) and gives its Sequence Ontology consequence,
// ranked as Ensembl VEP ranks them.
//
// Names follow the HGVS 3' rule: an insertion or deletion in a repeat is placed as far
// 3' as it goes, on the plus strand for g. and on the transcript strand for c. (toward
// lower genomic positions on a minus-strand gene). Where the reference sequence is not
// known a field is left empty rather than guessed: a protein name needs every base of the
// coding sequence, and a frameshift or stop loss whose new reading frame runs into
// unknown UTR bases before it meets a stop is written with HGVS's "?" for the unknown
// end (fsTer?, extTer?).
package hgvs

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/precis-dx/precis/internal/transcript"
	"github.com/precis-dx/precis/internal/variant"
)

// Sequence gives plus-strand reference bases; start and end are 1-based inclusive. ok is
// false when any base in the range is not known.
type Sequence interface {
	Fetch(chrom string, start, end int) (string, bool)
}

var (
	// ErrUnsupported reports alleles that are not plain bases (symbolic, breakend, "*")
	// or a REF equal to ALT.
	ErrUnsupported = errors.New("hgvs: unsupported variant")
	// ErrContig reports a variant on another chromosome than the transcript.
	ErrContig = errors.New("hgvs: variant not on the transcript's chromosome")
	// ErrRefMismatch reports a REF allele that disagrees with the reference sequence.
	ErrRefMismatch = errors.New("hgvs: REF does not match the reference")
	// ErrTranscript reports a transcript model that cannot be used.
	ErrTranscript = errors.New("hgvs: invalid transcript")
)

// Annotation is a variant described on one transcript. It is a plain value, safe for
// concurrent use once returned.
type Annotation struct {
	Transcript string // transcript accession with version, e.g. "NM_000249.4"
	// HGVSg is the genomic description on the GRCh38 RefSeq chromosome, e.g.
	// "NC_000003.12:g.37042446A>G"; empty when not derivable.
	HGVSg string
	// HGVSc is the coding description, e.g. "NM_000249.4:c.306A>G"; empty when not
	// derivable.
	HGVSc string
	// HGVSp is the predicted protein change without protein accession, e.g.
	// "p.(Arg226Ter)"; empty for intronic, UTR and flanking variants and when the
	// coding sequence is not known.
	HGVSp string
	// Consequence is the most severe Sequence Ontology term, e.g. "missense_variant".
	Consequence string
	// Consequences holds every term that applies, most severe first.
	Consequences []string
	Exon         int // 1-based exon (transcript order) holding the variant's 5'-most changed base, 0 if none
	Intron       int // 1-based intron (intron i follows exon i) holding it, 0 if none
}

// Annotate describes v on tx, reading reference bases from seq. It is a convenience for
// one-off calls; an Annotator reuses the transcript sequences it assembles.
func Annotate(tx *transcript.Transcript, v variant.Variant, seq Sequence) (Annotation, error) {
	return NewAnnotator(seq).Annotate(tx, v)
}

// Annotator describes variants on transcripts. It keeps each transcript's spliced
// sequence and protein after first use. An Annotator is safe for concurrent use.
type Annotator struct {
	seq Sequence

	mu     sync.Mutex
	coding map[*transcript.Transcript]*coding // nil entry: sequence not available
}

// NewAnnotator returns an Annotator reading reference bases from seq (which may be nil:
// names that need sequence are then left empty).
func NewAnnotator(seq Sequence) *Annotator {
	return &Annotator{seq: seq, coding: map[*transcript.Transcript]*coding{}}
}

// codingOf returns the spliced sequence and protein of tx, or nil when seq cannot give
// every base of the coding region or the coding region does not translate to a stop
// codon with no stop before it. UTR bases may be unknown (transcript.Unknown in the
// sequence): protein names then use the bases that are known and write "?" where they
// would need the others.
func (a *Annotator) codingOf(tx *transcript.Transcript) *coding {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.coding[tx]; ok {
		return c
	}
	var c *coding
	if a.seq != nil {
		if s, _ := tx.KnownSequence(a.seq); tx.CDSEnd <= len(s) {
			// Translate writes 'X' for a codon with an unknown base.
			p := transcript.Translate(s[tx.CDSStart-1 : tx.CDSEnd])
			if strings.IndexAny(p, "*X") == len(p)-1 && p[len(p)-1] == '*' {
				c = &coding{seq: s, cds0: tx.CDSStart - 1, cdsEnd: tx.CDSEnd, protein: p}
			}
		}
	}
	a.coding[tx] = c
	return c
}

// Annotate describes v on tx.
func (a *Annotator) Annotate(tx *transcript.Transcript, v variant.Variant) (Annotation, error) {
	if err := tx.Validate(); err != nil {
		return Annotation{}, fmt.Errorf("%w: %w", ErrTranscript, err)
	}
	ref, alt := strings.ToUpper(v.Ref), strings.ToUpper(v.Alt)
	if !isBases(ref) || !isBases(alt) || ref == alt || ref == "" || v.Pos < 1 {
		return Annotation{}, fmt.Errorf("%v: %w", v, ErrUnsupported)
	}
	if canonical(v.Chrom) != canonical(tx.Chrom) {
		return Annotation{}, fmt.Errorf("%v on %s (%s): %w", v, tx.ID, tx.Chrom, ErrContig)
	}
	r := &reader{seq: a.seq, chrom: tx.Chrom}
	if got, ok := r.span(v.Pos, v.Pos+len(ref)-1); ok && got != ref {
		return Annotation{}, fmt.Errorf("%v: reference has %s: %w", v, got, ErrRefMismatch)
	}
	e := newEdit(v.Pos, ref, alt)
	left, leftOK := shift(e, -1, r)
	right, rightOK := shift(e, +1, r)
	cEdit, cOK := right, rightOK
	if tx.Strand == -1 {
		cEdit, cOK = left, leftOK
	}

	ann := Annotation{Transcript: tx.ID}
	inCDS := func(lo, hi int) bool {
		for _, g := range []int{lo, hi} {
			if p := tx.C(g); p.Offset != 0 || p.Star || p.Base < 1 {
				return false
			}
		}
		return tx.Locate(lo).Exon == tx.Locate(hi).Exon
	}
	if acc, ok := Accession(tx.Chrom); ok && rightOK {
		if d, ok := (namer{strand: 1, r: r, pos: strconv.Itoa, coding: inCDS}).describe(right); ok {
			ann.HGVSg = acc + ":g." + d
		}
	}
	if cOK {
		cpos := func(g int) string { return tx.C(g).String() }
		if d, ok := (namer{strand: tx.Strand, r: r, pos: cpos, coding: inCDS}).describe(cEdit); ok {
			ann.HGVSc = tx.ID + ":c." + d
		}
	}

	// Protein: named from the 3'-shifted placement when it is exonic; the consequence
	// also looks at the other end of a repeat, as ClinVar does.
	c := a.codingOf(tx)
	var eff *effect
	if c != nil {
		for i, placed := range []edit{cEdit, left, right} {
			te, lo, hi, ok := toTx(tx, placed, c)
			if !ok {
				continue
			}
			x := c.proteinEffect(te, lo, hi)
			eff = &x
			if i == 0 && cOK {
				ann.HGVSp = x.hgvsp
			}
			break
		}
	}
	var terms []string
	for _, placed := range consequencePlacements(tx, left, right) {
		for _, t := range spanTerms(tx, placed) {
			if t != "coding" {
				terms = append(terms, t)
				continue
			}
			if eff != nil {
				terms = append(terms, eff.terms...)
			} else {
				terms = append(terms, "coding_sequence_variant")
			}
		}
	}
	if lo, hi, ok := dupRange(cEdit, tx.Strand, r); ok {
		// A duplication that copies a splice site changes it (ClinVar calls MLH1
		// c.192_207+8dup a splice donor variant).
		for _, t := range spanTerms(tx, edit{start: lo, end: hi, del: strings.Repeat("N", hi-lo+1)}) {
			if t == "splice_donor_variant" || t == "splice_acceptor_variant" {
				terms = append(terms, t)
			}
		}
	}
	ann.Consequences = sortTerms(terms)
	if len(ann.Consequences) > 0 {
		ann.Consequence = ann.Consequences[0]
	}
	if ann.Consequence == "intergenic_variant" {
		// Too far from the transcript for its numbering to mean anything.
		ann.HGVSc, ann.HGVSp = "", ""
	}
	l := tx.Locate(fivePrime(cEdit, tx.Strand))
	ann.Exon, ann.Intron = l.Exon, l.Intron
	return ann, nil
}

// fivePrime returns the genomic position of the 5'-most base an edit changes on strand;
// for an insertion, of the base just 5' of it.
func fivePrime(e edit, strand int) int {
	// An insertion sits between e.end and e.start.
	if (strand == 1) == e.isInsertion() {
		return e.end
	}
	return e.start
}

// consequencePlacements returns the placements of a variant whose consequences count:
// the two ends of the repeat it lies in (ClinVar names the consequence of the whole
// stretch: MLH1 c.1411_1414del is a splice acceptor variant). An insertion that can sit
// inside an exon is not also read at the exon's edge, where it would seem to touch the
// splice site: MLH1 c.588dup, which lengthens the run of A ending exon 7, is a frameshift
// variant, not a splice donor variant.
func consequencePlacements(tx *transcript.Transcript, left, right edit) []edit {
	if !left.isInsertion() {
		return []edit{left, right}
	}
	straddles := func(e edit) bool {
		a, b := tx.Locate(e.end), tx.Locate(e.start)
		return (a.Exon > 0 || b.Exon > 0) && a.Exon != b.Exon
	}
	switch sl, sr := straddles(left), straddles(right); {
	case sl && !sr:
		return []edit{right}
	case sr && !sl:
		return []edit{left}
	}
	return []edit{left, right}
}

// dupRange returns the bases (plus strand, 1-based inclusive) that an insertion shifted
// 3' on strand duplicates; ok is false for other edits.
func dupRange(e edit, strand int, r *reader) (lo, hi int, ok bool) {
	if !e.isInsertion() {
		return 0, 0, false
	}
	k := len(e.ins)
	lo, hi = e.end-k+1, e.end
	if strand == -1 {
		lo, hi = e.start, e.start+k-1
	}
	before, known := r.span(lo, hi)
	return lo, hi, known && before == e.ins
}

// toTx places a genomic edit on the spliced transcript; ok is false unless every
// changed base (or, for an insertion, both flanking bases) lies in one exon. An
// insertion just after an exon's last base that duplicates the bases before it is
// exonic too (ClinVar names MLH1 c.588dup p.Gln197fs). lo and hi are the transcript
// bases (0-based, inclusive) the c. name spans, as proteinEffect wants them.
func toTx(tx *transcript.Transcript, e edit, c *coding) (te txEdit, lo, hi int, ok bool) {
	ins := e.ins
	if tx.Strand == -1 {
		ins = transcript.ReverseComplement(ins)
	}
	if !e.isInsertion() {
		l, h := tx.Locate(e.start), tx.Locate(e.end)
		if l.Exon == 0 || l.Exon != h.Exon {
			return txEdit{}, 0, 0, false
		}
		a, b := min(l.Tx, h.Tx)-1, max(l.Tx, h.Tx)
		return txEdit{a: a, b: b, ins: ins}, a, b - 1, true
	}
	// The insertion sits between e.end and e.start; up is its 5' flank on the
	// transcript, down its 3' flank.
	up, down := tx.Locate(e.end), tx.Locate(e.start)
	if tx.Strand == -1 {
		up, down = down, up
	}
	if up.Exon == 0 {
		return txEdit{}, 0, 0, false
	}
	at := up.Tx // 0-based index just after the 5' flank
	dup := at >= len(ins) && c.seq[at-len(ins):at] == ins
	if down.Exon != up.Exon && !(dup && down.Offset == 1) {
		return txEdit{}, 0, 0, false
	}
	if dup {
		return txEdit{a: at, b: at, ins: ins}, at - len(ins), at - 1, true
	}
	return txEdit{a: at, b: at, ins: ins}, at, at - 1, true
}

// namer writes HGVS descriptions in one orientation: the plus strand for g., the
// transcript strand for c.
type namer struct {
	strand int                   // +1 or -1
	r      *reader               // plus-strand reference
	pos    func(g int) string    // writes a genomic position in the description's numbering
	coding func(lo, hi int) bool // whether genomic lo..hi (1-based, lo <= hi) lie in a coding region
}

// describe writes the edit part of an HGVS description of e, which must be shifted 3' in
// the namer's orientation: "306A>G", "1852_1854del", "19dup", "104_105insAA",
// "26_27delinsAT", "374_375inv", "242CTA[1]". ok is false when the bases needed to tell a
// duplication or a repeat from an insertion are unknown.
func (n namer) describe(e edit) (string, bool) {
	orient := func(s string) string {
		if n.strand == -1 {
			return transcript.ReverseComplement(s)
		}
		return s
	}
	span := func(lo, hi int) string {
		if lo == hi {
			return n.pos(lo)
		}
		if n.strand == -1 {
			lo, hi = hi, lo
		}
		return n.pos(lo) + "_" + n.pos(hi)
	}
	switch {
	case len(e.del) == 1 && len(e.ins) == 1:
		return n.pos(e.start) + orient(e.del) + ">" + orient(e.ins), true
	case e.isDeletion():
		if d, ok, known := n.repeat(e); !known {
			return "", false
		} else if ok {
			return d, true
		}
		return span(e.start, e.end) + "del", true
	case e.isInsertion():
		if d, ok, known := n.repeat(e); !known {
			return "", false
		} else if ok {
			return d, true
		}
		// After 3' shifting, an insertion copying the bases 5' of it is a duplication.
		if lo, hi, dup := dupRange(e, n.strand, n.r); dup {
			return span(lo, hi) + "dup", true
		} else if _, known := n.r.span(lo, hi); !known {
			return "", false
		}
		return span(e.end, e.start) + "ins" + orient(e.ins), true
	case len(e.del) == len(e.ins) && len(e.del) > 1 && e.ins == transcript.ReverseComplement(e.del):
		return span(e.start, e.end) + "inv", true
	}
	return span(e.start, e.end) + "delins" + orient(e.ins), true
}

// Repeated-sequence descriptions (https://hgvs-nomenclature.org/stable/recommendations/DNA/repeated/)
// are written where ClinVar writes them, and del/dup (equally valid HGVS) elsewhere:
//   - in a coding region, for the loss of one unit of a multiple of three bases from two
//     reference copies (MLH1 c.242CTA[1], c.483GAG[1]; HGVS allows no other unit length
//     in c. coding sequence), but not from three (MLH1 c.1852_1854del p.Lys618del);
//   - elsewhere, for units of two or more bases with three or more reference copies
//     (MLH1 c.1039-52TA[11], c.1667+248TTTG[8]; but c.381-13_381-12del from two copies);
//   - never when no copy is left (BRCA2 g.32341169_32341174del).
//
// In a coding region the tract is aligned to its 3' end, elsewhere to its 5' end, as in
// those names.
const (
	minRepeatUnit          = 2
	codingRepeatCopies     = 2
	minNoncodingRepeatCopy = 3
)

// repeat writes a pure insertion or deletion (3'-shifted) as a change in the copy number
// of a tandem repeat, when the rules above call for it. known is false when a needed
// base is unknown.
func (n namer) repeat(e edit) (desc string, ok, known bool) {
	x := e.ins + e.del // one of them is empty
	k := period(x)
	if k < minRepeatUnit {
		return "", false, true
	}
	// Oriented bases: o(g) is the base at genomic g read on the namer's strand.
	o := func(g int) (byte, bool) {
		b, ok := n.r.base(g)
		if ok && n.strand == -1 {
			b = transcript.ReverseComplement(string(b))[0]
		}
		return b, ok
	}
	step := n.strand
	// last is the 3'-most reference base of the tract the variant belongs to: the last
	// deleted base, or the base just 5' of the insertion (which sits between e.end and
	// e.start).
	last := e.end
	if n.strand == -1 {
		last = e.start
	}
	unit := x[len(x)-k:]
	if n.strand == -1 {
		unit = transcript.ReverseComplement(x)[len(x)-k:]
	}
	// Reference copies of unit ending at last.
	copies := 0
	for g := last; ; g -= k * step {
		match := true
		for i := 0; i < k; i++ {
			b, ok := o(g - (k-1-i)*step)
			if !ok {
				return "", false, false
			}
			if b != unit[i] {
				match = false
				break
			}
		}
		if !match {
			break
		}
		copies++
		if copies > 10000 {
			break
		}
	}
	first := last - (copies*k-1)*step // 5'-most base of the 3'-aligned tract
	lo, hi := min(first, last), max(first, last)
	coding := copies > 0 && n.coding(lo, hi)
	gained := len(e.ins)/k - len(e.del)/k
	if coding && (k%3 != 0 || copies != codingRepeatCopies || gained != -1) || !coding && copies < minNoncodingRepeatCopy {
		return "", false, true
	}
	if !coding {
		// Align to the 5' end of the whole stretch the repeat could be read in.
		start := first
		for {
			b, ok := o(start - step)
			if !ok {
				return "", false, false
			}
			if c, _ := o(start - step + k*step); b != c {
				break
			}
			start -= step
		}
		u := make([]byte, k)
		for i := range u {
			u[i], _ = o(start + i*step)
		}
		unit, first = string(u), start
		copies = (abs(last-start) + 1) / k
	}
	alt := copies + gained
	if alt < 1 {
		return "", false, true
	}
	return n.pos(first) + unit + "[" + strconv.Itoa(alt) + "]", true, true
}

// period returns the length of the shortest unit whose repeats make up s.
func period(s string) int {
	for k := 1; k < len(s); k++ {
		if len(s)%k == 0 && strings.Repeat(s[:k], len(s)/k) == s {
			return k
		}
	}
	return len(s)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// isBases reports whether s holds only nucleotide letters (N allowed), upper case.
func isBases(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return !slices.Contains([]rune("ACGTN"), r) })
}
