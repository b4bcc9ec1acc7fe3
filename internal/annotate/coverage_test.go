package annotate

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/coverage"
	"github.com/precis-dx/precis/internal/report"
)

// gvcfMLH1 writes a small GATK-style gVCF over MLH1 exons 1 and 2 (written by hand after
// the GATK gVCF format, with REF bases from the built-in GRCh38 sequence): exon 1
// (coding chr3:36993548-36993665 with the donor +2) has a DP=0 GQ=0 block over
// 36993601-36993620; exon 2 (36996617-36996711 with both flanks) is one block of MIN_DP 12.
func gvcfMLH1(t *testing.T) string {
	t.Helper()
	g := annotator(t).kb.Genome
	ref := func(pos int) string {
		s, ok := g.Fetch("chr3", pos, pos)
		if !ok {
			t.Fatalf("no GRCh38 base at chr3:%d", pos)
		}
		return s
	}
	var b strings.Builder
	b.WriteString("##fileformat=VCFv4.2\n##GVCFBlock0-1=minGQ=0(inclusive),maxGQ=1(exclusive)\n" +
		"##ALT=<ID=NON_REF,Description=\"Represents any possible alternative allele at this location\">\n" +
		"##INFO=<ID=END,Number=1,Type=Integer,Description=\"Stop position of the interval\">\n" +
		"##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n" +
		"##FORMAT=<ID=GQ,Number=1,Type=Integer,Description=\"Genotype Quality\">\n##FORMAT=<ID=MIN_DP,Number=1,Type=Integer,Description=\"Minimum DP observed within the GVCF block\">\n" +
		"##contig=<ID=chr3,length=198295559>\n##reference=GRCh38\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n")
	for _, r := range []struct{ pos, end, dp, gq, minDP int }{
		{36993400, 36993600, 30, 99, 25},
		{36993601, 36993620, 0, 0, 0},
		{36993621, 36993700, 45, 99, 40},
		{36996500, 36996800, 20, 60, 12},
	} {
		fmt.Fprintf(&b, "chr3\t%d\t.\t%s\t<NON_REF>\t.\t.\tEND=%d\tGT:DP:GQ:MIN_DP\t0/0:%d:%d:%d\n", r.pos, ref(r.pos), r.end, r.dp, r.gq, r.minDP)
	}
	return b.String()
}

func coverageOf(t *testing.T, rep *report.Report, gene string) report.Coverage {
	t.Helper()
	for _, c := range rep.Samples[0].Coverage {
		if c.Gene == gene {
			return c
		}
	}
	t.Fatalf("no coverage entry for %s in %+v", gene, rep.Samples[0].Coverage)
	return report.Coverage{}
}

func TestCoverageGVCF(t *testing.T) {
	rep, err := annotator(t).Annotate(context.Background(), strings.NewReader(gvcfMLH1(t)), "mlh1.g.vcf", fixed(Options{Panels: []string{"lynch"}}))
	if err != nil {
		t.Fatal(err)
	}
	var genes []string
	for _, c := range rep.Samples[0].Coverage {
		genes = append(genes, c.Gene)
	}
	if want := []string{"MLH1", "MSH2", "MSH6", "PMS2", "EPCAM"}; !slices.Equal(genes, want) {
		t.Errorf("coverage genes %v, want the ordered panel's %v", genes, want)
	}
	c := coverageOf(t, rep, "MLH1")
	if c.Source != "gvcf" || c.MinDP == nil || *c.MinDP != 12 {
		t.Errorf("MLH1: source %s min_dp %v, want gvcf 12", c.Source, c.MinDP)
	}
	if !slices.Contains(c.UncoveredExons, 1) || slices.Contains(c.UncoveredExons, 2) || !slices.Contains(c.UncoveredExons, 19) {
		t.Errorf("MLH1 uncovered exons %v, want 1 (the DP=0 block) and 3..19, not 2", c.UncoveredExons)
	}
	if rep.Input.MinDP != 10 || rep.Input.MinGQ != 20 {
		t.Errorf("input min_dp/min_gq %d/%d, want 10/20", rep.Input.MinDP, rep.Input.MinGQ)
	}
	// At --min-dp 13 the exon-2 block (MIN_DP 12) no longer counts.
	rep, err = annotator(t).Annotate(context.Background(), strings.NewReader(gvcfMLH1(t)), "mlh1.g.vcf", fixed(Options{Panels: []string{"lynch"}, MinDP: 13}))
	if err != nil {
		t.Fatal(err)
	}
	if c := coverageOf(t, rep, "MLH1"); !slices.Contains(c.UncoveredExons, 2) || *c.MinDP != 25 {
		t.Errorf("--min-dp 13: MLH1 uncovered %v min_dp %v, want exon 2 uncovered, min_dp 25", c.UncoveredExons, *c.MinDP)
	}
	if c := coverageOf(t, rep, "MSH2"); c.Source != "gvcf" || *c.CoveredFraction != 0 {
		t.Errorf("MSH2 (no blocks): source %s fraction %v, want gvcf 0", c.Source, *c.CoveredFraction)
	}
}

func TestCoverageNone(t *testing.T) {
	rep := mustAnnotate(t, filepath.Join("..", "..", "testdata", "example.vcf"), Options{Panels: []string{"brca"}})
	for _, c := range rep.Samples[0].Coverage {
		if c.Source != "none" || c.CoveredFraction != nil || c.MinDP != nil || len(c.UncoveredExons) != 0 || c.Note != coverage.NoneNote(c.Gene) {
			t.Errorf("%+v: want source none with the note", c)
		}
	}
	if len(rep.Samples[0].Coverage) != 2 {
		t.Errorf("%d coverage entries, want BRCA1 and BRCA2", len(rep.Samples[0].Coverage))
	}
}

func TestCoverageBED(t *testing.T) {
	example := filepath.Join("..", "..", "testdata", "example.vcf")
	// MLH1 exon 1 coding part with its donor flank, 0-based half-open.
	rep := mustAnnotate(t, example, Options{Panels: []string{"lynch"}, Callable: strings.NewReader("3\t36993547\t36993665\tCALLABLE\n"), CallableName: "s1.callable.bed"})
	c := coverageOf(t, rep, "MLH1")
	if c.Source != "bed" || slices.Contains(c.UncoveredExons, 1) || !slices.Contains(c.UncoveredExons, 2) || c.MinDP != nil {
		t.Errorf("MLH1 %+v: want bed, exon 1 covered, exon 2 not, min_dp null", c)
	}
	if rep.Input.Callable != "s1.callable.bed" {
		t.Errorf("input.callable %q", rep.Input.Callable)
	}
	_, err := annotateFile(t, example, Options{Callable: strings.NewReader("chr3\t10\t5\n"), CallableName: "bad.bed"})
	if !IsInvalid(err) || !strings.Contains(err.Error(), "bad.bed:1:") {
		t.Errorf("malformed BED: got %v, want invalid input naming bad.bed:1", err)
	}
}

// TestCoverageDeclaredNonRef: a header that declares <NON_REF> over variant sites only
// (as ../shared/conformance/safety/r10_brca1_vaf5.vcf does) is not a gVCF: no block shows
// what was sequenced, so the coverage is unknown, not zero.
func TestCoverageDeclaredNonRef(t *testing.T) {
	vcfText := "##fileformat=VCFv4.2\n##reference=GRCh38\n##contig=<ID=chr17,length=83257441>\n" +
		"##ALT=<ID=NON_REF,Description=\"NON_REF\">\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n" +
		"##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n##FORMAT=<ID=GQ,Number=1,Type=Integer,Description=\"GQ\">\n" +
		"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\nchr17\t43124027\t.\tACT\tA\t50\tPASS\t.\tGT:DP:GQ\t0/1:100:99\n"
	rep, err := annotator(t).Annotate(context.Background(), strings.NewReader(vcfText), "sites.vcf", fixed(Options{Panels: []string{"brca"}}))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Samples[0].Coverage {
		if c.Source != "none" {
			t.Errorf("%s: source %s, want none", c.Gene, c.Source)
		}
	}
}
