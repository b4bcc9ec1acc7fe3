package pgx

import (
	"bytes"
	"encoding/json"

	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/testfile"
	"github.com/precis-dx/precis/internal/variant"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var (
	namedOnce sync.Map // gene -> *namedLoad
)

type namedLoad struct {
	once sync.Once
	d    *Definition
	err  error
}

// loadNamed loads the real PharmCAT definition of a named-allele gene once per test binary.
func loadNamed(t testing.TB, gene string) *Definition {
	t.Helper()
	v, _ := namedOnce.LoadOrStore(gene, &namedLoad{})
	l := v.(*namedLoad)
	tr := testfile.Read(t, pgxData(t, "pharmcat", gene+"_translation.json"))
	ph := testfile.Read(t, pgxData(t, "pharmcat", gene+"_phenotype.json"))
	l.once.Do(func() { l.d, l.err = LoadDefinition(tr, ph) })
	if l.err != nil {
		t.Fatalf("LoadDefinition(%s): %v", gene, l.err)
	}
	return l.d
}

func candidateNames(r Result) []string {
	var out []string
	for _, c := range r.Candidates {
		out = append(out, c.Diplotype)
	}
	return out
}

// TestPharmCATTestFiles runs every PharmCAT test VCF of TPMT, NUDT15 and UGT1A1. Asserted
// files (tests/EXPECTED_ONCO.md) must give PharmCAT's candidate list exactly, in PharmCAT's
// order; files no PharmCAT test asserts on carry the expectation this caller documents (the
// method applied by hand: null = reference, missing positions dropped, undocumented TPMT
// alleles as reference).
func TestPharmCATTestFiles(t *testing.T) {
	tests := readExpected(t, filepath.Join("testdata", "pharmcat_expected.tsv"))
	schema := pgxSchema(t)
	files := map[string]bool{}
	for _, g := range []string{"TPMT", "NUDT15", "UGT1A1"} {
		fs, _ := filepath.Glob(pgxData(t, "pharmcat", "tests", g, "*.vcf"))
		for _, f := range fs {
			files[g+"/"+filepath.Base(f)] = true
		}
	}
	for _, tc := range tests {
		delete(files, tc.gene+"/"+tc.file)
		t.Run(tc.gene+"/"+tc.file, func(t *testing.T) {
			d := loadNamed(t, tc.gene)
			r := d.Call(readVCF(t, pgxData(t, "pharmcat", "tests", tc.gene, tc.file)).sites[0], Options{})
			if got := candidateNames(r); !slices.Equal(got, tc.want) {
				t.Errorf("candidates = %q, want %q (asserted by PharmCAT: %v)", got, tc.want, tc.asserted)
			}
			if r.Phenotype != tc.phenotype || r.Alert.Severity != tc.severity {
				t.Errorf("phenotype %q severity %q, want %q %q (%s)", r.Phenotype, r.Alert.Severity, tc.phenotype, tc.severity, r.Alert.Message)
			}
			if r.ActivityScore != nil {
				t.Errorf("activity score %v, want nil", *r.ActivityScore)
			}
			validateResult(t, schema, r)
			if tc.want == nil && (r.Diplotype != unknownDiplotype || !slices.Contains(r.Tags, tagConfirm)) {
				t.Errorf("no call: diplotype %q tags %v", r.Diplotype, r.Tags)
			}
			if !r.Complete && r.Alert.Severity == "none" {
				t.Errorf("incomplete test reads as normal: %s", r.Alert.Message)
			}
			if len(r.UntestedPositions) > 0 && r.Complete {
				t.Errorf("untested %v but complete", r.UntestedPositions)
			}
		})
	}
	if len(files) > 0 {
		t.Errorf("test files without an expectation: %v", files)
	}
}

// expected is one row of testdata/pharmcat_expected.tsv.
type expected struct {
	gene, file          string
	want                []string // all candidates, PharmCAT order; nil = not called
	asserted            bool
	phenotype, severity string
}

func readExpected(t testing.TB, path string) []expected {
	t.Helper()
	var out []expected
	for i, line := range strings.Split(string(testfile.Read(t, path)), "\n") {
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "gene\t") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 6 {
			t.Fatalf("%s line %d: %d columns, want 6", path, i+1, len(f))
		}
		e := expected{gene: f[0], file: f[1], asserted: f[3] == "yes", phenotype: f[4], severity: f[5]}
		if f[2] != "-" {
			e.want = strings.Split(f[2], ",")
		}
		out = append(out, e)
	}
	return out
}

// TestPharmCATTopCandidate: PharmCAT's pipeline default reports only the highest-scoring
// candidate(s) (EXPECTED_ONCO.md: ugt1a1s28s80unphasedTopCandidateOnly, testTpmtStar1s).
func TestPharmCATTopCandidate(t *testing.T) {
	for _, tc := range []struct{ gene, file, want string }{
		{"UGT1A1", "s28s80unphased.vcf", "*1/*80+*28"},
		{"TPMT", "s3bs3c.vcf", "*1/*3A"},
		{"UGT1A1", "s6s60s80s28missingunphased.vcf", "*6/*80 or *6/*80+*28 or *6/*80+*37"},
	} {
		r := loadNamed(t, tc.gene).Call(readVCF(t, pgxData(t, "pharmcat", "tests", tc.gene, tc.file)).sites[0], Options{})
		if r.Diplotype != tc.want {
			t.Errorf("%s %s: diplotype %q, want %q", tc.gene, tc.file, r.Diplotype, tc.want)
		}
		if len(r.Candidates) > 1 && !r.PhenotypeAmbiguous {
			t.Errorf("%s %s: candidates with different phenotypes not flagged: %+v", tc.gene, tc.file, r.Candidates)
		}
	}
}

// namedDefinitionJSON is the test's own reading of a PharmCAT definition and phenotype table,
// independent of the package's loader.
type namedDefinitionJSON struct {
	Chromosome string `json:"chromosome"`
	Variants   []struct {
		Position int      `json:"position"`
		Ref      string   `json:"ref"`
		Alts     []string `json:"alts"`
	} `json:"variants"`
	NamedAlleles []struct {
		Name      string    `json:"name"`
		Alleles   []*string `json:"alleles"`
		Reference bool      `json:"reference"`
	} `json:"namedAlleles"`
}

type rawPhenotype struct {
	Diplotypes []struct {
		Key       map[string]int `json:"diplotypekey"`
		Phenotype string         `json:"generesult"`
	} `json:"diplotypes"`
}

// fullAllele is an allele's base at every position (null cells filled with REF).
func (r *namedDefinitionJSON) fullAllele(i int) []string {
	out := make([]string, len(r.Variants))
	for p, a := range r.NamedAlleles[i].Alleles {
		out[p] = r.Variants[p].Ref
		if a != nil {
			out[p] = *a
		}
	}
	return out
}

func (r *namedDefinitionJSON) score(i int) int {
	n := 0
	for _, a := range r.NamedAlleles[i].Alleles {
		if a != nil {
			n++
		}
	}
	return n
}

// sitesFor writes one record per definition position for two haplotypes, with the ALTs in
// reverse definition order (GT resolved through the record's own ALT list) and normalised
// as the annotator does.
func (r *namedDefinitionJSON) sitesFor(h1, h2 []string, phased bool) []Site {
	var out []Site
	for p, v := range r.Variants {
		alts := slices.Clone(v.Alts)
		slices.Reverse(alts)
		s := Site{Chrom: r.Chromosome, Pos: v.Position, Ref: v.Ref, End: v.Position + len(v.Ref) - 1, Phased: phased, DP: -1, GQ: -1}
		for _, a := range alts {
			n := variant.Normalize(variant.Variant{Chrom: r.Chromosome, Pos: v.Position, Ref: v.Ref, Alt: a}, nil)
			s.Alleles = append(s.Alleles, Allele{Pos: n.Pos, Ref: n.Ref, Alt: n.Alt})
		}
		idx := func(b string) int {
			if b == v.Ref {
				return 0
			}
			return slices.Index(alts, b) + 1
		}
		s.GT = []int{idx(h1[p]), idx(h2[p])}
		if !phased && s.GT[0] > s.GT[1] {
			s.GT[0], s.GT[1] = s.GT[1], s.GT[0]
		}
		out = append(out, s)
	}
	return out
}

// TestEveryDiplotype builds, for every pair of named alleles of each gene, the genotypes of
// that diplotype from the definition, phased and unphased. Phased: exactly that diplotype,
// with the phenotype table's phenotype. Unphased: a candidate list containing it, whose top
// is what PharmCAT picks, found here by brute force over every pair of named alleles that
// gives the same unphased genotypes (highest score first; ties in name order).
func TestEveryDiplotype(t *testing.T) {
	for _, gene := range []string{"TPMT", "NUDT15", "UGT1A1"} {
		t.Run(gene, func(t *testing.T) {
			d := loadNamed(t, gene)
			var raw namedDefinitionJSON
			if err := json.Unmarshal(testfile.Read(t, pgxData(t, "pharmcat", gene+"_translation.json")), &raw); err != nil {
				t.Fatal(err)
			}
			var ph rawPhenotype
			if err := json.Unmarshal(testfile.Read(t, pgxData(t, "pharmcat", gene+"_phenotype.json")), &ph); err != nil {
				t.Fatal(err)
			}
			table := map[string]string{}
			for _, row := range ph.Diplotypes {
				var ns []string
				for n, c := range row.Key {
					for range c {
						ns = append(ns, n)
					}
				}
				slices.Sort(ns)
				table[strings.Join(ns, "/")] = row.Phenotype
			}
			lookup := func(a, b string) string {
				ns := []string{a, b}
				slices.Sort(ns)
				if p, ok := table[strings.Join(ns, "/")]; ok {
					return p
				}
				return "Indeterminate"
			}
			n := len(raw.NamedAlleles)
			full := make([][]string, n)
			for i := range n {
				full[i] = raw.fullAllele(i)
			}
			// unphasedKey is the multiset of alleles per position.
			unphasedKey := func(a, b int) string {
				var sb strings.Builder
				for p := range raw.Variants {
					x, y := full[a][p], full[b][p]
					if x > y {
						x, y = y, x
					}
					sb.WriteString(x + "/" + y + ";")
				}
				return sb.String()
			}
			name := func(a, b int) string {
				if compareAlleleNames(raw.NamedAlleles[a].Name, raw.NamedAlleles[a].Reference, raw.NamedAlleles[b].Name, raw.NamedAlleles[b].Reference) > 0 {
					a, b = b, a
				}
				return raw.NamedAlleles[a].Name + "/" + raw.NamedAlleles[b].Name
			}
			byKey := map[string][][2]int{}
			for a := range n {
				for b := a; b < n; b++ {
					k := unphasedKey(a, b)
					byKey[k] = append(byKey[k], [2]int{a, b})
				}
			}
			pairs := 0
			for a := range n {
				for b := a; b < n; b++ {
					pairs++
					want := name(a, b)
					wantPheno := lookup(raw.NamedAlleles[a].Name, raw.NamedAlleles[b].Name)
					r := d.Call(raw.sitesFor(full[a], full[b], true), Options{})
					if r.Diplotype != want || len(r.Candidates) != 1 || r.Phenotype != wantPheno {
						t.Errorf("phased %s: diplotype %q (%d candidates), phenotype %q; want %q, %q", want, r.Diplotype, len(r.Candidates), r.Phenotype, want, wantPheno)
						continue
					}
					if !r.Complete || r.Candidates[0].Score != raw.score(a)+raw.score(b) && !(raw.NamedAlleles[a].Reference || raw.NamedAlleles[b].Reference) {
						t.Errorf("phased %s: complete %v score %d", want, r.Complete, r.Candidates[0].Score)
					}
					wantSev := map[string]string{"Normal Metabolizer": "none", "Intermediate Metabolizer": "moderate", "Possible Intermediate Metabolizer": "moderate", "Poor Metabolizer": "high"}[wantPheno]
					if wantSev == "" {
						wantSev = "caution"
					}
					if r.Alert.Severity != wantSev {
						t.Errorf("phased %s: severity %q, want %q", want, r.Alert.Severity, wantSev)
					}
					// Unphased.
					u := d.Call(raw.sitesFor(full[a], full[b], false), Options{})
					if !slices.Contains(candidateNames(u), want) {
						t.Errorf("unphased %s: candidates %q do not contain it", want, candidateNames(u))
						continue
					}
					same := byKey[unphasedKey(a, b)]
					var exp []string
					best := -1
					for _, pr := range same {
						s := raw.score(pr[0]) + raw.score(pr[1])
						if raw.NamedAlleles[pr[0]].Reference {
							s = len(raw.Variants) + raw.score(pr[1])
						}
						if raw.NamedAlleles[pr[1]].Reference {
							s = raw.score(pr[0]) + len(raw.Variants)
						}
						if raw.NamedAlleles[pr[0]].Reference && raw.NamedAlleles[pr[1]].Reference {
							s = 2 * len(raw.Variants)
						}
						if s > best {
							best, exp = s, nil
						}
						if s == best {
							exp = append(exp, name(pr[0], pr[1]))
						}
					}
					slices.SortFunc(exp, func(x, y string) int { return compareDiplotypeNames(raw, x, y) })
					if u.Diplotype != strings.Join(exp, " or ") || len(u.Candidates) != len(same) {
						t.Errorf("unphased %s: top %q (%d candidates), want top %q (%d pairs give these genotypes)", want, u.Diplotype, len(u.Candidates), strings.Join(exp, " or "), len(same))
					}
				}
			}
			t.Logf("%s: %d diplotypes checked phased and unphased", gene, pairs)
		})
	}
}

// compareAlleleNames is PharmCAT's allele order (reference first, then by name) for the
// test's brute force.
func compareAlleleNames(a string, aRef bool, b string, bRef bool) int {
	switch {
	case aRef && !bRef:
		return -1
	case bRef && !aRef:
		return 1
	}
	return compareStar(a, b)
}

func compareDiplotypeNames(raw namedDefinitionJSON, x, y string) int {
	isRef := func(n string) bool {
		i := slices.IndexFunc(raw.NamedAlleles, func(a struct {
			Name      string    `json:"name"`
			Alleles   []*string `json:"alleles"`
			Reference bool      `json:"reference"`
		}) bool {
			return a.Name == n
		})
		return raw.NamedAlleles[i].Reference
	}
	xa, xb, _ := strings.Cut(x, "/")
	ya, yb, _ := strings.Cut(y, "/")
	if c := compareAlleleNames(xa, isRef(xa), ya, isRef(ya)); c != 0 {
		return c
	}
	return compareAlleleNames(xb, isRef(xb), yb, isRef(yb))
}

// TestTARepeatRepresentations: the UGT1A1 TA repeat written in other ALT orders and
// representations gives the same call.
func TestTARepeatRepresentations(t *testing.T) {
	d := loadNamed(t, "UGT1A1")
	head := "chr2\t233759924\trs887829\tC\tT\t.\tPASS\t.\tGT\t0/0\n"
	tail := "chr2\t233760498\trs4148323\tG\t.\t.\tPASS\t.\tGT\t0/0\nchr2\t233760973\trs35350960\tC\t.\t.\tPASS\t.\tGT\t0/0\n"
	for _, tc := range []struct{ name, rec, want string }{
		{"definition order", "chr2\t233760233\trs3064744\tCAT\tC,CATAT,CATATAT\t.\tPASS\t.\tGT\t2/3", "*28/*37"},
		{"PharmCAT test order, ID .", "chr2\t233760233\t.\tCAT\tCATAT,C,CATATAT\t.\tPASS\t.\tGT\t1/3", "*28/*37"},
		{"one ALT", "chr2\t233760233\t.\tCAT\tCATAT\t.\tPASS\t.\tGT\t1/1", "*28/*28"},
		{"longer REF", "chr2\t233760233\trs3064744\tCATATAT\tCATATATAT,CATAT\t.\tPASS\t.\tGT\t1/2", "*28/*36"},
		{"deletion", "chr2\t233760233\t.\tCAT\tC\t.\tPASS\t.\tGT\t0/1", "*1/*36"},
	} {
		v, err := parseVCF(strings.NewReader("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n"+head+tc.rec+"\n"+tail), nil)
		if err != nil {
			t.Fatal(err)
		}
		r := d.Call(v.sites[0], Options{})
		if r.Diplotype != tc.want {
			t.Errorf("%s: %q, want %q (%v)", tc.name, r.Diplotype, tc.want, r.Warnings)
		}
	}
	// An ALT the definition does not know: UGT1A1 is not called (PharmCAT), never normal.
	v, _ := parseVCF(strings.NewReader("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n"+head+"chr2\t233760233\t.\tCAT\tCATATATATAT\t.\tPASS\t.\tGT\t0/1\n"+tail), nil)
	r := d.Call(v.sites[0], Options{})
	if r.Diplotype != unknownDiplotype || r.Alert.Severity == "none" || !slices.Contains(r.Tags, tagConfirm) {
		t.Errorf("undocumented TA repeat: %q %q %v", r.Diplotype, r.Alert.Severity, r.Tags)
	}
}

// TestNamedMissingPolicy: under MissingReference absent positions are assumed reference
// and the result says so; nothing tested at all gives no call.
func TestNamedMissingPolicy(t *testing.T) {
	d := loadNamed(t, "TPMT")
	sites := readVCF(t, pgxData(t, "pharmcat", "tests", "TPMT", "s1s1.vcf")).sites[0]
	r := d.Call(sites, Options{Missing: MissingReference})
	if r.Diplotype != "*1/*1" || r.Complete || r.Alert.Severity != "caution" || len(r.UntestedPositions) != 13 {
		t.Errorf("reference policy: %q complete %v severity %q untested %d", r.Diplotype, r.Complete, r.Alert.Severity, len(r.UntestedPositions))
	}
	r = d.Call(nil, Options{})
	if r.Diplotype != unknownDiplotype || r.Phenotype != "Indeterminate" || r.Alert.Severity != "caution" || len(r.UntestedPositions) != 43 {
		t.Errorf("no sites: %q %q %q %d", r.Diplotype, r.Phenotype, r.Alert.Severity, len(r.UntestedPositions))
	}

}

// validateResult checks a Result's JSON against the report schema's pgx entry.
func validateResult(t *testing.T, schema *jsonschema.Schema, r Result) {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(v); err != nil {
		t.Errorf("%s result does not follow the report schema: %v", r.Gene, err)
	}
}

// TestSplitRecords: a position written as two records (a split multi-allelic site) is read
// from the record whose genotype carries the ALT, whatever the order.
func TestSplitRecords(t *testing.T) {
	d := loadNamed(t, "TPMT")
	base := readVCF(t, pgxData(t, "pharmcat", "tests", "TPMT", "s1s1.vcf")).sites[0]
	for _, order := range []string{"ref first", "alt first"} {
		refRec := Site{Chrom: "chr6", Pos: 18143724, Ref: "C", End: 18143724, Alleles: []Allele{{Pos: 18143724, Ref: "C", Alt: "T"}}, GT: []int{0, 0}, DP: -1, GQ: -1}
		altRec := Site{Chrom: "chr6", Pos: 18143724, Ref: "C", End: 18143724, Alleles: []Allele{{Pos: 18143724, Ref: "C", Alt: "G"}}, GT: []int{0, 1}, DP: -1, GQ: -1}
		sites := slices.DeleteFunc(slices.Clone(base), func(s Site) bool { return s.Pos == 18143724 })
		if order == "ref first" {
			sites = append(sites, refRec, altRec)
		} else {
			sites = append(sites, altRec, refRec)
		}
		if r := d.Call(sites, Options{}); r.Diplotype != "*1/*2" {
			t.Errorf("%s: %q, want *1/*2 (%v)", order, r.Diplotype, r.Warnings)
		}
	}
}

// BenchmarkCallFourGenes measures the calls alone (no VCF reading): DPYD, UGT1A1, TPMT and
// NUDT15 for each of the 100 samples of PharmCAT's test file, parsed once (a plain VCF of
// GT only, as PharmCAT reads it: no depth thresholds).
//
//	go test -run '^$' -bench BenchmarkCallFourGenes ./internal/pgx
func BenchmarkCallFourGenes(b *testing.B) {
	v := readVCF(b, pgxData(b, "pharmcat", "tests", "100samples.vcf.bgz"))
	defs := []*Definition{loadDef(b), loadNamed(b, "UGT1A1"), loadNamed(b, "TPMT"), loadNamed(b, "NUDT15")}
	samples := 0
	for b.Loop() {
		for _, sites := range v.sites {
			for _, d := range defs {
				if r := d.Call(sites, Options{}); r.Gene == "" {
					b.Fatal("no gene")
				}
			}
			samples++
		}
	}
	ns := float64(b.Elapsed().Nanoseconds()) / float64(samples)
	b.ReportMetric(ns, "ns/sample")
	b.ReportMetric(1e9/ns, "samples/s")
}

// FuzzNamedCall feeds the named-allele genes single-sample VCF records seeded from every
// PharmCAT test VCF of TPMT, NUDT15 and UGT1A1 and checks the invariants of a result: no
// panic, candidates in PharmCAT order, "none" only for a complete normal test, no activity
// score, a no-call never normal.
func FuzzNamedCall(f *testing.F) {
	defs := map[string]*Definition{}
	for _, g := range []string{"TPMT", "NUDT15", "UGT1A1"} {
		defs[g] = loadNamed(f, g)
		for _, b := range testfile.Glob(f, pgxData(f, "pharmcat", "tests", g, "*.vcf")) {
			var recs []string
			for _, l := range strings.Split(string(b), "\n") {
				if l != "" && !strings.HasPrefix(l, "#") {
					recs = append(recs, l)
				}
			}
			f.Add(g, strings.Join(recs, "\n"))
		}
	}
	f.Fuzz(func(t *testing.T, gene, text string) {
		d := defs[gene]
		if d == nil {
			return
		}
		var sites []Site
		for _, line := range strings.Split(text, "\n") {
			ss, err := parseRecord(line, nil)
			if err != nil || len(ss) != 1 {
				continue
			}
			sites = append(sites, ss[0])
		}
		r := d.Call(sites, Options{})
		if r.ActivityScore != nil || r.Gene != gene {
			t.Fatalf("gene %q activity score %v", r.Gene, r.ActivityScore)
		}
		for i := 1; i < len(r.Candidates); i++ {
			if r.Candidates[i].Score > r.Candidates[i-1].Score {
				t.Fatalf("candidates out of order: %+v", r.Candidates)
			}
		}
		switch {
		case r.Alert.Severity == "none" && (!r.Complete || r.Phenotype != "Normal Metabolizer" || r.PhenotypeAmbiguous):
			t.Fatalf("normal alert for %q complete %v: %s", r.Phenotype, r.Complete, r.Alert.Message)
		case len(r.Candidates) == 0 && (r.Diplotype != unknownDiplotype || r.Phenotype != "Indeterminate"):
			t.Fatalf("no candidates but %q %q", r.Diplotype, r.Phenotype)
		case len(r.Candidates) > 0 && !strings.HasPrefix(r.Diplotype, r.Candidates[0].Diplotype):
			t.Fatalf("call %q is not the top candidate %q", r.Diplotype, r.Candidates[0].Diplotype)
		}
	})
}

// TestNUDT15IndelAndPartial: the NUDT15 multi-allelic indel written with its shortest
// anchor (A>AGGAGTC) is *6; a partial ALT call gives no call, as PharmCAT (partial genotypes);
// a partial reference call leaves the position untested.
func TestNUDT15IndelAndPartial(t *testing.T) {
	d := loadNamed(t, "NUDT15")
	base := readVCF(t, pgxData(t, "pharmcat", "tests", "NUDT15", "refref.vcf")).sites[0]
	with := func(recs ...string) []Site {
		sites := slices.DeleteFunc(slices.Clone(base), func(s Site) bool { return s.Pos == 48037782 || s.Pos == 48045719 })
		for _, rec := range recs {
			ss, err := parseRecord(rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			sites = append(sites, ss[0])
		}
		return sites
	}
	ref3 := "chr13\t48045719\trs116855232\tC\tT\t.\tPASS\t.\tGT\t0/0"
	if r := d.Call(with("chr13\t48037782\t.\tA\tAGGAGTC\t.\tPASS\t.\tGT\t0/1", ref3), Options{}); r.Diplotype != "*1/*6" {
		t.Errorf("short indel: %q %v", r.Diplotype, r.Warnings)
	}
	if r := d.Call(with("chr13\t48037782\t.\tAGGAGTC\tA,AGGAGTCGGAGTC\t.\tPASS\t.\tGT\t1/2", ref3), Options{}); r.Diplotype != "*6/*9" {
		t.Errorf("both indels: %q", r.Diplotype)
	}
	r := d.Call(with("chr13\t48045719\trs116855232\tC\tT\t.\tPASS\t.\tGT\t./1"), Options{})
	if r.Diplotype != unknownDiplotype || r.Alert.Severity == "none" {
		t.Errorf("partial ALT: %q %q", r.Diplotype, r.Alert.Severity)
	}
	r = d.Call(with("chr13\t48045719\trs116855232\tC\tT\t.\tPASS\t.\tGT\t0/."), Options{})
	if r.Diplotype != "*1/*1" || !slices.Contains(r.UntestedPositions, "rs116855232") || r.Alert.Severity != "caution" {
		t.Errorf("partial reference: %q untested %v severity %q", r.Diplotype, r.UntestedPositions, r.Alert.Severity)
	}
}

// TestPharmCATInMemory holds the caller to the calls PharmCAT's PipelineTest and
// ToxicGenesTest assert on VCFs built in memory with every current position
// (tests/EXPECTED_ONCO.md, "Related calls"): the whole candidate list where the test gives
// it, else the top call (the pipeline default).
func TestPharmCATInMemory(t *testing.T) {
	tests := []struct {
		gene    string
		gt      map[int][2]string // position -> the two VCF alleles (unphased)
		missing []int
		want    []string // nil: not called
		topOnly bool     // the test asserts the pipeline's top call only
	}{
		{"TPMT", map[int][2]string{18138997: {"C", "T"}, 18130687: {"T", "C"}}, nil, []string{"*1/*3A"}, true},
		{"TPMT", map[int][2]string{18143724: {"C", "T"}}, nil, []string{"*1/*1"}, false}, // undocumented ALT as reference
		{"TPMT", map[int][2]string{18143728: {"C", "A"}}, nil, nil, false},               // half of *43
		{"TPMT", map[int][2]string{18143728: {"A", "A"}}, nil, nil, false},
		{"NUDT15", nil, nil, []string{"*1/*1"}, false},
		{"NUDT15", map[int][2]string{48037782: {"AGGAGTC", "AGGAGTCGGAGTC"}, 48045719: {"C", "T"}}, nil, []string{"*1/*2"}, true},
		{"NUDT15", map[int][2]string{48045719: {"C", "T"}}, nil, []string{"*1/*3"}, false},
		{"UGT1A1", nil, nil, []string{"*1/*1"}, false},
		{"UGT1A1", map[int][2]string{233759924: {"C", "T"}}, nil, []string{"*1/*80"}, false},
		{"UGT1A1", map[int][2]string{233759924: {"C", "T"}, 233760233: {"CAT", "CATAT"}}, nil, []string{"*1/*80+*28"}, true},
		{"UGT1A1", map[int][2]string{233760233: {"CATAT", "CATATAT"}}, nil, []string{"*28/*37"}, false},
		{"UGT1A1", map[int][2]string{233759924: {"T", "C"}, 233760233: {"CATAT", "CAT"}, 233760498: {"G", "A"}}, nil, []string{"*6/*80+*28"}, false},
		{"UGT1A1", map[int][2]string{233760498: {"A", "A"}}, nil, []string{"*6/*6"}, false},
		{"UGT1A1", map[int][2]string{233759924: {"T", "T"}, 233760233: {"CATAT", "CAT"}}, nil, []string{"*80/*80+*28"}, false},
		{"UGT1A1", map[int][2]string{233760233: {"CATAT", "CAT"}}, nil, []string{"*1/*28"}, false},
		{"UGT1A1", map[int][2]string{233759924: {"C", "T"}, 233760498: {"A", "G"}}, []int{233760233}, []string{"*6/*80", "*6/*80+*28", "*6/*80+*37"}, false},
		{"UGT1A1", map[int][2]string{233759924: {"C", "T"}}, []int{233760233}, []string{"*1/*80", "*1/*80+*28", "*1/*80+*37"}, false},
		{"UGT1A1", map[int][2]string{233760233: {"CATAT", "CATAT"}}, []int{233759924}, []string{"*28/*28", "*28/*80+*28", "*80+*28/*80+*28"}, false},
		{"UGT1A1", map[int][2]string{233760233: {"CATAT", "CAT"}, 233760973: {"C", "A"}}, []int{233759924}, []string{"*27/*28", "*27/*80+*28"}, false},
	}
	for i, tc := range tests {
		var raw namedDefinitionJSON
		if err := json.Unmarshal(testfile.Read(t, pgxData(t, "pharmcat", tc.gene+"_translation.json")), &raw); err != nil {
			t.Fatal(err)
		}
		var sites []Site
		for _, v := range raw.Variants {
			if slices.Contains(tc.missing, v.Position) {
				continue
			}
			gt, ok := tc.gt[v.Position]
			if !ok {
				gt = [2]string{v.Ref, v.Ref}
			}
			alts := slices.Clone(v.Alts)
			for _, a := range gt {
				if a != v.Ref && !slices.Contains(alts, a) {
					alts = append(alts, a)
				}
			}
			s := Site{Chrom: raw.Chromosome, Pos: v.Position, Ref: v.Ref, End: v.Position + len(v.Ref) - 1, DP: -1, GQ: -1}
			for _, a := range alts {
				n := variant.Normalize(variant.Variant{Chrom: raw.Chromosome, Pos: v.Position, Ref: v.Ref, Alt: a}, nil)
				s.Alleles = append(s.Alleles, Allele{Pos: n.Pos, Ref: n.Ref, Alt: n.Alt})
			}
			for _, a := range gt {
				s.GT = append(s.GT, slices.Index(alts, a)+1) // REF: -1 + 1 = 0
			}
			sites = append(sites, s)
		}
		r := loadNamed(t, tc.gene).Call(sites, Options{})
		got := candidateNames(r)
		if tc.topOnly && len(got) > 0 {
			got = got[:1]
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("case %d %s %v missing %v: %q, want %q", i, tc.gene, tc.gt, tc.missing, got, tc.want)
		}
		if tc.want == nil && (r.Diplotype != unknownDiplotype || r.Alert.Severity == "none") {
			t.Errorf("case %d: not called but %q %q", i, r.Diplotype, r.Alert.Severity)
		}
	}
}

// TestEveryDiplotypeMissingPosition drops each definition position in turn from the
// unphased genotypes of every diplotype and compares the whole candidate list with a brute
// force over every pair of named alleles (NamedAlleleMatcher-101, "Missing Positions": the
// position leaves every definition, an allele left with no defining position is never
// matched, scores count the remaining positions), in PharmCAT's order.
func TestEveryDiplotypeMissingPosition(t *testing.T) {
	for _, gene := range []string{"UGT1A1", "NUDT15", "TPMT"} {
		d := loadNamed(t, gene)
		var raw namedDefinitionJSON
		if err := json.Unmarshal(testfile.Read(t, pgxData(t, "pharmcat", gene+"_translation.json")), &raw); err != nil {
			t.Fatal(err)
		}
		n := len(raw.NamedAlleles)
		full := make([][]string, n)
		for i := range n {
			full[i] = raw.fullAllele(i)
		}
		isRef := func(i int) bool { return raw.NamedAlleles[i].Reference }
		checked := 0
		for miss := range raw.Variants {
			if gene == "TPMT" && miss%7 != 0 {
				continue // every seventh TPMT position keeps the test short; all of UGT1A1 and NUDT15
			}
			score := make([]int, n)
			usable := make([]bool, n)
			for i := range n {
				for p, a := range raw.NamedAlleles[i].Alleles {
					if p != miss && (a != nil || isRef(i)) {
						score[i]++
					}
				}
				usable[i] = isRef(i) || score[i] > 0
			}
			key := func(a, b int) string {
				var sb strings.Builder
				for p := range raw.Variants {
					if p == miss {
						continue
					}
					x, y := full[a][p], full[b][p]
					if x > y {
						x, y = y, x
					}
					sb.WriteString(x + "/" + y + ";")
				}
				return sb.String()
			}
			byKey := map[string][][2]int{}
			for a := range n {
				for b := a; b < n; b++ {
					if usable[a] && usable[b] {
						byKey[key(a, b)] = append(byKey[key(a, b)], [2]int{a, b})
					}
				}
			}
			for a := range n {
				for b := a; b < n; b++ {
					sites := slices.DeleteFunc(raw.sitesFor(full[a], full[b], false), func(s Site) bool { return s.Pos == raw.Variants[miss].Position })
					got := candidateNames(d.Call(sites, Options{}))
					pairs := slices.Clone(byKey[key(a, b)])
					slices.SortFunc(pairs, func(x, y [2]int) int {
						if sx, sy := score[x[0]]+score[x[1]], score[y[0]]+score[y[1]]; sx != sy {
							return sy - sx
						}
						nx, ny := pairName(raw, x), pairName(raw, y)
						return compareDiplotypeNames(raw, nx, ny)
					})
					var want []string
					for _, pr := range pairs {
						want = append(want, pairName(raw, pr))
					}
					if !slices.Equal(got, want) {
						t.Errorf("%s %s/%s without %d: candidates %q, want %q", gene, raw.NamedAlleles[a].Name, raw.NamedAlleles[b].Name, raw.Variants[miss].Position, got, want)
					}
					checked++
				}
			}
		}
		t.Logf("%s: %d unphased calls with a missing position checked", gene, checked)
	}
}

// pairName writes a pair of allele indexes as PharmCAT names the diplotype.
func pairName(raw namedDefinitionJSON, pr [2]int) string {
	a, b := pr[0], pr[1]
	if compareAlleleNames(raw.NamedAlleles[a].Name, raw.NamedAlleles[a].Reference, raw.NamedAlleles[b].Name, raw.NamedAlleles[b].Reference) > 0 {
		a, b = b, a
	}
	return raw.NamedAlleles[a].Name + "/" + raw.NamedAlleles[b].Name
}

// TestSplitMultiallelic: the TA repeat written as one record per ALT (PharmCAT's
// preprocessor test input raw_chr.vcf) is merged into one genotype; ALTs that cannot be one
// diploid genotype leave the position untested, never a guess.
func TestSplitMultiallelic(t *testing.T) {
	d := loadNamed(t, "UGT1A1")
	v := readVCF(t, filepath.Join(oracle.Dir(t), "vcf-real", "pharmcat-preprocessor", "raw_chr.vcf"))
	for i, want := range []string{"*28/*37", "*36/*37"} {
		r := d.Call(v.sites[i], Options{})
		if len(r.Candidates) == 0 || r.Candidates[0].Diplotype != want {
			t.Errorf("sample %d: %q, want top %q (%v)", i+1, candidateNames(r), want, r.Warnings)
		}
	}
	head := "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\nchr2\t233759924\trs887829\tC\tT\t.\tPASS\t.\tGT\t0/0\n"
	three := head + "chr2\t233760233\t.\tCAT\tC\t.\tPASS\t.\tGT\t0/1\nchr2\t233760233\t.\tCAT\tCATAT\t.\tPASS\t.\tGT\t0/1\nchr2\t233760233\t.\tCAT\tCATATAT\t.\tPASS\t.\tGT\t1/0\n"
	vv, err := parseVCF(strings.NewReader(three), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := d.Call(vv.sites[0], Options{})
	if !slices.Contains(r.UntestedPositions, "rs3064744") || r.Alert.Severity == "none" {
		t.Errorf("three ALTs: untested %v severity %q", r.UntestedPositions, r.Alert.Severity)
	}
}
