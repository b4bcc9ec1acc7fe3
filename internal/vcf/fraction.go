package vcf

import (
	"strconv"
	"strings"
)

// AltFraction returns the variant allele fraction of ALT number altIdx (the 1-based allele
// index, as in GT) in this sample, from the first source present, in this order:
//
//  1. FORMAT AF, the allele fraction Mutect2 writes (Number=A);
//  2. FORMAT AD, allele depths with REF first (Number=R): AD[altIdx] / sum(AD);
//  3. Strelka2 somatic SNV counts AU, CU, GU, TU: tier-1 ALT count / (tier-1 REF + ALT counts);
//  4. Strelka2 somatic indel counts TIR (ALT) and TAR (REF): tier-1 TIR / (tier-1 TIR + TAR).
//
// The Strelka formulas are those of the Strelka2 user guide ("Somatic variant allele
// frequencies"). ok is false when altIdx is out of range or no source gives a fraction.
func (s *Sample) AltFraction(rec *Record, altIdx int) (float64, bool) {
	if altIdx < 1 || altIdx > len(rec.Alts) {
		return 0, false
	}
	if v, ok := s.Field("AF"); ok {
		if f, ok := nthFloat(v, altIdx-1); ok && f >= 0 && f <= 1 {
			return f, true
		}
	}
	if len(s.AD) == len(rec.Alts)+1 {
		sum := 0
		for _, d := range s.AD {
			sum += d
		}
		if sum > 0 {
			return float64(s.AD[altIdx]) / float64(sum), true
		}
	}
	alt := rec.Alts[altIdx-1]
	if len(rec.Ref) == 1 && len(alt) == 1 {
		refCount, ok1 := s.tier1(rec.Ref + "U")
		altCount, ok2 := s.tier1(alt + "U")
		if ok1 && ok2 && refCount+altCount > 0 {
			return float64(altCount) / float64(refCount+altCount), true
		}
	}
	altCount, ok1 := s.tier1("TIR")
	refCount, ok2 := s.tier1("TAR")
	if ok1 && ok2 && refCount+altCount > 0 {
		return float64(altCount) / float64(refCount+altCount), true
	}
	return 0, false
}

// tier1 returns the first (tier 1) value of a Strelka "tier1,tier2" count field.
func (s *Sample) tier1(key string) (int, bool) {
	v, ok := s.Field(key)
	if !ok {
		return 0, false
	}
	first, _, _ := strings.Cut(v, ",")
	k, err := strconv.Atoi(first)
	return k, err == nil && k >= 0
}

// nthFloat returns element i of a comma-separated list of numbers.
func nthFloat(v string, i int) (float64, bool) {
	for rest := v; ; i-- {
		e, tail, more := strings.Cut(rest, ",")
		if i == 0 {
			f, err := strconv.ParseFloat(e, 64)
			return f, err == nil
		}
		if !more {
			return 0, false
		}
		rest = tail
	}
}
