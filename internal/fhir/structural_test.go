package fhir

import (
	"bytes"
	"testing"

	"github.com/precis-dx/precis/internal/fhir/fhirtest"
	"github.com/precis-dx/precis/internal/fhir/ig"
)

// TestValidateCatchesStructural mutates the structural-variant Variants of the Manta fixture's
// bundle and checks that the validator names each break.
func TestValidateCatchesStructural(t *testing.T) {
	rep := readReport(t, "../annotate/testdata/golden/sv_manta.json")
	var buf bytes.Buffer
	if err := Write(&buf, rep); err != nil {
		t.Fatal(err)
	}
	if ps := fhirtest.ValidateFor(rep, buf.Bytes()); len(ps) != 0 {
		t.Fatalf("the unmutated bundle has problems: %v", ps)
	}
	// svVariant returns the component list of the first Variant with a DNA change type.
	svVariant := func(t *testing.T, m map[string]any) map[string]any {
		for _, e := range entries(m) {
			r := res(e)
			for _, c := range anySlice(r["component"]) {
				if codeOf(c) == ig.LOINCDNAChangeType {
					return r
				}
			}
		}
		t.Fatal("no structural Variant")
		return nil
	}
	comp := func(r map[string]any, code string) map[string]any {
		for _, c := range anySlice(r["component"]) {
			if codeOf(c) == code {
				return c.(map[string]any)
			}
		}
		return nil
	}
	drop := func(r map[string]any, codes ...string) {
		var keep []any
		for _, c := range anySlice(r["component"]) {
			found := false
			for _, code := range codes {
				found = found || codeOf(c) == code
			}
			if !found {
				keep = append(keep, c)
			}
		}
		r["component"] = keep
	}
	tests := []mutation{
		{"inverted range", func(t *testing.T, m map[string]any) {
			rg := comp(svVariant(t, m), ig.LOINCOuterStartEnd)["valueRange"].(map[string]any)
			rg["low"], rg["high"] = rg["high"], rg["low"]
		}, "is not 1 <= low <= high", false},
		{"outer inside inner", func(t *testing.T, m map[string]any) {
			r := svVariant(t, m)
			comp(r, ig.LOINCOuterStartEnd)["valueRange"] = comp(r, ig.LOINCInnerStartEnd)["valueRange"]
			comp(r, ig.LOINCInnerStartEnd)["valueRange"] = map[string]any{"low": map[string]any{"value": 1.0}, "high": map[string]any{"value": 2e9}}
		}, "does not contain inner start-end", false},
		{"not SO", func(t *testing.T, m map[string]any) {
			comp(svVariant(t, m), ig.LOINCDNAChangeType)["valueCodeableConcept"] = map[string]any{"text": "big deletion"}
		}, "not a Sequence Ontology structural-variant code", false},
		{"no start-end", func(t *testing.T, m map[string]any) {
			drop(svVariant(t, m), ig.LOINCInnerStartEnd, ig.LOINCOuterStartEnd)
		}, "neither an inner", false},
		{"no coordinate system", func(t *testing.T, m map[string]any) {
			drop(svVariant(t, m), ig.LOINCCoordinateSys)
		}, "no coordinate system component", false},
		{"no HGVS and no change type", func(t *testing.T, m map[string]any) {
			drop(svVariant(t, m), ig.LOINCHGVSc, ig.LOINCHGVSg, ig.LOINCDNAChangeType)
		}, "nor a structural DNA change type", false},
		{"wrong change type", func(t *testing.T, m map[string]any) {
			comp(svVariant(t, m), ig.LOINCDNAChangeType)["valueCodeableConcept"] = map[string]any{"coding": []any{map[string]any{"system": ig.SysSO, "code": "SO:1000035"}}}
		}, `DNA change type is "SO:1000035", want "SO:0000159" (DEL)`, true},
		{"negative length", func(t *testing.T, m map[string]any) {
			comp(svVariant(t, m), ig.LOINCSVLength)["valueQuantity"].(map[string]any)["value"] = -5.0
		}, "is not a whole non-negative UCUM quantity", false},
	}
	checkMutations(t, rep, buf.Bytes(), tests)
}

func anySlice(x any) []any { s, _ := x.([]any); return s }

func codeOf(c any) string {
	cd := anySlice(c.(map[string]any)["code"].(map[string]any)["coding"])
	if len(cd) == 0 {
		return ""
	}
	s, _ := cd[0].(map[string]any)["code"].(string)
	return s
}
