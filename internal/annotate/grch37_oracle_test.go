package annotate_test

// Done-when tests of issue 14 (GRCh37 end to end): the same DNA written on GRCh37 gives the
// same report as on GRCh38. The GRCh37 files are made from real GRCh38 files by
// vcftest.To37 (the knowledge base's sequence-derived map), or are real GRCh37 files; every
// expected value comes from the GRCh38 run of the same DNA or from the data files
// themselves. The helpers here are named g37* so that they cannot collide with the package's
// own test helpers.

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/precis-dx/precis/internal/annotate"
	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/pgx"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/vcf"
	"github.com/precis-dx/precis/internal/vcf/vcftest"
)

var g37Load = sync.OnceValues(func() (*annotate.Annotator, error) {
	k, err := kb.Load()
	if err != nil {
		return nil, err
	}
	return annotate.New(k, "test")
})

func g37Annotator(t testing.TB) *annotate.Annotator {
	t.Helper()
	a, err := g37Load()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// g37Annotate annotates VCF text with fixed time and id.
func g37Annotate(t testing.TB, text, name string, o annotate.Options) (*report.Report, error) {
	t.Helper()
	o.Now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	o.ReportID = "00000000-0000-4000-8000-000000000000"
	return g37Annotator(t).Annotate(context.Background(), strings.NewReader(text), name, o)
}

func g37MustAnnotate(t testing.TB, text, name string, o annotate.Options) *report.Report {
	t.Helper()
	rep, err := g37Annotate(t, text, name, o)
	if err != nil {
		t.Fatalf("annotate %s: %v", name, err)
	}
	return rep
}

// g37AnnotateFile annotates a real GRCh37 file with the default options and requires the
// report to say GRCh37; it returns the file's text and the report.
func g37AnnotateFile(t *testing.T, path string) (string, *report.Report) {
	t.Helper()
	text := oracle.ReadText(t, path)
	rep := g37MustAnnotate(t, text, filepath.Base(path), annotate.Options{})
	if rep.Input.GenomeBuild != "GRCh37" {
		t.Fatalf("%s: build %q, want GRCh37", path, rep.Input.GenomeBuild)
	}
	return text, rep
}

// g37Convert converts GRCh38 VCF text with vcftest.To37.
func g37Convert(t testing.TB, text string, opts vcftest.To37Options) (string, vcftest.To37Stats) {
	t.Helper()
	k := g37Annotator(t).KB()
	var out bytes.Buffer
	st, err := vcftest.To37(k.Liftover, k.Genome, strings.NewReader(text), &out, opts)
	if err != nil {
		t.Fatalf("To37: %v", err)
	}
	return out.String(), st
}

// g37Namings are the two GRCh37 contig namings: b37 ("1", no ##reference line: the contig
// lengths and REF alleles tell the build) and hg19 ("chr1", with ##reference=GRCh37).
var g37Namings = []struct {
	name string
	opts vcftest.To37Options
}{
	{"b37", vcftest.To37Options{}},
	{"hg19", vcftest.To37Options{Chr: true, Reference: true}},
}

// g37Accessions returns the RefSeq accession of each panel chromosome on each build, read from
// the data: the GRCh37 and GRCh38 gene slices name theirs in their file names
// (genes/sequence/GRCh3x/GENE_GRCh3x_NC_..._START-END.fa), and biocommons' ClinVar pairs
// (hgvs/biocommons_hgvs_clinvar_pairs_9genes.tsv) give chr12's, which has no slice.
func g37Accessions(t testing.TB) map[string]map[string]string {
	t.Helper()
	data := oracle.Dir(t)
	out := map[string]map[string]string{"GRCh37": {}, "GRCh38": {}}
	add := func(build, chrom, acc string) {
		c, ok := vcf.CanonicalChrom(chrom)
		if !ok {
			t.Fatalf("accession %s: chromosome %q", acc, chrom)
		}
		if old, ok := out[build][c]; ok && old != acc {
			t.Fatalf("%s %s: accessions %s and %s", build, c, old, acc)
		}
		out[build][c] = acc
	}
	for _, build := range []string{"GRCh37", "GRCh38"} {
		paths, err := filepath.Glob(filepath.Join(data, "genes", "sequence", build, "*.fa"))
		if err != nil || len(paths) == 0 {
			t.Fatalf("%s slices: %v", build, err)
		}
		for _, p := range paths {
			acc := regexp.MustCompile(`_(NC_0000\d\d\.\d+)_`).FindStringSubmatch(filepath.Base(p))
			if acc == nil {
				t.Fatalf("%s: no accession in the name", p)
			}
			n, _ := strconv.Atoi(acc[1][3:9])
			add(build, strconv.Itoa(n), acc[1])
		}
	}
	for _, c := range oracle.DataLines(t, filepath.Join(data, "hgvs", "biocommons_hgvs_clinvar_pairs_9genes.tsv")) {
		if len(c) > 4 && (c[2] == "GRCh37" || c[2] == "GRCh38") && strings.HasPrefix(c[3], "NC_") && c[0] != "variation_id" {
			add(c[2], c[4], c[3])
		}
	}
	for _, c := range []string{"chr1", "chr2", "chr3", "chr7", "chr12", "chr13", "chr17"} {
		if out["GRCh37"][c] == "" || out["GRCh38"][c] == "" {
			t.Fatalf("no accession for %s: %v", c, out)
		}
	}
	return out
}

// g37Numbers finds the numbers of an HGVS g. description; repeat counts ("CTC[1]") and
// inserted lengths ("ins(12)") are matched whole so that only positions are mapped.
var g37Numbers = regexp.MustCompile(`\[\d+\]|ins\(\d+\)|\d+`)

// g37HGVSg returns the GRCh37 hgvs_g of a GRCh38 one: the GRCh37 accession and every
// position mapped by the knowledge base's map. ok is false when a position does not map.
func g37HGVSg(lo *kb.Liftover, acc map[string]map[string]string, chrom, g38 string) (string, bool) {
	_, rest, found := strings.Cut(g38, ":g.")
	if !found {
		return "", false
	}
	ok := true
	mapped := g37Numbers.ReplaceAllStringFunc(rest, func(s string) string {
		p, err := strconv.Atoi(s)
		if err != nil {
			return s // a repeat count or an inserted length
		}
		_, p37, m := lo.To37(chrom, p)
		ok = ok && m
		return strconv.Itoa(p37)
	})
	return acc["GRCh37"][chrom] + ":g." + mapped, ok
}

// g37Key identifies a finding by gene and its normalised allele, which is on GRCh38 for
// input on either build (the form matched against the knowledge base): the same DNA has the
// same normalised allele whichever build wrote it, also where the builds' reference bases
// differ and the records write REF and ALT exchanged (GRCh38 A>G is GRCh37 G>A). A GRCh37
// finding's own position must map to its record's GRCh38 position (checked here: a finding
// whose input position the map does not place gets a key no GRCh38 finding has).
func g37Key(lo *kb.Liftover, build string, f report.Finding) string {
	c, _ := vcf.CanonicalChrom(f.Chrom)
	if build == "GRCh37" {
		if _, _, ok := lo.To38(c, f.Pos); !ok {
			return fmt.Sprintf("%s %s:%d %s>%s (GRCh37, not mapped)", f.Gene, c, f.Pos, f.Ref, f.Alt)
		}
	}
	n := f.Normalized
	return fmt.Sprintf("%s %s:%d %s>%s %s", f.Gene, c, n.Pos, n.Ref, n.Alt, f.SVType)
}

// g37Diffs collects differences and prints the first ones, so that a GRCh37 path that is not
// there yet fails readably.
type g37Diffs struct {
	t     testing.TB
	n     int
	limit int
}

func (d *g37Diffs) errorf(format string, args ...any) {
	d.t.Helper()
	d.n++
	if d.n <= d.limit {
		d.t.Errorf(format, args...)
	}
}

func (d *g37Diffs) done(what string) {
	d.t.Helper()
	if d.n > d.limit {
		d.t.Errorf("%s: %d differences in all (first %d shown)", what, d.n, d.limit)
	}
}

// g37CompareFinding compares the fields that must not depend on the build.
func g37CompareFinding(d *g37Diffs, what string, f38, f37 report.Finding) {
	d.t.Helper()
	for _, c := range []struct{ field, a, b string }{
		{"gene", f38.Gene, f37.Gene},
		{"hgvs_c", f38.HGVSc, f37.HGVSc},
		{"hgvs_p", f38.HGVSp, f37.HGVSp},
		{"consequence", f38.Consequence, f37.Consequence},
		{"classification", f38.Classification, f37.Classification},
		{"clinvar_variation_id", f38.ClinVarID, f37.ClinVarID},
		{"zygosity", f38.Zygosity, f37.Zygosity},
		{"tags", strings.Join(f38.Tags, ","), strings.Join(f37.Tags, ",")},
	} {
		if c.a != c.b {
			d.errorf("%s: %s: GRCh38 %q, GRCh37 %q", what, c.field, c.a, c.b)
		}
	}
}

// g37CompareSample compares the sample tags and the DPYD calls of two samples.
func g37CompareSample(d *g37Diffs, what string, s38, s37 report.Sample) {
	d.t.Helper()
	if !slices.Equal(s38.Tags, s37.Tags) {
		d.errorf("%s: sample tags: GRCh38 %v, GRCh37 %v", what, s38.Tags, s37.Tags)
	}
	if len(s38.PGx) != len(s37.PGx) {
		d.errorf("%s: %d pgx results on GRCh38, %d on GRCh37", what, len(s38.PGx), len(s37.PGx))
		return
	}
	for i := range s38.PGx {
		g37ComparePGx(d, what, s38.PGx[i], s37.PGx[i])
	}
}

func g37Score(r pgx.Result) string {
	if r.ActivityScore == nil {
		return "n/a"
	}
	return strconv.FormatFloat(*r.ActivityScore, 'f', 1, 64)
}

func g37ComparePGx(d *g37Diffs, what string, a, b pgx.Result) {
	d.t.Helper()
	for _, c := range []struct{ field, a, b string }{
		{"gene", a.Gene, b.Gene},
		{"diplotype", a.Diplotype, b.Diplotype},
		{"activity_score", g37Score(a), g37Score(b)},
		{"phenotype", a.Phenotype, b.Phenotype},
		{"alert.severity", a.Alert.Severity, b.Alert.Severity},
		{"tags", strings.Join(a.Tags, ","), strings.Join(b.Tags, ",")},
		{"alleles", strings.Join(a.Alleles, ","), strings.Join(b.Alleles, ",")},
		{"untested_positions", strings.Join(a.UntestedPositions, ","), strings.Join(b.UntestedPositions, ",")},
		{"complete_test", strconv.FormatBool(a.Complete), strconv.FormatBool(b.Complete)},
	} {
		if c.a != c.b {
			d.errorf("%s: %s %s: GRCh38 %q, GRCh37 %q", what, a.Gene, c.field, c.a, c.b)
		}
	}
}

// g37PanelVCF is the header of a one-sample GRCh38 VCF over the panel chromosomes, with
// GRCh38 contig lengths from the build markers.
func g37PanelHeader(t testing.TB, samples ...string) string {
	t.Helper()
	var sb strings.Builder
	sb.WriteString("##fileformat=VCFv4.2\n##reference=GRCh38\n")
	for _, c := range oracle.DataLines(t, filepath.Join(oracle.Dir(t), "genes", "build_markers.GRCh37_vs_GRCh38.tsv")) {
		if c[0] == "contig_length" {
			fmt.Fprintf(&sb, "##contig=<ID=%s,length=%s,assembly=GRCh38>\n", c[5], c[6])
		}
	}
	sb.WriteString("##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n")
	sb.WriteString("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
	if len(samples) > 0 {
		sb.WriteString("\tFORMAT\t" + strings.Join(samples, "\t"))
	}
	sb.WriteString("\n")
	return sb.String()
}

// TestGRCh37ClinVarPLPBothBuilds writes every Pathogenic/Likely pathogenic ClinVar record of
// the nine panel genes (clinvar/panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz) as a GRCh38
// VCF with one heterozygous sample, converts it to GRCh37 (b37 and hg19 naming) and requires
// the GRCh37 reports to say GRCh37 and to give, finding by finding, the GRCh38 report's gene,
// hgvs_c, hgvs_p, consequence, classification, ClinVar id, zygosity and tags, hgvs_g on the
// GRCh37 accession at the GRCh37 position, and the same sample tags and DPYD call.
func TestGRCh37ClinVarPLPBothBuilds(t *testing.T) {
	a := g37Annotator(t)
	lo := a.KB().Liftover
	acc := g37Accessions(t)
	path := filepath.Join(oracle.Dir(t), "clinvar", "panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz")
	var sb strings.Builder
	sb.WriteString(g37PanelHeader(t, "S1"))
	type rec struct{ id, gene string }
	var recs []rec // by data line of the written VCF
	for _, c := range oracle.DataLines(t, path) {
		gene := oracle.Info(c[7])["GENE"]
		fmt.Fprintf(&sb, "chr%s\t%s\t%s\t%s\t%s\t.\tPASS\t.\tGT\t0/1\n", c[0], c[1], c[2], c[3], c[4])
		recs = append(recs, rec{c[2], gene})
	}
	in := sb.String()
	headerLines := strings.Count(g37PanelHeader(t, "S1"), "\n")
	// Measured: the 4 records the map cannot place are all POLE, intronic or at splice
	// sites beyond the exon-model blocks (POLE has no GRCh37 sequence, so only its exons are
	// mapped); every record of the other eight genes maps (BRCA1's build indels lie upstream
	// of the gene). A fifth one means the map lost ground. They are listed, and left out of
	// the GRCh38 file too, so that both reports describe the same records.
	const maxUnmapped = 4
	_, st := g37Convert(t, in, vcftest.To37Options{SkipUnmapped: true, ExonModel: true})
	drop := map[int]bool{}
	for _, u := range st.Unmapped {
		r := recs[u.Line-headerLines-1]
		t.Logf("not placed on GRCh37: ClinVar %s %s %s", r.id, r.gene, u)
		if r.gene != "POLE" {
			t.Errorf("ClinVar %s (%s) not placed on GRCh37: %s", r.id, r.gene, u)
		}
		drop[u.Line] = true
	}
	if len(st.Unmapped) > maxUnmapped {
		t.Errorf("%d records not placed on GRCh37, at most %d expected", len(st.Unmapped), maxUnmapped)
	}
	var kept []string
	for i, l := range strings.SplitAfter(in, "\n") {
		if !drop[i+1] {
			kept = append(kept, l)
		}
	}
	in = strings.Join(kept, "")
	rep38 := g37MustAnnotate(t, in, "plp.GRCh38.vcf", annotate.Options{})
	if rep38.Input.GenomeBuild != "GRCh38" || len(rep38.Samples) != 1 {
		t.Fatalf("GRCh38 run: build %q, %d samples", rep38.Input.GenomeBuild, len(rep38.Samples))
	}
	byKey38 := map[string]report.Finding{}
	for _, f := range rep38.Samples[0].Findings {
		byKey38[g37Key(lo, "GRCh38", f)] = f
	}
	t.Logf("%d ClinVar P/LP records written; GRCh38 report: %d findings", len(recs), len(rep38.Samples[0].Findings))
	for _, nm := range g37Namings {
		t.Run(nm.name, func(t *testing.T) {
			opts := nm.opts
			opts.ExonModel = true
			out, st := g37Convert(t, in, opts)
			rep37, err := g37Annotate(t, out, "plp."+nm.name+".vcf", annotate.Options{})
			if err != nil {
				t.Fatalf("annotate the GRCh37 file: %v", err)
			}
			if rep37.Input.GenomeBuild != "GRCh37" {
				t.Errorf("input.genome_build %q, want GRCh37", rep37.Input.GenomeBuild)
			}
			if len(rep37.Samples) != 1 {
				t.Fatalf("%d samples", len(rep37.Samples))
			}
			d := &g37Diffs{t: t, limit: 60}
			compared := 0
			seen := map[string]bool{}
			for _, f37 := range rep37.Samples[0].Findings {
				key := g37Key(lo, "GRCh37", f37)
				seen[key] = true
				f38, ok := byKey38[key]
				if !ok {
					d.errorf("GRCh37 finding %s (%s:%d %s>%s, %s) has no GRCh38 counterpart", key, f37.Chrom, f37.Pos, f37.Ref, f37.Alt, f37.HGVSc)
					continue
				}
				what := fmt.Sprintf("ClinVar %s %s %s (GRCh37 %s:%d)", f38.ClinVarID, f38.Gene, f38.HGVSg, f37.Chrom, f37.Pos)
				compared++
				g37CompareFinding(d, what, f38, f37)
				c, _ := vcf.CanonicalChrom(f38.Chrom)
				want, ok := g37HGVSg(lo, acc, c, f38.HGVSg)
				if !ok {
					d.errorf("%s: hgvs_g %s has a position the map does not place", what, f38.HGVSg)
				} else if f37.HGVSg != want {
					d.errorf("%s: hgvs_g: GRCh37 %q, want %q", what, f37.HGVSg, want)
				}
			}
			for key, f38 := range byKey38 {
				if !seen[key] {
					d.errorf("ClinVar %s %s %s: no GRCh37 finding", f38.ClinVarID, f38.Gene, f38.HGVSg)
				}
			}
			g37CompareSample(d, "sample", rep38.Samples[0], rep37.Samples[0])
			d.done("ClinVar P/LP")
			t.Logf("%s: %d records converted, %d GRCh37 findings, %d compared field by field", nm.name, st.Written, len(rep37.Samples[0].Findings), compared)
			if compared == 0 {
				t.Error("no finding compared")
			}
		})
	}
}

// g37DPYDCase is one PharmCAT DPYD input with its expected activity score and phenotype.
type g37DPYDCase struct {
	file, score, phenotype string
}

// g37DPYDCases reads the PharmCAT DPYD test files (pgx/EXPECTED.md section 1) and the 110
// HapB3 cases (pgx/cases/expected.tsv) with their expected activity score and phenotype.
func g37DPYDCases(t *testing.T) []g37DPYDCase {
	dir := filepath.Join(oracle.Dir(t), "pgx")
	var out []g37DPYDCase
	row := regexp.MustCompile(`^\| (DPYD_\S+\.vcf) \|[^|]*\|[^|]+\| ([0-9.]+) \| ([A-Za-z ]+) \|$`)
	for _, l := range strings.Split(oracle.ReadText(t, filepath.Join(dir, "EXPECTED.md")), "\n") {
		if m := row.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			out = append(out, g37DPYDCase{filepath.Join(dir, "pharmcat", "tests", m[1]), m[2], strings.TrimSpace(m[3])})
		}
	}
	if len(out) != 7 {
		t.Fatalf("EXPECTED.md: %d PharmCAT DPYD files, want 7", len(out))
	}
	rows := strings.Split(strings.TrimSpace(strings.ReplaceAll(oracle.ReadText(t, filepath.Join(dir, "cases", "expected.tsv")), "\r\n", "\n")), "\n")
	col := map[string]int{}
	for i, h := range strings.Split(rows[0], "\t") {
		col[strings.SplitN(h, "(", 2)[0]] = i
	}
	for _, r := range rows[1:] {
		f := strings.Split(r, "\t")
		out = append(out, g37DPYDCase{filepath.Join(dir, "cases", "vcf", strings.ReplaceAll(f[col["case"]], ".", "_")+".vcf"), f[col["derived_activity_score"]], f[col["derived_phenotype"]]})
	}
	if len(out) != 7+110 {
		t.Fatalf("%d DPYD cases, want 117", len(out))
	}
	return out
}

// TestGRCh37PharmCATDPYD moves PharmCAT's seven DPYD test VCFs and the 110 HapB3 cases to
// GRCh37 (both namings; rs1801265 has REF and ALT exchanged there) and requires, under both
// missing-position policies, the GRCh38 run's diplotype, activity score, phenotype, alert
// severity, tags, alleles, untested positions and completeness, and the same findings.
func TestGRCh37PharmCATDPYD(t *testing.T) {
	lo := g37Annotator(t).KB().Liftover
	cases := g37DPYDCases(t)
	swapped, agree := 0, 0
	for _, c := range cases {
		t.Run(strings.TrimSuffix(filepath.Base(c.file), ".vcf"), func(t *testing.T) {
			in := oracle.ReadText(t, c.file)
			for _, missing := range []string{"no-call", "reference"} {
				o := annotate.Options{Missing: missing}
				rep38 := g37MustAnnotate(t, in, filepath.Base(c.file), o)
				// The GRCh38 run is the reference; its agreement with the case's own
				// expectation is package pgx's test, counted here for the log only.
				if len(rep38.Samples) == 1 && len(rep38.Samples[0].PGx) == 1 {
					if r := rep38.Samples[0].PGx[0]; g37Score(r) == c.score && r.Phenotype == c.phenotype {
						agree++
					} else {
						t.Logf("GRCh38 run, missing=%s: %s %s, the case expects %s %s", missing, g37Score(r), r.Phenotype, c.score, c.phenotype)
					}
				}
				for _, nm := range g37Namings {
					what := fmt.Sprintf("%s missing=%s", nm.name, missing)
					out, st := g37Convert(t, in, nm.opts)
					swapped += st.Swapped
					rep37, err := g37Annotate(t, out, filepath.Base(c.file), o)
					if err != nil {
						t.Errorf("%s: annotate the GRCh37 file: %v", what, err)
						continue
					}
					if rep37.Input.GenomeBuild != "GRCh37" {
						t.Errorf("%s: input.genome_build %q", what, rep37.Input.GenomeBuild)
					}
					if len(rep37.Samples) != len(rep38.Samples) {
						t.Errorf("%s: %d samples, GRCh38 %d", what, len(rep37.Samples), len(rep38.Samples))
						continue
					}
					d := &g37Diffs{t: t, limit: 20}
					for i := range rep38.Samples {
						s38, s37 := rep38.Samples[i], rep37.Samples[i]
						g37CompareSample(d, what, s38, s37)
						if len(s38.Findings) != len(s37.Findings) {
							d.errorf("%s: %d findings, GRCh38 %d", what, len(s37.Findings), len(s38.Findings))
						}
						f38 := map[string]report.Finding{}
						for _, f := range s38.Findings {
							f38[g37Key(lo, "GRCh38", f)] = f
						}
						for _, f := range s37.Findings {
							k := g37Key(lo, "GRCh37", f)
							if g, ok := f38[k]; ok {
								g37CompareFinding(d, what+" "+g.HGVSc, g, f)
							} else {
								d.errorf("%s: GRCh37 finding %s (%s) has no GRCh38 counterpart", what, k, f.HGVSc)
							}
						}
						if len(s37.PGx) != 1 {
							d.errorf("%s: %d pgx results, want DPYD's", what, len(s37.PGx))
						}
					}
					d.done(what)
				}
			}
		})
	}
	t.Logf("%d DPYD files x 2 missing policies x %d namings compared; the GRCh38 run gives the expected activity score and phenotype in %d of %d runs", len(cases), len(g37Namings), agree, 2*len(cases))
	// Every file holds rs1801265 (all 83 positions): its REF and ALT are exchanged on GRCh37.
	if want := len(cases) * 2 * len(g37Namings); swapped != want {
		t.Errorf("%d records with REF and ALT exchanged, want %d (rs1801265 in every file)", swapped, want)
	}
}

// g37Info returns an INFO value.
func g37Info(info, key string) string {
	for _, kv := range strings.Split(info, ";") {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

// TestGRCh37RealFiles runs the real GRCh37 files of the shared data: ClinVar 2016 (b37,
// sites only, all classes, the nine genes), slivar's GRCh37 ClinVar excerpt and the 1000
// Genomes chr22 genotypes. Each is annotated as GRCh37. The ClinVar 2016 findings are
// compared with the GRCh38 run of the same records lifted by the map (same gene, c., p.,
// consequence, classification, ClinVar id, tags), their hgvs_g with the record itself (SNVs:
// the GRCh37 accession, POS, REF and ALT), and their ClinVar ids with the file's own
// MEASURESET_ID.
func TestGRCh37RealFiles(t *testing.T) {
	a := g37Annotator(t)
	lo := a.KB().Liftover
	acc := g37Accessions(t)
	data := oracle.Dir(t)

	t.Run("macarthur_clinvar_2016-09.b37", func(t *testing.T) {
		path := filepath.Join(data, "clinvar", "macarthur_clinvar_2016-09.b37.panel9.vcf.gz")
		_, rep37 := g37AnnotateFile(t, path)
		if len(rep37.Samples) != 1 {
			t.Fatalf("build %q, %d samples (sites only: one pseudo-sample)", rep37.Input.GenomeBuild, len(rep37.Samples))
		}
		// The same records on GRCh38, lifted by the map; records at a reference difference or
		// that do not lift are left out (counted).
		var sb strings.Builder
		sb.WriteString(g37PanelHeader(t))
		measureset := map[string]string{} // GRCh38 "chrom:pos ref>alt" -> MEASURESET_ID
		records, lifted, notLifted, refDiff := 0, 0, 0, 0
		for _, c := range oracle.DataLines(t, path) {
			records++
			pos, _ := strconv.Atoi(c[1])
			l, ok := lo.Lift(c[0], pos, c[3])
			switch {
			case !ok:
				notLifted++
				continue
			case l.RefChanged:
				refDiff++
				continue
			}
			lifted++
			fmt.Fprintf(&sb, "%s\t%d\t%s\t%s\t%s\t.\t.\t.\n", l.Chrom, l.Pos, c[2], l.Ref, c[4])
			for _, alt := range strings.Split(c[4], ",") {
				measureset[fmt.Sprintf("%s:%d %s>%s", l.Chrom, l.Pos, l.Ref, alt)] = g37Info(c[7], "MEASURESET_ID")
			}
		}
		t.Logf("%d records: %d lifted to GRCh38, %d at a reference difference, %d not lifted", records, lifted, refDiff, notLifted)
		rep38 := g37MustAnnotate(t, sb.String(), "macarthur.lifted.GRCh38.vcf", annotate.Options{})
		byKey38 := map[string]report.Finding{}
		for _, f := range rep38.Samples[0].Findings {
			byKey38[g37Key(lo, "GRCh38", f)] = f
		}
		d := &g37Diffs{t: t, limit: 60}
		compared, snvs, sameID, withID := 0, 0, 0, 0
		for _, f37 := range rep37.Samples[0].Findings {
			c, _ := vcf.CanonicalChrom(f37.Chrom)
			what := fmt.Sprintf("%s %s:%d %s>%s", f37.Gene, f37.Chrom, f37.Pos, f37.Ref, f37.Alt)
			l, ok := lo.Lift(c, f37.Pos, f37.Ref)
			if !ok || l.RefChanged {
				continue // not in the GRCh38 file: no counterpart to compare with
			}
			if len(f37.Ref) == 1 && len(f37.Alt) == 1 {
				snvs++
				if want := fmt.Sprintf("%s:g.%d%s>%s", acc["GRCh37"][c], f37.Pos, f37.Ref, f37.Alt); f37.HGVSg != want {
					d.errorf("%s: hgvs_g %q, want %q", what, f37.HGVSg, want)
				}
			}
			f38, ok := byKey38[g37Key(lo, "GRCh37", f37)]
			if !ok {
				d.errorf("%s: no finding for the same record on GRCh38", what)
				continue
			}
			compared++
			g37CompareFinding(d, what, f38, f37)
			if f37.ClinVarID != "" {
				withID++
				if f37.ClinVarID == measureset[fmt.Sprintf("%s:%d %s>%s", l.Chrom, l.Pos, l.Ref, f37.Alt)] {
					sameID++
				}
			}
		}
		seen := map[string]bool{}
		for _, f := range rep37.Samples[0].Findings {
			seen[g37Key(lo, "GRCh37", f)] = true
		}
		for key, f38 := range byKey38 {
			if !seen[key] {
				d.errorf("%s (%s, ClinVar %s): a GRCh38 finding with no GRCh37 counterpart", key, f38.HGVSc, f38.ClinVarID)
			}
		}
		d.done("ClinVar 2016 b37")
		t.Logf("%d GRCh37 findings, %d compared with GRCh38, %d SNV hgvs_g checked; %d of the %d with a ClinVar id carry the file's MEASURESET_ID", len(rep37.Samples[0].Findings), compared, snvs, sameID, withID)
		if compared == 0 || snvs == 0 {
			t.Errorf("%d findings compared, %d SNVs, of %d lifted records", compared, snvs, lifted)
		}
		// The knowledge base's ClinVar releases are 2024-2026: a 2016 record can have been
		// merged or re-issued (insertions placed elsewhere, package kb's doc), but most
		// Variation IDs are stable: measured on GRCh38, 10,794 of the 10,987 lifted records
		// that the knowledge base's ClinVar holds (Lookup after normalising) carry the
		// file's MEASURESET_ID (98.2%). 90% leaves room for the panel regions' share.
		if withID == 0 || sameID*10 < withID*9 {
			t.Errorf("%d of %d ClinVar ids agree with the file's MEASURESET_ID", sameID, withID)
		}
	})

	t.Run("slivar_clinvar_20191007.GRCh37.small", func(t *testing.T) {
		path := filepath.Join(data, "clinvar", "slivar_clinvar_20191007.GRCh37.small.vcf.gz")
		_, rep := g37AnnotateFile(t, path)
		records, inPanel := 0, 0
		for _, c := range oracle.DataLines(t, path) {
			records++
			gene, _, _ := strings.Cut(g37Info(c[7], "GENEINFO"), ":")
			if _, ok := a.KB().Transcripts[gene]; ok {
				inPanel++
			}
		}
		findings := 0
		for _, s := range rep.Samples {
			findings += len(s.Findings)
			if s.QC.RecordsRead != records {
				t.Errorf("records_read %d, the file has %d", s.QC.RecordsRead, records)
			}
		}
		// The excerpt's genes (GENEINFO) are outside the panel: no finding.
		if inPanel == 0 && findings != 0 {
			t.Errorf("%d findings, but no record is in a panel gene", findings)
		}
		t.Logf("%d records, %d in panel genes, %d findings", records, inPanel, findings)
	})

	t.Run("1kg_genotypes.chr22.GRCh37", func(t *testing.T) {
		path := filepath.Join(data, "vcf-real", "igv-reports", "1kg_genotypes.chr22.GRCh37.vcf")
		text, rep := g37AnnotateFile(t, path)
		var samples []string
		for _, l := range strings.Split(text, "\n") {
			if strings.HasPrefix(l, "#CHROM") {
				samples = strings.Split(l, "\t")[9:]
			}
		}
		if len(rep.Samples) != len(samples) {
			t.Errorf("%d samples, the file has %d", len(rep.Samples), len(samples))
		}
		// No panel gene lies on chr22: no finding.
		for _, r := range a.KB().Regions {
			if r.Chrom == "chr22" {
				t.Fatalf("a panel region on chr22: %+v", r)
			}
		}
		for _, s := range rep.Samples {
			if len(s.Findings) != 0 {
				t.Errorf("sample %s: %d findings on chr22", s.SampleID, len(s.Findings))
			}
		}
		t.Logf("%d samples", len(rep.Samples))
	})
}

var g37Frameshift = regexp.MustCompile(`^(p\.[A-Z][a-z]{2}\d+)(?:[A-Z][a-z]{2})?fs.*$`)

// g37NormP compares p. names as the hgvs package's mehari test does: no accession, no
// parentheses, short frameshifts; mehari's p.? for non-coding changes is empty here.
func g37NormP(s string) string {
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[i+1:]
	}
	s = strings.NewReplacer("(", "", ")", "").Replace(s)
	if s == "p.?" {
		return ""
	}
	return g37Frameshift.ReplaceAllString(s, "${1}fs")
}

// TestGRCh37MehariBRCA1 writes the rows of mehari's GRCh37 BRCA1 snapshot whose REF matches
// the genome (hgvs/mehari_BRCA1_NM_007294.4_GRCh37_expected.tsv, check genome_ref_ok; the
// others are flagged REF mismatches) as a GRCh37 VCF and compares hgvs_g (GRCh37 accession and
// position from the row), hgvs_c and hgvs_p with mehari's. Whether a row makes a finding at all
// (the panel regions) is taken from the GRCh38 run of the same DNA.
func TestGRCh37MehariBRCA1(t *testing.T) {
	a := g37Annotator(t)
	lo := a.KB().Liftover
	path := filepath.Join(oracle.Dir(t), "hgvs", "mehari_BRCA1_NM_007294.4_GRCh37_expected.tsv")
	var header []string
	type row map[string]string
	var rows []row
	for _, c := range oracle.DataLines(t, path) {
		if header == nil {
			header = c // the first non-comment line names the columns
			continue
		}
		r := row{}
		for i, h := range header {
			if i < len(c) {
				r[h] = c[i]
			}
		}
		if strings.Contains(r["check"], "genome_ref_ok") {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 || header[0] != "snapshot" {
		t.Fatalf("%s: header %v, %d rows", path, header, len(rows))
	}
	sort.SliceStable(rows, func(i, j int) bool {
		pi, _ := strconv.Atoi(rows[i]["pos"])
		pj, _ := strconv.Atoi(rows[j]["pos"])
		return pi < pj
	})
	var s37, s38 strings.Builder
	s37.WriteString(fmt.Sprintf("##fileformat=VCFv4.2\n##reference=GRCh37\n##contig=<ID=17,length=%d,assembly=b37>\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n", vcftest.GRCh37Length("17")))
	s38.WriteString(g37PanelHeader(t, "S1"))
	for _, r := range rows {
		pos, _ := strconv.Atoi(r["pos"])
		fmt.Fprintf(&s37, "%s\t%d\t.\t%s\t%s\t.\tPASS\t.\tGT\t0/1\n", r["chrom"], pos, r["ref"], r["alt"])
		l, ok := lo.Lift(r["chrom"], pos, r["ref"])
		if !ok || l.RefChanged {
			t.Fatalf("row %s: does not lift to GRCh38 (%v) or is at a reference difference", r["snapshot"], ok)
		}
		fmt.Fprintf(&s38, "%s\t%d\t.\t%s\t%s\t.\tPASS\t.\tGT\t0/1\n", l.Chrom, l.Pos, l.Ref, r["alt"])
	}
	rep38 := g37MustAnnotate(t, s38.String(), "mehari.GRCh38.vcf", annotate.Options{})
	rep37, err := g37Annotate(t, s37.String(), "mehari.GRCh37.vcf", annotate.Options{})
	if err != nil {
		t.Fatalf("annotate the GRCh37 file: %v", err)
	}
	if rep37.Input.GenomeBuild != "GRCh37" {
		t.Errorf("input.genome_build %q", rep37.Input.GenomeBuild)
	}
	find := func(rep *report.Report, pos int, alt string) (report.Finding, bool) {
		for _, f := range rep.Samples[0].Findings {
			if f.Pos == pos && f.Alt == alt && f.Gene == "BRCA1" {
				return f, true
			}
		}
		return report.Finding{}, false
	}
	checked := 0
	for _, r := range rows {
		pos, _ := strconv.Atoi(r["pos"])
		what := fmt.Sprintf("mehari 17:%d %s>%s (%s)", pos, r["ref"], r["alt"], r["hgvs_c"])
		l, _ := lo.Lift(r["chrom"], pos, r["ref"])
		_, in38 := find(rep38, l.Pos, r["alt"])
		f37, in37 := find(rep37, pos, r["alt"])
		if in38 != in37 {
			t.Errorf("%s: a finding on GRCh38 %v, on GRCh37 %v", what, in38, in37)
			continue
		}
		if !in37 {
			t.Logf("%s: outside the panel regions on both builds", what)
			continue
		}
		checked++
		if want := fmt.Sprintf("%s:g.%d%s>%s", r["chrom_acc"], pos, r["ref"], r["alt"]); f37.HGVSg != want {
			t.Errorf("%s: hgvs_g %q, want %q", what, f37.HGVSg, want)
		}
		if r["hgvs_c"] == "" {
			continue
		}
		if want := r["transcript"] + ":" + r["hgvs_c"]; f37.HGVSc != want {
			t.Errorf("%s: hgvs_c %q, want %q", what, f37.HGVSc, want)
		}
		if got, want := g37NormP(f37.HGVSp), g37NormP(r["hgvs_p"]); got != want {
			t.Errorf("%s: hgvs_p %q, want %q", what, f37.HGVSp, r["hgvs_p"])
		}
	}
	t.Logf("%d rows with the genome's REF, %d made findings and were checked", len(rows), checked)
	if checked == 0 {
		t.Error("no row checked")
	}
}

// TestGRCh37DPYDGVCF: a gVCF over the whole of DPYD (real GATK reference-block sample columns
// from nfcore-slivar/gvcf_sample.g.vcf.gz, as the package's DPYD tests use) gives the same DPYD
// call, sample tags, findings and DPYD coverage on GRCh37 as on GRCh38: with no variant (a
// complete normal test, where GRCh37's reference block must be cut at rs1801265 and the site
// written as an explicit GRCh37 ALT), with PharmCAT's c.2846A>T heterozygous, and with
// rs1801265 (c.85T>C) heterozygous and homozygous. Sites and alleles come from PharmCAT's
// test files.
func TestGRCh37DPYDGVCF(t *testing.T) {
	a := g37Annotator(t)
	lo := a.KB().Liftover
	data := oracle.Dir(t)
	var format, sample string
	for _, c := range oracle.DataLines(t, filepath.Join(data, "vcf-real", "nfcore-slivar", "gvcf_sample.g.vcf.gz")) {
		if c[4] == "<NON_REF>" && c[8] == "GT:DP:GQ:MIN_DP:PL" {
			v := strings.Split(c[9], ":")
			if minDP, _ := strconv.Atoi(v[3]); minDP >= annotate.DefaultMinDP {
				if gq, _ := strconv.Atoi(v[2]); gq >= annotate.DefaultMinGQ {
					format, sample = c[8], c[9]
					break
				}
			}
		}
	}
	if format == "" {
		t.Fatal("no adequate real GATK block")
	}
	// PharmCAT's alleles: the non-reference records of DPYD_c2846het.vcf, and rs1801265's
	// REF/ALT in the same file.
	type site struct {
		pos      int
		ref, alt string
	}
	var c2846, rs1801265 site
	for _, c := range oracle.DataLines(t, filepath.Join(data, "pgx", "pharmcat", "tests", "DPYD_c2846het.vcf")) {
		pos, _ := strconv.Atoi(c[1])
		switch {
		case c[9] != "0/0":
			c2846 = site{pos, c[3], c[4]}
		case c[2] == "rs1801265":
			rs1801265 = site{pos, c[3], c[4]}
		}
	}
	if c2846.pos == 0 || rs1801265.pos == 0 {
		t.Fatalf("PharmCAT file: %+v %+v", c2846, rs1801265)
	}
	const first, last = 97075743, 97925000 // the knowledge base's GRCh38 DPYD bases
	gvcf := func(sites map[site]string) string {
		var sb strings.Builder
		sb.WriteString("##fileformat=VCFv4.2\n##reference=GRCh38\n##contig=<ID=chr1,length=248956422,assembly=GRCh38>\n")
		sb.WriteString("##INFO=<ID=END,Number=1,Type=Integer,Description=\"End\">\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n")
		sb.WriteString("##FORMAT=<ID=AD,Number=R,Type=Integer,Description=\"AD\">\n##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"DP\">\n##FORMAT=<ID=GQ,Number=1,Type=Integer,Description=\"GQ\">\n")
		sb.WriteString("##FORMAT=<ID=MIN_DP,Number=1,Type=Integer,Description=\"MIN_DP\">\n##FORMAT=<ID=PL,Number=G,Type=Integer,Description=\"PL\">\n")
		sb.WriteString("##ALT=<ID=NON_REF,Description=\"Represents any possible alternative allele at this location\">\n")
		sb.WriteString("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n")
		var ss []site
		for s := range sites {
			ss = append(ss, s)
		}
		sort.Slice(ss, func(i, j int) bool { return ss[i].pos < ss[j].pos })
		next := first
		block := func(s, e int) {
			ref, ok := a.KB().Genome.Fetch("chr1", s, s)
			if !ok {
				t.Fatalf("no GRCh38 base at chr1:%d", s)
			}
			fmt.Fprintf(&sb, "chr1\t%d\t.\t%s\t<NON_REF>\t.\t.\tEND=%d\t%s\t%s\n", s, ref, e, format, sample)
		}
		for _, s := range ss {
			if s.pos > next {
				block(next, s.pos-1)
			}
			ad := "20,20,0"
			if sites[s] == "1/1" {
				ad = "0,40,0"
			}
			fmt.Fprintf(&sb, "chr1\t%d\t.\t%s\t%s,<NON_REF>\t500\tPASS\t.\tGT:AD:DP:GQ\t%s:%s:40:99\n", s.pos, s.ref, s.alt, sites[s], ad)
			next = s.pos + len(s.ref)
		}
		block(next, last)
		return sb.String()
	}
	for _, tc := range []struct {
		name  string
		sites map[site]string
	}{
		{"no-variant", nil},
		{"c2846het", map[site]string{c2846: "0/1"}},
		{"rs1801265het", map[site]string{rs1801265: "0/1"}},
		{"rs1801265hom", map[site]string{rs1801265: "1/1"}},
		{"c2846het+rs1801265hom", map[site]string{c2846: "0/1", rs1801265: "1/1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := gvcf(tc.sites)
			o := annotate.Options{Panels: []string{"dpyd"}}
			rep38 := g37MustAnnotate(t, in, tc.name+".g.vcf", o)
			for _, nm := range g37Namings {
				out, st := g37Convert(t, in, nm.opts)
				if st.DiffRecords+st.Swapped == 0 {
					t.Fatalf("%s: rs1801265 was neither a swapped record nor cut out of a block: %+v", nm.name, st)
				}
				rep37, err := g37Annotate(t, out, tc.name+".g.vcf", o)
				if err != nil {
					t.Errorf("%s: annotate the GRCh37 file: %v", nm.name, err)
					continue
				}
				if rep37.Input.GenomeBuild != "GRCh37" {
					t.Errorf("%s: input.genome_build %q", nm.name, rep37.Input.GenomeBuild)
				}
				d := &g37Diffs{t: t, limit: 20}
				s38, s37 := rep38.Samples[0], rep37.Samples[0]
				g37CompareSample(d, nm.name, s38, s37)
				if len(s38.Findings) != len(s37.Findings) {
					d.errorf("%s: %d findings, GRCh38 %d", nm.name, len(s37.Findings), len(s38.Findings))
				}
				f38 := map[string]report.Finding{}
				for _, f := range s38.Findings {
					f38[g37Key(lo, "GRCh38", f)] = f
				}
				for _, f := range s37.Findings {
					if g, ok := f38[g37Key(lo, "GRCh37", f)]; ok {
						g37CompareFinding(d, nm.name+" "+g.HGVSc, g, f)
					} else {
						d.errorf("%s: GRCh37 finding %s:%d %s>%s (%s) has no GRCh38 counterpart", nm.name, f.Chrom, f.Pos, f.Ref, f.Alt, f.HGVSc)
					}
				}
				if len(s38.Coverage) != len(s37.Coverage) {
					d.errorf("%s: coverage of %d genes, GRCh38 %d", nm.name, len(s37.Coverage), len(s38.Coverage))
				}
				for i := range min(len(s38.Coverage), len(s37.Coverage)) {
					c38, c37 := s38.Coverage[i], s37.Coverage[i]
					if fmt.Sprint(c38.Gene, c38.Source, g37Ptr(c38.CoveredFraction), c38.UncoveredExons, g37Ptr(c38.MinDP)) !=
						fmt.Sprint(c37.Gene, c37.Source, g37Ptr(c37.CoveredFraction), c37.UncoveredExons, g37Ptr(c37.MinDP)) {
						d.errorf("%s: coverage: GRCh38 %+v, GRCh37 %+v", nm.name, c38, c37)
					}
				}
				d.done(nm.name)
			}
		})
	}
}

func g37Ptr[T any](p *T) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}
