package annotate

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/vcf"
)

// rs1801265 (DPYD c.85T>C, *9A): the GRCh37 reference carries the GRCh38 ALT. The
// positions and bases are the knowledge base's (kb.Liftover), checked here so that the tests
// below fail loudly if the map changes.
const (
	c85pos37 = 98348885
	c85pos38 = 97883329
)

func TestC85IsAReferenceDifference(t *testing.T) {
	d, ok := annotator(t).KB().Liftover.RefDiff("chr1", c85pos38)
	if !ok || d.Pos37 != c85pos37 || d.Base37 != 'G' || d.Base38 != 'A' {
		t.Fatalf("rs1801265 in the map: %+v %v; want GRCh37 %d G, GRCh38 %d A", d, ok, c85pos37, c85pos38)
	}
}

func TestExchange(t *testing.T) {
	sample := func(gt []int, ad []int, af string) vcf.Sample {
		return vcf.Sample{GT: gt, AD: ad, DP: 30, Keys: []string{"GT", "AD", "AF"}, Values: []string{"x", "x", af}}
	}
	for _, tt := range []struct {
		name     string
		ref      string
		alts     []string
		s        vcf.Sample
		wantAlts []string
		wantGT   []int
		wantAD   []int
		wantAF   string
		fromRef  []bool
	}{
		// GRCh37 REF G ALT A 0/1: the person is A/G; on GRCh38 REF A ALT G, GT 1/0.
		{"heterozygous", "G", []string{"A"}, sample([]int{0, 1}, []int{12, 18}, "0.6"), []string{"G"}, []int{1, 0}, []int{18, 12}, ".", []bool{true}},
		// GRCh37 0/0 at the difference: G/G is the GRCh38 ALT, homozygous.
		{"homozygous GRCh37 reference", "G", []string{"A"}, sample([]int{0, 0}, []int{30, 0}, "0"), []string{"G"}, []int{1, 1}, []int{0, 30}, ".", []bool{true}},
		// GRCh37 1/1 A/A: the GRCh38 reference.
		{"homozygous GRCh38 reference", "G", []string{"A"}, sample([]int{1, 1}, []int{0, 30}, "1"), []string{"G"}, []int{0, 0}, []int{30, 0}, ".", []bool{true}},
		// A third base stays an ALT; the GRCh37 REF is appended after it keeps its place.
		{"multiallelic", "G", []string{"A", "T"}, sample([]int{1, 2}, []int{1, 10, 9}, "0.5,0.45"), []string{"G", "T"}, []int{0, 2}, []int{10, 1, 9}, ".,0.45", []bool{true, false}},
		// A gVCF site with <NON_REF>: the symbolic allele keeps its place after the bases.
		{"gvcf site", "G", []string{"A", "<NON_REF>"}, sample([]int{0, 1}, []int{15, 15, 0}, "."), []string{"G", "<NON_REF>"}, []int{1, 0}, []int{15, 15, 0}, ".,.", []bool{true, false}},
		{"missing genotype", "G", []string{"A"}, sample([]int{-1, 0}, nil, "."), []string{"G"}, []int{-1, 1}, nil, ".", []bool{true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &vcf.Record{Ref: tt.ref, Alts: tt.alts, Samples: []vcf.Sample{tt.s}}
			orig := slices.Clone(tt.s.GT)
			fromRef := exchange(r, "A")
			s := r.Samples[0]
			if r.Ref != "A" || !slices.Equal(r.Alts, tt.wantAlts) || !slices.Equal(s.GT, tt.wantGT) || !slices.Equal(s.AD, tt.wantAD) || !slices.Equal(fromRef, tt.fromRef) {
				t.Errorf("REF %s ALT %v GT %v AD %v fromRef %v; want A %v %v %v %v", r.Ref, r.Alts, s.GT, s.AD, fromRef, tt.wantAlts, tt.wantGT, tt.wantAD, tt.fromRef)
			}
			if got, _ := s.Field("AF"); got != tt.wantAF {
				t.Errorf("AF %q, want %q", got, tt.wantAF)
			}
			if gt, _ := s.Field("GT"); gt != gtText(tt.wantGT, false) {
				t.Errorf("GT field %q, want %q", gt, gtText(tt.wantGT, false))
			}
			if !slices.Equal(tt.s.GT, orig) {
				t.Errorf("the input record's genotype changed: %v, was %v", tt.s.GT, orig)
			}
		})
	}
}

// gvcf37 writes a one-sample GRCh37 VCF ("1" naming, b37) with the given record lines.
func gvcf37(lines ...string) string {
	var b strings.Builder
	b.WriteString("##fileformat=VCFv4.2\n##reference=file:///ref/human_g1k_v37.fasta\n##contig=<ID=1,length=249250621>\n##contig=<ID=17,length=81195210>\n")
	b.WriteString("##ALT=<ID=NON_REF,Description=\"any other allele\">\n##INFO=<ID=END,Number=1,Type=Integer,Description=\"end\">\n")
	b.WriteString("##FORMAT=<ID=GT,Number=1,Type=String,Description=\"g\">\n##FORMAT=<ID=AD,Number=R,Type=Integer,Description=\"a\">\n")
	b.WriteString("##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"d\">\n##FORMAT=<ID=GQ,Number=1,Type=Integer,Description=\"q\">\n")
	b.WriteString("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n")
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	return b.String()
}

func annotateText(t *testing.T, text, name string, o Options) *report.Report {
	t.Helper()
	rep, err := annotator(t).Annotate(context.Background(), strings.NewReader(text), name, fixed(o))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var buf strings.Builder
	if err := report.WriteJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	validate(t, []byte(buf.String()))
	return rep
}

func findingAt(rep *report.Report, hgvsc string) (report.Finding, bool) {
	for _, f := range rep.Samples[0].Findings {
		if strings.HasSuffix(f.HGVSc, ":"+hgvsc) {
			return f, true
		}
	}
	return report.Finding{}, false
}

// A GRCh37 gVCF reference block over c.85 says the sample carries the GRCh37 base G on both
// strands: on GRCh38 and the transcript that is c.85T>C homozygous, as the GRCh38 gVCF of
// the same DNA writes it (an explicit 1/1 record).
func TestGRCh37BlockOverReferenceDifference(t *testing.T) {
	a := annotator(t)
	ref37, ok := a.fetch37("chr1", c85pos37-50, c85pos37-50)
	if !ok {
		t.Fatal("no GRCh37 base")
	}
	in37 := gvcf37(fmt.Sprintf("1\t%d\t.\t%s\t<NON_REF>\t.\t.\tEND=%d\tGT:AD:DP:GQ\t0/0:30,0:30:60", c85pos37-50, ref37, c85pos37+50))
	rep37 := annotateText(t, in37, "block37.g.vcf", Options{Panels: []string{"dpyd"}})
	ref38, _ := a.KB().Genome.Fetch("chr1", c85pos38-50, c85pos38-50)
	ref38b, _ := a.KB().Genome.Fetch("chr1", c85pos38+1, c85pos38+1)
	in38 := strings.Join([]string{
		"##fileformat=VCFv4.2", "##reference=GRCh38", "##contig=<ID=chr1,length=248956422>",
		"##ALT=<ID=NON_REF,Description=\"any other allele\">", "##INFO=<ID=END,Number=1,Type=Integer,Description=\"end\">",
		"##FORMAT=<ID=GT,Number=1,Type=String,Description=\"g\">", "##FORMAT=<ID=AD,Number=R,Type=Integer,Description=\"a\">",
		"##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"d\">", "##FORMAT=<ID=GQ,Number=1,Type=Integer,Description=\"q\">",
		"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1",
		fmt.Sprintf("chr1\t%d\t.\t%s\t<NON_REF>\t.\t.\tEND=%d\tGT:AD:DP:GQ\t0/0:30,0:30:60", c85pos38-50, ref38, c85pos38-1),
		fmt.Sprintf("chr1\t%d\t.\tA\tG,<NON_REF>\t.\t.\t.\tGT:AD:DP:GQ\t1/1:0,30,0:30:60", c85pos38),
		fmt.Sprintf("chr1\t%d\t.\t%s\t<NON_REF>\t.\t.\tEND=%d\tGT:AD:DP:GQ\t0/0:30,0:30:60", c85pos38+1, ref38b, c85pos38+50),
	}, "\n") + "\n"
	rep38 := annotateText(t, in38, "block38.g.vcf", Options{Panels: []string{"dpyd"}})

	f37, ok37 := findingAt(rep37, "c.85T>C")
	f38, ok38 := findingAt(rep38, "c.85T>C")
	if !ok37 || !ok38 {
		t.Fatalf("c.85T>C: GRCh37 %v, GRCh38 %v; want a finding in both", rep37.Samples[0].Findings, rep38.Samples[0].Findings)
	}
	if f37.Zygosity != "homozygous" || f37.Zygosity != f38.Zygosity || f37.HGVSp != f38.HGVSp || f37.Classification != f38.Classification {
		t.Errorf("GRCh37 %s %s %s, GRCh38 %s %s %s", f37.Zygosity, f37.HGVSp, f37.Classification, f38.Zygosity, f38.HGVSp, f38.Classification)
	}
	if want := fmt.Sprintf("NC_000001.10:g.%d=", c85pos37); f37.HGVSg != want || f37.HGVSgGRCh38 != f38.HGVSg || f37.Pos != c85pos37 || f37.Ref != "G" {
		t.Errorf("GRCh37 finding at %d %s, hgvs_g %q (GRCh38 %q); want %d G, %q and %q", f37.Pos, f37.Ref, f37.HGVSg, f37.HGVSgGRCh38, c85pos37, want, f38.HGVSg)
	}
	if len(f37.Warnings) == 0 || !strings.Contains(f37.Warnings[0], "GRCh37 reference carries G") {
		t.Errorf("warnings %q: want the reference difference explained", f37.Warnings)
	}
	p37, p38 := rep37.Samples[0].PGx[0], rep38.Samples[0].PGx[0]
	if p37.Diplotype != p38.Diplotype || p37.Phenotype != p38.Phenotype || p37.Alert.Severity != p38.Alert.Severity {
		t.Errorf("DPYD GRCh37 %s %s %s, GRCh38 %s %s %s", p37.Diplotype, p37.Phenotype, p37.Alert.Severity, p38.Diplotype, p38.Phenotype, p38.Alert.Severity)
	}
	if l := rep37.Input.Liftover; l == nil || l.AllelesExchanged != 1 || l.Placed != 1 || rep37.Input.GenomeBuild != "GRCh37" {
		t.Errorf("input %s liftover %+v; want GRCh37, 1 placed with 1 exchange", rep37.Input.GenomeBuild, l)
	}
	if rep38.Input.Liftover != nil || f38.HGVSgGRCh38 != "" {
		t.Errorf("GRCh38 input carries liftover %+v / hgvs_g_grch38 %q", rep38.Input.Liftover, f38.HGVSgGRCh38)
	}
}

// Under --missing reference, a DPYD position absent from a GRCh37 VCF is assumed to carry
// the GRCh37 base: at c.85 that is the GRCh38 ALT (*9A), as a GRCh37 caller's silence means.
func TestGRCh37MissingReferenceAtDifference(t *testing.T) {
	// One GRCh37 variant elsewhere in DPYD (c.2194G>A, *6, rs1801160) so the file is not empty.
	a := annotator(t)
	_, p37, ok := a.KB().Liftover.To37("chr1", 97234991)
	if !ok {
		t.Fatal("c.2194 not mapped")
	}
	ref, _ := a.fetch37("chr1", p37, p37)
	in := gvcf37(fmt.Sprintf("1\t%d\t.\t%s\tT\t.\tPASS\t.\tGT:AD:DP:GQ\t0/1:15,15:30:60", p37, ref))
	rep := annotateText(t, in, "missing37.vcf", Options{Panels: []string{"dpyd"}, Missing: "reference", Build: "GRCh37"})
	p := rep.Samples[0].PGx[0]
	if !strings.Contains(p.Diplotype, "*9A") {
		t.Errorf("diplotype %q: want the GRCh37 reference's *9A assumed at c.85", p.Diplotype)
	}
	found := false
	for _, w := range p.Warnings {
		found = found || strings.Contains(w, "rs1801265") && strings.Contains(w, "assumed to carry G")
	}
	if !found {
		t.Errorf("warnings %q: want the c.85 assumption said", p.Warnings)
	}
	rep = annotateText(t, in, "missing37.vcf", Options{Panels: []string{"dpyd"}, Missing: "no-call", Build: "GRCh37"})
	if p := rep.Samples[0].PGx[0]; strings.Contains(p.Diplotype, "*9A") {
		t.Errorf("no-call policy: diplotype %q assumes c.85", p.Diplotype)
	}
}

// A record the map cannot place (its REF span starts before the aligned sequence) is
// not annotated, and the report counts and names it.
func TestGRCh37Unplaced(t *testing.T) {
	a := annotator(t)
	ix37 := a.index37(DefaultOptions().Panels)
	// A panel region that starts at the first base of an aligned block, the base before it
	// outside the map (PMS2's 3' end lies beyond its GRCh37 slice): a deletion whose REF
	// starts on that base reaches into the panel but has no single GRCh38 image.
	var chrom string
	var first37 int
	var base string
	for _, b := range a.KB().Liftover.Blocks() {
		if b.Evidence != kb.EvidenceSequence || !ix37.Contains(b.Chrom, b.Start37, b.Start37) {
			continue
		}
		if _, _, ok := a.KB().Liftover.To38(b.Chrom, b.Start37-1); ok {
			continue
		}
		if x, ok := a.fetch37(b.Chrom, b.Start37, b.Start37); ok {
			chrom, first37, base = b.Chrom, b.Start37, x
			break
		}
	}
	if base == "" {
		t.Fatal("no panel region starting at the first base of an aligned block")
	}
	in := gvcf37(fmt.Sprintf("%s\t%d\t.\tA%s\tA\t.\tPASS\t.\tGT:AD:DP:GQ\t0/1:15,15:30:60", strings.TrimPrefix(chrom, "chr"), first37-1, base))
	in = strings.Replace(in, "##contig=<ID=17,", "##contig=<ID=3,length=198022430>\n##contig=<ID=7,length=159138663>\n##contig=<ID=13,length=115169878>\n##contig=<ID=17,", 1)
	rep := annotateText(t, in, "unplaced37.vcf", Options{Build: "GRCh37"})
	q, l := rep.Samples[0].QC, rep.Input.Liftover
	if q.SkippedUnplaced != 1 || l == nil || l.Unplaced != 1 || l.Placed != 0 {
		t.Errorf("%s:%d: qc %+v liftover %+v: want the record past the aligned sequence unplaced", chrom, first37-1, q, l)
	}
	said := false
	for _, w := range rep.Input.Warnings {
		said = said || strings.Contains(w, "cannot be placed on GRCh38")
	}
	if !said {
		t.Errorf("warnings %q: want the unplaced record named", rep.Input.Warnings)
	}
}

// A third base at c.85 on GRCh37 (REF G, ALT T, 0/1): the person is G/T, which GRCh38 writes
// A>G,T 1/2. Both builds give the same two findings; the T allele is named on GRCh37 against
// its G reference.
func TestGRCh37ThirdBaseAtReferenceDifference(t *testing.T) {
	rep37 := annotateText(t, gvcf37(fmt.Sprintf("1\t%d\t.\tG\tT\t.\tPASS\t.\tGT:AD:DP:GQ\t0/1:15,15:30:60", c85pos37)), "third37.vcf", Options{Panels: []string{"dpyd"}, Build: "GRCh37"})
	in38 := strings.Replace(gvcf37(fmt.Sprintf("chr1\t%d\t.\tA\tG,T\t.\tPASS\t.\tGT:AD:DP:GQ\t1/2:0,15,15:30:60", c85pos38)),
		"##reference=file:///ref/human_g1k_v37.fasta\n##contig=<ID=1,length=249250621>\n##contig=<ID=17,length=81195210>", "##reference=GRCh38\n##contig=<ID=chr1,length=248956422>", 1)
	rep38 := annotateText(t, in38, "third38.vcf", Options{Panels: []string{"dpyd"}, Build: "GRCh38"})
	f37, f38 := rep37.Samples[0].Findings, rep38.Samples[0].Findings
	if len(f37) != 2 || len(f38) != 2 {
		t.Fatalf("findings: GRCh37 %d, GRCh38 %d; want 2 each", len(f37), len(f38))
	}
	want := map[string]string{"G": fmt.Sprintf("NC_000001.10:g.%d=", c85pos37), "T": fmt.Sprintf("NC_000001.10:g.%dG>T", c85pos37)}
	for i := range f37 {
		a, b := f37[i], f38[i]
		if a.HGVSc != b.HGVSc || a.Zygosity != b.Zygosity || a.Normalized != b.Normalized || a.HGVSgGRCh38 != b.HGVSg {
			t.Errorf("GRCh37 %s %s %+v %s, GRCh38 %s %s %+v %s", a.HGVSc, a.Zygosity, a.Normalized, a.HGVSgGRCh38, b.HGVSc, b.Zygosity, b.Normalized, b.HGVSg)
		}
		if a.HGVSg != want[a.Alt] {
			t.Errorf("allele %s: hgvs_g %q, want %q", a.Alt, a.HGVSg, want[a.Alt])
		}
	}
	if p37, p38 := rep37.Samples[0].PGx[0], rep38.Samples[0].PGx[0]; p37.Diplotype != p38.Diplotype {
		t.Errorf("diplotype GRCh37 %s, GRCh38 %s", p37.Diplotype, p38.Diplotype)
	}
}

// A GRCh37 callable-regions BED is placed on GRCh38 like the records: the same sequenced
// stretch gives the same coverage on both builds. Each gene's whole GRCh38 span, and its
// image on GRCh37, is called callable; on GRCh37 the bases only GRCh38 has (none in these
// genes' coding exons) and POLE's unplaced splice flanks stay uncovered. (The GRCh37 BED
// is the map's blocks of each gene: its aligned slice, or POLE's exons.)
func TestGRCh37CallableBED(t *testing.T) {
	a := annotator(t)
	var bed37, bed38 strings.Builder
	for _, g := range []string{"BRCA1", "BRCA2", "MLH1", "MSH2", "MSH6", "PMS2", "EPCAM", "POLE"} {
		tx := a.KB().Transcripts[g]
		s, e := tx.Span()
		fmt.Fprintf(&bed38, "%s\t%d\t%d\tCALLABLE\n", tx.Chrom, s-1, e)
		for _, b := range a.KB().Liftover.Blocks() { // the gene's GRCh37 slice, block by block
			if b.Gene == g {
				fmt.Fprintf(&bed37, "%s\t%d\t%d\tCALLABLE\n", strings.TrimPrefix(b.Chrom, "chr"), b.Start37-1, b.End37())
			}
		}
	}
	panels := []string{"brca", "lynch", "pole"}
	rep38 := mustAnnotate(t, filepath.Join("..", "..", "testdata", "example.vcf"), Options{Panels: panels, Callable: strings.NewReader(bed38.String()), CallableName: "38.bed"})
	rep37 := mustAnnotate(t, filepath.Join("..", "..", "testdata", "example.GRCh37.vcf"), Options{Panels: panels, Callable: strings.NewReader(bed37.String()), CallableName: "37.bed"})
	if rep37.Input.GenomeBuild != "GRCh37" {
		t.Fatalf("build %s", rep37.Input.GenomeBuild)
	}
	for i, c38 := range rep38.Samples[0].Coverage {
		c37 := rep37.Samples[0].Coverage[i]
		if c38.Source != "bed" || c38.CoveredFraction == nil || *c38.CoveredFraction != 1 {
			t.Fatalf("GRCh38 %s: %+v; want the whole gene callable", c38.Gene, c38)
		}
		if c37.Gene == "POLE" {
			// POLE's splice flanks (±2 bp of every coding exon) are not placed on GRCh37.
			if c37.CoveredFraction == nil || *c37.CoveredFraction >= 1 || len(c37.UncoveredExons) == 0 {
				t.Errorf("GRCh37 POLE %+v: want its unplaced splice flanks uncovered", c37)
			}
			continue
		}
		if c37.Source != "bed" || c37.CoveredFraction == nil || *c37.CoveredFraction != 1 || len(c37.UncoveredExons) != 0 {
			t.Errorf("GRCh37 %s: %+v; want the same full coverage as GRCh38", c37.Gene, c37)
		}
	}
}
