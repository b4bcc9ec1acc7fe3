package kb

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/oracle"
)

// TestConditions checks ClinVar's conditions and somatic classifications in the embedded
// knowledge base against records of the real ClinVar files.
func TestConditions(t *testing.T) {
	k := testKB(t)
	for _, tc := range []struct {
		name     string
		chrom    string
		pos      int
		ref, alt string
		want     []Condition // a prefix of the entry's conditions
		somatic  *Somatic
	}{
		// 2024 P/LP extract (CLNDISDB_MONDO): EPCAM c.556-14A>G is listed for the recessive
		// enteropathy and Lynch syndrome 8; the frameshift for the enteropathy alone.
		{"EPCAM two conditions", "chr2", 47378939, "A", "G", []Condition{
			{"Congenital diarrhea 5 with tufting enteropathy", []string{"MONDO:0013184"}},
			{"Lynch syndrome 8", []string{"MONDO:0013196"}}}, nil},
		{"EPCAM enteropathy only", "chr2", 47377020, "T", "TC", []Condition{
			{"Congenital diarrhea 5 with tufting enteropathy", []string{"MONDO:0013184"}}}, nil},
		{"DPYD, 2024 extract", "chr1", 97082471, "C", "T", []Condition{
			{"Dihydropyrimidine dehydrogenase deficiency", []string{"MONDO:0010130"}}}, nil},
		// 2026 file (CLNDN + CLNDISDB, MeSH and Orphanet ids dropped) with ClinVar's
		// oncogenicity classification: MLH1 Variation 89945.
		{"MLH1 with ONC", "chr3", 37048538, "C", "T", []Condition{
			{"Hereditary nonpolyposis colon cancer", []string{"MONDO:0018630", "MedGen:C1333990", "OMIM:PS120435"}},
			{"Hereditary nonpolyposis colorectal neoplasms", []string{"MedGen:C0009405"}},
			{"Hereditary cancer-predisposing syndrome", []string{"MONDO:0015356", "MedGen:C0027672"}},
			{"not provided", []string{"MedGen:C3661900"}},
			{"Lynch syndrome", []string{"MONDO:0005835", "MedGen:C4552100"}}},
			&Somatic{Oncogenicity: "Likely_oncogenic", OncogenicityReview: "criteria_provided,_single_submitter",
				OncogenicityConditions: "Neoplasm=MONDO:0005070,MedGen:C0027651"}},
		// BRCA2 Variation 52826: somatic clinical impact (SCI), no ONC.
		{"BRCA2 with SCI", "chr13", 32394814, "C", "T", []Condition{
			{"NICE approved PARP inhibitor treatment", nil}},
			&Somatic{ClinicalImpact: "Tier_II_-_Potential", ClinicalImpactReview: "criteria_provided,_single_submitter",
				ClinicalImpactConds: "Colon_adenocarcinoma=MONDO:0002271,MedGen:C0338106"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, ok := k.ClinVar.Lookup(tc.chrom, tc.pos, tc.ref, tc.alt)
			if !ok {
				t.Fatal("not in the knowledge base")
			}
			got := e.Conditions()
			if len(got) < len(tc.want) || !reflect.DeepEqual(got[:len(tc.want)], tc.want) {
				t.Errorf("conditions\n got %+v\nwant %+v", got, tc.want)
			}
			if !reflect.DeepEqual(e.Somatic, tc.somatic) {
				t.Errorf("somatic: got %+v, want %+v", e.Somatic, tc.somatic)
			}
		})
	}
}

// TestConditionsAgreeWithSources checks every panel-gene record of the 2026 file: the
// entry's condition names are its CLNDN, in order, and every MONDO id of CLNDISDB is kept.
func TestConditionsAgreeWithSources(t *testing.T) {
	src := oracle.Dir(t)
	k := testKB(t)
	n := 0
	for _, r := range readVCF(t, filepath.Join(src, clinvar2026)) {
		if r.panelGeneOf() == "" || r.alt == "." {
			continue
		}
		e, ok := k.ClinVar.Lookup("chr"+r.chrom, r.pos, r.ref, r.alt)
		if !ok || e.Release != "ClinVar 2026-02-26" {
			t.Fatalf("line %d: not in the knowledge base as a 2026 record", r.line)
		}
		dn := r.infoValue("CLNDN")
		var names []string
		for _, c := range e.Conditions() {
			names = append(names, strings.ReplaceAll(c.Name, " ", "_"))
			for _, id := range c.IDs {
				if !strings.HasPrefix(id, "MONDO:") && !strings.HasPrefix(id, "MedGen:") && !strings.HasPrefix(id, "OMIM:") {
					t.Errorf("line %d: id %s", r.line, id)
				}
			}
		}
		if dn != strings.Join(names, "|") {
			t.Errorf("line %d: conditions %v, CLNDN %s", r.line, names, dn)
		}
		var mondo []string
		for _, c := range e.Conditions() {
			for _, id := range c.IDs {
				if strings.HasPrefix(id, "MONDO:") {
					mondo = append(mondo, id)
				}
			}
		}
		for _, db := range strings.FieldsFunc(r.infoValue("CLNDISDB"), func(r rune) bool { return r == '|' || r == ',' }) {
			if id, ok := strings.CutPrefix(db, "MONDO:"); ok && !slices.Contains(mondo, id) {
				t.Errorf("line %d: %s not kept (%v)", r.line, id, mondo)
			}
		}
		n++
	}
	if n < 30000 {
		t.Errorf("checked %d records", n)
	}
}

func TestParseConditions(t *testing.T) {
	for in, want := range map[string][]Condition{
		"":             nil,
		"not_provided": {{Name: "not provided"}},
		"Lynch_syndrome=MONDO:0005835,MedGen:C4552100|not_specified":          {{"Lynch syndrome", []string{"MONDO:0005835", "MedGen:C4552100"}}, {Name: "not specified"}},
		"Breast-ovarian_cancer,_familial,_susceptibility_to,_1=MONDO:0011450": {{"Breast-ovarian cancer, familial, susceptibility to, 1", []string{"MONDO:0011450"}}},
	} {
		if got := ParseConditions(in); !reflect.DeepEqual(got, want) {
			t.Errorf("ParseConditions(%q) = %+v, want %+v", in, got, want)
		}
	}
}
