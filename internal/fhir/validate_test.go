package fhir

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/fhir/fhirtest"
	"github.com/precis-dx/precis/internal/fhir/ig"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/testfile"
)

// bundleOf decodes the golden bundle of the example report into plain JSON values.
func bundleOf(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "golden", "example.fhir.json"))
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func entries(m map[string]any) []any { return m["entry"].([]any) }

func res(e any) map[string]any { return e.(map[string]any)["resource"].(map[string]any) }

func profileOf(e any) string {
	meta, _ := res(e)["meta"].(map[string]any)
	if meta == nil {
		return res(e)["resourceType"].(string)
	}
	return meta["profile"].([]any)[0].(string)
}

// first returns the index of the first entry with profile (or resourceType) kind.
func first(t *testing.T, m map[string]any, kind string) int {
	t.Helper()
	for i, e := range entries(m) {
		if profileOf(e) == kind {
			return i
		}
	}
	t.Fatalf("no %s entry", kind)
	return -1
}

func fullURL(m map[string]any, i int) string {
	return entries(m)[i].(map[string]any)["fullUrl"].(string)
}

// removeEntry drops entry i.
func removeEntry(m map[string]any, i int) {
	es := entries(m)
	m["entry"] = append(es[:i:i], es[i+1:]...)
}

// removeResource drops entry i and the GenomicReport's references to it.
func removeResource(m map[string]any, i int) {
	u := fullURL(m, i)
	removeEntry(m, i)
	dropReferences(m, u)
}

// dropComponent removes the components of entry i coded code.
func dropComponent(m map[string]any, i int, code string) {
	r := res(entries(m)[i])
	var keep []any
	for _, c := range r["component"].([]any) {
		if c.(map[string]any)["code"].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"] != code {
			keep = append(keep, c)
		}
	}
	r["component"] = keep
}

// component returns the first component of entry i coded code.
func component(t *testing.T, m map[string]any, i int, code string) map[string]any {
	t.Helper()
	for _, c := range res(entries(m)[i])["component"].([]any) {
		cm := c.(map[string]any)
		if cm["code"].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"] == code {
			return cm
		}
	}
	t.Fatalf("entry %d has no component %s", i, code)
	return nil
}

// dropReferences removes, from the GenomicReport, result and extension items that point at url.
func dropReferences(m map[string]any, url string) {
	for _, e := range entries(m) {
		r := res(e)
		if r["resourceType"] != "DiagnosticReport" {
			continue
		}
		var results, exts []any
		for _, x := range r["result"].([]any) {
			if x.(map[string]any)["reference"] != url {
				results = append(results, x)
			}
		}
		for _, x := range r["extension"].([]any) {
			if vr, ok := x.(map[string]any)["valueReference"].(map[string]any); !ok || vr["reference"] != url {
				exts = append(exts, x)
			}
		}
		r["result"], r["extension"] = results, exts
	}
}

// TestValidateCatches mutates the example bundle and checks that the validator names the
// break: with the bundle alone (Validate) or only against its report (ValidateFor).
func TestValidateCatches(t *testing.T) {
	rep := readReport(t, "../annotate/testdata/golden/example.json")
	tests := []mutation{
		{"broken reference", func(t *testing.T, m map[string]any) {
			dr := res(entries(m)[first(t, m, ig.ProfileGenomicReport)])
			dr["result"].([]any)[0].(map[string]any)["reference"] = "urn:uuid:00000000-0000-5000-8000-000000000000"
		}, "does not resolve to an entry", false},
		{"missing variant code", func(t *testing.T, m map[string]any) {
			delete(res(entries(m)[first(t, m, ig.ProfileVariant)])["code"].(map[string]any), "coding")
		}, "Variant code is not LOINC 69548-6", false},
		{"missing report code", func(t *testing.T, m map[string]any) {
			res(entries(m)[first(t, m, ig.ProfileGenomicReport)])["code"] = map[string]any{"text": "report"}
		}, "GenomicReport code is not LOINC 51969-4", false},
		{"missing gene component", func(t *testing.T, m map[string]any) {
			dropComponent(m, first(t, m, ig.ProfileVariant), ig.LOINCGene)
		}, "no gene studied component (48018-6)", false},
		{"invented significance code", func(t *testing.T, m map[string]any) {
			c := component(t, m, first(t, m, ig.ProfileDiagnosticImplication), ig.LOINCClinSig)
			c["valueCodeableConcept"].(map[string]any)["coding"] = []any{map[string]any{"system": ig.SysLOINC, "code": "LA0000-0"}}
		}, "is not a LOINC LL4034-6 answer", false},
		{"no significance", func(t *testing.T, m map[string]any) {
			dropComponent(m, first(t, m, ig.ProfileDiagnosticImplication), ig.LOINCClinSig)
		}, "no Diagnostic Implication clinical significance component (53037-8)", false},
		{"missing task entry", func(t *testing.T, m map[string]any) {
			removeEntry(m, first(t, m, ig.ProfileMedicationRecommendation))
		}, "does not resolve to an entry", false},
		{"missing task", func(t *testing.T, m map[string]any) {
			removeResource(m, first(t, m, ig.ProfileMedicationRecommendation))
		}, "no Task for tag", true},
		{"task not requested", func(t *testing.T, m map[string]any) {
			res(entries(m)[first(t, m, ig.ProfileFollowupRecommendation)])["status"] = "completed"
		}, `Task status is "completed", want requested`, false},
		{"diagnostic implication missing", func(t *testing.T, m map[string]any) {
			removeResource(m, first(t, m, ig.ProfileDiagnosticImplication))
		}, "Variant has 0 Diagnostic Implications, want 1", false},
		{"observation not in results", func(t *testing.T, m map[string]any) {
			dropReferences(m, fullURL(m, first(t, m, ig.ProfileGenotype)))
		}, "listed in 0 GenomicReport results", false},
		{"patient name", func(t *testing.T, m map[string]any) {
			res(entries(m)[first(t, m, "Patient")])["name"] = []any{map[string]any{"family": "Svensson"}}
		}, "Patient carries name", false},
		{"identity number", func(t *testing.T, m map[string]any) {
			id := res(entries(m)[first(t, m, "Patient")])["identifier"].([]any)[0].(map[string]any)
			id["value"] = "19121212-1212"
		}, "looks like a personal identity number", false},
		{"duplicate fullUrl", func(t *testing.T, m map[string]any) {
			entries(m)[2].(map[string]any)["fullUrl"] = fullURL(m, 1)
		}, "fullUrl repeats", false},
		{"changed HGVS", func(t *testing.T, m map[string]any) {
			c := component(t, m, first(t, m, ig.ProfileVariant), ig.LOINCHGVSc)
			c["valueCodeableConcept"].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"] = "NM_000110.4:c.2846A>G"
		}, "no Variant carries exactly the HGVS", true},
		{"provenance without checksum", func(t *testing.T, m map[string]any) {
			dr := res(entries(m)[first(t, m, ig.ProfileGenomicReport)])
			a := dr["extension"].([]any)[0].(map[string]any)["valueAnnotation"].(map[string]any)
			a["text"] = strings.ReplaceAll(a["text"].(string), "Input SHA-256", "Input")
		}, `no "Input SHA-256:" line`, false},
		{"wrong phenotype", func(t *testing.T, m map[string]any) {
			for _, e := range entries(m) {
				if profileOf(e) != ig.ProfileTherapeuticImplication {
					continue
				}
				for _, c := range res(e)["component"].([]any) {
					cm := c.(map[string]any)
					if cm["code"].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"] == ig.TBDTherapeutic {
						cm["valueCodeableConcept"] = map[string]any{"coding": []any{map[string]any{"system": ig.SysLOINC, "code": "LA9657-3"}}}
					}
				}
			}
		}, `phenotype is "LA9657-3", want "LA10317-8"`, true},
	}
	b, err := json.Marshal(bundleOf(t))
	if err != nil {
		t.Fatal(err)
	}
	checkMutations(t, rep, b, tests)
}

// mutation is a break of a valid bundle that the validator must name.
type mutation struct {
	name    string
	mutate  func(t *testing.T, m map[string]any)
	want    string // in some problem
	onlyFor bool   // Validate alone finds nothing; ValidateFor must
}

// checkMutations applies each mutation to its own copy of the valid bundle raw and checks
// that the validator names the break: with the bundle alone (Validate) or only against its
// report (ValidateFor).
func checkMutations(t *testing.T, rep *report.Report, raw []byte, tests []mutation) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			tc.mutate(t, m)
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			alone := fhirtest.Validate(b)
			if tc.onlyFor && len(alone) != 0 {
				t.Errorf("Validate: got %d problems, want 0 (only the report tells): %v", len(alone), alone)
			}
			if !tc.onlyFor && !has(alone, tc.want) {
				t.Errorf("Validate: no problem says %q; got %v", tc.want, alone)
			}
			if got := fhirtest.ValidateFor(rep, b); !has(got, tc.want) {
				t.Errorf("ValidateFor: no problem says %q; got %v", tc.want, got)
			}
		})
	}
}

func has(ps []fhirtest.Problem, s string) bool {
	for _, p := range ps {
		if strings.Contains(p.String(), s) {
			return true
		}
	}
	return false
}

func TestValidateRejectsNonBundles(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", "not JSON"},
		{"[]", "not a JSON object"},
		{`{"resourceType":"Patient"}`, `resourceType is "Patient", want Bundle`},
		{`{"resourceType":"Bundle","id":"x","type":"document","entry":[]}`, `type is "document", want collection`},
		{`{"resourceType":"Bundle","id":"x","type":"collection","entry":[]}`, "no entries"},
		{`{"resourceType":"Bundle","id":"x","type":"collection","entry":[{"fullUrl":"Patient/1","resource":{"resourceType":"Patient","id":"1","identifier":[{"value":"S1"}]}}]}`, "fullUrl is not urn:uuid"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := fhirtest.Validate([]byte(tc.in)); !has(got, tc.want) {
				t.Errorf("got %v, want a problem saying %q", got, tc.want)
			}
		})
	}
}

// FuzzValidate feeds the validator the golden bundles and their mutations; it must not
// panic, and a bundle it accepts must stay accepted when re-encoded.
func FuzzValidate(f *testing.F) {
	for _, b := range testfile.Glob(f, filepath.Join("testdata", "golden", "*.fhir.json")) {
		f.Add(b)
	}
	f.Add([]byte(`{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:x","resource":{"reference":7}}]}`))
	f.Add([]byte(`{"entry":[null,{"resource":{"meta":{"profile":[1]},"component":[{"code":null}]}}]}`))
	raw := testfile.Read(f, "../annotate/testdata/golden/example.json")
	var rep *report.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ps := fhirtest.Validate(b)
		_ = fhirtest.ValidateFor(rep, b)
		if len(ps) != 0 {
			return
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("accepted bytes that are not JSON: %v", err)
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if ps := fhirtest.Validate(again); len(ps) != 0 {
			t.Errorf("accepted bundle rejected after re-encoding: %v", ps)
		}
	})
}
