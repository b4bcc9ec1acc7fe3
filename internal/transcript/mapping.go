package transcript

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrInvalid reports a transcript model that cannot be used (no exons, overlapping or
// misordered exons, a coding region outside the transcript).
var ErrInvalid = errors.New("transcript: invalid model")

// ErrPosition reports a c. position that cannot be parsed or mapped.
var ErrPosition = errors.New("transcript: bad position")

// Validate checks that the exons are well formed and in transcript order and that the
// coding region fits in the transcript.
func (t *Transcript) Validate() error {
	if t.Strand != 1 && t.Strand != -1 {
		return fmt.Errorf("%s: strand %d: %w", t.ID, t.Strand, ErrInvalid)
	}
	if len(t.Exons) == 0 {
		return fmt.Errorf("%s: no exons: %w", t.ID, ErrInvalid)
	}
	for i, e := range t.Exons {
		if e.Start < 1 || e.End < e.Start {
			return fmt.Errorf("%s: exon %d %d-%d: %w", t.ID, i+1, e.Start, e.End, ErrInvalid)
		}
		if i == 0 {
			continue
		}
		prev := t.Exons[i-1]
		if (t.Strand == 1 && e.Start <= prev.End) || (t.Strand == -1 && e.End >= prev.Start) {
			return fmt.Errorf("%s: exon %d overlaps or precedes exon %d: %w", t.ID, i+1, i, ErrInvalid)
		}
	}
	if t.CDSStart < 1 || t.CDSEnd > t.Len() || t.CDSEnd < t.CDSStart+2 || (t.CDSEnd-t.CDSStart+1)%3 != 0 {
		return fmt.Errorf("%s: coding region %d..%d in %d bases: %w", t.ID, t.CDSStart, t.CDSEnd, t.Len(), ErrInvalid)
	}
	return nil
}

// Len returns the length of the spliced transcript.
func (t *Transcript) Len() int {
	n := 0
	for _, e := range t.Exons {
		n += e.End - e.Start + 1
	}
	return n
}

// Span returns the genomic extent of the transcript, 1-based inclusive, plus strand.
func (t *Transcript) Span() (start, end int) {
	first, last := t.Exons[0], t.Exons[len(t.Exons)-1]
	if t.Strand == 1 {
		return first.Start, last.End
	}
	return last.Start, first.End
}

// ExonTx returns the transcript positions (1-based) of the first and last base of exon i
// (1-based, transcript order).
func (t *Transcript) ExonTx(i int) (start, end int) {
	for k := 0; k < i-1; k++ {
		start += t.Exons[k].End - t.Exons[k].Start + 1
	}
	e := t.Exons[i-1]
	return start + 1, start + e.End - e.Start + 1
}

// Location places a genomic position on the transcript. It is a plain value, safe for
// concurrent use.
type Location struct {
	// Tx is the 1-based transcript (cDNA) position of the base, or for an intronic base
	// the position of the exon base its offset counts from. Below 1 upstream of the
	// transcript and above Len downstream of it (extrapolated, as c.-N and c.*N are).
	Tx int
	// Offset is the intronic offset from Tx in transcript orientation: +N after an exon's
	// last base, -N before an exon's first base; 0 outside introns.
	Offset int
	Exon   int // 1-based exon number (transcript order) holding the base, 0 if none
	Intron int // 1-based intron number (intron i follows exon i), 0 if none
}

// Locate maps the genomic position g (1-based, plus strand) onto the transcript.
//
// In an intron the offset is counted from the nearer exon; a base exactly in the middle
// of an intron of odd length is counted from the upstream exon (c.N+k), as HGVS numbering
// prescribes (https://hgvs-nomenclature.org/stable/background/numbering/).
func (t *Transcript) Locate(g int) Location {
	s := t.Strand
	first := t.Exons[0]
	n := t.Len()
	// Upstream of the first exon.
	if (s == 1 && g < first.Start) || (s == -1 && g > first.End) {
		return Location{Tx: 1 + t.dist(t.fivePrime(first), g)}
	}
	cum := 0
	for i, e := range t.Exons {
		if g >= e.Start && g <= e.End {
			return Location{Tx: cum + t.dist(t.fivePrime(e), g) + 1, Exon: i + 1}
		}
		length := e.End - e.Start + 1
		cum += length
		if i+1 == len(t.Exons) {
			break
		}
		next := t.Exons[i+1]
		inIntron := (s == 1 && g > e.End && g < next.Start) || (s == -1 && g < e.Start && g > next.End)
		if !inIntron {
			continue
		}
		up := t.dist(t.threePrime(e), g)     // > 0
		down := t.dist(g, t.fivePrime(next)) // > 0
		if up <= down {
			return Location{Tx: cum, Offset: up, Intron: i + 1}
		}
		return Location{Tx: cum + 1, Offset: -down, Intron: i + 1}
	}
	// Downstream of the last exon.
	last := t.Exons[len(t.Exons)-1]
	return Location{Tx: n + t.dist(t.threePrime(last), g)}
}

// fivePrime returns the genomic position of the transcript-5' base of e.
func (t *Transcript) fivePrime(e Exon) int {
	if t.Strand == 1 {
		return e.Start
	}
	return e.End
}

// threePrime returns the genomic position of the transcript-3' base of e.
func (t *Transcript) threePrime(e Exon) int {
	if t.Strand == 1 {
		return e.End
	}
	return e.Start
}

// dist returns how far b lies 3' of a in transcript orientation.
func (t *Transcript) dist(a, b int) int { return (b - a) * t.Strand }

// Genomic maps a transcript position and intronic offset back to the genome: the inverse
// of Locate. Positions beyond the transcript ends are extrapolated.
func (t *Transcript) Genomic(tx, offset int) int {
	cum := 0
	first := t.Exons[0]
	if tx < 1 {
		return t.fivePrime(first) + (tx-1)*t.Strand + offset*t.Strand
	}
	for _, e := range t.Exons {
		length := e.End - e.Start + 1
		if tx <= cum+length {
			return t.fivePrime(e) + (tx-cum-1)*t.Strand + offset*t.Strand
		}
		cum += length
	}
	last := t.Exons[len(t.Exons)-1]
	return t.threePrime(last) + (tx-cum)*t.Strand + offset*t.Strand
}

// CPos is a position in HGVS c. numbering
// (https://hgvs-nomenclature.org/stable/background/numbering/): c.1 is the A of the
// start codon, c.-1 the base before it (there is no c.0), c.*1 the base after the stop
// codon; intronic bases are written c.N+k / c.N-k from the nearer exon base N. A CPos is
// a plain value, safe for concurrent use.
type CPos struct {
	Base   int  // coding number: 1.. in the CDS, negative 5' of it; counted after the stop when Star
	Star   bool // 3' UTR and downstream: Base counts bases after the stop codon (c.*N)
	Offset int  // intronic offset from Base: +k toward the transcript 3' end, -k toward 5'; 0 if exonic
}

// String writes the position without the "c." prefix, e.g. "-15", "*20", "1905+1", "117-2".
func (p CPos) String() string {
	var b strings.Builder
	if p.Star {
		b.WriteByte('*')
	}
	b.WriteString(strconv.Itoa(p.Base))
	if p.Offset > 0 {
		b.WriteByte('+')
		b.WriteString(strconv.Itoa(p.Offset))
	} else if p.Offset < 0 {
		b.WriteString(strconv.Itoa(p.Offset))
	}
	return b.String()
}

// ParseCPos reads a c. position as String writes it (with or without a "c." prefix).
func ParseCPos(s string) (CPos, error) {
	in := s
	s = strings.TrimPrefix(s, "c.")
	var p CPos
	if strings.HasPrefix(s, "*") {
		p.Star = true
		s = s[1:]
	}
	// The offset sign is the first '+' or '-' after the base's own digits.
	cut := -1
	for i := 1; i < len(s); i++ {
		if s[i] == '+' || s[i] == '-' {
			cut = i
			break
		}
	}
	base, off := s, ""
	if cut > 0 {
		base, off = s[:cut], s[cut:]
	}
	b, err := strconv.Atoi(base)
	if err != nil || b == 0 || (p.Star && b < 0) || strings.HasPrefix(base, "+") {
		return CPos{}, fmt.Errorf("c. position %q: %w", in, ErrPosition)
	}
	p.Base = b
	if off != "" {
		o, err := strconv.Atoi(off)
		if err != nil || o == 0 || strings.ContainsAny(off[1:], "+-") {
			return CPos{}, fmt.Errorf("c. position %q: %w", in, ErrPosition)
		}
		p.Offset = o
	}
	return p, nil
}

// TxToC converts a transcript position (and intronic offset) to c. numbering.
func (t *Transcript) TxToC(tx, offset int) CPos {
	switch {
	case tx < t.CDSStart:
		return CPos{Base: tx - t.CDSStart, Offset: offset}
	case tx > t.CDSEnd:
		return CPos{Base: tx - t.CDSEnd, Star: true, Offset: offset}
	}
	return CPos{Base: tx - t.CDSStart + 1, Offset: offset}
}

// CToTx converts a c. position to a transcript position and intronic offset.
func (t *Transcript) CToTx(p CPos) (tx, offset int) {
	switch {
	case p.Star:
		return t.CDSEnd + p.Base, p.Offset
	case p.Base < 0:
		return t.CDSStart + p.Base, p.Offset
	}
	return t.CDSStart + p.Base - 1, p.Offset
}

// C maps the genomic position g (1-based, plus strand) to c. numbering.
func (t *Transcript) C(g int) CPos {
	l := t.Locate(g)
	return t.TxToC(l.Tx, l.Offset)
}

// GenomicC maps a c. position to the genome (1-based, plus strand). It returns false when
// the intronic offset runs past the middle of its intron into the next exon's half or
// into an exon, where the name is not the canonical one for any base.
func (t *Transcript) GenomicC(p CPos) (int, bool) {
	tx, off := t.CToTx(p)
	g := t.Genomic(tx, off)
	l := t.Locate(g)
	return g, l.Tx == tx && l.Offset == off
}
