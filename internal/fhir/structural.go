package fhir

import (
	"regexp"
	"strconv"

	"github.com/precis-dx/precis/internal/fhir/ig"
	"github.com/precis-dx/precis/internal/report"
)

// Range is a FHIR Range: low and high quantities.
type Range struct {
	Low  *Quantity `json:"low,omitempty"`
	High *Quantity `json:"high,omitempty"`
}

// structural adds the structural-variant components of f to the Variant observation v:
// change type, length, copy number and, in 1-based coordinates, the inner and outer
// start-end ranges (inner and outer differ where the breakpoints are imprecise).
func structural(v *Observation, f *report.Finding) {
	if f.SVType == "" {
		return
	}
	add := func(code, display string, c Component) {
		c.Code = loinc(code, display)
		v.Component = append(v.Component, c)
	}
	if t, ok := ig.SVChangeTypes[f.SVType]; ok {
		add(ig.LOINCDNAChangeType, "DNA change type", Component{ValueCodeableConcept: &CodeableConcept{Coding: []Coding{{System: ig.SysSO, Code: t.Code, Display: t.Display}}}})
	}
	inner, outer := svRanges(f)
	// The called length: END minus POS, POS being the padding base (or an explicit allele's anchor).
	if n := f.End - f.Pos; n > 0 && (f.SVType == "DEL" || f.SVType == "DUP" || f.SVType == "INV" || f.SVType == "CNV") {
		add(ig.LOINCSVLength, "Structural variant [Length]", Component{ValueQuantity: &Quantity{Value: float64(n), Unit: "bp", System: ig.SysUCUM, Code: "1"}})
	}
	if f.CopyNumber != nil {
		add(ig.LOINCCopyNumber, "Genomic structural variant copy number", Component{ValueQuantity: &Quantity{Value: float64(*f.CopyNumber), System: ig.SysUCUM, Code: "1"}})
	}
	add(ig.LOINCCoordinateSys, "Genomic coordinate system [Type]", Component{ValueCodeableConcept: answer(ig.Coded{Code: ig.AnswerOneBased, Display: ig.AnswerOneBasedString})})
	if inner[0] > 0 {
		add(ig.LOINCInnerStartEnd, "Structural variant inner start and end", Component{ValueRange: bpRange(inner)})
	}
	if outer[0] > 0 {
		add(ig.LOINCOuterStartEnd, "Structural variant outer start and end", Component{ValueRange: bpRange(outer)})
	}
}

func bpRange(r [2]int) *Range {
	return &Range{Low: &Quantity{Value: float64(r[0]), Unit: "bp", System: ig.SysUCUM, Code: "1"},
		High: &Quantity{Value: float64(r[1]), Unit: "bp", System: ig.SysUCUM, Code: "1"}}
}

var (
	hgvsUncertain = regexp.MustCompile(`:g\.\((\?|\d+)_(\?|\d+)\)_\((\?|\d+)_(\?|\d+)\)`)
	hgvsPrecise   = regexp.MustCompile(`:g\.(\d+)(?:_(\d+))?(?:del|dup|inv)`)
)

// svRanges returns the inner and outer start-end (1-based, inclusive; 0 where unknown) of a
// structural finding, read from its genomic HGVS name ("(a_b)_(c_d)": outer a..d, inner
// b..c; "(?_s)_(e_?)": inner s..e, outer unknown), or from its position and end.
func svRanges(f *report.Finding) (inner, outer [2]int) {
	if m := hgvsUncertain.FindStringSubmatch(f.HGVSg); m != nil {
		n := func(s string) int { x, _ := strconv.Atoi(s); return x } // "?" -> 0
		inner = [2]int{n(m[2]), n(m[3])}
		if a, d := n(m[1]), n(m[4]); a > 0 && d > 0 {
			outer = [2]int{a, d}
		}
		return inner, outer
	}
	if m := hgvsPrecise.FindStringSubmatch(f.HGVSg); m != nil {
		s, _ := strconv.Atoi(m[1])
		e := s
		if m[2] != "" {
			e, _ = strconv.Atoi(m[2])
		}
		return [2]int{s, e}, [2]int{s, e}
	}
	if f.End >= f.Pos && f.Pos > 0 {
		return [2]int{f.Pos, f.End}, [2]int{}
	}
	return inner, outer
}
