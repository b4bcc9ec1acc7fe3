package transcript

import "strings"

// Sequence gives plus-strand reference bases; start and end are 1-based inclusive. ok is
// false when any base in the range is not known.
type Sequence interface {
	Fetch(chrom string, start, end int) (string, bool)
}

// Sequence returns the spliced transcript (cDNA) sequence, 5' to 3' on the transcript
// strand, upper case. ok is false when seq cannot give every exonic base.
func (t *Transcript) Sequence(seq Sequence) (string, bool) {
	var b strings.Builder
	b.Grow(t.Len())
	for _, e := range t.Exons {
		s, ok := seq.Fetch(t.Chrom, e.Start, e.End)
		if !ok || len(s) != e.End-e.Start+1 {
			return "", false
		}
		if t.Strand == -1 {
			s = ReverseComplement(s)
		}
		b.WriteString(strings.ToUpper(s))
	}
	return b.String(), true
}

// Unknown stands in KnownSequence's result for a base the sequence source cannot give.
const Unknown = '?'

// KnownSequence returns the spliced transcript (cDNA) sequence, 5' to 3' on the
// transcript strand, upper case, with Unknown in place of every base seq cannot give or
// gives as other than A, C, G or T: it is as long as the transcript even where the
// reference is only partly known (the GRCh38 PMS2 slice ends inside the 3' UTR). known
// counts the other bases.
func (t *Transcript) KnownSequence(seq Sequence) (s string, known int) {
	b := make([]byte, 0, t.Len())
	for _, e := range t.Exons {
		exon := fetchKnown(seq, t.Chrom, e.Start, e.End)
		if t.Strand == -1 {
			exon = ReverseComplement(exon)
		}
		b = append(b, exon...)
	}
	for i, c := range b {
		switch c {
		case 'A', 'C', 'G', 'T':
			known++
		case 'a', 'c', 'g', 't':
			b[i] = c - 'a' + 'A'
			known++
		default:
			b[i] = Unknown
		}
	}
	return string(b), known
}

// fetchKnown returns the plus-strand bases start..end (1-based inclusive) with Unknown
// where seq gives none. A range seq cannot give whole is halved until the known parts are
// found, so a gap costs a few fetches per boundary rather than one per base.
func fetchKnown(seq Sequence, chrom string, start, end int) string {
	if seq != nil {
		if s, ok := seq.Fetch(chrom, start, end); ok && len(s) == end-start+1 {
			return s
		}
	}
	if seq == nil || start == end {
		return strings.Repeat(string(rune(Unknown)), end-start+1)
	}
	mid := start + (end-start)/2
	return fetchKnown(seq, chrom, start, mid) + fetchKnown(seq, chrom, mid+1, end)
}

// CodingSequence returns the coding sequence from the A of the start codon to the last
// base of the stop codon.
func (t *Transcript) CodingSequence(seq Sequence) (string, bool) {
	s, ok := t.Sequence(seq)
	if !ok || t.CDSEnd > len(s) || t.CDSStart < 1 {
		return "", false
	}
	return s[t.CDSStart-1 : t.CDSEnd], true
}

// Protein returns the translated coding sequence in one-letter codes, ending with '*'
// for the stop codon.
func (t *Transcript) Protein(seq Sequence) (string, bool) {
	cds, ok := t.CodingSequence(seq)
	if !ok {
		return "", false
	}
	return Translate(cds), true
}

// complement maps a base to its complement; IUPAC codes are complemented too and
// anything else is kept.
var complement = func() [256]byte {
	var c [256]byte
	for i := range c {
		c[i] = byte(i)
	}
	for _, p := range []string{"AT", "CG", "RY", "KM", "BV", "DH", "NN", "SS", "WW"} {
		for _, k := range []int{0, 1} {
			a, b := p[k], p[1-k]
			c[a], c[a+'a'-'A'] = b, b+'a'-'A'
		}
	}
	return c
}()

// ReverseComplement returns the reverse complement of a nucleotide string.
func ReverseComplement(s string) string {
	b := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		b[len(s)-1-i] = complement[s[i]]
	}
	return string(b)
}

// codonTable is the standard genetic code (NCBI translation table 1) indexed by
// 16*a+4*b+c with T=0, C=1, A=2, G=3.
const codonTable = "FFLLSSSSYY**CC*W" + "LLLLPPPPHHQQRRRR" + "IIIMTTTTNNKKSSRR" + "VVVVAAAADDEEGGGG"

// baseIndex gives each base's index in codonTable's order, -1 for others.
func baseIndex(b byte) int {
	switch b {
	case 'T', 't', 'U', 'u':
		return 0
	case 'C', 'c':
		return 1
	case 'A', 'a':
		return 2
	case 'G', 'g':
		return 3
	}
	return -1
}

// Codon translates one codon with the standard genetic code; '*' is a stop and 'X' a
// codon with an unknown base.
func Codon(c string) byte {
	if len(c) != 3 {
		return 'X'
	}
	a, b, d := baseIndex(c[0]), baseIndex(c[1]), baseIndex(c[2])
	if a < 0 || b < 0 || d < 0 {
		return 'X'
	}
	return codonTable[16*a+4*b+d]
}

// Translate translates nt codon by codon with the standard genetic code (NCBI table 1),
// in one-letter codes with '*' for stop; it does not stop at a stop codon, and a trailing
// partial codon is dropped.
func Translate(nt string) string {
	b := make([]byte, len(nt)/3)
	for i := range b {
		b[i] = Codon(nt[3*i : 3*i+3])
	}
	return string(b)
}

// three holds the IUPAC three-letter amino-acid codes used by HGVS protein names.
var three = map[byte]string{
	'A': "Ala", 'R': "Arg", 'N': "Asn", 'D': "Asp", 'C': "Cys", 'Q': "Gln", 'E': "Glu",
	'G': "Gly", 'H': "His", 'I': "Ile", 'L': "Leu", 'K': "Lys", 'M': "Met", 'F': "Phe",
	'P': "Pro", 'S': "Ser", 'T': "Thr", 'W': "Trp", 'Y': "Tyr", 'V': "Val", '*': "Ter",
	'U': "Sec", 'O': "Pyl", 'X': "Xaa",
}

// ThreeLetter returns the three-letter code of a one-letter amino acid ("Ter" for '*',
// "Xaa" for unknown).
func ThreeLetter(aa byte) string {
	if s, ok := three[aa]; ok {
		return s
	}
	return "Xaa"
}
