// Package sv reads structural and copy-number variants from VCF records and places them on a
// MANE Select transcript: which exons they overlap, their Sequence Ontology consequence and
// an HGVS-style name with uncertain breakpoints where the caller did not resolve them.
//
// The alleles are those of the VCF specification: symbolic structural-variant alleles
// (<DEL>, <DUP>, <DUP:TANDEM>, <INV>, <INS>, <CNV>, <CNn>, <DEL:ME:...>, <INS:ME:...>) with
// INFO END, SVLEN, SVTYPE, CIPOS, CIEND, IMPRECISE and CN (VCFv4.3 sections 1.4.5, 3 and 5.3,
// https://samtools.github.io/hts-specs/VCFv4.3.pdf; VCFv4.4 sections 1.4.5, 3 and 5.3,
// https://samtools.github.io/hts-specs/VCFv4.4.pdf, which adds <CNV> with CN and makes SVLEN
// positive) and breakends (t[p[, t]p], ]p]t, [p[t and the single breakends .t / t.; VCFv4.3
// section 5.4, VCFv4.4 section 5.4). Callers differ in what they write; see testdata/README.md
// for the callers' conventions this package follows (Manta, DELLY, GATK gCNV, CNVkit,
// DRAGEN).
//
// HGVS names follow https://hgvs-nomenclature.org/stable/recommendations/uncertain/
// (uncertain positions "(?_s)_(e_?)" and "(a_b)_(c_d)").
//
// Everything here is a pure function of its arguments: safe for concurrent use.
package sv

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/precis-dx/precis/internal/transcript"
	"github.com/precis-dx/precis/internal/vcf"
)

// MinLength is the size from which an explicit (sequence-resolved) deletion or insertion is
// treated as a structural variant: the 50 bp convention of the 1000 Genomes and gnomAD-SV
// call sets (Sudmant et al., Nature 2015;526:75-81; Collins et al., Nature 2020;581:444-451).
const MinLength = 50

// Types of structural variant, as the report's sv_type writes them.
const (
	DEL = "DEL"
	DUP = "DUP"
	CNV = "CNV" // a copy-number change of unknown direction
	INV = "INV"
	INS = "INS"
	BND = "BND"
)

var (
	// ErrNotSV: the allele is not a structural variant (a base allele, <*>, <NON_REF>, *, or a
	// symbolic allele this package does not know).
	ErrNotSV = errors.New("sv: not a structural-variant allele")
	// ErrCopyNeutral: a copy-number allele or CN that says two copies (<CN2>, <CNV> with CN=2):
	// the reference state of an autosome, not a variant.
	ErrCopyNeutral = errors.New("sv: copy-neutral copy-number record")
)

// Call is one structural-variant allele of a record. It is a plain value.
type Call struct {
	Type   string // DEL, DUP, CNV, INV, INS or BND
	Allele string // the ALT as written
	// Start and End are the reference bases the event affects, 1-based inclusive: for a
	// symbolic DEL/DUP/INV/CNV, POS+1 (POS is the padding base) to END; for an explicit
	// deletion, the deleted bases. An INS or a BND is a junction: Start = End = the base
	// before it (POS).
	Start, End int
	// CIPos and CIEnd are the confidence intervals around Start and End (INFO CIPOS, CIEND;
	// offsets, [0 0] when precise).
	CIPos, CIEnd [2]int
	// Imprecise is true when the caller did not resolve the breakpoints to the base:
	// INFO IMPRECISE, a non-zero CIPOS/CIEND, or a read-depth copy-number call (CN given,
	// <CNV>, <CNn>), whose ends are those of its bins; INFO PRECISE (DELLY) says otherwise.
	Imprecise  bool
	CopyNumber *int   // FORMAT CN of the sample, else INFO CN, else n of <CNn>
	Length     int    // |SVLEN| when given, else the number of reference bases affected (inserted bases for INS)
	Mate       string // BND: the mate breakend "chrom:pos"; "" for a single breakend
	Explicit   bool   // the REF and ALT spell the bases (not symbolic)
}

// Parse reads ALT number alt (1-based) of rec as a structural variant. s is the sample the
// call is read for (its FORMAT CN); nil for none. It returns ErrNotSV for an allele that is
// not one, and ErrCopyNeutral for a copy-number record that says two copies.
func Parse(rec *vcf.Record, alt int, s *vcf.Sample) (Call, error) {
	if alt < 1 || alt > len(rec.Alts) {
		return Call{}, fmt.Errorf("%w: ALT %d of %d", ErrNotSV, alt, len(rec.Alts))
	}
	a := rec.Alts[alt-1]
	c := Call{Allele: a}
	switch {
	case strings.HasPrefix(a, "<") && strings.HasSuffix(a, ">"):
		if err := c.symbolic(rec, alt, s); err != nil {
			return Call{}, err
		}
	case strings.ContainsAny(a, "[]"):
		c.Type, c.Start, c.End = BND, rec.Pos, rec.Pos
		i, j := strings.IndexAny(a, "[]"), strings.LastIndexAny(a, "[]")
		if j > i {
			c.Mate = a[i+1 : j]
		}
	case len(a) > 1 && (a[0] == '.' || a[len(a)-1] == '.'):
		c.Type, c.Start, c.End = BND, rec.Pos, rec.Pos // single breakend
	default:
		ex, ok := Explicit(rec.Pos, rec.Ref, a)
		if !ok {
			return Call{}, fmt.Errorf("%w: %s", ErrNotSV, a)
		}
		ex.Allele = a
		c = ex
	}
	c.readCI(rec)
	return c, nil
}

// symbolic fills c from a symbolic allele <ID[:SUBTYPE...]>.
func (c *Call) symbolic(rec *vcf.Record, alt int, s *vcf.Sample) error {
	id := strings.TrimSuffix(strings.TrimPrefix(c.Allele, "<"), ">")
	base, _, _ := strings.Cut(id, ":")
	c.CopyNumber = copyNumber(rec, alt, s)
	svtype, _ := rec.InfoValue("SVTYPE")
	switch {
	case base == DEL || base == DUP || base == INV || base == INS:
		c.Type = base
	case base == CNV:
		c.Type = CNV
		if svtype == DEL || svtype == DUP {
			c.Type = svtype
		}
		c.Imprecise = true
	case len(base) > 2 && base[:2] == "CN" && isDigits(base[2:]):
		n, _ := strconv.Atoi(base[2:])
		if c.CopyNumber == nil {
			c.CopyNumber = &n
		}
		c.Type = CNV
		c.Imprecise = true
	default:
		return fmt.Errorf("%w: %s", ErrNotSV, c.Allele)
	}
	if c.Type == CNV && c.CopyNumber != nil {
		switch n := *c.CopyNumber; {
		case n < 2:
			c.Type = DEL
		case n > 2:
			c.Type = DUP
		default:
			return fmt.Errorf("%w: %s with copy number %d", ErrCopyNeutral, c.Allele, n)
		}
	}
	if c.CopyNumber != nil {
		c.Imprecise = true // read-depth call: the ends are its bins'
	}
	svlen, hasLen := svLen(rec, alt)
	if c.Type == INS {
		c.Start, c.End, c.Length = rec.Pos, rec.Pos, svlen
		return nil
	}
	c.Start = rec.Pos + 1 // POS is the padding base (VCFv4.3 section 5.3)
	switch _, hasEnd := rec.InfoValue("END"); {
	case hasEnd:
		c.End = rec.End
	case hasLen:
		c.End = rec.Pos + svlen
	default:
		c.End = rec.Pos + len(rec.Ref) - 1
	}
	if c.End < c.Start {
		c.Start = c.End // a zero-length event: keep it a point at POS
	}
	c.Length = c.End - c.Start + 1
	if hasLen && svlen > 0 {
		c.Length = svlen
	}
	return nil
}

// readCI reads CIPOS, CIEND, IMPRECISE and PRECISE. DELLY writes a small CIPOS/CIEND
// (-3,3) beside PRECISE for split-read-resolved calls: PRECISE wins over the interval, never
// over IMPRECISE.
func (c *Call) readCI(rec *vcf.Record) {
	_, precise := rec.InfoValue("PRECISE")
	if _, ok := rec.InfoValue("IMPRECISE"); ok {
		c.Imprecise = true
		precise = false
	}
	if precise {
		c.Imprecise = false
	}
	for _, x := range []struct {
		key string
		ci  *[2]int
	}{{"CIPOS", &c.CIPos}, {"CIEND", &c.CIEnd}} {
		v, ok := rec.InfoValue(x.key)
		if !ok {
			continue
		}
		lo, hi, ok := strings.Cut(v, ",")
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if !ok || err1 != nil || err2 != nil || a > b {
			continue
		}
		*x.ci = [2]int{a, b}
		if (a != 0 || b != 0) && !precise {
			c.Imprecise = true
		}
	}
}

// Explicit reports whether a sequence-resolved allele (VCF-style: POS, REF, ALT with any
// shared first bases) is a deletion or insertion of at least MinLength bases, and returns it
// as a Call. A delins whose lengths differ by MinLength or more counts by its net change.
func Explicit(pos int, ref, alt string) (Call, bool) {
	p := 0
	for p < len(ref) && p < len(alt) && ref[p] == alt[p] {
		p++
	}
	switch d := len(ref) - len(alt); {
	case d >= MinLength:
		return Call{Type: DEL, Start: pos + p, End: pos + len(ref) - 1, Length: len(ref) - p, Explicit: true}, true
	case -d >= MinLength:
		j := pos + max(p, 1) - 1
		return Call{Type: INS, Start: j, End: j, Length: len(alt) - p, Explicit: true}, true
	}
	return Call{}, false
}

// copyNumber reads the sample's FORMAT CN, else INFO CN (Number=A or 1).
func copyNumber(rec *vcf.Record, alt int, s *vcf.Sample) *int {
	if s != nil {
		if v, ok := s.Field("CN"); ok {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				return &n
			}
		}
	}
	if v, ok := rec.InfoValue("CN"); ok {
		vs := strings.Split(v, ",")
		if len(vs) >= alt {
			v = vs[alt-1]
		}
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			return &n
		}
	}
	return nil
}

// svLen returns |SVLEN| of ALT alt (Number=A; a single value for all).
func svLen(rec *vcf.Record, alt int) (int, bool) {
	v, ok := rec.InfoValue("SVLEN")
	if !ok {
		return 0, false
	}
	vs := strings.Split(v, ",")
	if len(vs) >= alt {
		v = vs[alt-1]
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, false
	}
	if n < 0 {
		n = -n // VCFv4.3: negative for deletions
	}
	return n, true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Overlap says how a call lies on a transcript.
type Overlap struct {
	Exons      []int // exon numbers (transcript order, 1-based) the event overlaps, ascending
	Whole      []int // exons wholly inside the event (DEL, DUP, CNV, INV), ascending
	Transcript bool  // the event covers every exon
	InGene     bool  // the event touches the transcript's span at all
}

// Place returns how c lies on tx (same chromosome assumed). A junction (INS, BND) overlaps
// the exon holding its base.
func Place(c Call, tx *transcript.Transcript) Overlap {
	var o Overlap
	lo, hi := tx.Span()
	o.InGene = c.Start <= hi && c.End >= lo
	junction := c.Type == INS || c.Type == BND
	for i, e := range tx.Exons {
		if c.Start <= e.End && c.End >= e.Start {
			o.Exons = append(o.Exons, i+1)
			if !junction && c.Start <= e.Start && c.End >= e.End {
				o.Whole = append(o.Whole, i+1)
			}
		}
	}
	o.Transcript = !junction && len(o.Whole) == len(tx.Exons)
	return o
}

// Consequence returns the Sequence Ontology term for c on a transcript it lies on as o says
// (http://www.sequenceontology.org/; the terms Ensembl VEP uses for structural variants).
func Consequence(c Call, o Overlap) string {
	if c.Type == BND {
		return "feature_truncation" // SO:0001906: a breakpoint inside the transcript
	}
	t := soTerms[c.Type]
	switch {
	case o.Transcript && t.transcript != "":
		return t.transcript
	case len(o.Exons) > 0 && t.exon != "":
		return t.exon
	}
	return "intron_variant" // SO:0001627: no exon overlapped
}

// soTerms are the terms of Consequence by type: for a call over the whole transcript ("": the
// type has no term of its own for it, and takes the exon term), and over an exon.
var soTerms = map[string]struct{ transcript, exon string }{
	DEL: {"transcript_ablation", "exon_loss_variant"},          // SO:0001893, SO:0001572
	DUP: {"transcript_amplification", "feature_amplification"}, // SO:0001889, SO:0001880
	CNV: {"", "copy_number_change"},                            // SO:0001563
	INV: {"", "inversion"},                                     // SO:1000036
	INS: {"", "insertion"},                                     // SO:0000667
}

// HGVSg returns the genomic HGVS-style name of c on the RefSeq accession acc
// ("NC_000017.11"), or "" where HGVS has no name for it (a breakend, a copy-number change of
// unknown direction, an insertion of unknown length).
func HGVSg(c Call, acc string) string {
	var edit string
	switch c.Type {
	case DEL:
		edit = "del"
	case DUP:
		edit = "dup"
	case INV:
		edit = "inv"
	case INS:
		if c.Length <= 0 {
			return ""
		}
		return fmt.Sprintf("%s:g.%d_%dins(%d)", acc, c.Start, c.Start+1, c.Length)
	default:
		return ""
	}
	if !c.Imprecise {
		if c.Start == c.End {
			return fmt.Sprintf("%s:g.%d%s", acc, c.Start, edit)
		}
		return fmt.Sprintf("%s:g.%d_%d%s", acc, c.Start, c.End, edit)
	}
	return fmt.Sprintf("%s:g.%s_%s%s", acc, uncertain(c.Start, c.CIPos, true), uncertain(c.End, c.CIEnd, false), edit)
}

// uncertain writes an imprecise breakpoint: "(a_b)" from its confidence interval, or
// "(?_p)" / "(p_?)" when there is none (the event extends at most to p, the called end).
func uncertain(p int, ci [2]int, start bool) string {
	if ci != [2]int{} {
		return fmt.Sprintf("(%d_%d)", p+ci[0], p+ci[1])
	}
	if start {
		return fmt.Sprintf("(?_%d)", p)
	}
	return fmt.Sprintf("(%d_?)", p)
}

// HGVSc returns the coding HGVS-style name of c on tx, or "" where it is not derivable: an
// event that reaches beyond the transcript, a junction (INS, BND), a CNV of unknown
// direction, or an imprecise breakpoint that falls in an exon. A precise event is named by
// its c. ends; an imprecise one by the introns its breakpoints fall in, as MLPA results are
// ("c.(4185+1_4186-1)_(5467+1_5468-1)del").
func HGVSc(c Call, tx *transcript.Transcript) string {
	edit := map[string]string{DEL: "del", DUP: "dup", INV: "inv"}[c.Type]
	if edit == "" {
		return ""
	}
	lo, hi := tx.Span()
	if c.Start < lo || c.End > hi {
		return ""
	}
	// In transcript order the 5' end of the event is Start on the plus strand, End on minus.
	first, last := c.Start, c.End
	if tx.Strand < 0 {
		first, last = c.End, c.Start
	}
	if !c.Imprecise {
		a, b := tx.C(first), tx.C(last)
		if first == last {
			return fmt.Sprintf("%s:c.%s%s", tx.ID, a, edit)
		}
		return fmt.Sprintf("%s:c.%s_%s%s", tx.ID, a, b, edit)
	}
	a, ok1 := intronBounds(tx, first)
	b, ok2 := intronBounds(tx, last)
	if !ok1 || !ok2 {
		return ""
	}
	return fmt.Sprintf("%s:c.%s_%s%s", tx.ID, a, b, edit)
}

// intronBounds names the intron holding genomic position g as "(X+1_Y-1)", where X is the
// last base of the exon before it and Y the first base of the exon after (c. numbering).
func intronBounds(tx *transcript.Transcript, g int) (string, bool) {
	l := tx.Locate(g)
	if l.Intron == 0 {
		return "", false
	}
	_, upEnd := tx.ExonTx(l.Intron)
	downStart, _ := tx.ExonTx(l.Intron + 1)
	x, y := tx.TxToC(upEnd, 0), tx.TxToC(downStart, 0)
	return fmt.Sprintf("(%s+1_%s-1)", x, y), true
}
