package vcf

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/biogo/hts/bgzf"
)

// GRCh38 lengths of chr1..chr22 (the ##contig lines of the GATK resource bundle).
var grch38Lengths = [22]int{248956422, 242193529, 198295559, 190214555, 181538259, 170805979,
	159345973, 145138636, 138394717, 133797422, 135086622, 133275309, 114364328, 107043718,
	101991189, 90338345, 83257441, 80373285, 58617616, 64444167, 46709983, 50818468}

// writeSyntheticVCF writes a sorted single-caller VCF of n records spread over chr1..chr22, in
// the shape GATK HaplotypeCaller writes (INFO annotations, GT:AD:DP:GQ:PL per sample).
func writeSyntheticVCF(w io.Writer, n, samples int) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "##fileformat=VCFv4.2")
	for i, l := range grch38Lengths {
		fmt.Fprintf(bw, "##contig=<ID=chr%d,length=%d>\n", i+1, l)
	}
	for _, d := range []string{
		`INFO=<ID=AC,Number=A,Type=Integer,Description="Allele count">`,
		`INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">`,
		`INFO=<ID=AN,Number=1,Type=Integer,Description="Total number of alleles">`,
		`INFO=<ID=BaseQRankSum,Number=1,Type=Float,Description="Base quality rank sum">`,
		`INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">`,
		`INFO=<ID=FS,Number=1,Type=Float,Description="Fisher strand">`,
		`INFO=<ID=MQ,Number=1,Type=Float,Description="RMS mapping quality">`,
		`INFO=<ID=QD,Number=1,Type=Float,Description="Quality by depth">`,
		`INFO=<ID=SOR,Number=1,Type=Float,Description="Strand odds ratio">`,
		`FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">`,
		`FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">`,
		`FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">`,
		`FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">`,
		`FORMAT=<ID=PL,Number=G,Type=Integer,Description="Phred-scaled likelihoods">`,
	} {
		fmt.Fprintf(bw, "##%s\n", d)
	}
	fmt.Fprint(bw, "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT")
	for s := 0; s < samples; s++ {
		fmt.Fprintf(bw, "\tS%d", s+1)
	}
	fmt.Fprintln(bw)
	rng := rand.New(rand.NewPCG(1, 2))
	bases := "ACGT"
	perChrom := (n + 21) / 22
	for i := 0; i < n; i++ {
		c := i / perChrom
		step := grch38Lengths[c] / (perChrom + 1)
		pos := (i%perChrom+1)*step + rng.IntN(step/2+1)
		ref := bases[rng.IntN(4)]
		alt := bases[(int(ref)+1+rng.IntN(3))%4]
		dp := 20 + rng.IntN(60)
		ad := rng.IntN(dp + 1)
		fmt.Fprintf(bw, "chr%d\t%d\trs%d\t%c\t%c\t%.2f\tPASS\tAC=1;AF=0.500;AN=2;BaseQRankSum=%.3f;DP=%d;FS=%.3f;MQ=60.00;QD=%.2f;SOR=0.693\tGT:AD:DP:GQ:PL",
			c+1, pos, 100000+i, ref, alt, 30+rng.Float64()*3000, rng.NormFloat64(), dp, rng.Float64()*10, rng.Float64()*30)
		for s := 0; s < samples; s++ {
			fmt.Fprintf(bw, "\t0/1:%d,%d:%d:99:%d,0,%d", dp-ad, ad, dp, 100+rng.IntN(2000), 100+rng.IntN(2000))
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

func syntheticVCF(n, samples int) []byte {
	var buf bytes.Buffer
	writeSyntheticVCF(&buf, n, samples)
	return buf.Bytes()
}

const benchRecords = 500_000

// benchFile writes the benchmark input, BGZF-compressed, into dir.
func benchFile(b *testing.B, dir string) string {
	path := filepath.Join(dir, "bench.vcf.gz")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	zw := bgzf.NewWriter(f, 2)
	if err := writeSyntheticVCF(zw, benchRecords, 1); err != nil {
		b.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

func benchScan(b *testing.B, keep func([]byte, int, int) bool) {
	path := benchFile(b, b.TempDir())
	fi, _ := os.Stat(path)
	b.SetBytes(fi.Size()) // MB/s of compressed input
	var records int64
	for b.Loop() {
		r, err := Open(path, Options{Keep: keep})
		if err != nil {
			b.Fatal(err)
		}
		for _, err := range r.All() {
			if err != nil {
				b.Fatal(err)
			}
		}
		st := r.Stats()
		if st.Records != benchRecords {
			b.Fatalf("got %d records, want %d", st.Records, benchRecords)
		}
		records += st.Records
		r.Close()
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkScanSkip reads a whole-genome-shaped BGZF VCF whose records Keep all rejects: the
// cost of streaming past the records outside the panels.
func BenchmarkScanSkip(b *testing.B) {
	benchScan(b, func([]byte, int, int) bool { return false })
}

// BenchmarkScanKeep parses and checks every record.
func BenchmarkScanKeep(b *testing.B) {
	benchScan(b, nil)
}
