package fhirtest

import (
	"github.com/precis-dx/precis/internal/fhir/ig"
	"github.com/precis-dx/precis/internal/report"
)

// structural checks the structural-variant components of a Variant and reports whether it is
// one (it has a DNA change type with an inner or outer start-end): the change type is a
// Sequence Ontology code of the guide's list, quantities are non-negative, ranges are 1-based
// with low <= high and stated in a coordinate system, and the outer range holds the inner.
func (v *validator) structural(e *entry) bool {
	r := e.res
	types := components(r, ig.SysLOINC, ig.LOINCDNAChangeType)
	if len(types) == 0 {
		for _, code := range []string{ig.LOINCSVLength, ig.LOINCCopyNumber, ig.LOINCInnerStartEnd, ig.LOINCOuterStartEnd} {
			if len(components(r, ig.SysLOINC, code)) > 0 {
				v.addf(e, "structural component %s without a DNA change type (%s)", code, ig.LOINCDNAChangeType)
			}
		}
		return false
	}
	if len(types) > 1 {
		v.addf(e, "%d DNA change type components (%s), want one", len(types), ig.LOINCDNAChangeType)
	}
	known := false
	for _, t := range ig.SVChangeTypes {
		known = known || hasCoding(obj(types[0]["valueCodeableConcept"]), ig.SysSO, t.Code)
	}
	if !known {
		v.addf(e, "DNA change type is not a Sequence Ontology structural-variant code (%s)", ig.SysSO)
	}
	for _, code := range []string{ig.LOINCSVLength, ig.LOINCCopyNumber} {
		for _, c := range components(r, ig.SysLOINC, code) {
			q := obj(c["valueQuantity"])
			if x, ok := q["value"].(float64); !ok || x < 0 || x != float64(int64(x)) || str(q["system"]) != ig.SysUCUM {
				v.addf(e, "%s is not a whole non-negative UCUM quantity", code)
			}
		}
	}
	ranges := map[string][2]float64{}
	for _, code := range []string{ig.LOINCInnerStartEnd, ig.LOINCOuterStartEnd} {
		cs := components(r, ig.SysLOINC, code)
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
		v.addf(e, "structural Variant has neither an inner (%s) nor an outer (%s) start-end", ig.LOINCInnerStartEnd, ig.LOINCOuterStartEnd)
	} else if c := v.one(e, ig.SysLOINC, ig.LOINCCoordinateSys, "coordinate system"); c != nil && !hasCoding(obj(c["valueCodeableConcept"]), ig.SysLOINC, ig.AnswerOneBased) {
		v.addf(e, "coordinate system is not LOINC %s (%s), which the start-end ranges use", ig.AnswerOneBased, ig.AnswerOneBasedString)
	}
	in, okIn := ranges[ig.LOINCInnerStartEnd]
	out, okOut := ranges[ig.LOINCOuterStartEnd]
	if okIn && okOut && (out[0] > in[0] || out[1] < in[1]) {
		v.addf(e, "outer start-end %g-%g does not contain inner start-end %g-%g", out[0], out[1], in[0], in[1])
	}
	return true
}

// structuralFor checks a structural finding's Variant against the report: its change type
// and copy number.
func (v *validator) structuralFor(match *entry, f *report.Finding) {
	want, ok := ig.SVChangeTypes[f.SVType]
	got := value(match.res, ig.SysLOINC, ig.LOINCDNAChangeType)
	switch {
	case f.SVType == "" && got != "":
		v.addf(match, "DNA change type %s on a sequence-variant finding", got)
	case ok && got != want.Code:
		v.addf(match, "DNA change type is %q, want %q (%s)", got, want.Code, f.SVType)
	}
	cn := components(match.res, ig.SysLOINC, ig.LOINCCopyNumber)
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
