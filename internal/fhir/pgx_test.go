package fhir

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/fhir/fhirtest"
	"github.com/precis-dx/precis/internal/fhir/ig"
	"github.com/precis-dx/precis/internal/guideline"
	"github.com/precis-dx/precis/internal/guideline/guidelinetest"
	"github.com/precis-dx/precis/internal/testfile"
)

// TestThreeGenes converts a real report with the constructed TPMT, NUDT15 and UGT1A1 results
// added (planned: FOLFIRI): the bundle passes the validator against the report, each gene has
// a Genotype coded with its HGNC id and one Therapeutic Implication per recommendation, the
// thiopurine and irinotecan tags become MedicationRecommendation Tasks with LOINC actions;
// compared with testdata/golden/pgx_three.fhir.json (-update rewrites).
func TestThreeGenes(t *testing.T) {
	r := readReport(t, "../annotate/testdata/golden/example.json")
	guidelinetest.Into(t, r, []string{"FOLFIRI"})
	got := render(t, r)
	for _, p := range fhirtest.ValidateFor(r, got) {
		t.Errorf("problem: %s", p)
	}
	var b struct {
		Entry []struct {
			Resource struct {
				ResourceType string
				Meta         struct{ Profile []string }
				Code         struct {
					Coding []struct{ Code, Display string }
					Text   string
				}
				ValueCodeableConcept struct{ Text string }
				Component            []struct {
					ValueCodeableConcept struct {
						Coding []struct{ Code, Display string }
					}
				}
				Input []struct{ ValueString string }
				Note  []struct{ Text string }
			}
		}
	}
	if err := json.Unmarshal(got, &b); err != nil {
		t.Fatal(err)
	}
	genes := map[string]bool{}
	tasks := map[string]string{}
	for _, e := range b.Entry {
		res := e.Resource
		switch {
		case len(res.Meta.Profile) == 1 && res.Meta.Profile[0] == ig.ProfileGenotype:
			gene := ""
			for _, c := range res.Component {
				for _, cd := range c.ValueCodeableConcept.Coding {
					gene = cd.Display
					genes[cd.Display] = cd.Code == ig.HGNC[cd.Display]
				}
			}
			var notes []string
			for _, n := range res.Note {
				notes = append(notes, n.Text)
			}
			if !guideline.ActivityScored(gene) && strings.Contains(strings.Join(notes, "|"), "activity score") {
				t.Errorf("Genotype %s has an activity score note: %v", res.ValueCodeableConcept.Text, notes)
			}
		case res.ResourceType == "Task" && len(res.Meta.Profile) == 1 && res.Meta.Profile[0] == ig.ProfileMedicationRecommendation:
			for _, in := range res.Input {
				if strings.HasPrefix(in.ValueString, "treatment:") && len(res.Code.Coding) == 1 {
					tasks[in.ValueString] = res.Code.Coding[0].Display
				}
			}
		}
	}
	for _, g := range []string{"DPYD", "TPMT", "NUDT15", "UGT1A1"} {
		if !genes[g] {
			t.Errorf("no Genotype coded with %s %s", g, ig.HGNC[g])
		}
	}
	for tag, want := range map[string]string{"treatment:thiopurine-reduce-dose": "Decrease dose", "treatment:irinotecan-reduce-start-dose": "Decrease dose"} {
		if tasks[tag] != want {
			t.Errorf("MedicationRecommendation for %s: %q, want %q", tag, tasks[tag], want)
		}
	}
	golden := filepath.Join("testdata", "golden", "pgx_three.fhir.json")
	if *update {
		testfile.Write(t, golden, got)
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("bundle differs from %s (run go test -update and review the diff)", golden)
	}
}
