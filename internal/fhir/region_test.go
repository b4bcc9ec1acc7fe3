package fhir

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/fhir/fhirtest"
	"github.com/precis-dx/precis/internal/fhir/ig"
	"github.com/precis-dx/precis/internal/report"
)

// coverageReport is the example report with coverage of three kinds: BRCA1 from a gVCF
// with two exons not fully covered, BRCA2 from a callable-regions BED, MLH1 unknown.
func coverageReport(t *testing.T) *report.Report {
	t.Helper()
	rep := readReport(t, "../annotate/testdata/golden/example.json")
	f1, f2, dp := 0.9817, 1.0, 14
	rep.Input.MinDP, rep.Input.MinGQ = 10, 20
	rep.Samples[0].Coverage = []report.Coverage{
		{Gene: "BRCA1", Source: "gvcf", CoveredFraction: &f1, UncoveredExons: []int{11, 12}, MinDP: &dp, Note: "98.2% covered"},
		{Gene: "BRCA2", Source: "bed", CoveredFraction: &f2, UncoveredExons: []int{}},
		{Gene: "MLH1", Source: "none", UncoveredExons: []int{}, Note: "the input does not show which bases were sequenced (no gVCF reference blocks and no callable-regions file): a negative result cannot exclude variants in MLH1"},
	}
	return rep
}

func regionOf(t *testing.T, m map[string]any, gene string) map[string]any {
	t.Helper()
	for _, e := range entries(m) {
		if profileOf(e) != ig.ProfileRegionStudied {
			continue
		}
		r := res(e)
		for _, c := range r["component"].([]any) {
			cm := c.(map[string]any)
			cc := cm["code"].(map[string]any)["coding"].([]any)[0].(map[string]any)
			if cc["code"] == ig.LOINCGene && strings.Contains(mustJSON(t, cm), `"`+gene+`"`) {
				return r
			}
		}
	}
	t.Fatalf("no RegionStudied for %s", gene)
	return nil
}

func mustJSON(t *testing.T, x any) string {
	b, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// setCoverage sets the region coverage of gene's RegionStudied to pct.
func setCoverage(t *testing.T, m map[string]any, gene string, pct float64) {
	t.Helper()
	for _, c := range regionOf(t, m, gene)["component"].([]any) {
		if q, ok := c.(map[string]any)["valueQuantity"].(map[string]any); ok {
			q["value"] = pct
		}
	}
}

func TestRegionStudied(t *testing.T) {
	rep := coverageReport(t)
	b, err := Bundle(rep)
	if err != nil {
		t.Fatal(err)
	}
	raw := []byte(mustJSON(t, b))
	if ps := fhirtest.ValidateFor(rep, raw); len(ps) != 0 {
		t.Fatalf("valid bundle: %v", ps)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if got := mustJSON(t, regionOf(t, m, "BRCA1")); !strings.Contains(got, `"value":98.2`) || !strings.Contains(got, "not fully covered: exons 11, 12") {
		t.Errorf("BRCA1 RegionStudied lacks 98.2%% or the uncovered exons: %s", got)
	}
	if got := mustJSON(t, regionOf(t, m, "MLH1")); strings.Contains(got, ig.TBDRegionCoverage) || !strings.Contains(got, "cannot exclude variants in MLH1") {
		t.Errorf("MLH1 RegionStudied: want no region coverage and the caveat: %s", got)
	}

	tests := []mutation{
		{"wrong code", func(t *testing.T, m map[string]any) {
			regionOf(t, m, "BRCA1")["code"] = map[string]any{"coding": []any{map[string]any{"system": ig.SysLOINC, "code": "69548-6"}}}
		}, "RegionStudied code is not LOINC 53041-0", false},
		{"a value", func(t *testing.T, m map[string]any) {
			regionOf(t, m, "BRCA2")["valueString"] = "covered"
		}, "RegionStudied has a valueString", false},
		{"coverage above 100%", func(t *testing.T, m map[string]any) {
			setCoverage(t, m, "BRCA1", 180)
		}, "region coverage is not a UCUM % quantity from 0 to 100", false},
		{"no region description", func(t *testing.T, m map[string]any) {
			r := regionOf(t, m, "BRCA2")
			var keep []any
			for _, c := range r["component"].([]any) {
				if !strings.Contains(mustJSON(t, c), ig.LOINCRegionDesc) {
					keep = append(keep, c)
				}
			}
			r["component"] = keep
		}, "no region description component (81293-3)", false},
		{"caveat dropped", func(t *testing.T, m map[string]any) {
			for _, c := range regionOf(t, m, "MLH1")["component"].([]any) {
				cm := c.(map[string]any)
				if s, ok := cm["valueString"].(string); ok {
					cm["valueString"] = strings.ReplaceAll(s, "cannot exclude", "excludes")
				}
			}
		}, "MLH1: coverage not known, but the region description does not say", true},
		{"coverage changed", func(t *testing.T, m map[string]any) {
			setCoverage(t, m, "BRCA1", 100)
		}, "BRCA1: region coverage 100%, want 98.2%", true},
		{"region missing", func(t *testing.T, m map[string]any) {
			u := "urn:uuid:" + regionOf(t, m, "BRCA2")["id"].(string)
			for i := range entries(m) {
				if fullURL(m, i) == u {
					removeResource(m, i)
					break
				}
			}
		}, "no RegionStudied for BRCA2", true},
	}
	checkMutations(t, rep, raw, tests)
}
