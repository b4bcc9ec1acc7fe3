package pgx

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Records used below, from DPYD_translation.json.
const (
	rs2A     = "rs3918290"  // c.1905+1G>A (*2A), no function, chr1:97450058 C>T
	rs13     = "rs55886062" // c.1679T>G (*13), no function
	rs9A     = "rs1801265"  // c.85T>C (*9A), normal function
	rs3      = "rs72549303" // c.1898delC (*3), no function, chr1:97450065 TG>T
	rs2846   = "rs67376798" // c.2846A>T, decreased function
	rs9B     = "rs1801267"  // c.2657G>A (*9B), normal function
	name2A   = "c.1905+1G>A (*2A)"
	name3    = "c.1898delC (*3)"
	name13   = "c.1679T>G (*13)"
	name9B   = "c.2657G>A (*9B)"
	name2846 = "c.2846A>T"
)

// novariant is PharmCAT's all-reference DPYD test VCF (all 83 positions, unphased).
func novariant(t testing.TB) string { return pgxData(t, "pharmcat", "tests", "DPYD_novariant.vcf") }

// edits rewrites records by rsID: a value "drop" removes the record, "GT" sets the genotype,
// "ALT GT" sets ALT and genotype, "GT:PS" with a phase set sets FORMAT GT:PS.
func edits(e map[string]string) func(f []string) []string {
	return func(f []string) []string {
		v, ok := e[f[2]]
		switch {
		case !ok:
			return f
		case v == "drop":
			return nil
		}
		if alt, gt, two := strings.Cut(v, " "); two {
			f[4], v = alt, gt
		}
		if strings.Contains(v, ":") {
			f[8] = "GT:PS"
		}
		f[9] = v
		return f
	}
}

func hasWarning(r Result, parts ...string) bool {
	for _, w := range r.Warnings {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(w, p)
		}
		if all {
			return true
		}
	}
	return false
}

// checkCPIC compares a two-allele result with CPIC's diplotype table.
func checkCPIC(t *testing.T, r Result, a, b string) {
	t.Helper()
	want := cpicLookup(t, a, b)
	if got := score(r); got != want.score {
		t.Errorf("activity score: got %s, want %s (CPIC %s/%s)", got, want.score, a, b)
	}
	if r.Phenotype != want.phenotype {
		t.Errorf("phenotype: got %q, want %q (CPIC %s/%s)", r.Phenotype, want.phenotype, a, b)
	}
}

// TestStar3Representations: c.1898delC (*3) written left-aligned (chr1:97450065 TG>T, the
// current definition) and as older PharmCAT files write it (chr1:97450066 GG>G) must call the
// same once normalised.
func TestStar3Representations(t *testing.T) {
	d := loadDef(t)
	var results []Result
	for _, rec := range []string{"97450065\trs72549303\tTG\tT", "97450066\trs72549303\tGG\tG"} {
		sites := editVCF(t, novariant(t), edits(map[string]string{rs3: "drop"}),
			"chr1\t"+rec+"\t.\tPASS\t.\tGT\t0/1")
		r := d.Call(sites, Options{})
		checkCPIC(t, r, referenceName, name3)
		if want := "Reference/" + name3; r.Diplotype != want {
			t.Errorf("%s: diplotype got %q, want %q", rec, r.Diplotype, want)
		}
		if len(r.UntestedPositions) != 0 || len(r.Warnings) != 0 {
			t.Errorf("%s: untested %q, warnings %q; want none", rec, r.UntestedPositions, r.Warnings)
		}
		results = append(results, r)
	}
	if jsonOf(t, results[0]) != jsonOf(t, results[1]) {
		t.Errorf("the two *3 representations differ:\n%+v\n%+v", results[0], results[1])
	}
	// The old test files carry *3 as GG>G with 0/0: the position counts as tested.
	r := d.Call(readVCF(t, pgxData(t, "pharmcat", "tests", "DPYD_c1156het.vcf")).sites[0], Options{})
	if slices.Contains(r.UntestedPositions, rs3) {
		t.Errorf("GG>G 0/0 at chr1:97450066 left %s untested", rs3)
	}
}

// TestUntested: positions removed from the input are listed; when one of them carries a
// decreased- or no-function allele the alert says the score could be lower.
func TestUntested(t *testing.T) {
	d := loadDef(t)
	for _, tc := range []struct {
		name      string
		drop      []string
		untested  []string
		diplotype string
		caveat    bool
	}{
		{"no-function positions", []string{rs13, rs2A}, []string{rs2A, rs13}, "Reference/Reference", true},
		{"normal-function position", []string{rs9A}, []string{rs9A}, "Reference/Reference", false},
		{"HapB3 intronic (causal) position", []string{hapB3IntronRSID}, []string{hapB3IntronRSID}, "Reference/Reference", true},
		{"HapB3 exonic tag with intronic tested", []string{hapB3ExonRSID}, []string{hapB3ExonRSID}, "Reference/Reference", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := map[string]string{}
			for _, rs := range tc.drop {
				e[rs] = "drop"
			}
			r := d.Call(editVCF(t, novariant(t), edits(e)), Options{})
			if !slices.Equal(r.UntestedPositions, tc.untested) {
				t.Errorf("untested: got %q, want %q", r.UntestedPositions, tc.untested)
			}
			if r.Diplotype != tc.diplotype || score(r) != "2.0" || r.Phenotype != "Normal Metabolizer" {
				t.Errorf("got %q %s %q, want %q 2.0 Normal Metabolizer (called from the tested positions)", r.Diplotype, score(r), r.Phenotype, tc.diplotype)
			}
			lower := strings.Contains(r.Alert.Message, "could be lower")
			if lower != tc.caveat || hasWarning(r, "could be lower") != tc.caveat {
				t.Errorf("caveat in alert %v / warnings %v, want %v: %q", lower, hasWarning(r, "could be lower"), tc.caveat, r.Alert.Message)
			}
			if got := slices.Contains(r.Tags, tagConfirm); got != tc.caveat {
				t.Errorf("confirmatory-testing tag: got %v, want %v", got, tc.caveat)
			}
			if tc.caveat {
				for _, rs := range tc.untested {
					if !strings.Contains(r.Alert.Message, rs) {
						t.Errorf("alert does not name %s: %q", rs, r.Alert.Message)
					}
				}
			}
			// The dropped Tier-1 positions make the test incomplete: caution, never none.
			wantSev := "none"
			if tc.caveat {
				wantSev = "caution"
			}
			if r.Alert.Severity != wantSev || !slices.Equal(r.Tags, slices.DeleteFunc(slices.Clone(r.Tags), func(s string) bool { return strings.HasPrefix(s, "treatment:") })) {
				t.Errorf("normal result: severity %q, tags %q", r.Alert.Severity, r.Tags)
			}
		})
	}
	// A result that is already the lowest possible needs no caveat.
	r := d.Call(editVCF(t, novariant(t), edits(map[string]string{rs2A: "1/1", rs13: "drop"})), Options{})
	if score(r) != "0.0" || strings.Contains(r.Alert.Message, "could be lower") {
		t.Errorf("*2A/*2A with *13 untested: got %s %q", score(r), r.Alert.Message)
	}
}

// TestHalfCall: one allele called, the other missing: the called haplotype is used, the
// position is reported and the caveat given.
func TestHalfCall(t *testing.T) {
	d := loadDef(t)
	for _, gt := range []string{"./1", ".|1", "1/.", "1"} {
		t.Run(gt, func(t *testing.T) {
			r := d.Call(editVCF(t, novariant(t), edits(map[string]string{rs2A: gt})), Options{})
			checkCPIC(t, r, referenceName, name2A)
			if want := "Reference/" + name2A; r.Diplotype != want {
				t.Errorf("diplotype: got %q, want %q", r.Diplotype, want)
			}
			if !hasWarning(r, rs2A, "half-call") {
				t.Errorf("no half-call warning naming %s: %q", rs2A, r.Warnings)
			}
			if !slices.Contains(r.UntestedPositions, rs2A) || !strings.Contains(r.Alert.Message, "could be lower") {
				t.Errorf("half-called %s: untested %q, alert %q", rs2A, r.UntestedPositions, r.Alert.Message)
			}
		})
	}
	r := d.Call(editVCF(t, novariant(t), edits(map[string]string{rs2A: "./0"})), Options{})
	if r.Diplotype != "Reference/Reference" || !strings.Contains(r.Alert.Message, "could be lower") {
		t.Errorf("./0 at *2A: got %q, alert %q; want Reference/Reference with the caveat", r.Diplotype, r.Alert.Message)
	}
}

// TestUndocumentedAllele: an ALT the definition does not know is scored as reference and
// named in a warning (CPIC/PharmCAT).
func TestUndocumentedAllele(t *testing.T) {
	d := loadDef(t)
	r := d.Call(editVCF(t, novariant(t), edits(map[string]string{rs2A: "A 0/1"})), Options{})
	checkCPIC(t, r, referenceName, referenceName)
	if !hasWarning(r, rs2A, "chr1:97450058 C>A", "not in the CPIC DPYD definition") {
		t.Errorf("no warning naming the undocumented allele: %q", r.Warnings)
	}
	// At a no-function position the clinician is told, and confirmation suggested.
	if !strings.Contains(r.Alert.Message, "chr1:97450058 C>A") || !slices.Contains(r.Tags, tagConfirm) {
		t.Errorf("alert %q, tags %q", r.Alert.Message, r.Tags)
	}
	// At a normal-function position (*9A, T>C defined) a warning is enough.
	r = d.Call(editVCF(t, novariant(t), edits(map[string]string{rs9A: "T 0/1"})), Options{})
	if !hasWarning(r, rs9A, "not in the CPIC DPYD definition") || strings.Contains(r.Alert.Message, "Unclassified") || len(r.Tags) != 0 {
		t.Errorf("undocumented allele at *9A: warnings %q, alert %q, tags %q", r.Warnings, r.Alert.Message, r.Tags)
	}
	// Multi-allelic record: the documented T is called, the undocumented A is reported.
	r = d.Call(editVCF(t, novariant(t), edits(map[string]string{rs2A: "A,T 1/2"})), Options{})
	checkCPIC(t, r, referenceName, name2A)
	if !hasWarning(r, "chr1:97450058 C>A") || hasWarning(r, "chr1:97450058 C>T") {
		t.Errorf("warnings: %q", r.Warnings)
	}
}

// TestMissingReference: with the reference policy untested positions are assumed reference,
// still listed, and the caveat says so.
func TestMissingReference(t *testing.T) {
	d := loadDef(t)
	sites := editVCF(t, novariant(t), edits(map[string]string{rs2A: "drop"}))
	r := d.Call(sites, Options{Missing: MissingReference})
	if r.MissingPolicy != MissingReference || !slices.Equal(r.UntestedPositions, []string{rs2A}) {
		t.Errorf("policy %q, untested %q", r.MissingPolicy, r.UntestedPositions)
	}
	if score(r) != "2.0" || !strings.Contains(r.Alert.Message, "assumed reference") || !strings.Contains(r.Alert.Message, "could be lower") {
		t.Errorf("got %s, alert %q", score(r), r.Alert.Message)
	}
	if r := d.Call(sites, Options{}); r.MissingPolicy != MissingNoCall {
		t.Errorf("default policy: got %q, want %q", r.MissingPolicy, MissingNoCall)
	}

	// HapB3 exonic tag heterozygous, intronic not in the input: no-call infers HapB3 from
	// the tag; assuming the intronic SNP reference, the intronic SNP decides: no HapB3.
	sites = editVCF(t, novariant(t), edits(map[string]string{hapB3IntronRSID: "drop", hapB3ExonRSID: "0/1"}))
	r = d.Call(sites, Options{})
	checkCPIC(t, r, referenceName, hapB3Name)
	if !hasWarning(r, "tag SNP") || !slices.Contains(r.Tags, tagConfirm) {
		t.Errorf("no-call: warnings %q, tags %q", r.Warnings, r.Tags)
	}
	r = d.Call(sites, Options{Missing: MissingReference})
	checkCPIC(t, r, referenceName, referenceName)
	if !hasWarning(r, "disagree") {
		t.Errorf("reference: no intronic/exonic mismatch warning: %q", r.Warnings)
	}

	// Nothing in the input at all.
	r = d.Call(nil, Options{Missing: MissingReference})
	if r.Diplotype != "Reference/Reference" || len(r.UntestedPositions) != 83 || !strings.Contains(r.Alert.Message, "83 DPYD positions not in the input and assumed reference") {
		t.Errorf("empty input, reference policy: %q, %d untested, %q", r.Diplotype, len(r.UntestedPositions), r.Alert.Message)
	}
	r = d.Call(nil, Options{Missing: "guess"})
	if r.MissingPolicy != MissingNoCall || !hasWarning(r, `"guess"`) {
		t.Errorf("unknown policy: %q, %q", r.MissingPolicy, r.Warnings)
	}
}

// TestIndeterminate: no DPYD position tested gives no call at all.
func TestIndeterminate(t *testing.T) {
	d := loadDef(t)
	allMissing := editVCF(t, novariant(t), func(f []string) []string { f[9] = "./."; return f })
	otherContig := editVCF(t, novariant(t), func(f []string) []string { f[0] = "chr2"; return f })
	for name, sites := range map[string][]Site{"no records": nil, "all ./.": allMissing, "other contig": otherContig} {
		t.Run(name, func(t *testing.T) {
			r := d.Call(sites, Options{})
			if r.ActivityScore != nil || r.Phenotype != "Indeterminate" || len(r.UntestedPositions) != 83 {
				t.Errorf("got %s %q, %d untested; want null Indeterminate, 83", score(r), r.Phenotype, len(r.UntestedPositions))
			}
			if r.Alert.Severity == "none" || !slices.Contains(r.Tags, tagConfirm) || len(r.Recommendations) != 0 {
				t.Errorf("alert %+v, tags %q, %d recommendations", r.Alert, r.Tags, len(r.Recommendations))
			}
		})
	}
}

// TestReferenceBlocks: gVCF reference blocks count as tested reference.
func TestReferenceBlocks(t *testing.T) {
	d := loadDef(t)
	pos := d.Positions()
	block := func(from, to int) Site {
		return Site{Chrom: "chr1", Pos: from, End: to, Ref: "N", RefBlock: true, Alleles: []Allele{{}}, GT: []int{0, 0}}
	}
	r := d.Call([]Site{block(pos[0].Pos-10, pos[len(pos)-1].Pos+10)}, Options{})
	if r.Diplotype != "Reference/Reference" || score(r) != "2.0" || len(r.UntestedPositions) != 0 || strings.Contains(r.Alert.Message, "could be lower") {
		t.Errorf("one block over DPYD: %q %s, untested %q", r.Diplotype, score(r), r.UntestedPositions)
	}
	// A block ending inside the *3 deletion (chr1:97450065-97450066) does not test it.
	r = d.Call([]Site{block(pos[0].Pos, 97450065), block(97450067, pos[len(pos)-1].Pos)}, Options{})
	if !slices.Equal(r.UntestedPositions, []string{rs3}) {
		t.Errorf("blocks around *3: untested %q, want [%s]", r.UntestedPositions, rs3)
	}
	// A variant record inside a block: the record decides its position.
	r = d.Call([]Site{block(pos[0].Pos, pos[len(pos)-1].Pos),
		{Chrom: "chr1", Pos: 97450058, Ref: "C", End: 97450058, Alleles: []Allele{{Pos: 97450058, Ref: "C", Alt: "T"}}, GT: []int{0, 1}}}, Options{})
	checkCPIC(t, r, referenceName, name2A)
}

// TestPhaseSets follows PharmCAT's DpydTest.psHapB: two phase sets whose relative phase is
// unknown give two possible diplotypes; the recommendation uses the lower activity score
// (PharmCAT's recommended diplotype there is c.1679T>G (*13)/c.1129-5923C>G).
func TestPhaseSets(t *testing.T) {
	d := loadDef(t)
	phased := func(ps map[string]string) func(f []string) []string {
		return func(f []string) []string {
			f[9] = strings.ReplaceAll(f[9], "/", "|")
			if v, ok := ps[f[2]]; ok {
				f[8], f[9] = "GT:PS", v
			}
			return f
		}
	}
	r := d.Call(editVCF(t, novariant(t), phased(map[string]string{
		rs9B: "0|1:1", rs13: "0|1:1", hapB3ExonRSID: "0|1:1", hapB3IntronRSID: "0|1:2"})), Options{})
	want := []string{
		"Reference/[" + hapB3Name + " + " + name13 + " + " + name9B + "]",
		hapB3IntronName + "/[" + name13 + " + " + name9B + "]",
	}
	got := strings.Split(r.Diplotype, " or ")
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("diplotypes: got %q, want %q", got, want)
	}
	checkCPIC(t, r, name13, hapB3IntronName)
	if r.Phased || !hasWarning(r, "phase sets") {
		t.Errorf("phased %v, warnings %q", r.Phased, r.Warnings)
	}
	// One phase set: one diplotype.
	r = d.Call(editVCF(t, novariant(t), phased(map[string]string{
		rs9B: "0|1:1", rs13: "0|1:1", hapB3ExonRSID: "0|1:1", hapB3IntronRSID: "0|1:1"})), Options{})
	if r.Diplotype != want[0] || !r.Phased {
		t.Errorf("one phase set: got %q (phased %v), want %q", r.Diplotype, r.Phased, want[0])
	}
	checkCPIC(t, r, referenceName, name13)
	// The same genotypes unphased: PharmCAT's list, scored by the two lowest values.
	r = d.Call(editVCF(t, novariant(t), edits(map[string]string{rs9B: "0/1", rs13: "0/1", hapB3ExonRSID: "0/1", hapB3IntronRSID: "0/1"})), Options{})
	if want := hapB3Name + " || " + name13 + " || " + name9B; r.Diplotype != want {
		t.Errorf("unphased: got %q, want %q", r.Diplotype, want)
	}
	checkCPIC(t, r, name13, hapB3Name)
}

// TestRecommendations checks the CPIC recommendation, strength, alert and tags for every
// activity score, on PharmCAT's test VCFs (scores from EXPECTED.md).
func TestRecommendations(t *testing.T) {
	d := loadDef(t)
	for _, tc := range []struct {
		file, score, strength, severity, tag, text string
	}{
		{"DPYD_novariant.vcf", "2.0", "strong", "none", "", "no indication to change dose"},
		{"DPYD_c2846het.vcf", "1.5", "moderate", "moderate", tagReduce, "Reduce starting dose by 50%"},
		{"DPYD_c1156het.vcf", "1.0", "strong", "moderate", tagReduce, "Reduce starting dose by 50%"},
		{"DPYD_c557c703.vcf", "0.5", "strong", "high", tagAvoid, "strongly reduced dose with early therapeutic drug monitoring"},
		{"DPYD_c1679c1156.vcf", "0.0", "strong", "high", tagAvoid, "Avoid use of 5-fluorouracil"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			r := d.Call(readVCF(t, pgxData(t, "pharmcat", "tests", tc.file)).sites[0], Options{})
			if score(r) != tc.score {
				t.Fatalf("activity score: got %s, want %s", score(r), tc.score)
			}
			var drugs []string
			for _, rec := range r.Recommendations {
				drugs = append(drugs, rec.Drug)
				if rec.Strength != tc.strength || !strings.Contains(rec.Text, tc.text) || !strings.Contains(rec.Guideline, "CPIC") || !strings.Contains(rec.Guideline, "2018") {
					t.Errorf("%s: got %+v, want strength %q and text with %q", rec.Drug, rec, tc.strength, tc.text)
				}
			}
			if !slices.Equal(drugs, []string{"fluorouracil", "capecitabine"}) {
				t.Errorf("drugs: got %q", drugs)
			}
			if r.Alert.Severity != tc.severity || !strings.Contains(r.Alert.Message, "activity score "+tc.score) || !strings.Contains(r.Alert.Message, "CPIC, "+tc.strength) {
				t.Errorf("alert: got %+v", r.Alert)
			}
			var wantTags []string
			if tc.tag != "" {
				wantTags = []string{tc.tag}
			}
			if !slices.Equal(r.Tags, wantTags) && !(len(r.Tags) == 0 && len(wantTags) == 0) {
				t.Errorf("tags: got %q, want %q", r.Tags, wantTags)
			}
		})
	}
	// c.2846A>T homozygous (activity score 1): the November 2018 note on >50% reduction.
	r := d.Call(editVCF(t, novariant(t), edits(map[string]string{rs2846: "1/1"})), Options{})
	checkCPIC(t, r, name2846, name2846)
	if !strings.Contains(r.Recommendations[0].Text, "more than 50%") {
		t.Errorf("c.2846A>T homozygous: %q", r.Recommendations[0].Text)
	}
}

// TestConcurrentCalls runs calls on one Definition from many goroutines (go test -race).
func TestConcurrentCalls(t *testing.T) {
	d := loadDef(t)
	v := readVCF(t, pgxData(t, "pharmcat", "tests", "100samples.vcf.bgz"))
	const workers = 4
	want := make([]string, len(v.sites))
	for i, s := range v.sites {
		want[i] = jsonOf(t, d.Call(s, Options{}))
	}
	var wg sync.WaitGroup
	errs := make(chan string, workers*len(v.sites))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, s := range v.sites {
				if got := jsonOf(t, d.Call(s, Options{})); got != want[i] {
					errs <- fmt.Sprintf("sample %s: got %s, want %s", v.samples[i], got, want[i])
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func jsonOf(t testing.TB, r Result) string {
	b, err := json.Marshal(r)
	if err != nil {
		t.Error(err)
	}
	return string(b)
}
