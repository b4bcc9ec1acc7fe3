package fhir

import (
	"regexp"
	"strconv"

	"github.com/precis-dx/precis/internal/report"
)

// Structural-variant components of the Variant profile (HL7 Genomics Reporting IG STU2,
// Variant: components dna-chg-type, variant-length (structural), copy-number, variant-inner-start-end,
// variant-outer-start-end, coordinate-system; https://hl7.org/fhir/uv/genomics-reporting/STU2/StructureDefinition-variant.html).
const (
	sysSO                = "http://www.sequenceontology.org"
	loincDNAChangeType   = "48019-4" // dna-chg-type: DNA change type
	loincSVLength        = "81300-6" // variant-length: Structural variant [Length]
	loincCopyNumber      = "82155-3" // copy-number: Genomic structural variant copy number
	loincInnerStartEnd   = "81301-0" // variant-inner-start-end: Structural variant inner start and end
	loincOuterStartEnd   = "81302-2" // variant-outer-start-end: Structural variant outer start and end
	loincCoordinateSys   = "92822-6" // coordinate-system: Genomic coordinate system [Type]
	answerOneBasedString = "1-based character counting"
)

// svChangeTypes maps the report's sv_type to its Sequence Ontology DNA change type.
var svChangeTypes = map[string]coded{
	"DEL": {"SO:0000159", "deletion"},
	"DUP": {"SO:1000035", "duplication"},
	"CNV": {"SO:0001019", "copy_number_variation"},
	"INV": {"SO:1000036", "inversion"},
	"INS": {"SO:0000667", "insertion"},
	"BND": {"SO:0001021", "chromosome_breakpoint"},
}

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
	if t, ok := svChangeTypes[f.SVType]; ok {
		add(loincDNAChangeType, "DNA change type", Component{ValueCodeableConcept: &CodeableConcept{Coding: []Coding{{System: sysSO, Code: t.code, Display: t.display}}}})
	}
	inner, outer := svRanges(f)
	// The called length: END minus POS, POS being the padding base (or an explicit allele's anchor).
	if n := f.End - f.Pos; n > 0 && (f.SVType == "DEL" || f.SVType == "DUP" || f.SVType == "INV" || f.SVType == "CNV") {
		add(loincSVLength, "Structural variant [Length]", Component{ValueQuantity: &Quantity{Value: float64(n), Unit: "bp", System: sysUCUM, Code: "1"}})
	}
	if f.CopyNumber != nil {
		add(loincCopyNumber, "Genomic structural variant copy number", Component{ValueQuantity: &Quantity{Value: float64(*f.CopyNumber), System: sysUCUM, Code: "1"}})
	}
	add(loincCoordinateSys, "Genomic coordinate system [Type]", Component{ValueCodeableConcept: answer(coded{answerOneBased, answerOneBasedString})})
	if inner[0] > 0 {
		add(loincInnerStartEnd, "Structural variant inner start and end", Component{ValueRange: bpRange(inner)})
	}
	if outer[0] > 0 {
		add(loincOuterStartEnd, "Structural variant outer start and end", Component{ValueRange: bpRange(outer)})
	}
}

func bpRange(r [2]int) *Range {
	return &Range{Low: &Quantity{Value: float64(r[0]), Unit: "bp", System: sysUCUM, Code: "1"},
		High: &Quantity{Value: float64(r[1]), Unit: "bp", System: sysUCUM, Code: "1"}}
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

// structural checks the structural-variant components of a Variant and reports whether it is
// one (it has a DNA change type with an inner or outer start-end): the change type is a
// Sequence Ontology code of the guide's list, quantities are non-negative, ranges are 1-based
// with low <= high and stated in a coordinate system, and the outer range holds the inner.
func (v *validator) structural(e *entry) bool {
	r := e.res
	types := components(r, sysLOINC, loincDNAChangeType)
	if len(types) == 0 {
		for _, code := range []string{loincSVLength, loincCopyNumber, loincInnerStartEnd, loincOuterStartEnd} {
			if len(components(r, sysLOINC, code)) > 0 {
				v.addf(e, "structural component %s without a DNA change type (%s)", code, loincDNAChangeType)
			}
		}
		return false
	}
	if len(types) > 1 {
		v.addf(e, "%d DNA change type components (%s), want one", len(types), loincDNAChangeType)
	}
	known := false
	for _, t := range svChangeTypes {
		known = known || hasCoding(obj(types[0]["valueCodeableConcept"]), sysSO, t.code)
	}
	if !known {
		v.addf(e, "DNA change type is not a Sequence Ontology structural-variant code (%s)", sysSO)
	}
	for _, code := range []string{loincSVLength, loincCopyNumber} {
		for _, c := range components(r, sysLOINC, code) {
			q := obj(c["valueQuantity"])
			if x, ok := q["value"].(float64); !ok || x < 0 || x != float64(int64(x)) || str(q["system"]) != sysUCUM {
				v.addf(e, "%s is not a whole non-negative UCUM quantity", code)
			}
		}
	}
	ranges := map[string][2]float64{}
	for _, code := range []string{loincInnerStartEnd, loincOuterStartEnd} {
		cs := components(r, sysLOINC, code)
		if len(cs) > 1 {
			v.addf(e, "%d start-end components %s, want at most one", len(cs), code)
		}
		for _, c := range cs {
			rg := obj(c["valueRange"])
			lo, ok1 := obj(rg["low"])["value"].(float64)
			hi, ok2 := obj(rg["high"])["value"].(float64)
			switch {
			case !ok1 || !ok2:
				v.addf(e, "start-end %s has no low and high values", code)
			case lo < 1 || lo > hi:
				v.addf(e, "start-end %s range %g-%g is not 1 <= low <= high", code, lo, hi)
			default:
				ranges[code] = [2]float64{lo, hi}
			}
		}
	}
	if len(ranges) == 0 {
		v.addf(e, "structural Variant has neither an inner (%s) nor an outer (%s) start-end", loincInnerStartEnd, loincOuterStartEnd)
	} else if c := v.one(e, sysLOINC, loincCoordinateSys, "coordinate system"); c != nil && !hasCoding(obj(c["valueCodeableConcept"]), sysLOINC, answerOneBased) {
		v.addf(e, "coordinate system is not LOINC %s (%s), which the start-end ranges use", answerOneBased, answerOneBasedString)
	}
	in, okIn := ranges[loincInnerStartEnd]
	out, okOut := ranges[loincOuterStartEnd]
	if okIn && okOut && (out[0] > in[0] || out[1] < in[1]) {
		v.addf(e, "outer start-end %g-%g does not contain inner start-end %g-%g", out[0], out[1], in[0], in[1])
	}
	return true
}

// structuralFor checks a structural finding's Variant against the report: its change type
// and copy number.
func (v *validator) structuralFor(match *entry, f *report.Finding) {
	want, ok := svChangeTypes[f.SVType]
	got := value(match.res, sysLOINC, loincDNAChangeType)
	switch {
	case f.SVType == "" && got != "":
		v.addf(match, "DNA change type %s on a sequence-variant finding", got)
	case ok && got != want.code:
		v.addf(match, "DNA change type is %q, want %q (%s)", got, want.code, f.SVType)
	}
	cn := components(match.res, sysLOINC, loincCopyNumber)
	switch {
	case f.CopyNumber == nil && len(cn) > 0:
		v.addf(match, "copy number given for a finding without one")
	case f.CopyNumber != nil && len(cn) == 0:
		v.addf(match, "no copy number component for copy number %d", *f.CopyNumber)
	case f.CopyNumber != nil:
		if x, _ := obj(cn[0]["valueQuantity"])["value"].(float64); x != float64(*f.CopyNumber) {
			v.addf(match, "copy number %g, want %d", x, *f.CopyNumber)
		}
	}
}
