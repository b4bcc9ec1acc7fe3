package kb

import "strings"

// complement returns the Watson-Crick partner of an upper-case base, 'N' for anything else.
func complement(b byte) byte {
	switch b {
	case 'A':
		return 'T'
	case 'C':
		return 'G'
	case 'G':
		return 'C'
	case 'T':
		return 'A'
	}
	return 'N'
}

// reverseComplement returns the reverse complement of s.
func reverseComplement(s string) string {
	b := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		b[len(s)-1-i] = complement(s[i])
	}
	return string(b)
}

// codonTable is the standard genetic code (NCBI translation table 1), indexed by codon
// in TCAG order: T=0, C=1, A=2, G=3.
const codonTable = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"

func baseIndex(b byte) int {
	switch b {
	case 'T':
		return 0
	case 'C':
		return 1
	case 'A':
		return 2
	case 'G':
		return 3
	}
	return -1
}

// translate translates a coding sequence into one-letter amino acids; '*' is a stop,
// 'X' a codon with a base other than ACGT. A trailing partial codon is ignored.
func translate(cds string) string {
	var sb strings.Builder
	for i := 0; i+3 <= len(cds); i += 3 {
		a, b, c := baseIndex(cds[i]), baseIndex(cds[i+1]), baseIndex(cds[i+2])
		if a < 0 || b < 0 || c < 0 {
			sb.WriteByte('X')
			continue
		}
		sb.WriteByte(codonTable[a*16+b*4+c])
	}
	return sb.String()
}

// threeLetter maps one-letter amino-acid codes to the three-letter codes HGVS uses.
var threeLetter = map[byte]string{
	'A': "Ala", 'R': "Arg", 'N': "Asn", 'D': "Asp", 'C': "Cys", 'Q': "Gln", 'E': "Glu",
	'G': "Gly", 'H': "His", 'I': "Ile", 'L': "Leu", 'K': "Lys", 'M': "Met", 'F': "Phe",
	'P': "Pro", 'S': "Ser", 'T': "Thr", 'W': "Trp", 'Y': "Tyr", 'V': "Val", '*': "Ter",
}
