package guideline

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/pgx"
)

// guidelineDir is the real recommendation data: ../shared/data/pgx/guidelines.
func guidelineDir(t testing.TB) string {
	return filepath.Join(oracle.Dir(t), "pgx", "guidelines")
}

// readFiles reads the data as the knowledge base carries it: name -> bytes.
func readFiles(t testing.TB) map[string][]byte {
	dir := guidelineDir(t)
	files := map[string][]byte{}
	for _, pat := range []string{"*.md", "*/*.json"} {
		names, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, n := range names {
			b, err := os.ReadFile(n)
			if err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel(dir, n)
			files[rel] = b
		}
	}
	return files
}

var (
	loadOnce sync.Mutex
	loaded   *Set
)

// load parses the real data once for the package's tests (a Set is immutable).
func load(t testing.TB) *Set {
	t.Helper()
	loadOnce.Lock()
	defer loadOnce.Unlock()
	if loaded == nil {
		s, err := Parse(readFiles(t))
		if err != nil {
			t.Fatal(err)
		}
		loaded = s
	}
	return loaded
}

// jsonRow is a recommendation as PharmCAT's JSON gives it, read here independently of Parse.
type jsonRow struct {
	ID        string
	HTML      string
	Strength  string
	LookupKey map[string]any
}

// jsonRows reads one PharmCAT v2.12.0 guideline file of the data.
func jsonRows(t *testing.T, file string) []jsonRow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(guidelineDir(t), "pharmcat-v2.12.0", file))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Recommendations []struct {
			ID             string
			Classification *struct{ Term string }
			Text           struct{ HTML string }
			LookupKey      map[string]any
		}
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	var out []jsonRow
	for _, r := range f.Recommendations {
		s := ""
		if r.Classification != nil {
			s = r.Classification.Term
		}
		out = append(out, jsonRow{r.ID, r.Text.HTML, s, r.LookupKey})
	}
	return out
}

// jsonByPhenotypes finds the JSON row keyed on exactly these phenotypes.
func jsonByPhenotypes(t *testing.T, file string, key map[string]string) jsonRow {
	t.Helper()
	for _, r := range jsonRows(t, file) {
		if len(r.LookupKey) != len(key) {
			continue
		}
		ok := true
		for g, p := range key {
			if v, _ := r.LookupKey[g].(string); v != p {
				ok = false
			}
		}
		if ok {
			return r
		}
	}
	t.Fatalf("%s: no row %v", file, key)
	return jsonRow{}
}

// mdQuote returns the quoted text of recommendation id in the Markdown, read independently of
// Parse (its "> " lines).
func mdQuote(t *testing.T, id string) string {
	t.Helper()
	md := string(readFiles(t)["ONCOLOGY_PGX_RECOMMENDATIONS.md"])
	i := strings.Index(md, "`"+id+"`")
	if i < 0 {
		t.Fatalf("no %s in the Markdown", id)
	}
	var out []string
	for _, l := range strings.Split(md[i:], "\n")[1:] {
		if strings.HasPrefix(l, "Implications:") || strings.HasPrefix(l, "**") || strings.HasPrefix(l, "#") {
			break
		}
		if strings.HasPrefix(l, ">") {
			out = append(out, strings.TrimPrefix(strings.TrimPrefix(l, ">"), " "))
		}
	}
	return strings.Join(out, "\n")
}

func TestParseData(t *testing.T) {
	s := load(t)
	count := map[string]int{}
	for _, g := range s.Guidelines {
		count[g.Source]++
		if g.Source == "CPIC" {
			if len(g.Rows) != 35 {
				t.Errorf("%s: %d rows, want 35", g.Name, len(g.Rows))
			}
			// every pair of the five phenotypes and "No Result" except (No Result, No Result)
			phen := []string{"Normal Metabolizer", "Intermediate Metabolizer", "Possible Intermediate Metabolizer", "Poor Metabolizer", "Indeterminate", NoResult}
			for _, tp := range phen {
				for _, np := range phen {
					if tp == NoResult && np == NoResult {
						continue
					}
					r := &pgx.Result{Gene: "TPMT"}
					if g.lookup(r, map[string]string{"TPMT": tp, "NUDT15": np}) == nil {
						t.Errorf("%s: no row for TPMT %s, NUDT15 %s", g.Drug, tp, np)
					}
				}
			}
		}
	}
	if want := map[string]int{"CPIC": 3, "DPWG": 7, "FDA": 2}; !mapsEqual(count, want) {
		t.Errorf("guidelines by source %v, want %v", count, want)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestParseRefuses: a JSON row whose words, key or strength differ from the Markdown, a missing
// JSON file and a malformed heading are refused, naming the file and what is wrong.
func TestParseRefuses(t *testing.T) {
	const dpwg = "pharmcat-v2.12.0/DPWG_irinotecan_and_UGT1A1.json"
	for _, tc := range []struct {
		name, file, old, new, want string
	}{
		{"text", dpwg, "Start with 70% of the normal dose", "Start with 75% of the normal dose", "text differs"},
		{"key", dpwg, `"UGT1A1": "Poor Metabolizer"`, `"UGT1A1": "Intermediate Metabolizer"`, "lookup key"},
		{"strength", "pharmcat-v2.12.0/CPIC_thioguanine_and_NUDT15_TPMT.json", `"term": "Strong"`, `"term": "Moderate"`, "strength"},
		{"heading", "ONCOLOGY_PGX_RECOMMENDATIONS.md", "### 2.7 irinotecan / UGT1A1 — Annotation of DPWG", "### 2.7 irinotecan / UGT1A1 — Notes on DPWG", "ONCOLOGY_PGX_RECOMMENDATIONS.md:"},
		{"row", "ONCOLOGY_PGX_RECOMMENDATIONS.md", "**UGT1A1 Poor Metabolizer** — strength: N/A", "**UGT1A1 Poor Metabolizer** strength N/A", "ONCOLOGY_PGX_RECOMMENDATIONS.md:"},
		{"missing", dpwg, "", "", "no PharmCAT JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := readFiles(t)
			if tc.old == "" {
				delete(files, tc.file)
			} else {
				b := files[tc.file]
				if !bytes.Contains(b, []byte(tc.old)) {
					t.Fatalf("%s has no %q", tc.file, tc.old)
				}
				files[tc.file] = bytes.Replace(b, []byte(tc.old), []byte(tc.new), 1)
			}
			_, err := Parse(files)
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrMalformed naming %q", err, tc.want)
			}
		})
	}
}

// TestTextsVerbatim: every row's text has the words of PharmCAT's JSON (CPIC, DPWG) and is
// the Markdown's quoted text with only the markup removed.
func TestTextsVerbatim(t *testing.T) {
	s := load(t)
	byID := map[string]string{}
	names, _ := filepath.Glob(filepath.Join(guidelineDir(t), "pharmcat-v2.12.0", "*.json"))
	for _, n := range names {
		for _, r := range jsonRows(t, filepath.Base(n)) {
			byID[r.ID] = r.HTML
		}
	}
	n := 0
	for _, g := range s.Guidelines {
		for _, r := range g.Rows {
			md := mdQuote(t, r.ID)
			if got, want := words(r.Text), words(md); got != want {
				t.Errorf("%s: text\n got %q\nwant %q", r.ID, got, want)
			}
			if h, ok := byID[r.ID]; ok {
				n++
				if words(h) != words(r.Text) {
					t.Errorf("%s: text differs from PharmCAT's JSON", r.ID)
				}
			} else if g.Source != "FDA" {
				t.Errorf("%s: no JSON row", r.ID)
			}
		}
	}
	if n != 3*35+3*6+7 {
		t.Errorf("%d rows checked against the JSON, want %d", n, 3*35+3*6+7)
	}
}

// TestRecommend: a constructed TPMT *1/*3A IM (with candidates), NUDT15 *1/*1 NM and UGT1A1
// *28/*28 PM; oracle: the PharmCAT JSON and the Markdown.
func TestRecommend(t *testing.T) {
	s := load(t)
	results := threeGenes()
	s.Recommend(results, nil)
	byGene := map[string]*pgx.Result{}
	for i := range results {
		byGene[results[i].Gene] = &results[i]
	}
	if got := genesOf(results); !slices.Equal(got, []string{"TPMT", "NUDT15", "UGT1A1"}) {
		t.Errorf("order %v without planned drugs, want the input order", got)
	}

	tpmt := byGene["TPMT"]
	for _, drug := range []string{"azathioprine", "mercaptopurine", "thioguanine"} {
		want := jsonByPhenotypes(t, "CPIC_"+drug+"_and_NUDT15_TPMT.json", map[string]string{"TPMT": "Intermediate Metabolizer", "NUDT15": "Normal Metabolizer"})
		rec := findRec(t, tpmt, drug, "CPIC")
		if words(rec.Text) != words(want.HTML) || rec.Strength != want.Strength || !strings.Contains(rec.Guideline, want.ID) {
			t.Errorf("TPMT %s CPIC: got %+v, want %s %q", drug, rec, want.ID, want.HTML)
		}
		if !strings.Contains(rec.Guideline, "not verified against PharmCAT 3.1.1") {
			t.Errorf("TPMT %s CPIC: the source does not say the IM row is unverified: %s", drug, rec.Guideline)
		}
		dp := jsonByPhenotypes(t, "DPWG_"+drug+"_and_TPMT.json", map[string]string{"TPMT": "Intermediate Metabolizer"})
		if rec := findRec(t, tpmt, drug, "DPWG"); words(rec.Text) != words(dp.HTML) {
			t.Errorf("TPMT %s DPWG: got %q, want %q", drug, rec.Text, dp.HTML)
		}
	}
	if tpmt.Alert.Severity != "moderate" || !slices.Equal(tpmt.Tags, []string{"treatment:thiopurine-reduce-dose"}) {
		t.Errorf("TPMT alert %+v tags %v, want moderate, treatment:thiopurine-reduce-dose", tpmt.Alert, tpmt.Tags)
	}
	for _, w := range []string{"TPMT Intermediate Metabolizer", "azathioprine", "reduce the starting dose", "CPIC, Strong", "DPWG"} {
		if !strings.Contains(tpmt.Alert.Message, w) {
			t.Errorf("TPMT alert %q lacks %q", tpmt.Alert.Message, w)
		}
	}

	nudt := byGene["NUDT15"]
	if nudt.Alert.Severity != "none" || len(nudt.Tags) != 0 {
		t.Errorf("NUDT15 NM (complete) alert %+v tags %v, want none and no tags", nudt.Alert, nudt.Tags)
	}
	if rec := findRec(t, nudt, "azathioprine", "CPIC"); !strings.Contains(rec.Guideline, "PA166297271") {
		t.Errorf("NUDT15 carries CPIC row %s, want the pair's PA166297271", rec.Guideline)
	}
	if !strings.Contains(nudt.Alert.Message, "follows TPMT Intermediate Metabolizer") {
		t.Errorf("NUDT15 alert %q does not point to TPMT", nudt.Alert.Message)
	}

	ugt := byGene["UGT1A1"]
	for _, c := range []struct{ drug, source, id string }{
		{"irinotecan", "DPWG", "PA166303201"}, {"irinotecan", "FDA", "PA166312562"}, {"sacituzumab govitecan", "FDA", "PA166313101"},
	} {
		rec := findRec(t, ugt, c.drug, c.source)
		if !strings.Contains(rec.Guideline, c.id) || words(rec.Text) != words(mdQuote(t, c.id)) {
			t.Errorf("UGT1A1 %s %s: got %+v, want %s", c.drug, c.source, rec, c.id)
		}
	}
	if want := []string{"treatment:irinotecan-reduce-start-dose", "follow-up:sacituzumab-govitecan-toxicity-monitoring"}; ugt.Alert.Severity != "moderate" || !sameSet(ugt.Tags, want) {
		t.Errorf("UGT1A1 alert %+v tags %v, want moderate, %v", ugt.Alert, ugt.Tags, want)
	}
	if _, ok := ugt.TagReasons["treatment:irinotecan-reduce-start-dose"]; !ok {
		t.Errorf("UGT1A1: no tag reason for the irinotecan tag")
	}
	// Recommend is idempotent (a reanalysis runs it again).
	again := slices.Clone(results)
	for i := range again {
		again[i].Tags = slices.Clone(again[i].Tags)
	}
	s.Recommend(again, nil)
	for i := range again {
		if again[i].Alert != results[i].Alert || !slices.Equal(again[i].Tags, results[i].Tags) || len(again[i].Recommendations) != len(results[i].Recommendations) {
			t.Errorf("%s: a second Recommend changed the result", again[i].Gene)
		}
	}
}

func sameSet(a, b []string) bool {
	return len(a) == len(b) && !slices.ContainsFunc(a, func(x string) bool { return !slices.Contains(b, x) })
}

func genesOf(rs []pgx.Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Gene)
	}
	return out
}

func findRec(t *testing.T, r *pgx.Result, drug, source string) pgx.Recommendation {
	t.Helper()
	for _, rec := range r.Recommendations {
		if rec.Drug == drug && strings.HasPrefix(rec.Guideline, source+":") {
			return rec
		}
	}
	t.Fatalf("%s: no %s recommendation for %s in %v", r.Gene, source, drug, r.Recommendations)
	return pgx.Recommendation{}
}

// threeGenes is the constructed report of the surfaces' tests: TPMT *1/*3A or *3B/*3C
// (unphased), NUDT15 *1/*1, UGT1A1 *28/*28, complete tests.
func threeGenes() []pgx.Result {
	return []pgx.Result{
		{Gene: "TPMT", Diplotype: "*1/*3A or *3B/*3C", Phenotype: "Intermediate Metabolizer", Complete: true},
		{Gene: "NUDT15", Diplotype: "*1/*1", Phenotype: "Normal Metabolizer", Complete: true},
		{Gene: "UGT1A1", Diplotype: "*28/*28", Phenotype: "Poor Metabolizer", Complete: true},
	}
}

// TestRecommendPairs checks the alert of each gene of a CPIC pair: the gene responsible for
// the dose change raises it, its normal partner does not, and nothing undetermined reads as
// normal.
func TestRecommendPairs(t *testing.T) {
	s := load(t)
	for _, tc := range []struct {
		name       string
		tpmt, nudt pgx.Result
		wantT      string // TPMT severity
		wantN      string // NUDT15 severity
		tagN       string
	}{
		{"NUDT15 PM", pgx.Result{Gene: "TPMT", Phenotype: "Normal Metabolizer", Diplotype: "*1/*1", Complete: true},
			pgx.Result{Gene: "NUDT15", Phenotype: "Poor Metabolizer", Diplotype: "*3/*3", Complete: true}, "none", "high", "treatment:thiopurine-avoid-or-drastically-reduce"},
		{"TPMT indeterminate", pgx.Result{Gene: "TPMT", Phenotype: "Indeterminate", UntestedPositions: []string{"rs1142345", "rs1800460"}},
			pgx.Result{Gene: "NUDT15", Phenotype: "Normal Metabolizer", Diplotype: "*1/*1", Complete: true}, "caution", "none", ""},
		{"NUDT15 incomplete normal", pgx.Result{Gene: "TPMT", Phenotype: "Normal Metabolizer", Diplotype: "*1/*1", Complete: true},
			pgx.Result{Gene: "NUDT15", Phenotype: "Normal Metabolizer", Diplotype: "*1/*1", UntestedPositions: []string{"rs116855232"}}, "none", "caution", tagConfirm},
		{"NUDT15 PIM", pgx.Result{Gene: "TPMT", Phenotype: "Normal Metabolizer", Diplotype: "*1/*1", Complete: true},
			pgx.Result{Gene: "NUDT15", Phenotype: "Possible Intermediate Metabolizer", Diplotype: "*1/*5", Complete: true}, "none", "moderate", "treatment:thiopurine-reduce-dose"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := []pgx.Result{tc.tpmt, tc.nudt}
			s.Recommend(rs, []string{"6-MP"})
			if rs[0].Alert.Severity != tc.wantT || rs[1].Alert.Severity != tc.wantN {
				t.Fatalf("severities TPMT %q (%s), NUDT15 %q (%s); want %q, %q", rs[0].Alert.Severity, rs[0].Alert.Message, rs[1].Alert.Severity, rs[1].Alert.Message, tc.wantT, tc.wantN)
			}
			if tc.tagN != "" && !slices.Contains(rs[1].Tags, tc.tagN) {
				t.Errorf("NUDT15 tags %v, want %s", rs[1].Tags, tc.tagN)
			}
			for _, r := range rs {
				if !r.Complete {
					for _, u := range r.UntestedPositions {
						if !strings.Contains(r.Alert.Message, u) {
							t.Errorf("%s alert %q does not name untested %s", r.Gene, r.Alert.Message, u)
						}
					}
					if !slices.Contains(r.Tags, tagConfirm) {
						t.Errorf("%s incomplete: tags %v lack %s", r.Gene, r.Tags, tagConfirm)
					}
				}
				if r.Alert.Severity != "none" && !Raises(r, []string{"6-MP"}) {
					t.Errorf("%s: %s alert not raised for 6-MP", r.Gene, r.Alert.Severity)
				}
				if Raises(r, []string{"FOLFIRI"}) {
					t.Errorf("%s raised for FOLFIRI", r.Gene)
				}
			}
		})
	}
}

// TestUGT1A1Rows: diplotype rows win over phenotype rows, in either allele order; an FDA label
// says nothing about a diplotype it does not name.
func TestUGT1A1Rows(t *testing.T) {
	s := load(t)
	for _, tc := range []struct {
		dip, phen string
		ids       []string
		severity  string
	}{
		{"*28/*1", "Intermediate Metabolizer", []string{"PA166299189", "PA166340421"}, "moderate"},
		{"*6/*28", "Poor Metabolizer", []string{"PA166299191", "PA166339421"}, "moderate"},
		{"*1/*1", "Normal Metabolizer", []string{"PA166299188"}, "none"},
		{"*1/*36", "Normal Metabolizer", []string{"PA166299188"}, "none"},
	} {
		rs := []pgx.Result{{Gene: "UGT1A1", Diplotype: tc.dip, Phenotype: tc.phen, Complete: true}}
		s.Recommend(rs, []string{"irinotecan"})
		var ids []string
		for _, r := range rs[0].Recommendations {
			for _, id := range tc.ids {
				if strings.Contains(r.Guideline, "recommendation "+id+")") {
					ids = append(ids, id)
				}
			}
		}
		if len(ids) != len(tc.ids) || len(rs[0].Recommendations) != len(tc.ids) || rs[0].Alert.Severity != tc.severity {
			t.Errorf("%s: recommendations %v severity %s; want rows %v, %s", tc.dip, rs[0].Recommendations, rs[0].Alert.Severity, tc.ids, tc.severity)
		}
	}
}

func TestVerified(t *testing.T) {
	s := load(t)
	n := 0
	for _, g := range s.Guidelines {
		for _, r := range g.Rows {
			if r.Verified {
				n++
				if !strings.Contains(g.cite(&r), "; identical in PharmCAT 3.1.1") {
					t.Errorf("%s: cite %q", r.ID, g.cite(&r))
				}
			}
		}
	}
	if n != 10 { // the Normal Metabolizer row of each of the ten CPIC and DPWG guidelines
		t.Errorf("%d verified rows, want 10", n)
	}
}

func TestPlannedDrugs(t *testing.T) {
	for _, tc := range []struct {
		planned []string
		genes   []string
	}{
		{[]string{"FOLFIRI"}, []string{"DPYD", "UGT1A1"}},
		{[]string{"folfirinox"}, []string{"DPYD", "UGT1A1"}},
		{[]string{"FOLFOXIRI"}, []string{"DPYD", "UGT1A1"}},
		{[]string{" Irinotecan "}, []string{"UGT1A1"}},
		{[]string{"Sacituzumab  Govitecan-hziy"}, []string{"UGT1A1"}},
		{[]string{"CAPOX"}, []string{"DPYD"}},
		{[]string{"FOLFOX", "5-FU"}, []string{"DPYD"}},
		{[]string{"capecitabine"}, []string{"DPYD"}},
		{[]string{"6-MP"}, []string{"TPMT", "NUDT15"}},
		{[]string{"Azathioprine", "irinotecan"}, []string{"TPMT", "NUDT15", "UGT1A1"}},
		{[]string{"tioguanine"}, []string{"TPMT", "NUDT15"}},
		{[]string{"oxaliplatin"}, nil},
		{[]string{"mFOLFOX6"}, []string{"DPYD"}},
		{[]string{"FOLFOX4"}, []string{"DPYD"}},
		{[]string{"mFOLFIRINOX"}, []string{"DPYD", "UGT1A1"}},
		{[]string{"FOLFIRI + bevacizumab"}, []string{"DPYD", "UGT1A1"}},
		{[]string{"bevacizumab+6-MP"}, []string{"TPMT", "NUDT15"}},
		{[]string{"methotrexate"}, nil}, // "m" + a name is not a regimen variant unless the rest is one
	} {
		if got := Genes(tc.planned); !slices.Equal(got, tc.genes) {
			t.Errorf("Genes(%q) = %v, want %v", tc.planned, got, tc.genes)
		}
	}
	rs := []pgx.Result{{Gene: "DPYD"}, {Gene: "TPMT"}, {Gene: "UGT1A1"}}
	Order(rs, []string{"irinotecan"})
	if got := genesOf(rs); !slices.Equal(got, []string{"UGT1A1", "DPYD", "TPMT"}) {
		t.Errorf("order for irinotecan %v", got)
	}
	high := pgx.Result{Gene: "DPYD", Alert: pgx.Alert{Severity: "high"}}
	if !Raises(high, nil) || !Raises(high, []string{"FOLFIRI"}) || Raises(high, []string{"azathioprine"}) || Raises(pgx.Result{Gene: "DPYD", Alert: pgx.Alert{Severity: "none"}}, nil) {
		t.Error("Raises: DPYD high raises without drugs and for FOLFIRI only; none never")
	}
}

// TestDrugGenes: the drug-gene table agrees with the guideline files' drugs and genes.
func TestDrugGenes(t *testing.T) {
	s := load(t)
	fromData := map[string][]string{}
	for _, g := range s.Guidelines {
		for _, gene := range g.Genes {
			if !slices.Contains(fromData[g.Drug], gene) {
				fromData[g.Drug] = append(fromData[g.Drug], gene)
			}
		}
	}
	for drug, genes := range fromData {
		if !sameSet(drugGenes[drug], genes) {
			t.Errorf("%s: table %v, guidelines %v", drug, drugGenes[drug], genes)
		}
		if drugClass[drug] == "" {
			t.Errorf("%s: no tag class", drug)
		}
	}
	for drug, genes := range drugGenes {
		if !slices.Contains(genes, "DPYD") && fromData[drug] == nil {
			t.Errorf("%s: in the table, in no guideline", drug)
		}
	}
}

func FuzzParse(f *testing.F) {
	files := readFiles(f)
	md := files["ONCOLOGY_PGX_RECOMMENDATIONS.md"]
	f.Add(md)
	f.Add(md[:len(md)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		in := map[string][]byte{}
		for k, v := range files {
			in[k] = v
		}
		in["ONCOLOGY_PGX_RECOMMENDATIONS.md"] = b
		s, err := Parse(in)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		for _, g := range s.Guidelines {
			for _, r := range g.Rows {
				if r.Text == "" || (r.Phenotypes == nil) == (r.Diplotype == "") {
					t.Fatalf("row %+v", r)
				}
			}
		}
	})
}

// TestRecommendKeepsCaveats: the caller's alert (a caveat of the calling engine) is kept after
// the guideline's message, and its higher severity is not lowered.
func TestRecommendKeepsCaveats(t *testing.T) {
	s := load(t)
	const caveat = "Undocumented allele at rs1800462; its effect is unknown."
	rs := []pgx.Result{{Gene: "TPMT", Diplotype: "*1/*1", Phenotype: "Normal Metabolizer", Complete: true, Alert: pgx.Alert{Severity: "caution", Message: caveat}}}
	s.Recommend(rs, nil)
	if rs[0].Alert.Severity != "caution" || !strings.HasSuffix(rs[0].Alert.Message, " "+caveat) || !strings.HasPrefix(rs[0].Alert.Message, "TPMT Normal Metabolizer (*1/*1): ") {
		t.Errorf("alert %+v", rs[0].Alert)
	}
	before := rs[0].Alert
	s.Recommend(rs, nil)
	if rs[0].Alert != before {
		t.Errorf("second Recommend: %+v, want %+v", rs[0].Alert, before)
	}
}

// TestTagRuleAgreesWithPhenotypes checks the text-derived action level of every row against
// what the row's key means clinically, read independently of the text: a poor metabolizer
// calls for avoiding the drug or a drastically reduced dose, an intermediate or possible
// intermediate metabolizer for a reduced dose, an undetermined or absent gene (with a normal
// partner) for close monitoring, a normal metabolizer for nothing. DPWG's irinotecan rows
// for intermediate metabolizers say "NO action" (DPWG 2022); the FDA labels ask for a reduced
// starting dose in homozygotes of *28 or *6 and close monitoring otherwise (Trodelvy:
// monitoring for every genotype it names).
func TestTagRuleAgreesWithPhenotypes(t *testing.T) {
	s := load(t)
	rank := map[string]int{"Normal Metabolizer": levelNone, "Indeterminate": levelMonitor, NoResult: levelMonitor,
		"Intermediate Metabolizer": levelReduce, "Possible Intermediate Metabolizer": levelReduce, "Poor Metabolizer": levelAvoid}
	dpwgIrinotecan := map[string]int{"Normal Metabolizer": levelNone, "Intermediate Metabolizer": levelNone, "Poor Metabolizer": levelReduce}
	n := 0
	for _, g := range s.Guidelines {
		for _, r := range g.Rows {
			want := -1
			switch {
			case g.Source == "FDA" && g.Drug == "sacituzumab govitecan":
				want = levelMonitor
			case r.Diplotype != "":
				a, b, _ := strings.Cut(r.Diplotype, "/")
				hom := func(x string) bool { return strings.HasSuffix(x, "*28") || x == "*6" }
				switch {
				case hom(a) && hom(b):
					want = levelReduce
				case g.Source == "FDA":
					want = levelMonitor
				default: // DPWG: *1/*28 and *1/*80+*28 are intermediate metabolizers
					want = levelNone
				}
			case g.Drug == "irinotecan":
				want = dpwgIrinotecan[r.Phenotypes["UGT1A1"]]
			default:
				for _, p := range r.Phenotypes {
					lv, ok := rank[p]
					if !ok {
						t.Fatalf("%s: phenotype %q", r.ID, p)
					}
					want = max(want, lv)
				}
			}
			n++
			if got := level(r.Text); got != want {
				t.Errorf("%s %s %s: level %d, want %d: %.120q", g.Source, g.Drug, r.key(), got, want, r.Text)
			}
		}
	}
	if n != 3*35+6*3+7+7+2 {
		t.Errorf("%d rows checked", n)
	}
}
