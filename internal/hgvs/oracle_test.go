package hgvs_test

import (
	"github.com/precis-dx/precis/internal/oracle"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/hgvs"
	"github.com/precis-dx/precis/internal/transcript/transcripttest"
	"github.com/precis-dx/precis/internal/variant"
)

// maneGenes are the genes whose MANE transcript and GRCh38 sequence the shared data
// holds.
var maneGenes = []struct{ id, symbol, chrom string }{
	{"NM_007294.4", "BRCA1", "17"},
	{"NM_000059.4", "BRCA2", "13"},
	{"NM_000249.4", "MLH1", "3"},
}

// TestClinVarVCF annotates every ClinVar record (clinvar/clinvar_genes.GRCh38.20260226.vcf.gz)
// of BRCA1, BRCA2 and MLH1: our g. must equal ClinVar's CLNHGVS, and for SNVs our
// consequence must be among ClinVar's molecular consequences (INFO MC).
func TestClinVarVCF(t *testing.T) {
	dir := transcripttest.DataDir(t)
	type panel struct {
		g      gene
		a      *hgvs.Annotator
		symbol string
	}
	byChrom := map[string]panel{}
	for _, m := range maneGenes {
		g := load(t, m.id, m.symbol)
		byChrom[m.chrom] = panel{g: g, a: hgvs.NewAnnotator(g.genome), symbol: m.symbol}
	}
	var gN, gOK, snvN, snvOK int
	shown := 0
	for line, rec := range oracle.Records(t, filepath.Join(dir, "clinvar", "clinvar_genes.GRCh38.20260226.vcf.gz")) {
		info := rec.Info
		p, ok := byChrom[rec.Chrom]
		if !ok || !strings.HasPrefix(info["GENEINFO"], p.symbol+":") {
			continue
		}
		v := variant.Variant{Chrom: "chr" + rec.Chrom, Pos: rec.Pos, Ref: rec.Ref, Alt: rec.Alt}
		if _, ok := p.g.genome.Fetch(v.Chrom, v.Pos, v.Pos+len(v.Ref)-1); !ok {
			continue // outside the genome slice
		}
		ann, err := p.a.Annotate(p.g.tx, v)
		if err != nil {
			if rec.Alt != "." && rec.Alt != rec.Ref {
				t.Errorf("line %d %v: %v", line, v, err)
			}
			continue
		}
		if want := info["CLNHGVS"]; want != "" && !strings.Contains(want, "[") {
			gN++
			if ann.HGVSg == want {
				gOK++
			} else if shown < 40 {
				shown++
				t.Logf("g. line %d %v: got %s, want %s", line, v, ann.HGVSg, want)
			}
		}
		if len(v.Ref) != 1 || len(v.Alt) != 1 || info["MC"] == "" {
			continue
		}
		var names []string
		for _, mc := range strings.Split(info["MC"], ",") {
			_, name, _ := strings.Cut(mc, "|")
			names = append(names, name)
		}
		if ok, mapped := agrees(comparable(ann), strings.Join(names, ","), ","); mapped {
			snvN++
			if ok {
				snvOK++
			} else {
				t.Logf("consequence line %d %v %s: got %v, ClinVar %s", line, v, ann.HGVSc, ann.Consequences, info["MC"])
			}
		}
	}
	t.Logf("g. %d/%d (%.2f%%), SNV consequence %d/%d (%.2f%%)", gOK, gN, pct(gOK, gN), snvOK, snvN, pct(snvOK, snvN))
	if gN < 30000 || pct(gOK, gN) < 99 {
		t.Errorf("g. names agree for %d of %d records, want >= 99%%", gOK, gN)
	}
	if snvN < 20000 || pct(snvOK, snvN) < 98 {
		t.Errorf("SNV consequences agree for %d of %d records, want >= 98%%", snvOK, snvN)
	}
}

// oldStyle rewrites pre-2016 HGVS spellings that ClinVar still lists so they compare with
// today's: deleted and duplicated bases are no longer written (c.66_67delAG ->
// c.66_67del, c.5266dupC -> c.5266dup, c.1389_1390delAAinsG -> c.1389_1390delinsG).
var oldStyle = regexp.MustCompile(`(del|dup|inv)[ACGT]+`)

func modernC(s string) string { return oldStyle.ReplaceAllString(normC(s), "$1") }

// TestBiocommonsAndCdot reproduces the c. names of the GRCh38 rows on BRCA1, BRCA2 and
// MLH1 in hgvs/biocommons_hgvs_clinvar_pairs_9genes.tsv (biocommons/hgvs test data, ClinVar
// names; each variant lists several names, one of them today's) and
// hgvs/cdot_clinvar_submitted_subset_9genes.tsv (names submitted to ClinVar).
func TestBiocommonsAndCdot(t *testing.T) {
	dir := transcripttest.DataDir(t)
	genes := map[string]gene{}
	for _, m := range maneGenes {
		genes[m.chrom] = load(t, m.id, m.symbol)
		genes[m.symbol] = genes[m.chrom]
	}
	// Transcript versions older than MANE share its CDS numbering, except BRCA2
	// NM_000059.3 c.7397 (README of the shared data), which is an identity row here.
	sameNumbering := func(id string) bool {
		for _, m := range maneGenes {
			if strings.Split(id, ".")[0] == strings.Split(m.id, ".")[0] {
				return true
			}
		}
		return false
	}

	type want struct {
		line  string
		v     variant.Variant
		names []string
	}
	wants := map[string]*want{}
	var order []string
	for _, row := range table(t, filepath.Join(dir, "hgvs", "biocommons_hgvs_clinvar_pairs_9genes.tsv")) {
		if row["build"] != "GRCh38" || !sameNumbering(row["transcript"]) || !strings.HasPrefix(row["check"], "ok") && !strings.HasPrefix(row["check"], "ref_ok") {
			continue
		}
		if _, ok := genes[row["gene"]]; !ok || row["vcf_alt"] == "." || row["vcf_pos"] == "" {
			continue
		}
		pos, err := strconv.Atoi(row["vcf_pos"])
		if err != nil {
			t.Fatalf("line %s: vcf_pos %q", row["line"], row["vcf_pos"])
		}
		key := row["variation_id"]
		w, ok := wants[key]
		if !ok {
			w = &want{line: row["line"], v: variant.Variant{Chrom: "chr" + row["chrom"], Pos: pos, Ref: row["vcf_ref"], Alt: row["vcf_alt"]}}
			wants[key] = w
			order = append(order, key)
		}
		w.names = append(w.names, modernC(row["hgvs_c_or_n"]))
	}
	for _, row := range table(t, filepath.Join(dir, "hgvs", "cdot_clinvar_submitted_subset_9genes.tsv")) {
		acc, _, _ := strings.Cut(row["c_hgvs"], ":")
		if _, ok := genes[row["chrom"]]; !ok || !sameNumbering(acc) || row["check"] != "ref_ok" {
			continue
		}
		pos, err := strconv.Atoi(row["pos"])
		if err != nil {
			t.Fatalf("line %s: pos %q", row["line"], row["pos"])
		}
		key := "cdot:" + row["line"]
		wants[key] = &want{line: "cdot " + row["line"], v: variant.Variant{Chrom: "chr" + row["chrom"], Pos: pos, Ref: row["ref"], Alt: row["alt"]}, names: []string{modernC(row["c_hgvs"])}}
		order = append(order, key)
	}
	if len(order) < 15 {
		t.Fatalf("only %d variants to check", len(order))
	}
	for _, key := range order {
		w := wants[key]
		t.Run(key, func(t *testing.T) {
			g := genes[strings.TrimPrefix(w.v.Chrom, "chr")]
			ann, err := hgvs.Annotate(g.tx, w.v, g.genome)
			if err != nil {
				t.Fatalf("%v: %v", w.v, err)
			}
			got := normC(ann.HGVSc)
			for _, n := range w.names {
				if n == got {
					return
				}
			}
			t.Errorf("line %s %v: got %s, want one of %v", w.line, w.v, got, w.names)
		})
	}
}
