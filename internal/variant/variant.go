// Package variant holds a genomic variant in VCF form and puts it in a canonical form
// (trimmed and left-aligned), so that the same change written two ways compares equal.
//
// The normalisation is the one bcftools norm and vt normalize perform
// (Tan, Abecasis and Kang 2015, "Unified representation of genetic variants",
// Bioinformatics 31:2202, https://doi.org/10.1093/bioinformatics/btv112).
package variant

import (
	"fmt"
	"strings"
)

// Sequence gives plus-strand reference bases; start and end are 1-based inclusive. ok is
// false when any base in the range is not known.
type Sequence interface {
	Fetch(chrom string, start, end int) (string, bool)
}

// Variant is one alternate allele at one locus, as in a VCF record after splitting
// multi-allelic sites. Ref and Alt are plus-strand bases.
//
// A Variant is a plain value, safe for concurrent use.
type Variant struct {
	Chrom string // contig name as given, e.g. "chr1"
	Pos   int    // 1-based (VCF) position of the first base of Ref
	Ref   string // reference bases at Pos.., upper case after Normalize
	Alt   string // alternate bases, upper case after Normalize
}

// String writes the variant as "chrom:pos ref>alt", e.g. "chr1:97450065 TG>T".
func (v Variant) String() string {
	return fmt.Sprintf("%s:%d %s>%s", v.Chrom, v.Pos, v.Ref, v.Alt)
}

// IsIndel reports whether ref and alt differ in length.
func (v Variant) IsIndel() bool { return len(v.Ref) != len(v.Alt) }

// Normalize returns v in its canonical VCF form:
//
//   - bases are upper-cased;
//   - bases shared at the right end of Ref and Alt are removed, and an indel that
//     loses its last base is extended one base to the left from seq (this is what moves
//     an indel in a repeat to its leftmost position);
//   - bases shared at the left end are removed while both alleles keep at least one base,
//     so an indel keeps exactly one anchor base (VCF style) and an SNV or MNV is minimal.
//
// The algorithm is vt normalize's (Tan et al. 2015, Algorithm 1). Shifting stops where
// seq cannot supply the base to the left (seq may be nil): the result is then trimmed but
// not fully left-aligned, never guessed. Variants whose alleles are not plain bases
// (symbolic "<DEL>", "*", ".", breakends) and those with Ref equal to Alt are returned with
// only their case changed. Normalize is idempotent.
func Normalize(v Variant, seq Sequence) Variant {
	ref, alt := strings.ToUpper(v.Ref), strings.ToUpper(v.Alt)
	out := Variant{Chrom: v.Chrom, Pos: v.Pos, Ref: ref, Alt: alt}
	if ref == alt || !isBases(ref) || !isBases(alt) {
		return out
	}
	pos := v.Pos
	for {
		// An empty allele needs an anchor base from the left.
		if ref == "" || alt == "" {
			b, ok := baseAt(seq, v.Chrom, pos-1)
			if !ok {
				break
			}
			ref, alt, pos = b+ref, b+alt, pos-1
			continue
		}
		if ref[len(ref)-1] != alt[len(alt)-1] {
			break
		}
		if (len(ref) == 1 || len(alt) == 1) && !canExtend(seq, v.Chrom, pos) {
			// Trimming would empty an allele and the base to its left is unknown.
			break
		}
		ref, alt = ref[:len(ref)-1], alt[:len(alt)-1]
	}
	for len(ref) > 1 && len(alt) > 1 && ref[0] == alt[0] {
		ref, alt, pos = ref[1:], alt[1:], pos+1
	}
	out.Pos, out.Ref, out.Alt = pos, ref, alt
	return out
}

// canExtend reports whether the base before pos is known.
func canExtend(seq Sequence, chrom string, pos int) bool {
	_, ok := baseAt(seq, chrom, pos-1)
	return ok
}

// baseAt returns the upper-case plus-strand base at the 1-based position pos.
func baseAt(seq Sequence, chrom string, pos int) (string, bool) {
	if seq == nil || pos < 1 {
		return "", false
	}
	s, ok := seq.Fetch(chrom, pos, pos)
	if !ok || len(s) != 1 || !isBases(s) {
		return "", false
	}
	return strings.ToUpper(s), true
}

// IsACGT reports whether s is a non-empty string of A, C, G and T (upper case): bases with
// none unknown or ambiguous.
func IsACGT(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'A', 'C', 'G', 'T':
		default:
			return false
		}
	}
	return true
}

// isBases reports whether s holds only nucleotide letters (IUPAC N allowed).
func isBases(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'A', 'C', 'G', 'T', 'N', 'a', 'c', 'g', 't', 'n':
		default:
			return false
		}
	}
	return true
}
