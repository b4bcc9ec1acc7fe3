package annotate

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/panel"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/precis-dx/precis/internal/assembly"
	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/testfile"
	"github.com/precis-dx/precis/internal/transcript"
)

var update = flag.Bool("update", false, "rewrite the golden reports in testdata/golden")

// loadAnnotator builds the annotator over the embedded knowledge base once for all tests.
var loadAnnotator = sync.OnceValues(func() (*Annotator, error) {
	k, err := kb.Load()
	if err != nil {
		return nil, err
	}
	return New(k, "test")
})

func annotator(t testing.TB) *Annotator {
	t.Helper()
	ann, err := loadAnnotator()
	if err != nil {
		t.Fatal(err)
	}
	return ann
}

// fixed makes reports comparable byte for byte (DESIGN.md rule 4: same input and knowledge
// base, same report apart from time stamps and ids).
func fixed(o Options) Options {
	o.Now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	o.ReportID = "00000000-0000-4000-8000-000000000000"
	return o
}

func annotateFile(t testing.TB, path string, o Options) (*report.Report, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return annotator(t).Annotate(context.Background(), f, filepath.Base(path), fixed(o))
}

func mustAnnotate(t testing.TB, path string, o Options) *report.Report {
	t.Helper()
	rep, err := annotateFile(t, path, o)
	if err != nil {
		t.Fatalf("annotate %s: %v", path, err)
	}
	return rep
}

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

// validate checks a report against schemas/report.schema.json.
func validate(t testing.TB, b []byte) {
	t.Helper()
	schemaOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		schema, schemaErr = c.Compile(filepath.Join("..", "..", "schemas", "report.schema.json"))
	})
	if schemaErr != nil {
		t.Fatal(schemaErr)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(v); err != nil {
		t.Fatalf("report does not follow schemas/report.schema.json: %v", err)
	}
}

func TestGolden(t *testing.T) {
	data := oracle.Dir(t)
	tests := []struct {
		name string
		file string
		opts Options
	}{
		{"example", filepath.Join("..", "..", "testdata", "example.vcf"), Options{}},
		{"dpyd_c1679c1156", filepath.Join(data, "pgx", "pharmcat", "tests", "DPYD_c1679c1156.vcf"), Options{}},
		{"raw_chr", filepath.Join(data, "vcf-real", "pharmcat-preprocessor", "raw_chr.vcf"), Options{}},
		{"na19226_gvcf", filepath.Join(data, "vcf-real", "pharmcat-preprocessor", "NA19226.pgx_regions.g.vcf.bgz"), Options{}},
		{"mismatched_ref", filepath.Join(data, "vcf-real", "pharmcat-preprocessor", "NamedAlleleMatcher-mismatchedRefAllele.vcf"), Options{}},
		{"dpyd_missing_reference", filepath.Join(data, "vcf-real", "pharmcat-preprocessor", "reference.missing_pgx_var.vcf.bgz"), Options{Missing: "reference"}},
		{"brca_only", filepath.Join("..", "..", "testdata", "example.vcf"), Options{Panels: []string{"brca"}}},
		// Structural and copy-number variants: hand-written fixtures in each caller's format
		// (internal/sv/testdata/README.md).
		{"sv_manta", filepath.Join("..", "sv", "testdata", "manta.vcf"), Options{}},
		{"sv_manta_tumour", filepath.Join("..", "sv", "testdata", "manta.vcf"), Options{Specimen: "tumour"}},
		{"sv_delly", filepath.Join("..", "sv", "testdata", "delly.vcf"), Options{}},
		{"sv_gcnv", filepath.Join("..", "sv", "testdata", "gcnv.vcf"), Options{}},
		{"sv_cnvkit", filepath.Join("..", "sv", "testdata", "cnvkit.vcf"), Options{Panels: []string{"brca", "lynch"}}},
		{"sv_dragen", filepath.Join("..", "sv", "testdata", "dragen.vcf"), Options{}},
		{"sv_vcf44", filepath.Join("..", "sv", "testdata", "vcf44.vcf"), Options{}},
		// GRCh37 (issue 14): example.vcf and manta.vcf written on GRCh37 by vcftest.To37
		// (b37 and hg19 naming); the oracle tests in grch37_oracle_test.go hold them to the
		// GRCh38 reports of the same DNA.
		{"example_grch37", filepath.Join("..", "..", "testdata", "example.GRCh37.vcf"), Options{}},
		{"sv_manta_grch37", filepath.Join("..", "sv", "testdata", "manta.GRCh37.vcf"), Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := mustAnnotate(t, tt.file, tt.opts)
			var got bytes.Buffer
			if err := report.WriteJSON(&got, rep); err != nil {
				t.Fatal(err)
			}
			validate(t, got.Bytes())
			golden := filepath.Join("testdata", "golden", tt.name+".json")
			if *update {
				testfile.Write(t, golden, got.Bytes())
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			validate(t, want)
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("report differs from %s (run go test ./internal/annotate -update and review the diff)", golden)
			}
		})
	}
}

// TestDeterministic: annotating the same file twice gives the same bytes.
func TestDeterministic(t *testing.T) {
	path := filepath.Join("..", "..", "testdata", "example.vcf")
	var out [2]bytes.Buffer
	for i := range out {
		if err := report.WriteJSON(&out[i], mustAnnotate(t, path, Options{})); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(out[0].Bytes(), out[1].Bytes()) {
		t.Error("two runs on the same input differ")
	}
}

// readVCF returns the data lines of a (gzipped) VCF, split into columns.
func readVCF(t testing.TB, path string) [][]string {
	t.Helper()
	var out [][]string
	for _, cols := range oracle.DataLines(t, path) {
		out = append(out, cols)
	}
	return out
}

func info(col, key string) string {
	for _, kv := range strings.Split(col, ";") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// classOf maps a ClinVar CLNSIG to the report's classification (the oracle side of the test,
// written from ClinVar's own vocabulary).
func classOf(clnsig string) string {
	switch clnsig {
	case "Pathogenic":
		return "pathogenic"
	case "Likely_pathogenic", "Pathogenic/Likely_pathogenic":
		return "likely_pathogenic"
	case "Uncertain_significance":
		return "uncertain_significance"
	case "Likely_benign", "Benign/Likely_benign":
		return "likely_benign"
	case "Benign":
		return "benign"
	case "Conflicting_classifications_of_pathogenicity", "Conflicting_interpretations_of_pathogenicity":
		return "conflicting"
	}
	return "not_in_knowledge_base"
}

// TestClinVarPLP writes every P/LP record of the nine genes (ClinVar 20241215, >= 2 stars) back
// as a sample VCF and checks that each comes out with the right gene, the right classification
// and a consequence consistent with ClinVar's MC field.
func TestClinVarPLP(t *testing.T) {
	data := oracle.Dir(t)
	plp := readVCF(t, filepath.Join(data, "clinvar", "panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz"))
	// Where the 2026 release has the same record, its classification is the newer truth.
	newer := map[string]string{}
	for _, c := range readVCF(t, filepath.Join(data, "clinvar", "clinvar_genes.GRCh38.20260226.vcf.gz")) {
		newer["chr"+c[0]+":"+c[1]+":"+c[3]+":"+c[4]] = info(c[7], "CLNSIG")
	}
	var b strings.Builder
	b.WriteString("##fileformat=VCFv4.2\n##reference=GRCh38\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n")
	type want struct {
		gene, class string
		mc          []string
	}
	wants := map[string]want{}
	for _, c := range plp {
		key := "chr" + c[0] + ":" + c[1] + ":" + c[3] + ":" + c[4]
		w := want{gene: info(c[7], "GENE"), class: classOf(info(c[7], "CLNSIG"))}
		if s, ok := newer[key]; ok {
			w.class = classOf(s)
		}
		for _, m := range strings.Split(info(c[7], "MC"), ",") {
			if _, term, ok := strings.Cut(m, "|"); ok {
				w.mc = append(w.mc, term)
			}
		}
		wants[key] = w
		fmt.Fprintf(&b, "chr%s\t%s\t%s\t%s\t%s\t.\tPASS\t.\tGT\t0/1\n", c[0], c[1], c[2], c[3], c[4])
	}
	path := filepath.Join(t.TempDir(), "plp.vcf")
	testfile.Write(t, path, []byte(b.String()))
	rep := mustAnnotate(t, path, Options{})
	got := map[string]report.Finding{}
	for _, f := range rep.Samples[0].Findings {
		got[fmt.Sprintf("%s:%d:%s:%s", f.Chrom, f.Pos, f.Ref, f.Alt)] = f
	}
	missing, wrongGene, wrongClass, mcChecked, mcAgree := 0, 0, 0, 0, 0
	var diffs []string
	for key, w := range wants {
		f, ok := got[key]
		if !ok {
			missing++
			if len(diffs) < 10 {
				diffs = append(diffs, "missing "+key)
			}
			continue
		}
		if f.Gene != w.gene {
			wrongGene++
			diffs = append(diffs, fmt.Sprintf("%s: gene %s, want %s", key, f.Gene, w.gene))
		}
		if f.Classification != w.class {
			wrongClass++
			if len(diffs) < 20 {
				diffs = append(diffs, fmt.Sprintf("%s: classification %s, want %s", key, f.Classification, w.class))
			}
		}
		if len(w.mc) > 0 && f.Consequence != "" {
			mcChecked++
			if slices.Contains(w.mc, f.Consequence) || consistent(f.Consequence, w.mc) {
				mcAgree++
			} else if len(diffs) < 30 {
				diffs = append(diffs, fmt.Sprintf("%s %s: consequence %s, ClinVar MC %v", key, f.HGVSc, f.Consequence, w.mc))
			}
		}
	}
	t.Logf("%d P/LP records: %d missing, %d wrong gene, %d wrong classification; consequence agrees with MC for %d of %d", len(wants), missing, wrongGene, wrongClass, mcAgree, mcChecked)
	for _, d := range diffs {
		t.Log(d)
	}
	if missing > 0 || wrongGene > 0 || wrongClass > 0 {
		t.Errorf("every P/LP record must come out with its gene and classification")
	}
	if float64(mcAgree) < 0.97*float64(mcChecked) {
		t.Errorf("consequence agrees with ClinVar MC for %d of %d, want >= 97%%", mcAgree, mcChecked)
	}
}

// consistent accepts the pairs where ClinVar's MC names a less specific or an older term for
// the same event: ClinVar writes "nonsense" for stop_gained, and lists intron_variant for a
// splice-region change our ranking reports as splice_region_variant.
func consistent(ours string, mc []string) bool {
	alias := map[string][]string{
		"stop_gained":              {"nonsense"},
		"splice_region_variant":    {"intron_variant", "synonymous_variant", "missense_variant"},
		"inframe_deletion":         {"inframe_indel"},
		"inframe_insertion":        {"inframe_indel"},
		"protein_altering_variant": {"inframe_indel"},
		"start_lost":               {"initiator_codon_variant"},
		"5_prime_UTR_variant":      {"5_prime_UTR_variant"},
		"splice_acceptor_variant":  {"splice_acceptor_variant"},
	}
	for _, a := range alias[ours] {
		if slices.Contains(mc, a) {
			return true
		}
	}
	return false
}

func findings(rep *report.Report) []string {
	var out []string
	for _, s := range rep.Samples {
		for _, f := range s.Findings {
			out = append(out, fmt.Sprintf("%s %s %d %s>%s %s %s", s.SampleID, f.Gene, f.Normalized.Pos, f.Normalized.Ref, f.Normalized.Alt, f.Zygosity, f.HGVSc))
		}
	}
	return out
}

func TestContigNaming(t *testing.T) {
	dir := filepath.Join(oracle.Dir(t), "vcf-real", "pharmcat-preprocessor")
	a := mustAnnotate(t, filepath.Join(dir, "raw_chr.vcf"), Options{})
	b := mustAnnotate(t, filepath.Join(dir, "raw_nochr.vcf"), Options{})
	fa, fb := findings(a), findings(b)
	if len(fa) == 0 || !slices.Equal(fa, fb) {
		t.Errorf("raw_chr.vcf and raw_nochr.vcf differ:\n%v\n%v", fa, fb)
	}
	if _, err := annotateFile(t, filepath.Join(dir, "raw_bad_chr.vcf"), Options{}); !IsInvalid(err) {
		t.Errorf("raw_bad_chr.vcf: error %v, want invalid input", err)
	}
}

// TestStarThree: DPYD c.1898delC (*3) written as chr1:97450066 GG>G (older PharmCAT tests) and
// as chr1:97450065 TG>T (the current definition) is the same variant.
func TestStarThree(t *testing.T) {
	var reps []*report.Report
	for _, rec := range []string{"chr1\t97450066\trs72549303\tGG\tG", "chr1\t97450065\trs72549303\tTG\tT"} {
		vcf := "##fileformat=VCFv4.2\n##reference=GRCh38\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n" +
			rec + "\t.\tPASS\t.\tGT\t0/1\n" +
			"chr1\t97450058\trs3918290\tC\tT\t.\tPASS\t.\tGT\t0/0\n" +
			"chr1\t97082391\trs67376798\tT\tA\t.\tPASS\t.\tGT\t0/0\n"
		rep, err := annotator(t).Annotate(context.Background(), strings.NewReader(vcf), "star3.vcf", fixed(Options{Panels: []string{"dpyd"}}))
		if err != nil {
			t.Fatal(err)
		}
		reps = append(reps, rep)
	}
	f0, f1 := reps[0].Samples[0].Findings, reps[1].Samples[0].Findings
	if len(f0) != 1 || len(f1) != 1 || f0[0].Normalized != f1[0].Normalized || f0[0].HGVSc != f1[0].HGVSc {
		t.Fatalf("the two representations of *3 give different findings: %+v / %+v", f0, f1)
	}
	if f0[0].HGVSc != "NM_000110.4:c.1898del" {
		t.Errorf("*3 named %s, want NM_000110.4:c.1898del", f0[0].HGVSc)
	}
	p0, p1 := reps[0].Samples[0].PGx[0], reps[1].Samples[0].PGx[0]
	if p0.Diplotype != p1.Diplotype || *p0.ActivityScore != *p1.ActivityScore {
		t.Errorf("the two representations of *3 give different calls: %s %v / %s %v", p0.Diplotype, *p0.ActivityScore, p1.Diplotype, *p1.ActivityScore)
	}
	if !strings.Contains(p0.Diplotype, "*3") || *p0.ActivityScore != 1 {
		t.Errorf("*3 heterozygous: got %s, score %v; want a *3 call with activity score 1.0", p0.Diplotype, *p0.ActivityScore)
	}
}

func TestRealCallers(t *testing.T) {
	data := oracle.Dir(t)
	tests := []struct {
		file    string
		opts    Options
		samples int
		check   func(t *testing.T, rep *report.Report)
	}{
		// A real DeepVariant gVCF of PGx regions that does not reach DPYD: no DPYD position
		// is tested, so no call is possible (DESIGN.md rule 1: Indeterminate, score null).
		{file: "vcf-real/pharmcat-preprocessor/NA19226.pgx_regions.g.vcf.bgz", samples: 1, check: func(t *testing.T, rep *report.Report) {
			p := rep.Samples[0].PGx[0]
			if len(p.UntestedPositions) != 83 || p.Phenotype != "Indeterminate" || p.ActivityScore != nil {
				t.Errorf("DPYD not covered: got %d untested, %s, score %v; want 83, Indeterminate, null", len(p.UntestedPositions), p.Phenotype, p.ActivityScore)
			}
		}},
		{file: "vcf-real/nfcore-slivar/gvcf_sample.g.vcf.gz", opts: Options{Build: "GRCh38"}, samples: 1},
		{file: "vcf-real/nfcore-slivar/mutect2_chr22.somatic.vcf.gz", opts: Options{Specimen: "tumour"}, samples: 2},
		{file: "vcf-real/nfcore-slivar/strelka_snvs_chr22.somatic.vcf.gz", opts: Options{Specimen: "tumour"}, samples: 2},
		{file: "vcf-real/nfcore-slivar/strelka_indels_chr22.somatic.vcf.gz", opts: Options{Specimen: "tumour"}, samples: 2},
		{file: "vcf-real/pharmcat-preprocessor/VcfReaderTest-phaseSet.vcf", samples: -1},
		{file: "vcf-real/pharmcat-preprocessor/VcfReaderTest-structuralAlt.vcf", samples: -1},
		{file: "vcf-real/pharmcat-preprocessor/VcfReaderTest-filters.vcf", samples: -1},
		{file: "vcf-real/igv-reports/variants.hg38.snpeff_cosmic.vcf", samples: -1},
		{file: "pgx/pharmcat/tests/100samples.vcf.bgz", samples: 100, check: func(t *testing.T, rep *report.Report) {
			for _, s := range rep.Samples {
				if len(s.PGx) != 1 || s.PGx[0].Phenotype == "" {
					t.Fatalf("sample %s has no DPYD call", s.SampleID)
				}
			}
		}},
		{file: "pgx/pharmcat/examples/multisample.vcf", samples: -1},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			rep := mustAnnotate(t, filepath.Join(data, tt.file), tt.opts)
			var b bytes.Buffer
			if err := report.WriteJSON(&b, rep); err != nil {
				t.Fatal(err)
			}
			validate(t, b.Bytes())
			if tt.samples >= 0 && len(rep.Samples) != tt.samples {
				t.Errorf("%d samples, want %d", len(rep.Samples), tt.samples)
			}
			if tt.check != nil {
				tt.check(t, rep)
			}
		})
	}
}

// TestOnlyOrderedPanels: DESIGN.md rule 5, no unrequested findings.
func TestOnlyOrderedPanels(t *testing.T) {
	path := filepath.Join("..", "..", "testdata", "example.vcf")
	for _, p := range []string{"dpyd", "brca", "lynch", "pole"} {
		rep := mustAnnotate(t, path, Options{Panels: []string{p}})
		s := rep.Samples[0]
		for _, f := range s.Findings {
			if f.Panel != p {
				t.Errorf("--panels %s reported a %s finding in %s", p, f.Panel, f.Gene)
			}
		}
		if (p == "dpyd") != (len(s.PGx) == 1) {
			t.Errorf("--panels %s: %d pgx entries", p, len(s.PGx))
		}
	}
}

// TestPOLEHotspot: POLE p.(Pro286Arg), written at its genomic position from the transcript
// model, is pathogenic in a tumour with León-Castillo 2020 as the source, and raises the
// de-escalation tag; in a germline specimen it is not classified by the hotspot rule.
func TestPOLEHotspot(t *testing.T) {
	a := annotator(t)
	tx := a.KB().Transcripts["POLE"]
	// c.857C>G: codon 286 CCT -> CGT on the transcript; POLE is on the minus strand.
	pos, ok := tx.GenomicC(cpos(t, "857"))
	if !ok {
		t.Fatal("c.857 not on the genome")
	}
	ref, ok := a.KB().Genome.Fetch("chr12", pos, pos)
	if !ok || ref != "G" {
		t.Fatalf("reference at c.857 (chr12:%d) = %q, want G (C on the minus strand)", pos, ref)
	}
	vcf := "##fileformat=VCFv4.2\n##reference=GRCh38\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n##FORMAT=<ID=AD,Number=R,Type=Integer,Description=\"AD\">\n##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"DP\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTUMOUR\n" +
		"chr12\t" + strconv.Itoa(pos) + "\t.\tG\tC\t.\tPASS\t.\tGT:AD:DP\t0/1:30,28:58\n"
	for _, spec := range []string{"tumour", "germline"} {
		rep, err := a.Annotate(context.Background(), strings.NewReader(vcf), "pole.vcf", fixed(Options{Panels: []string{"pole"}, Specimen: spec}))
		if err != nil {
			t.Fatal(err)
		}
		fs := rep.Samples[0].Findings
		if len(fs) != 1 || fs[0].HGVSp != "p.(Pro286Arg)" {
			t.Fatalf("%s: findings %+v, want one p.(Pro286Arg)", spec, fs)
		}
		hasTag := slices.Contains(fs[0].Tags, "treatment:adjuvant-de-escalation-candidate")
		if spec == "tumour" && (fs[0].Classification != "pathogenic" || !strings.Contains(fs[0].ClassificationSource, "León-Castillo") || !hasTag) {
			t.Errorf("tumour: %s (%s), tags %v", fs[0].Classification, fs[0].ClassificationSource, fs[0].Tags)
		}
		if spec == "germline" && hasTag {
			t.Errorf("germline specimen got the tumour de-escalation tag")
		}
		if vaf := fs[0].VAF; vaf == nil || *vaf < 0.48 || *vaf > 0.49 {
			t.Errorf("VAF %v, want 28/58", vaf)
		}
	}
}

// TestMalformedCorpus: every file the EBI validator must reject is rejected (invalid input, or
// a build that nothing in the file decides) or accepted with a warning naming the problem; no
// file it must accept is refused as invalid (the corpus has no build evidence, so a refusal for
// the build is the only refusal allowed there; with the build named they are accepted unless
// the header declares GRCh37).
func TestMalformedCorpus(t *testing.T) {
	root := filepath.Join(oracle.Dir(t), "vcf-invalid", "ebi-vcf-validator")
	for _, ver := range []string{"v4.1", "v4.2"} {
		for _, kind := range []string{"failed", "passed"} {
			files, _ := filepath.Glob(filepath.Join(root, ver, kind, "*.vcf"))
			if len(files) == 0 {
				t.Fatalf("no files in %s/%s", ver, kind)
			}
			for _, f := range files {
				t.Run(ver+"/"+kind+"/"+filepath.Base(f), func(t *testing.T) {
					rep, err := annotateFile(t, f, Options{})
					if kind == "passed" {
						if IsInvalid(err) {
							t.Fatalf("valid file refused as invalid: %v", err)
						}
						if _, err := annotateFile(t, f, Options{Build: "GRCh38"}); err != nil && !errors.Is(err, assembly.ErrMismatch) {
							t.Fatalf("valid file refused with --build GRCh38: %v", err)
						}
						return
					}
					switch {
					case err != nil && (IsInvalid(err) || IsBuild(err)):
						if !strings.Contains(err.Error(), filepath.Base(f)) {
							t.Errorf("error %q does not name the file", err)
						}
					case err != nil:
						t.Errorf("unexpected error kind: %v", err)
					case len(rep.Input.Warnings) == 0:
						t.Errorf("malformed file accepted without a warning")
					}
				})
			}
		}
	}
}

func cpos(t *testing.T, s string) transcript.CPos {
	t.Helper()
	p, err := transcript.ParseCPos(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGVCFReferenceBlocks: gVCF reference blocks (END=) count as tested reference (DESIGN.md
// rule 1), even a block that starts far outside the panels and runs into DPYD.
func TestGVCFReferenceBlocks(t *testing.T) {
	a := annotator(t)
	base := func(pos int) string {
		b, ok := a.KB().Genome.Fetch("chr1", pos, pos)
		if !ok {
			// Outside the built-in sequence the block's first base cannot be checked; the
			// DPYD slice starts at 97075743.
			t.Fatalf("no reference base at chr1:%d", pos)
		}
		return b
	}
	const first, snv, last = 97075743, 97082391, 97925000 // rs67376798 c.2846A>T at snv
	// DeepVariant's block FORMAT: GT:GQ:MIN_DP:PL, no DP.
	vcf := "##fileformat=VCFv4.2\n##reference=GRCh38\n##INFO=<ID=END,Number=1,Type=Integer,Description=\"End\">\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n" +
		"##FORMAT=<ID=GQ,Number=1,Type=Integer,Description=\"GQ\">\n##FORMAT=<ID=MIN_DP,Number=1,Type=Integer,Description=\"Minimum DP\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n" +
		fmt.Sprintf("chr1\t%d\t.\t%s\t<*>\t0\t.\tEND=%d\tGT:GQ:MIN_DP\t0/0:50:25\n", first, base(first), snv-1) +
		fmt.Sprintf("chr1\t%d\trs67376798\tT\tA,<*>\t50\tPASS\t.\tGT\t0/1\n", snv) +
		fmt.Sprintf("chr1\t%d\t.\t%s\t<*>\t0\t.\tEND=%d\tGT:GQ:MIN_DP\t0/0:50:25\n", snv+1, base(snv+1), last)
	rep, err := a.Annotate(context.Background(), strings.NewReader(vcf), "blocks.g.vcf", fixed(Options{Panels: []string{"dpyd"}}))
	if err != nil {
		t.Fatal(err)
	}
	// Blocks that give neither depth nor GQ show no reads: every position they cover is
	// untested, with the reason (DESIGN.md clinical rule 1).
	bare := strings.ReplaceAll(vcf, "GT:GQ:MIN_DP\t0/0:50:25", "GT\t0/0")
	bareRep, err := a.Annotate(context.Background(), strings.NewReader(bare), "bare.g.vcf", fixed(Options{Panels: []string{"dpyd"}}))
	if err != nil {
		t.Fatal(err)
	}
	if bp := bareRep.Samples[0].PGx[0]; len(bp.UntestedPositions) != 82 || len(bp.UntestedReasons) != 82 || !strings.Contains(bp.UntestedReasons[0].Reason, "no depth") {
		t.Errorf("blocks without depth or GQ: %d untested, reasons %d %v", len(bp.UntestedPositions), len(bp.UntestedReasons), bp.UntestedReasons[:min(1, len(bp.UntestedReasons))])
	}
	s := rep.Samples[0]
	p := s.PGx[0]
	if len(p.UntestedPositions) != 0 {
		t.Errorf("untested %v, want none: the blocks cover every DPYD position", p.UntestedPositions)
	}
	if p.ActivityScore == nil || *p.ActivityScore != 1.5 || p.Phenotype != "Intermediate Metabolizer" {
		t.Errorf("got %v %s, want 1.5 Intermediate Metabolizer", p.ActivityScore, p.Phenotype)
	}
	if s.QC.ReferenceBlocks != 2 {
		t.Errorf("%d reference blocks counted, want 2", s.QC.ReferenceBlocks)
	}
}

// TestUntestedCaveat: a DPYD VCF with some CPIC positions removed lists them as untested, and a
// normal-looking result carries the caveat that the true score could be lower (DESIGN.md rule 1).
func TestUntestedCaveat(t *testing.T) {
	src := filepath.Join(oracle.Dir(t), "pgx", "pharmcat", "tests", "DPYD_novariant.vcf")
	raw := testfile.Read(t, src)
	// rs3918290 is c.1905+1G>A (*2A, no function); rs55886062 is c.1679T>G (*13, no function).
	removed := []string{"rs3918290", "rs55886062"}
	var kept []string
	for _, l := range strings.SplitAfter(string(raw), "\n") {
		cols := strings.Split(l, "\t")
		if len(cols) > 2 && slices.Contains(removed, cols[2]) {
			continue
		}
		kept = append(kept, l)
	}
	for _, missing := range []string{"no-call", "reference"} {
		rep, err := annotator(t).Annotate(context.Background(), strings.NewReader(strings.Join(kept, "")), "partial.vcf", fixed(Options{Panels: []string{"dpyd"}, Missing: missing}))
		if err != nil {
			t.Fatal(err)
		}
		p := rep.Samples[0].PGx[0]
		if rep.Input.MissingPolicy != missing {
			t.Errorf("report records missing policy %q, want %q", rep.Input.MissingPolicy, missing)
		}
		if missing == "no-call" {
			slices.Sort(p.UntestedPositions)
			if !slices.Equal(p.UntestedPositions, removed) {
				t.Errorf("untested %v, want %v", p.UntestedPositions, removed)
			}
			if !strings.Contains(strings.ToLower(p.Alert.Message), "lower") {
				t.Errorf("no caveat that the score could be lower: %q", p.Alert.Message)
			}
			var text bytes.Buffer
			if err := report.WriteText(&text, rep); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text.String(), p.Alert.Message) || !strings.Contains(text.String(), "rs3918290") {
				t.Errorf("text output lacks the caveat or the untested positions:\n%s", text.String())
			}
		}
		if p.ActivityScore == nil || *p.ActivityScore != 2 || p.Phenotype != "Normal Metabolizer" {
			t.Errorf("%s: got %v %s, want 2.0 Normal Metabolizer from the tested positions", missing, p.ActivityScore, p.Phenotype)
		}
	}
}

// TestHGVSOtherSources: the c. names of the biocommons/hgvs ClinVar pairs and of cdot's
// submitted ClinVar HGVS, for the rows whose transcript is the MANE Select accession (any
// version: the CDS numbering of these older versions is the same, ../shared/data/README.md),
// come out of the whole pipeline unchanged.
func TestHGVSOtherSources(t *testing.T) {
	data := oracle.Dir(t)
	mane := map[string]string{}
	for gene, tx := range annotator(t).KB().Transcripts {
		acc, _, _ := strings.Cut(tx.ID, ".")
		mane[acc] = gene
	}
	type row struct{ chrom, pos, ref, alt, c, src string }
	var rows []row
	read := func(name string, cols func(map[string]string) row) {
		f := testfile.Read(t, filepath.Join(data, "hgvs", name))
		var head []string
		for _, l := range strings.Split(string(f), "\n") {
			if l == "" || l[0] == '#' {
				continue
			}
			c := strings.Split(l, "\t")
			if head == nil {
				head = c
				continue
			}
			m := map[string]string{}
			for i, h := range head {
				if i < len(c) {
					m[h] = c[i]
				}
			}
			r := cols(m)
			acc, _, _ := strings.Cut(r.c, ".")
			if _, ok := mane[acc]; ok && r.pos != "" && r.ref != "" && r.alt != "." {
				r.src = name
				rows = append(rows, r)
			}
		}
	}
	read("biocommons_hgvs_clinvar_pairs_9genes.tsv", func(m map[string]string) row {
		if m["build"] != "GRCh38" {
			return row{}
		}
		return row{chrom: m["chrom"], pos: m["vcf_pos"], ref: m["vcf_ref"], alt: m["vcf_alt"], c: m["transcript"] + ":" + m["hgvs_c_or_n"]}
	})
	read("cdot_clinvar_submitted_subset_9genes.tsv", func(m map[string]string) row {
		return row{chrom: m["chrom"], pos: m["pos"], ref: m["ref"], alt: m["alt"], c: m["c_hgvs"]}
	})
	if len(rows) < 20 {
		t.Fatalf("only %d rows on MANE accessions", len(rows))
	}
	var b strings.Builder
	b.WriteString("##fileformat=VCFv4.2\n##reference=GRCh38\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "chr%s\t%s\t.\t%s\t%s\t.\tPASS\t.\tGT\t0/1\n", strings.TrimPrefix(r.chrom, "chr"), r.pos, r.ref, r.alt)
	}
	rep, err := annotator(t).Annotate(context.Background(), strings.NewReader(b.String()), "pairs.vcf", fixed(Options{}))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range rep.Samples[0].Findings {
		got[fmt.Sprintf("%s:%d:%s:%s", strings.TrimPrefix(f.Chrom, "chr"), f.Pos, f.Ref, f.Alt)] = f.HGVSc
	}
	// The biocommons file lists every name ClinVar holds for a variant, legacy ones included
	// (BRCA1 185delAG appears as c.66_67delAG and c.68_69delAG): a variant agrees when our
	// name is among its names.
	names := map[string][]string{}
	var keys []string
	for _, r := range rows {
		key := strings.TrimPrefix(r.chrom, "chr") + ":" + r.pos + ":" + r.ref + ":" + r.alt
		if _, seen := names[key]; !seen {
			keys = append(keys, key)
		}
		_, c, _ := strings.Cut(r.c, ":")
		c, _, _ = strings.Cut(c, "(") // "c.68_69delAG(185delAG" -> "c.68_69delAG"
		names[key] = append(names[key], oldStyle.ReplaceAllString(c, "$1"))
	}
	// Names in the sources that are not HGVS-normalised: the inserted base equals the one
	// before it, so HGVS writes a duplication (https://hgvs-nomenclature.org/stable/recommendations/DNA/duplication/).
	notNormalised := map[string]string{
		"13:32332532:T:TT": "c.1054dup", // submitted as c.1054_1055insT
	}
	ix := panel.New(annotator(t).KB().Regions, panel.Names())
	ok, outside := 0, 0
	for _, key := range keys {
		c := strings.Split(key, ":")
		pos, _ := strconv.Atoi(c[1])
		if !ix.Contains("chr"+c[0], pos, pos+len(c[2])-1) {
			outside++ // deep intronic: not in the panels, so not reported (rule 5)
			continue
		}
		_, gotC, _ := strings.Cut(got[key], ":")
		match := gotC != "" && gotC == notNormalised[key]
		for _, want := range names[key] {
			match = match || equivalentC(gotC, want)
		}
		if match {
			ok++
			continue
		}
		t.Errorf("%s: got %q, want one of %q", key, got[key], names[key])
	}
	if ok < 30 {
		t.Errorf("only %d variants compared", ok)
	}
	t.Logf("%d of %d variants agree; %d lie outside the panel regions", ok, len(keys)-outside, outside)
}

// oldStyle matches the deleted or duplicated bases that HGVS used to write after del and dup
// ("c.860dupG", "c.1319_1326delTTACTGATinsCC"); current HGVS omits them.
var oldStyle = regexp.MustCompile(`(del|dup)[ACGT]+`)

var (
	repeatForm = regexp.MustCompile(`^c\.(\d+)([ACGT]+)\[1\]$`)
	delForm    = regexp.MustCompile(`^c\.(\d+)_(\d+)del$`)
)

// equivalentC compares c. names, taking the loss of one of two coding repeat units written
// as a repeat (c.2340GGC[1], as ClinVar writes such changes) and as the deletion of the
// 3'-most copy (c.2343_2345del) as the same name: both are valid HGVS for the same change.
func equivalentC(got, want string) bool {
	if got == want {
		return true
	}
	g, w := repeatForm.FindStringSubmatch(got), delForm.FindStringSubmatch(want)
	if g == nil || w == nil {
		return false
	}
	start, _ := strconv.Atoi(g[1])
	from, _ := strconv.Atoi(w[1])
	to, _ := strconv.Atoi(w[2])
	k := len(g[2])
	return from == start+k && to == start+2*k-1
}
