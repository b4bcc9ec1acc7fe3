package pgx

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/testfile"
)

// TestCases runs the 110 PharmCAT HapB3 cases (cases/expected.tsv, derived from PharmCAT's
// hapb3.tsv data-driven test): the diplotype must be PharmCAT's call, the activity score and
// phenotype the expected ones.
func TestCases(t *testing.T) {
	d := loadDef(t)
	text := strings.ReplaceAll(string(testfile.Read(t, pgxData(t, "cases", "expected.tsv"))), "\r\n", "\n")
	rows := strings.Split(strings.TrimSpace(text), "\n")
	header := strings.Split(rows[0], "\t")
	col := map[string]int{}
	for i, h := range header {
		col[strings.SplitN(h, "(", 2)[0]] = i
	}
	for _, key := range []string{"case", "expected_calls", "derived_activity_score", "derived_phenotype"} {
		if _, ok := col[key]; !ok {
			t.Fatalf("expected.tsv has no %q column: %q", key, header)
		}
	}
	n := 0
	for _, row := range rows[1:] {
		f := strings.Split(row, "\t")
		name := f[col["case"]]
		n++
		t.Run(name, func(t *testing.T) {
			v := readVCF(t, pgxData(t, "cases", "vcf", strings.ReplaceAll(name, ".", "_")+".vcf"))
			r := d.Call(v.sites[0], Options{})
			if got, want := r.Diplotype, f[col["expected_calls"]]; got != want {
				t.Errorf("diplotype: got %q, want %q", got, want)
			}
			if got, want := score(r), f[col["derived_activity_score"]]; got != want {
				t.Errorf("activity score: got %s, want %s", got, want)
			}
			if got, want := r.Phenotype, f[col["derived_phenotype"]]; got != want {
				t.Errorf("phenotype: got %q, want %q", got, want)
			}
			if t.Failed() {
				t.Logf("warnings: %q", r.Warnings)
			}
		})
	}
	if n != 110 {
		t.Errorf("got %d cases, want 110", n)
	}
}

// TestPharmCATTestVCFs checks the seven upstream PharmCAT DPYD test VCFs against the table in
// EXPECTED.md (section 1): activity score, phenotype and the named alleles of the expected
// diplotype.
func TestPharmCATTestVCFs(t *testing.T) {
	d := loadDef(t)
	row := regexp.MustCompile(`^\| (DPYD_\S+\.vcf) \|[^|]*\| ([^|]+) \| ([0-9.]+) \| ([A-Za-z ]+) \|$`)
	note := regexp.MustCompile(`\s*\(PharmCAT[^)]*\)$`)
	n := 0
	for _, line := range strings.Split(string(testfile.Read(t, pgxData(t, "EXPECTED.md"))), "\n") {
		m := row.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		n++
		file, dip, as, pheno := m[1], note.ReplaceAllString(strings.TrimSpace(m[2]), ""), m[3], strings.TrimSpace(m[4])
		t.Run(file, func(t *testing.T) {
			v := readVCF(t, pgxData(t, "pharmcat", "tests", file))
			r := d.Call(v.sites[0], Options{})
			if got := score(r); got != as {
				t.Errorf("activity score: got %s, want %s", got, as)
			}
			if r.Phenotype != pheno {
				t.Errorf("phenotype: got %q, want %q", r.Phenotype, pheno)
			}
			var want []string
			for _, a := range strings.Split(dip, "/") {
				if a != referenceName {
					want = append(want, a)
				}
			}
			slices.Sort(want)
			want = slices.Compact(want)
			got := slices.Clone(r.Alleles)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("alleles: got %q, want %q (diplotype %q)", got, want, r.Diplotype)
			}
			if len(r.UntestedPositions) != 0 {
				t.Errorf("untested: got %q, want none (all 83 positions are in the file)", r.UntestedPositions)
			}
		})
	}
	if n != 7 {
		t.Errorf("EXPECTED.md: got %d rows, want 7", n)
	}
}

// TestPharmCATExamples checks PharmCAT's example VCFs against the DPYD row of PharmCAT's own
// report (*.report.tsv).
func TestPharmCATExamples(t *testing.T) {
	d := loadDef(t)
	for _, name := range []string{"pharmcat.example", "pharmcat.example2"} {
		t.Run(name, func(t *testing.T) {
			lines := strings.Split(string(testfile.Read(t, pgxData(t, "pharmcat", "examples", name+".report.tsv"))), "\n")
			var header, dpyd []string
			for _, l := range lines {
				f := strings.Split(l, "\t")
				switch f[0] {
				case "Gene":
					header = f
				case "DPYD":
					dpyd = f
				}
			}
			if header == nil || dpyd == nil {
				t.Fatalf("%s.report.tsv: no header or DPYD row", name)
			}
			want := map[string]string{}
			for i, h := range header {
				if i < len(dpyd) {
					want[h] = dpyd[i]
				}
			}
			v := readVCF(t, filepath.Join(pgxData(t, "pharmcat", "examples"), name+".vcf"))
			r := d.Call(v.sites[0], Options{})
			if r.Diplotype != want["Source Diplotype"] {
				t.Errorf("diplotype: got %q, want %q", r.Diplotype, want["Source Diplotype"])
			}
			if r.Phenotype != want["Phenotype"] {
				t.Errorf("phenotype: got %q, want %q", r.Phenotype, want["Phenotype"])
			}
			if got := score(r); got != want["Activity Score"] {
				t.Errorf("activity score: got %s, want %s", got, want["Activity Score"])
			}
			if want["Missing positions"] == "no" && len(r.UntestedPositions) != 0 {
				t.Errorf("untested: got %q, want none", r.UntestedPositions)
			}
		})
	}
}
