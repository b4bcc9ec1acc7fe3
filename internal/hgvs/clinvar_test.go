package hgvs_test

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/hgvs"
	"github.com/precis-dx/precis/internal/transcript"
	"github.com/precis-dx/precis/internal/transcript/transcripttest"
	"github.com/precis-dx/precis/internal/variant"
)

// gene is a transcript built from the shared data with its genome slice.
type gene struct {
	tx     *transcript.Transcript
	genome *transcripttest.Genome
}

func load(tb testing.TB, id, symbol string) gene {
	tb.Helper()
	dir := transcripttest.DataDir(tb)
	tx, err := transcripttest.Transcript(dir, id)
	if err != nil {
		tb.Fatal(err)
	}
	g, err := transcripttest.NewGenome(dir, symbol)
	if err != nil {
		tb.Fatal(err)
	}
	return gene{tx: tx, genome: g}
}

// table reads a tab-separated file whose comment lines start with '#' and whose first
// other line names the columns.
func table(tb testing.TB, path string) []map[string]string {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var cols []string
	var rows []map[string]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		c := strings.Split(text, "\t")
		if cols == nil {
			cols = c
			continue
		}
		row := map[string]string{"line": strconv.Itoa(line)}
		for i, name := range cols {
			if i < len(c) {
				row[name] = c[i]
			}
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return rows
}

// normC strips the accession from a c. name, as /work/shared/conformance/check_hgvs.py
// does.
func normC(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

var frameshift = regexp.MustCompile(`^(p\.[A-Z][a-z]{2}\d+)(?:[A-Z][a-z]{2})?fs.*$`)

// normP compares p. names as check_hgvs.py does: no accession, no parentheses, and
// frameshifts reduced to ClinVar's short form p.Glu23fs.
func normP(s string) string {
	s = strings.NewReplacer("(", "", ")", "").Replace(normC(s))
	return frameshift.ReplaceAllString(s, "${1}fs")
}

// clinvarTerms maps ClinVar's molecular consequence names to the Sequence Ontology terms
// Annotate uses.
var clinvarTerms = map[string][]string{
	"missense variant":                    {"missense_variant"},
	"missense_variant":                    {"missense_variant"},
	"synonymous variant":                  {"synonymous_variant"},
	"synonymous_variant":                  {"synonymous_variant"},
	"nonsense":                            {"stop_gained"},
	"frameshift variant":                  {"frameshift_variant"},
	"frameshift_variant":                  {"frameshift_variant"},
	"splice acceptor variant":             {"splice_acceptor_variant"},
	"splice_acceptor_variant":             {"splice_acceptor_variant"},
	"splice donor variant":                {"splice_donor_variant"},
	"splice_donor_variant":                {"splice_donor_variant"},
	"intron variant":                      {"intron_variant"},
	"intron_variant":                      {"intron_variant"},
	"5 prime UTR variant":                 {"5_prime_UTR_variant"},
	"5_prime_UTR_variant":                 {"5_prime_UTR_variant"},
	"3 prime UTR variant":                 {"3_prime_UTR_variant"},
	"3_prime_UTR_variant":                 {"3_prime_UTR_variant"},
	"initiator_codon_variant":             {"start_lost"},
	"stop lost":                           {"stop_lost"},
	"stop_lost":                           {"stop_lost"},
	"inframe_deletion":                    {"inframe_deletion"},
	"inframe_insertion":                   {"inframe_insertion"},
	"inframe_indel":                       {"inframe_deletion", "inframe_insertion", "protein_altering_variant"},
	"genic upstream transcript variant":   {"upstream_gene_variant"},
	"genic_upstream_transcript_variant":   {"upstream_gene_variant"},
	"genic downstream transcript variant": {"downstream_gene_variant"},
	"genic_downstream_transcript_variant": {"downstream_gene_variant"},
	"splice_region_variant":               {"splice_region_variant"},
	"stop_retained_variant":               {"stop_retained_variant"},
}

// comparable returns the most severe of a's terms that ClinVar's vocabulary has:
// ClinVar does not report splice_region_variant, so a variant we call that is compared by
// its next term (intron_variant, synonymous_variant, ...).
func comparable(a hgvs.Annotation) string {
	for _, t := range a.Consequences {
		if t != "splice_region_variant" {
			return t
		}
	}
	return a.Consequence
}

// agrees reports whether term is among ClinVar's consequences (separated by sep), and
// whether any of those could be mapped at all.
func agrees(term, clinvar, sep string) (ok, mapped bool) {
	for _, c := range strings.Split(clinvar, sep) {
		for _, t := range clinvarTerms[strings.TrimSpace(c)] {
			mapped = true
			if t == term {
				return true, true
			}
		}
	}
	return false, mapped
}

// TestMLH1ClinVar is the oracle test: ClinVar's own c. and p. names for 2,037 MLH1
// variants on NM_000249.4 (hgvs/MLH1_clinvar_GRCh38_pairs.open.tsv).
func TestMLH1ClinVar(t *testing.T) {
	g := load(t, "NM_000249.4", "MLH1")
	rows := table(t, filepath.Join(transcripttest.DataDir(t), "hgvs", "MLH1_clinvar_GRCh38_pairs.open.tsv"))
	a := hgvs.NewAnnotator(g.genome)
	var n, cOK, pN, pOK, csqN, csqOK int
	for _, row := range rows {
		pos, err := strconv.Atoi(row["vcf_pos"])
		if err != nil || row["vcf_ref"] == "" || row["vcf_alt"] == "" {
			continue
		}
		v := variant.Variant{Chrom: "chr3", Pos: pos, Ref: row["vcf_ref"], Alt: row["vcf_alt"]}
		ann, err := a.Annotate(g.tx, v)
		if err != nil {
			t.Errorf("line %s %v: %v", row["line"], v, err)
			continue
		}
		n++
		if got, want := normC(ann.HGVSc), row["hgvs_c"]; got == want {
			cOK++
		} else {
			t.Logf("c. line %s %v: got %s, want %s", row["line"], v, got, want)
		}
		if want := row["hgvs_p"]; want != "" {
			pN++
			if normP(ann.HGVSp) == normP(want) {
				pOK++
			} else {
				t.Logf("p. line %s %s: got %s, want %s", row["line"], row["hgvs_c"], ann.HGVSp, want)
			}
		}
		if ok, mapped := agrees(comparable(ann), row["molecular_consequence"], "|"); mapped {
			csqN++
			if ok {
				csqOK++
			} else {
				t.Logf("consequence line %s %s: got %s (%v), ClinVar %s", row["line"], row["hgvs_c"], ann.Consequence, ann.Consequences, row["molecular_consequence"])
			}
		}
	}
	t.Logf("c. %d/%d (%.2f%%), p. %d/%d (%.2f%%), consequence %d/%d (%.2f%%)",
		cOK, n, pct(cOK, n), pOK, pN, pct(pOK, pN), csqOK, csqN, pct(csqOK, csqN))
	if n < 2000 || cOK != n {
		t.Errorf("c. names agree for %d of %d rows, want all", cOK, n)
	}
	if pN < 1500 || pct(pOK, pN) < 99.7 {
		t.Errorf("p. names agree for %d of %d rows, want >= 99.7%%", pOK, pN)
	}
	if csqN < 2000 || pct(csqOK, csqN) < 99.7 {
		t.Errorf("consequence agrees for %d of %d rows, want >= 99.7%%", csqOK, csqN)
	}
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

// TestAnnotatorConcurrent shares one Annotator between goroutines (run with -race) and
// checks they get the same names as a single goroutine.
func TestAnnotatorConcurrent(t *testing.T) {
	g := load(t, "NM_000249.4", "MLH1")
	var vs []variant.Variant
	for _, row := range table(t, filepath.Join(transcripttest.DataDir(t), "hgvs", "MLH1_clinvar_GRCh38_pairs.open.tsv")) {
		if pos, err := strconv.Atoi(row["vcf_pos"]); err == nil && row["vcf_ref"] != "" {
			vs = append(vs, variant.Variant{Chrom: "chr3", Pos: pos, Ref: row["vcf_ref"], Alt: row["vcf_alt"]})
		}
	}
	want := make([]string, len(vs))
	for i, v := range vs {
		a, err := hgvs.Annotate(g.tx, v, g.genome)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = a.HGVSc + " " + a.HGVSp
	}
	shared := hgvs.NewAnnotator(g.genome)
	errs := make(chan string, 4)
	for w := 0; w < 4; w++ {
		go func() {
			for i, v := range vs {
				a, err := shared.Annotate(g.tx, v)
				if got := a.HGVSc + " " + a.HGVSp; err != nil || got != want[i] {
					errs <- v.String() + ": got " + got
					return
				}
			}
			errs <- ""
		}()
	}
	for w := 0; w < 4; w++ {
		if msg := <-errs; msg != "" {
			t.Error(msg)
		}
	}
}
