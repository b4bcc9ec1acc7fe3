package vcftest

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/vcf"
)

var loadKB = sync.OnceValues(kb.Load)

func testKB(t *testing.T) *kb.KB {
	t.Helper()
	k, err := loadKB()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func convert(t *testing.T, k *kb.KB, in string, opts To37Options) (string, To37Stats) {
	t.Helper()
	var out bytes.Buffer
	st, err := To37(k.Liftover, k.Genome, strings.NewReader(in), &out, opts)
	if err != nil {
		t.Fatalf("To37: %v", err)
	}
	return out.String(), st
}

// dataRecords returns the data lines of a VCF text as columns, with their 1-based lines.
func dataRecords(text string) (lines []int, recs [][]string) {
	for i, l := range strings.Split(text, "\n") {
		if l == "" || l[0] == '#' {
			continue
		}
		lines = append(lines, i+1)
		recs = append(recs, strings.Split(l, "\t"))
	}
	return lines, recs
}

func endOf(info string) int {
	e, _ := infoEnd(info)
	return e
}

func isBlock(f []string) bool {
	return endOf(f[7]) > 0 && !slices.ContainsFunc(strings.Split(f[4], ","), func(a string) bool { return !isRefSymbolic(a) })
}

// genotypeDNA returns each sample's genotype as allele sequences: in order when phased,
// sorted when not.
func genotypeDNA(f []string) []string {
	if len(f) < 10 {
		return nil
	}
	alleles := []string{f[3]}
	if f[4] != "." {
		alleles = append(alleles, strings.Split(f[4], ",")...)
	}
	gti := slices.Index(strings.Split(f[8], ":"), "GT")
	var out []string
	for _, s := range f[9:] {
		if gti < 0 {
			out = append(out, "")
			continue
		}
		gt := strings.Split(s, ":")[gti]
		phased := strings.Contains(gt, "|")
		var seqs []string
		for _, a := range regexp.MustCompile(`[/|]`).Split(gt, -1) {
			if k, err := strconv.Atoi(a); err == nil {
				seqs = append(seqs, alleles[k])
			} else {
				seqs = append(seqs, ".")
			}
		}
		if !phased {
			slices.Sort(seqs)
		}
		out = append(out, fmt.Sprint(phased, seqs))
	}
	return out
}

// checkRoundTrip checks a conversion of in to out: every output REF is the GRCh37 reference
// (Fetch37) at its position; every output record lifts (Lift) back to an input record at the
// same GRCh38 position with the same DNA (REF, the set of alleles, each sample's genotype as
// sequences), or, for reference blocks and the records written at reference differences
// inside them, back into an input block; and every input record is either written or listed
// as unmapped.
func checkRoundTrip(t *testing.T, k *kb.KB, in, out string, st To37Stats) {
	t.Helper()
	lo := k.Liftover
	_, inRecs := dataRecords(in)
	type key struct {
		chrom string
		pos   int
	}
	byPos := map[key][][]string{}
	var blocks [][]string
	for _, f := range inRecs {
		c, _ := vcf.CanonicalChrom(f[0])
		p, _ := strconv.Atoi(f[1])
		if isBlock(f) {
			blocks = append(blocks, f)
		}
		byPos[key{c, p}] = append(byPos[key{c, p}], f)
	}
	inBlock := func(c string, s38, e38 int) []string {
		for _, b := range blocks {
			bc, _ := vcf.CanonicalChrom(b[0])
			bp, _ := strconv.Atoi(b[1])
			if bc == c && bp <= s38 && e38 <= endOf(b[7]) {
				return b
			}
		}
		return nil
	}
	lines, outRecs := dataRecords(out)
	if len(outRecs) != st.Written {
		t.Errorf("stats: %d written, output has %d records", st.Written, len(outRecs))
	}
	matched, blockRecs := 0, 0
	for i, f := range outRecs {
		where := fmt.Sprintf("output line %d %s:%s %s>%s", lines[i], f[0], f[1], f[3], f[4])
		c, _ := vcf.CanonicalChrom(f[0])
		pos, _ := strconv.Atoi(f[1])
		if ref, ok := lo.Fetch37(k.Genome, c, pos, pos+len(f[3])-1); !ok || ref != strings.ToUpper(f[3]) {
			t.Errorf("%s: REF is not the GRCh37 reference %q (%v)", where, ref, ok)
			continue
		}
		if isBlock(f) {
			blockRecs++
			_, s38, e38, ok := lo.Interval38(c, pos, endOf(f[7]))
			if !ok || inBlock(c, s38, e38) == nil {
				t.Errorf("%s END=%d: GRCh38 %d-%d (%v) is not inside an input block", where, endOf(f[7]), s38, e38, ok)
			}
			continue
		}
		l, ok := lo.Lift(c, pos, f[3])
		if !ok {
			t.Errorf("%s: does not lift back to GRCh38", where)
			continue
		}
		found := false
		for _, g := range byPos[key{l.Chrom, l.Pos}] {
			if strings.ToUpper(g[3]) != l.Ref || g[2] != f[2] {
				continue
			}
			inA, outA := append([]string{g[3]}, strings.Split(g[4], ",")...), append([]string{f[3]}, strings.Split(f[4], ",")...)
			if !l.RefChanged {
				if !slices.Equal(inA, outA) {
					continue
				}
			} else if !slices.Contains(outA, g[3]) || !slices.ContainsFunc(inA[1:], func(a string) bool { return a == "." || slices.Contains(outA, a) }) {
				continue
			}
			if !slices.Equal(genotypeDNA(g), genotypeDNA(f)) {
				t.Errorf("%s: genotypes %v, input line %v has %v", where, genotypeDNA(f), g[:5], genotypeDNA(g))
			}
			if e := endOf(g[7]); e > 0 {
				if _, e37, ok := lo.To37(l.Chrom, e); !ok || e37 != endOf(f[7]) {
					t.Errorf("%s: END=%d, input END=%d maps to %d", where, endOf(f[7]), e, e37)
				}
			}
			found = true
			break
		}
		if !found {
			// A reference difference written out of a block: the block gave GRCh38's base.
			if d, ok := lo.RefDiff37(c, pos); ok && inBlock(l.Chrom, l.Pos, l.Pos) != nil {
				blockRecs++
				for _, g := range genotypeDNA(f) {
					if strings.Contains(g, string(d.Base37)) {
						t.Errorf("%s: a block's genotype written with the GRCh37 base: %s", where, g)
					}
				}
				continue
			}
			t.Errorf("%s: lifts to GRCh38 %s:%d %s, where the input has no record of the same DNA", where, l.Chrom, l.Pos, l.Ref)
			continue
		}
		matched++
	}
	nonBlocks := len(inRecs) - len(blocks)
	unmappedNonBlocks := 0
	for _, u := range st.Unmapped {
		if _, ok := vcf.CanonicalChrom(u.Chrom); ok && !slices.ContainsFunc(blocks, func(b []string) bool { return b[1] == strconv.Itoa(u.Pos) }) {
			unmappedNonBlocks++
		}
	}
	if matched+unmappedNonBlocks < nonBlocks {
		t.Errorf("%d input records, %d written back, %d unmapped", nonBlocks, matched, unmappedNonBlocks)
	}
	if st.Records != len(inRecs) {
		t.Errorf("stats: %d records read, input has %d", st.Records, len(inRecs))
	}
}

// TestTo37RealFiles converts real GRCh38 files (ClinVar P/LP of the nine genes, sites only;
// the PharmCAT DPYD test files, 83 positions each; a real caller's mixed-chromosome file)
// in both namings and checks the round trip record by record.
func TestTo37RealFiles(t *testing.T) {
	k := testKB(t)
	data := oracle.Dir(t)
	files := []string{filepath.Join("clinvar", "panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz"),
		filepath.Join("vcf-real", "pharmcat-preprocessor", "reference.missing_pgx_var.vcf.bgz")}
	dpyd, err := filepath.Glob(filepath.Join(data, "pgx", "pharmcat", "tests", "DPYD_*.vcf"))
	if err != nil || len(dpyd) != 7 {
		t.Fatalf("PharmCAT DPYD tests: %v %v", dpyd, err)
	}
	for _, p := range dpyd {
		files = append(files, strings.TrimPrefix(p, data+string(filepath.Separator)))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			in := oracle.ReadText(t, filepath.Join(data, file))
			for _, chr := range []bool{false, true} {
				out, st := convert(t, k, in, To37Options{Chr: chr, SkipUnmapped: true})
				checkRoundTrip(t, k, in, out, st)
				_, recs := dataRecords(out)
				for _, f := range recs {
					if strings.HasPrefix(f[0], "chr") != chr {
						t.Fatalf("Chr %v: contig %q", chr, f[0])
					}
				}
				t.Logf("chr %v: %d records read, %d written, %d swapped, %d unmapped", chr, st.Records, st.Written, st.Swapped, len(st.Unmapped))
				if strings.Contains(file, "DPYD_") && (len(st.Unmapped) != 0 || st.Written != 83 || st.Swapped != 1) {
					t.Errorf("PharmCAT DPYD file: %d written, %d swapped (rs1801265), unmapped %v", st.Written, st.Swapped, st.Unmapped)
				}
			}
		})
	}
}

// fastaAt reads a shared-data gene slice whose header names its first base
// (">NC_...:START-END ...") and returns the base at pos.
func fastaAt(t *testing.T, path string, pos int) byte {
	t.Helper()
	text := oracle.ReadText(t, path)
	head, seq, _ := strings.Cut(text, "\n")
	m := regexp.MustCompile(`:(\d+)-(\d+)`).FindStringSubmatch(head)
	if m == nil {
		t.Fatalf("%s: header %q", path, head)
	}
	start, _ := strconv.Atoi(m[1])
	seq = strings.ReplaceAll(seq, "\n", "")
	return seq[pos-start]
}

// TestTo37RefDiffSwap: DPYD c.85T>C (rs1801265) is chr1:97883329 A on GRCh38 and
// chr1:98348885 G on GRCh37 (both builds' sequence slices in the shared data say so, and the
// PharmCAT definition gives A>G on GRCh38). The same genotypes are written with REF and ALT
// exchanged, Number=R and G values reordered, phase order kept; a gVCF block over the site
// is cut and the site written as an explicit GRCh37 ALT record with the block's values.

// swapHeader is the meta-information and column header of the rs1801265 test file, the same
// on both builds.
var swapHeader = []string{
	`##INFO=<ID=AC,Number=A,Type=Integer,Description="Allele count">`,
	`##INFO=<ID=END,Number=1,Type=Integer,Description="End">`,
	`##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">`,
	`##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">`,
	`##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">`,
	`##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="GQ">`,
	`##FORMAT=<ID=MIN_DP,Number=1,Type=Integer,Description="Min DP">`,
	`##FORMAT=<ID=PL,Number=G,Type=Integer,Description="PL">`,
	"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\tS3\tS4\tS5\tS6",
}

func TestTo37RefDiffSwap(t *testing.T) {
	k := testKB(t)
	data := oracle.Dir(t)
	const pos38, pos37 = 97883329, 98348885
	seq := filepath.Join(data, "genes", "sequence")
	if b := fastaAt(t, filepath.Join(seq, "GRCh38", "DPYD_GRCh38_NC_000001.11_97075743-97926059.fa"), pos38); b != 'A' {
		t.Fatalf("GRCh38 slice: %c at %d", b, pos38)
	}
	if b := fastaAt(t, filepath.Join(seq, "GRCh37", "DPYD_GRCh37_NC_000001.10_97541299-98391615.fa"), pos37); b != 'G' {
		t.Fatalf("GRCh37 slice: %c at %d", b, pos37)
	}
	d, ok := k.Liftover.RefDiff("chr1", pos38)
	if !ok || d.Pos37 != pos37 || d.Base37 != 'G' || d.Base38 != 'A' {
		t.Fatalf("map: %+v %v", d, ok)
	}
	in := strings.Join(slices.Concat([]string{
		"##fileformat=VCFv4.2",
		"##reference=GRCh38",
		"##contig=<ID=chr1,length=248956422,assembly=GRCh38,md5=x>",
		"##contig=<ID=chr1_KI270706v1_random,length=175055>",
	}, swapHeader, []string{
		"chr1\t97883329\trs1801265\tA\tG\t50\tPASS\tAC=5\tGT:AD:PL\t0/1:10,12:90,0,80\t0/0:20,0:0,60,600\t1/1:0,20:600,60,0\t0|1:9,9:1,2,3\t1|0:9,9:1,2,3\t./.:.:.",
		"chr1\t97883300\t.\tT\t<NON_REF>\t.\t.\tEND=97883400\tGT:DP:GQ:MIN_DP:PL\t0/0:30:60:28:0,90,900\t0/0:30:60:28:0,90,900\t0/0:30:60:28:0,90,900\t0/0:30:60:28:0,90,900\t0/0:30:60:28:0,90,900\t./.:0:0:0:0,0,0",
		"",
	}), "\n")
	// The block's first base, from the GRCh38 genome (the test must not make it up).
	first, _ := k.Genome.Fetch("chr1", 97883300, 97883300)
	in = strings.Replace(in, "97883300\t.\tT", "97883300\t.\t"+first, 1)
	off := pos37 - pos38
	for _, tc := range []struct {
		opts   To37Options
		chrom  string
		header []string
	}{
		{To37Options{}, "1", []string{"##contig=<ID=1,length=249250621,assembly=b37>"}},
		{To37Options{Chr: true, Reference: true}, "chr1", []string{"##reference=GRCh37", "##contig=<ID=chr1,length=249250621,assembly=hg19>"}},
	} {
		out, st := convert(t, k, in, tc.opts)
		checkRoundTrip(t, k, in, out, st)
		block37 := func(s, e int) string {
			b, _ := k.Liftover.Fetch37(k.Genome, "chr1", s, s)
			return fmt.Sprintf("%s\t%d\t.\t%s\t<NON_REF>\t.\t.\tEND=%d\tGT:DP:GQ:MIN_DP:PL\t0/0:30:60:28:0,90,900\t0/0:30:60:28:0,90,900\t0/0:30:60:28:0,90,900\t0/0:30:60:28:0,90,900\t0/0:30:60:28:0,90,900\t./.:0:0:0:0,0,0", tc.chrom, s, b, e)
		}
		want := append([]string{"##fileformat=VCFv4.2"}, tc.header...)
		want = append(want, swapHeader...)
		want = append(want,
			// GRCh38 A>G: 0/1 stays 0/1 (G/A), 0/0 (A/A) is 1/1, 1/1 is 0/0, 0|1 is 1|0;
			// AD and PL follow the alleles; AC (Number=A) would count the new ALT, A, which
			// the input does not give: missing.
			fmt.Sprintf("%s\t%d\trs1801265\tG\tA\t50\tPASS\tAC=.\tGT:AD:PL\t0/1:12,10:80,0,90\t1/1:0,20:600,60,0\t0/0:20,0:0,60,600\t1|0:9,9:3,2,1\t0|1:9,9:3,2,1\t./.:.:.", tc.chrom, pos37),
			block37(97883300+off, pos37-1),
			// The block says A/A at the difference: GRCh37 G>A 1/1 with its DP, GQ, MIN_DP; PL
			// would need likelihoods for G, which the block has not: missing.
			fmt.Sprintf("%s\t%d\t.\tG\tA,<NON_REF>\t.\t.\t.\tGT:DP:GQ:MIN_DP:PL\t1/1:30:60:28:.\t1/1:30:60:28:.\t1/1:30:60:28:.\t1/1:30:60:28:.\t1/1:30:60:28:.\t./.:0:0:0:.", tc.chrom, pos37),
			block37(pos37+1, 97883400+off),
			"")
		if got := strings.Split(out, "\n"); !slices.Equal(got, want) {
			for i := range max(len(got), len(want)) {
				var g, w string
				if i < len(got) {
					g = got[i]
				}
				if i < len(want) {
					w = want[i]
				}
				if g != w {
					t.Errorf("line %d:\n got %q\nwant %q", i+1, g, w)
				}
			}
		}
		if st.Swapped != 1 || st.Split != 1 || st.DiffRecords != 1 || st.Written != 4 {
			t.Errorf("stats %+v", st)
		}
	}
}

// TestTo37BlocksAcrossBuildIndels: a gVCF reference block over each indel between the builds
// (BRCA1's poly-A length differences) comes out in the pieces that map, and the GRCh38-only
// bases are left out and counted.
func TestTo37BlocksAcrossBuildIndels(t *testing.T) {
	k := testKB(t)
	bs := k.Liftover.Blocks()
	n := 0
	for i := 1; i < len(bs); i++ {
		a, b := bs[i-1], bs[i]
		if a.Gene != b.Gene || a.Evidence != kb.EvidenceSequence || b.Evidence != kb.EvidenceSequence {
			continue
		}
		n++
		s, e := a.End38()-5, b.Start38+5
		first, ok := k.Genome.Fetch(a.Chrom, s, s)
		if !ok {
			continue // outside the GRCh38 bases the knowledge base keeps
		}
		in := fmt.Sprintf("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n%s\t%d\t.\t%s\t<*>\t0\t.\tEND=%d\tGT:GQ:MIN_DP:PL\t0/0:48:63:0,201,2009\n", a.Chrom, s, first, e)
		out, st := convert(t, k, in, To37Options{})
		checkRoundTrip(t, k, in, out, st)
		_, recs := dataRecords(out)
		want := []string{fmt.Sprintf("%d-%d", a.End37()-5, a.End37()), fmt.Sprintf("%d-%d", b.Start37, b.Start37+5)}
		var got []string
		for _, f := range recs {
			got = append(got, f[1]+"-"+strconv.Itoa(endOf(f[7])))
		}
		if !slices.Equal(got, want) || st.Split != 1 || st.DroppedBlockBases != b.Start38-a.End38()-1 {
			t.Errorf("%s block %s:%d-%d across the indel after GRCh38 %d: pieces %v, want %v; stats %+v", a.Gene, a.Chrom, s, e, a.End38(), got, want, st)
		}
	}
	if n == 0 {
		t.Fatal("no indel between the builds in the map")
	}
	t.Logf("%d indels between the builds checked", n)
}

// TestTo37Unmapped: a record the map cannot place is an error naming its line, or, with
// SkipUnmapped, left out and listed.
func TestTo37Unmapped(t *testing.T) {
	k := testKB(t)
	ref, _ := k.Genome.Fetch("chr1", 97883329, 97883329)
	in := "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr1\t97883329\t.\t" + ref + "\tG\t.\t.\t.\nchr21\t5000000\t.\tA\tG\t.\t.\t.\nchrUn_KI270742v1\t10\t.\tA\tG\t.\t.\t.\n"
	var out bytes.Buffer
	_, err := To37(k.Liftover, k.Genome, strings.NewReader(in), &out, To37Options{})
	if !errors.Is(err, ErrUnmapped) || !strings.Contains(err.Error(), "line 4 chr21:5000000") {
		t.Errorf("error %v, want ErrUnmapped naming line 4", err)
	}
	_, st := convert(t, k, in, To37Options{SkipUnmapped: true})
	if st.Written != 1 || len(st.Unmapped) != 2 || st.Unmapped[0].Line != 4 || st.Unmapped[1].Line != 5 {
		t.Errorf("stats %+v", st)
	}
	// POLE: an exonic record maps only on the exon model's word, an intronic one never.
	var pole []kb.LiftBlock
	for _, b := range k.Liftover.Blocks() {
		if b.Gene == "POLE" {
			pole = append(pole, b)
		}
	}
	if len(pole) < 2 {
		t.Fatalf("POLE blocks: %v", pole)
	}
	b := pole[0]
	exon, ok := k.Genome.Fetch(b.Chrom, b.Start38, b.Start38)
	if !ok {
		t.Fatalf("no GRCh38 base at POLE %s:%d", b.Chrom, b.Start38)
	}
	alt := map[string]string{"A": "C", "C": "G", "G": "T", "T": "A"}[exon]
	in = fmt.Sprintf("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n%s\t%d\t.\t%s\t%s\t.\t.\t.\n", b.Chrom, b.Start38, exon, alt)
	if _, err := To37(k.Liftover, k.Genome, strings.NewReader(in), &out, To37Options{}); !errors.Is(err, ErrUnmapped) {
		t.Errorf("POLE exon without ExonModel: %v", err)
	}
	out2, _ := convert(t, k, in, To37Options{ExonModel: true})
	if !strings.Contains(out2, fmt.Sprintf("%s\t%d\t.\t%s\t%s", strings.TrimPrefix(b.Chrom, "chr"), b.Start37, exon, alt)) {
		t.Errorf("POLE exon with ExonModel:\n%s", out2)
	}
	intron := b.End38() + 10
	if next := pole[1]; intron >= next.Start38 {
		t.Fatalf("POLE blocks too close: %v %v", b, next)
	}
	in = fmt.Sprintf("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n%s\t%d\t.\tN\tA\t.\t.\t.\n", b.Chrom, intron)
	if _, err := To37(k.Liftover, k.Genome, strings.NewReader(in), &out, To37Options{ExonModel: true}); !errors.Is(err, ErrUnmapped) {
		t.Errorf("POLE intron: %v", err)
	}
}

// TestGRCh37Lengths checks the GRCh37 contig lengths against the real b37 header of the
// ClinVar 2016 file and the build markers.
func TestGRCh37Lengths(t *testing.T) {
	data := oracle.Dir(t)
	re := regexp.MustCompile(`^##contig=<ID=([^,>]+),length=(\d+)`)
	seen := 0
	for _, l := range strings.Split(oracle.ReadText(t, filepath.Join(data, "clinvar", "macarthur_clinvar_2016-09.b37.panel9.vcf.gz")), "\n") {
		if !strings.HasPrefix(l, "#") {
			break
		}
		m := re.FindStringSubmatch(l)
		if m == nil || m[1] == "MT" {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		if got := GRCh37Length(m[1]); got != n {
			t.Errorf("%s: %d, the b37 header says %d", m[1], got, n)
		}
		seen++
	}
	for _, c := range oracle.DataLines(t, filepath.Join(data, "genes", "build_markers.GRCh37_vs_GRCh38.tsv")) {
		if c[0] == "contig_length" {
			n, _ := strconv.Atoi(c[3])
			if got := GRCh37Length(c[2]); got != n {
				t.Errorf("%s: %d, build markers say %d", c[2], got, n)
			}
			seen++
		}
	}
	if seen != 24+7 {
		t.Errorf("%d lengths checked, want 31", seen)
	}
}

// TestTo37GVCFOverDPYD converts a gVCF over the whole DPYD slice: real GATK reference-block
// sample columns (nfcore-slivar/gvcf_sample.g.vcf.gz) between the ClinVar P/LP DPYD records
// (heterozygous). On GRCh37 the records must tile the mapped span with no gap and no
// overlap, each reference difference inside a block must come out as its own record, and
// the round trip must hold.
func TestTo37GVCFOverDPYD(t *testing.T) {
	k := testKB(t)
	data := oracle.Dir(t)
	var format, sample string
	for _, c := range oracle.DataLines(t, filepath.Join(data, "vcf-real", "nfcore-slivar", "gvcf_sample.g.vcf.gz")) {
		if c[4] == "<NON_REF>" && c[8] == "GT:DP:GQ:MIN_DP:PL" {
			format, sample = c[8], c[9]
			break
		}
	}
	if format == "" {
		t.Fatal("no real GATK block")
	}
	// The DPYD span of the knowledge base's GRCh38 bases (as internal/annotate's DPYD tests).
	const first, last = 97075743, 97925000
	var sb strings.Builder
	sb.WriteString("##fileformat=VCFv4.2\n##reference=GRCh38\n##contig=<ID=chr1,length=248956422,assembly=GRCh38>\n")
	sb.WriteString("##INFO=<ID=END,Number=1,Type=Integer,Description=\"End\">\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n")
	sb.WriteString("##FORMAT=<ID=AD,Number=R,Type=Integer,Description=\"AD\">\n##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"DP\">\n##FORMAT=<ID=GQ,Number=1,Type=Integer,Description=\"GQ\">\n")
	sb.WriteString("##FORMAT=<ID=MIN_DP,Number=1,Type=Integer,Description=\"MIN_DP\">\n##FORMAT=<ID=PL,Number=G,Type=Integer,Description=\"PL\">\n")
	sb.WriteString("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n")
	next := first
	block := func(s, e int) {
		ref, ok := k.Genome.Fetch("chr1", s, s)
		if !ok {
			t.Fatalf("no GRCh38 base at chr1:%d", s)
		}
		fmt.Fprintf(&sb, "chr1\t%d\t.\t%s\t<NON_REF>\t.\t.\tEND=%d\t%s\t%s\n", s, ref, e, format, sample)
	}
	sites := 0
	for _, c := range oracle.DataLines(t, filepath.Join(data, "clinvar", "panel9.clinvar_20241215.PLP_2star.GRCh38.vcf.gz")) {
		pos, _ := strconv.Atoi(c[1])
		if c[0] != "1" || pos < next || pos+len(c[3])-1 > last {
			continue
		}
		if pos > next {
			block(next, pos-1)
		}
		fmt.Fprintf(&sb, "chr1\t%d\t%s\t%s\t%s,<NON_REF>\t500\tPASS\t.\tGT:AD:DP:GQ\t0/1:20,20,0:40:99\n", pos, c[2], c[3], c[4])
		sites++
		next = pos + len(c[3])
	}
	block(next, last)
	in := sb.String()
	var diffs []kb.RefDiff
	for _, d := range k.Liftover.RefDiffs() {
		if d.Chrom == "chr1" && d.Pos38 >= first && d.Pos38 <= last {
			diffs = append(diffs, d)
		}
	}
	_, lo37, ok1 := k.Liftover.To37("chr1", first)
	_, hi37, ok2 := k.Liftover.To37("chr1", last)
	if !ok1 || !ok2 {
		t.Fatal("the DPYD span does not map")
	}
	for _, opts := range []To37Options{{}, {Chr: true, Reference: true}} {
		out, st := convert(t, k, in, opts)
		checkRoundTrip(t, k, in, out, st)
		_, recs := dataRecords(out)
		at := lo37
		for _, f := range recs {
			p, _ := strconv.Atoi(f[1])
			e := p + len(f[3]) - 1
			if isBlock(f) {
				e = endOf(f[7])
			}
			if p != at {
				t.Errorf("chr %v: record %s:%d-%d, want one starting at %d", opts.Chr, f[0], p, e, at)
			}
			at = e + 1
		}
		if at != hi37+1 {
			t.Errorf("chr %v: records end at %d, want %d", opts.Chr, at-1, hi37)
		}
		if st.DiffRecords != len(diffs) || st.Swapped != 0 || st.DroppedBlockBases != 0 || len(st.Unmapped) != 0 {
			t.Errorf("chr %v: %d reference differences in the span, stats %+v", opts.Chr, len(diffs), st)
		}
		t.Logf("chr %v: %d ClinVar sites, %d records read, %d written, %d blocks split, %d reference differences", opts.Chr, sites, st.Records, st.Written, st.Split, st.DiffRecords)
	}
	if sites < 10 || len(diffs) == 0 {
		t.Errorf("%d sites, %d reference differences", sites, len(diffs))
	}
}

// TestTo37Filler: with Filler, records outside the panel genes keep their position (contig
// renamed) unless that position is on a gene's GRCh37 slice or past the GRCh37 contig's end
// (left out, counted); records inside the genes are converted exactly as without Filler, a
// record in a Panel span beyond the map is unmapped rather than passed through, and the
// output is sorted within each contig although mapped records move past filler.
func TestTo37Filler(t *testing.T) {
	k := testKB(t)
	brca1, ok := k.Genome.Fetch("chr17", 43100000, 43100000)
	if !ok {
		t.Fatal("no GRCh38 base at chr17:43100000 (BRCA1)")
	}
	_, brca1At37, ok := k.Liftover.To37("chr17", 43100000)
	if !ok {
		t.Fatal("chr17:43100000 not in the map")
	}
	// GRCh38 chr17:42,000,000 lies between BRCA1's GRCh37 (41.2 Mb) and GRCh38 (43.0 Mb)
	// slices: passed through, it comes before the mapped BRCA1 record.
	hdr := "##fileformat=VCFv4.2\n##contig=<ID=chr17,length=83257441>\n##contig=<ID=chr7,length=159345973>\n##contig=<ID=chr21,length=46709983>\n" +
		"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
	pms2 := Span{Chrom: "chr7", Start: 5970925, End: 5973542} // PMS2's last exon reaches beyond the map
	body := "chr7\t5000000\t.\tC\tT\t.\t.\t.\n" +             // filler
		"chr7\t5970930\t.\tA\tG\t.\t.\t.\n" + // in pms2: filler without Panel, unmapped with it
		"chr17\t1000\t.\tA\tG\t.\t.\tEND=2000\n" + // filler with END
		"chr17\t41200000\t.\tA\tG\t.\t.\t.\n" + // on BRCA1's GRCh37 slice: dropped
		"chr17\t42000000\t.\tT\tTA\t.\t.\t.\n" + // filler
		"chr17\t43100000\t.\t" + brca1 + "\tG,T\t.\t.\t.\n" + // BRCA1: mapped to GRCh37
		"chr17\t82000000\t.\tG\tA\t.\t.\t.\n" + // past GRCh37 chr17's end: dropped
		"chr21\t5000000\t.\tA\tG\t.\t.\t.\n" + // filler
		"chrUn_KI270742v1\t10\t.\tA\tG\t.\t.\t.\n" // not a primary chromosome: unmapped
	in := hdr + body

	plain, _ := convert(t, k, hdr+"chr17\t43100000\t.\t"+brca1+"\tG,T\t.\t.\t.\n", To37Options{})
	_, mapped := dataRecords(plain)

	for _, tc := range []struct {
		name     string
		opts     To37Options
		want     []string // CHROM:POS of the output, in order
		unmapped int
	}{
		{"no panel", To37Options{Filler: true, SkipUnmapped: true},
			[]string{"7:5000000", "7:5970930", "17:1000", fmt.Sprintf("17:%d", brca1At37), "17:42000000", "21:5000000"}, 1},
		{"panel", To37Options{Filler: true, SkipUnmapped: true, Panel: []Span{pms2}},
			[]string{"7:5000000", "17:1000", fmt.Sprintf("17:%d", brca1At37), "17:42000000", "21:5000000"}, 2},
	} {
		out, st := convert(t, k, in, tc.opts)
		_, recs := dataRecords(out)
		var got []string
		for _, f := range recs {
			got = append(got, f[0]+":"+f[1])
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: records %v, want %v", tc.name, got, tc.want)
		}
		if st.Records != 9 || st.Written != len(tc.want) || st.Filler != len(tc.want)-1 || st.FillerDropped != 2 || len(st.Unmapped) != tc.unmapped {
			t.Errorf("%s: stats %+v: want 9 read, %d written, %d filler, 2 filler dropped, %d unmapped", tc.name, st, len(tc.want), len(tc.want)-1, tc.unmapped)
		}
		for _, f := range recs {
			switch f[1] {
			case strconv.Itoa(brca1At37):
				if !slices.Equal(f, mapped[0]) {
					t.Errorf("%s: BRCA1 record %v, want it as converted without Filler: %v", tc.name, f, mapped[0])
				}
			case "1000":
				if f[3] != "A" || f[7] != "END=2000" {
					t.Errorf("%s: filler block %v, want REF and END unchanged", tc.name, f)
				}
			}
		}
	}
	// Without SkipUnmapped a record in the genes that cannot be placed is still an error.
	var out bytes.Buffer
	if _, err := To37(k.Liftover, k.Genome, strings.NewReader(in), &out, To37Options{Filler: true, Panel: []Span{pms2}}); !errors.Is(err, ErrUnmapped) || !strings.Contains(err.Error(), "chr7:5970930") {
		t.Errorf("unmapped panel record without SkipUnmapped: %v, want ErrUnmapped naming chr7:5970930", err)
	}
}

// TestTo37FillerGenerated converts a generated genome-wide file with Filler: every record is
// written, passed through as filler, dropped as filler or listed as unmapped; the result is
// sorted, most of it is filler, and the annotator takes it for GRCh37 with the planted
// variants that were converted found again.
func TestTo37FillerGenerated(t *testing.T) {
	k := testKB(t)
	spec, src := generated(t, k, 11)
	planted := spec.Plants
	var panel []Span
	for _, r := range k.Regions {
		panel = append(panel, Span{Chrom: r.Chrom, Start: r.Start, End: r.End})
	}
	out, st := convert(t, k, string(src), To37Options{SkipUnmapped: true, Reference: true, ExonModel: true, Filler: true, Panel: panel})
	if st.Written+st.FillerDropped+len(st.Unmapped) != st.Records || st.Records < spec.Records-30 {
		t.Errorf("stats %+v: written + filler dropped + unmapped != records read", st)
	}
	if st.Filler < st.Records*9/10 {
		t.Errorf("%d of %d records passed through as filler, want most", st.Filler, st.Records)
	}
	_, recs := dataRecords(out)
	for i := 1; i < len(recs); i++ {
		p, _ := strconv.Atoi(recs[i-1][1])
		q, _ := strconv.Atoi(recs[i][1])
		if recs[i][0] == recs[i-1][0] && q < p {
			t.Fatalf("%s:%d after %d: not sorted", recs[i][0], q, p)
		}
		if strings.HasPrefix(recs[i][0], "chr") {
			t.Fatalf("contig %q, want b37 naming", recs[i][0])
		}
	}
	rep := annotated(t, k, out, "gen37.vcf")
	if rep.Input.GenomeBuild != "GRCh37" {
		t.Fatalf("build %s (%v), want GRCh37", rep.Input.GenomeBuild, rep.Input.BuildEvidence)
	}
	skipped := func(p Plant) bool {
		for _, u := range st.Unmapped {
			if c, _ := vcf.CanonicalChrom(u.Chrom); c == p.Chrom && p.Pos >= u.Pos && p.Pos <= u.End {
				return true
			}
		}
		return false
	}
	n := 0
	for _, p := range planted {
		if skipped(p) {
			continue
		}
		n++
		if e, _ := k.ClinVar.Lookup(p.Chrom, p.Pos, p.Ref, p.Alt); !slices.ContainsFunc(rep.Samples[0].Findings, func(f report.Finding) bool {
			return f.Normalized.Pos == p.Pos && f.Normalized.Alt == p.Alt && f.Classification == e.Classification
		}) {
			t.Errorf("planted %+v converted but not found on GRCh37", p)
		}
	}
	t.Logf("%d records: %d filler, %d filler dropped, %d unmapped; %d of %d planted variants converted", st.Records, st.Filler, st.FillerDropped, len(st.Unmapped), n, len(planted))
}
