// Package vcftest generates the synthetic VCFs that tests and the benchmark harness
// (benchmarks/harness) share: whole-genome-scale, exome- and panel-size files. It is test and
// benchmark support, never linked into the precis binary. The generated files look like a
// real single-sample caller output (GATK HaplotypeCaller): GRCh38 contig header, sorted
// records at a realistic density, HaplotypeCaller's INFO annotations and GT:AD:DP:GQ:PL sample
// columns, REF alleles taken from the built-in reference inside the panels so the genome-build
// checks pass, and real ClinVar variants planted in the panels.
//
// To37 rewrites a GRCh38 VCF as the same DNA written on GRCh37 (b37 "1" or hg19 "chr1"
// contig names), with the knowledge base's sequence-derived GRCh37<->GRCh38 map of the panel
// genes (kb.Liftover) and its GRCh38 bases: GRCh37 contig lengths, positions mapped over each
// record's REF span (and END), REF from the GRCh37 reference, and, where the builds' reference
// bases differ (DPYD rs1801265: GRCh38 A, GRCh37 G), the alleles re-listed so that the GRCh37
// base is REF, with GT indices and Number=A/R/G values following; gVCF reference blocks are
// cut at indels between the builds and at reference differences. The GRCh37 tests of package
// annotate run real GRCh38 files (ClinVar, PharmCAT's DPYD cases) through it and compare the
// two builds' reports. Records outside the map (other genes, POLE introns) are an error or,
// with To37Options.SkipUnmapped, left out and listed; with To37Options.Filler, the off-panel
// filler of a generated file (records outside the panel genes) is written at its own
// position instead, so that a converted benchmark input keeps its size and density.
package vcftest

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/precis-dx/precis/internal/variant"
)

// The primary chromosomes with their lengths on GRCh37 (Genome Reference Consortium GRCh37,
// GCA_000001405.1) and GRCh38 (GRCh38.p14 assembly report, GCA_000001405.29), in the order
// the headers list them. The same values stand in the ##contig lines of GATK and DeepVariant
// output. The GRCh37 lengths are the ##contig lengths of the b37 file
// ../shared/data/clinvar/macarthur_clinvar_2016-09.b37.panel9.vcf.gz (chr1, 2, 3, 7, 12, 13
// and 17 also in genes/build_markers.GRCh37_vs_GRCh38.tsv), as in the headers of GATK b37 and
// hg19 output; the tests check them against both files.
var contigs = []struct {
	name           string
	grch37, grch38 int
}{
	{"chr1", 249250621, 248956422}, {"chr2", 243199373, 242193529},
	{"chr3", 198022430, 198295559}, {"chr4", 191154276, 190214555},
	{"chr5", 180915260, 181538259}, {"chr6", 171115067, 170805979},
	{"chr7", 159138663, 159345973}, {"chr8", 146364022, 145138636},
	{"chr9", 141213431, 138394717}, {"chr10", 135534747, 133797422},
	{"chr11", 135006516, 135086622}, {"chr12", 133851895, 133275309},
	{"chr13", 115169878, 114364328}, {"chr14", 107349540, 107043718},
	{"chr15", 102531392, 101991189}, {"chr16", 90354753, 90338345},
	{"chr17", 81195210, 83257441}, {"chr18", 78077248, 80373285},
	{"chr19", 59128983, 58617616}, {"chr20", 63025520, 64444167},
	{"chr21", 48129895, 46709983}, {"chr22", 51304566, 50818468},
	{"chrX", 155270560, 156040895}, {"chrY", 59373566, 57227415},
}

// Version changes whenever Write writes different bytes for the same Spec, so that cached
// generated files (the harness's Input, indextest.WGS) are made again.
const Version = 2

// Genome gives reference bases (1-based inclusive); ok is false outside the known sequence.
type Genome interface {
	Fetch(chrom string, start, end int) (string, bool)
}

// Plant is a real variant written into the generated file.
type Plant struct {
	Chrom    string
	Pos      int // 1-based
	Ref, Alt string
}

// Spec describes a generated VCF.
type Spec struct {
	Records int     // number of records, planted ones included
	Seed    uint64  // same seed, same file
	Plants  []Plant // written at their positions, heterozygous
	// Spans, when set, confine the random records to these regions: an exome- or
	// panel-like file. Without them records spread over the whole genome.
	Spans []Span
}

// Span is a region of a chromosome; Start and End are 1-based inclusive.
type Span struct {
	Chrom      string
	Start, End int
}

type rec struct {
	chrom    int
	pos      int
	ref, alt string // alt holds one allele, or two separated by a comma
	planted  bool
}

// header is the meta-information of the generated files: the INFO, FORMAT and FILTER lines
// of GATK HaplotypeCaller output, copied from the real HaplotypeCaller VCF in
// ../shared/data/vcf-real/igv-reports/variants.hg38.snpeff_cosmic.vcf.
var header = []string{
	"##fileformat=VCFv4.2",
	`##FILTER=<ID=PASS,Description="All filters passed">`,
	`##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths for the ref and alt alleles in the order listed">`,
	`##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth (reads with MQ=255 or with bad mates are filtered)">`,
	`##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype Quality">`,
	`##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">`,
	`##FORMAT=<ID=PL,Number=G,Type=Integer,Description="Normalized, Phred-scaled likelihoods for genotypes as defined in the VCF specification">`,
	`##INFO=<ID=AC,Number=A,Type=Integer,Description="Allele count in genotypes, for each ALT allele, in the same order as listed">`,
	`##INFO=<ID=AF,Number=A,Type=Float,Description="Allele Frequency, for each ALT allele, in the same order as listed">`,
	`##INFO=<ID=AN,Number=1,Type=Integer,Description="Total number of alleles in called genotypes">`,
	`##INFO=<ID=BaseQRankSum,Number=1,Type=Float,Description="Z-score from Wilcoxon rank sum test of Alt Vs. Ref base qualities">`,
	`##INFO=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth; some reads may have been filtered">`,
	`##INFO=<ID=ExcessHet,Number=1,Type=Float,Description="Phred-scaled p-value for exact test of excess heterozygosity">`,
	`##INFO=<ID=FS,Number=1,Type=Float,Description="Phred-scaled p-value using Fisher's exact test to detect strand bias">`,
	`##INFO=<ID=MLEAC,Number=A,Type=Integer,Description="Maximum likelihood expectation (MLE) for the allele counts (not necessarily the same as the AC), for each ALT allele, in the same order as listed">`,
	`##INFO=<ID=MLEAF,Number=A,Type=Float,Description="Maximum likelihood expectation (MLE) for the allele frequency (not necessarily the same as the AF), for each ALT allele, in the same order as listed">`,
	`##INFO=<ID=MQ,Number=1,Type=Float,Description="RMS Mapping Quality">`,
	`##INFO=<ID=MQRankSum,Number=1,Type=Float,Description="Z-score From Wilcoxon rank sum test of Alt vs. Ref read mapping qualities">`,
	`##INFO=<ID=QD,Number=1,Type=Float,Description="Variant Confidence/Quality by Depth">`,
	`##INFO=<ID=ReadPosRankSum,Number=1,Type=Float,Description="Z-score from Wilcoxon rank sum test of Alt vs. Ref read position bias">`,
	`##INFO=<ID=SOR,Number=1,Type=Float,Description="Symmetric Odds Ratio of 2x2 contingency table to detect strand bias">`,
	"##source=precis-benchmarks (synthetic records in the shape of GATK HaplotypeCaller output; planted variants from ClinVar)",
	"##reference=GRCh38",
}

// Write writes the VCF described by spec to w. Memory is bounded by the number of records of
// one chromosome, so a 4.5-million-record file needs a few hundred MB at most while it is made.
//
// The records are shaped like a single-sample GATK HaplotypeCaller call set, as in the real
// HaplotypeCaller files of ../shared/data/vcf-real (igv-reports/variants.hg38.snpeff_cosmic.vcf
// and the variant records of nfcore-slivar/gvcf_sample.g.vcf.gz): QUAL with two decimals; INFO
// AC, AF, AN, BaseQRankSum, DP, ExcessHet, FS, MLEAC, MLEAF, MQ, MQRankSum, QD,
// ReadPosRankSum and SOR, the rank sums only for heterozygous calls; GT:AD:DP:GQ:PL. About 85%
// of the random records are SNVs, 14% short indels and 1% have two ALT alleles; 38% are
// homozygous ALT. The values are drawn to be consistent with one another (AD sums to DP, QD is
// QUAL/DP, GQ is the second-smallest PL capped at 99), so the file compresses like real calls
// rather than like repeated text: 37 bytes per record in BGZF (4.5 million records make 168
// MB). The real caller files of ../shared/data/vcf-real, records only, bgzip-compressed, take
// 37.5 bytes per record (Strelka2 SNVs, 2,627 records), 61 (Strelka2 indels), 94 (Mutect2,
// tumour and normal), and at most 54 (the 13 HaplotypeCaller records of igv-reports, their
// snpEff and COSMIC annotations removed: too few records for compression to reach its rate).
func Write(w io.Writer, spec Spec, g Genome) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	for _, l := range header {
		bw.WriteString(l)
		bw.WriteByte('\n')
	}
	total := 0
	for _, c := range contigs {
		fmt.Fprintf(bw, "##contig=<ID=%s,length=%d,assembly=GRCh38>\n", c.name, c.grch38)
		total += c.grch38
	}
	bw.WriteString("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tSAMPLE1\n")

	rng := rand.New(rand.NewPCG(spec.Seed, spec.Seed^0x9e3779b97f4a7c15))
	random := spec.Records - len(spec.Plants)
	plants := map[string][]Plant{}
	for _, p := range spec.Plants {
		plants[p.Chrom] = append(plants[p.Chrom], p)
	}
	var line []byte
	for ci, c := range contigs {
		// Records per chromosome in proportion to its length (or to its region spans).
		lo, hi := 1, c.grch38
		var spans []Span
		covered, all := 0, 0
		for _, s := range spec.Spans {
			all += s.End - s.Start + 1
			if s.Chrom == c.name {
				spans = append(spans, s)
				covered += s.End - s.Start + 1
			}
		}
		n := random * c.grch38 / total
		if len(spec.Spans) > 0 {
			n = random * covered / max(all, 1)
		}
		recs := make([]rec, 0, n+len(plants[c.name]))
		for i := 0; i < n; i++ {
			pos := lo + rng.IntN(hi-lo+1)
			if len(spans) > 0 {
				s := spans[rng.IntN(len(spans))]
				pos = s.Start + rng.IntN(s.End-s.Start+1)
			}
			ref, alt := alleles(rng, g, c.name, pos)
			recs = append(recs, rec{chrom: ci, pos: pos, ref: ref, alt: alt})
		}
		for _, p := range plants[c.name] {
			recs = append(recs, rec{chrom: ci, pos: p.Pos, ref: p.Ref, alt: p.Alt, planted: true})
		}
		sort.Slice(recs, func(i, j int) bool { return recs[i].pos < recs[j].pos })
		for _, r := range recs {
			line = appendRecord(line[:0], rng, c.name, r)
			if _, err := bw.Write(line); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

const bases = "ACGT"

// alleles draws REF and ALT of a random record at pos: an SNV, a deletion of 1 to 4 bases, an
// insertion of 1 to 4 bases, or (1%) an SNV with two ALT alleles. REF is the reference where
// g has it.
func alleles(rng *rand.Rand, g Genome, chrom string, pos int) (ref, alt string) {
	refAt := func(n int) string {
		if s, ok := g.Fetch(chrom, pos, pos+n-1); ok && variant.IsACGT(s) {
			return s
		}
		b := make([]byte, n)
		for i := range b {
			b[i] = bases[rng.IntN(4)]
		}
		return string(b)
	}
	other := func(b byte) byte {
		for {
			if a := bases[rng.IntN(4)]; a != b {
				return a
			}
		}
	}
	switch k := rng.IntN(100); {
	case k < 85:
		ref = refAt(1)
		return ref, string(other(ref[0]))
	case k < 92: // deletion
		ref = refAt(2 + rng.IntN(4))
		return ref, ref[:1]
	case k < 99: // insertion
		ref = refAt(1)
		ins := make([]byte, 1+rng.IntN(4))
		for i := range ins {
			ins[i] = bases[rng.IntN(4)]
		}
		return ref, ref + string(ins)
	default: // two ALT alleles
		ref = refAt(1)
		a1 := other(ref[0])
		a2 := other(ref[0])
		for a2 == a1 {
			a2 = other(ref[0])
		}
		return ref, string([]byte{a1, ',', a2})
	}
}

// appendRecord appends the line of r, with the INFO and sample values a HaplotypeCaller call
// of its genotype would carry. Planted records are heterozygous.
func appendRecord(b []byte, rng *rand.Rand, chrom string, r rec) []byte {
	multi := strings.IndexByte(r.alt, ',') >= 0
	hom := !r.planted && !multi && rng.IntN(100) < 38
	// Read depth of a 30x genome: 18 to 51, peaked near 34.
	dp := 18 + rng.IntN(12) + rng.IntN(12) + rng.IntN(12)
	var ad []int
	var pl []int
	var qual float64
	switch {
	case multi:
		a1 := dp/2 - 2 + rng.IntN(5)
		ad = []int{rng.IntN(2), a1, 0}
		ad[2] = dp - ad[0] - a1
		qual = float64(dp)*28 + rng.Float64()*100
		q := int(qual)
		pl = []int{q + 30, q / 2, q, q / 2, 0, q/2 + 3*ad[2]}
	case hom:
		ad = []int{0, dp}
		if rng.IntN(10) == 0 {
			ad = []int{1, dp - 1}
		}
		qual = float64(ad[1])*30 + rng.Float64()*60 - 20
		pl = []int{int(qual) + 28, 3 * ad[1], 0}
	default:
		alt := max(1, dp/2-6+rng.IntN(13))
		ad = []int{dp - alt, alt}
		qual = float64(alt)*29 + rng.Float64()*80 - 40
		pl = []int{int(qual) + 28, 0, ad[0]*30 + rng.IntN(60)}
	}
	qual = max(qual, 30.77)
	gq := 99
	if s := secondSmallest(pl); s < 99 {
		gq = s
	}

	b = append(b, chrom...)
	b = append(b, '\t')
	b = strconv.AppendInt(b, int64(r.pos), 10)
	b = append(b, "\t.\t"...)
	b = append(b, r.ref...)
	b = append(b, '\t')
	b = append(b, r.alt...)
	b = append(b, '\t')
	b = strconv.AppendFloat(b, qual, 'f', 2, 64)
	b = append(b, "\tPASS\t"...)
	switch {
	case multi:
		b = append(b, "AC=1,1;AF=0.500,0.500;AN=2;"...)
	case hom:
		b = append(b, "AC=2;AF=1.00;AN=2;"...)
	default:
		b = append(b, "AC=1;AF=0.500;AN=2;"...)
		b = append(b, "BaseQRankSum="...)
		b = strconv.AppendFloat(b, rng.NormFloat64(), 'f', 3, 64)
		b = append(b, ';')
	}
	b = append(b, "DP="...)
	b = strconv.AppendInt(b, int64(dp), 10)
	b = append(b, ";ExcessHet=3.0103;FS="...)
	fs := 0.0
	if !hom && rng.IntN(3) > 0 {
		fs = rng.ExpFloat64() * 2.5
	}
	b = strconv.AppendFloat(b, fs, 'f', 3, 64)
	switch {
	case multi:
		b = append(b, ";MLEAC=1,1;MLEAF=0.500,0.500"...)
	case hom:
		b = append(b, ";MLEAC=2;MLEAF=1.00"...)
	default:
		b = append(b, ";MLEAC=1;MLEAF=0.500"...)
	}
	mq := 60.0
	if rng.IntN(10) == 0 {
		mq = 40 + rng.Float64()*20
	}
	b = append(b, ";MQ="...)
	b = strconv.AppendFloat(b, mq, 'f', 2, 64)
	if !hom && !multi {
		mqrs := 0.0
		if mq < 60 {
			mqrs = rng.NormFloat64()
		}
		b = append(b, ";MQRankSum="...)
		b = strconv.AppendFloat(b, mqrs, 'f', 3, 64)
	}
	b = append(b, ";QD="...)
	b = strconv.AppendFloat(b, qual/float64(dp), 'f', 2, 64)
	if !hom && !multi {
		b = append(b, ";ReadPosRankSum="...)
		b = strconv.AppendFloat(b, rng.NormFloat64(), 'f', 3, 64)
	}
	b = append(b, ";SOR="...)
	sor := 0.5 + rng.ExpFloat64()*0.4
	if hom {
		sor = 0.69 + rng.ExpFloat64()*0.9
	}
	b = strconv.AppendFloat(b, sor, 'f', 3, 64)

	b = append(b, "\tGT:AD:DP:GQ:PL\t"...)
	switch {
	case multi:
		b = append(b, "1/2"...)
	case hom:
		b = append(b, "1/1"...)
	default:
		b = append(b, "0/1"...)
	}
	b = append(b, ':')
	b = appendInts(b, ad)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(dp), 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(gq), 10)
	b = append(b, ':')
	b = appendInts(b, pl)
	return append(b, '\n')
}

func appendInts(b []byte, v []int) []byte {
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(x), 10)
	}
	return b
}

// secondSmallest returns the second-smallest value of v (GQ is the difference between the
// best and second-best genotype likelihood, and the best PL is 0).
func secondSmallest(v []int) int {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[1]
}
