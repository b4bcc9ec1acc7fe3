// Package benchmarks generates benchmark inputs (whole-genome, exome and panel-size VCFs) and
// holds the end-to-end benchmarks of Precis. The generated files look like a real single-sample
// caller output: GRCh38 contig header, sorted records at a realistic density, GT:AD:DP:GQ
// sample columns, REF alleles taken from the built-in reference inside the panels so the
// genome-build checks pass, and real ClinVar variants planted in the panels.
package benchmarks

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
)

// GRCh38 primary chromosome lengths (Genome Reference Consortium, GRCh38.p14 assembly report,
// GCA_000001405.29); the same values stand in the ##contig lines of GATK and DeepVariant output.
var grch38 = []struct {
	name   string
	length int
}{
	{"chr1", 248956422}, {"chr2", 242193529}, {"chr3", 198295559}, {"chr4", 190214555},
	{"chr5", 181538259}, {"chr6", 170805979}, {"chr7", 159345973}, {"chr8", 145138636},
	{"chr9", 138394717}, {"chr10", 133797422}, {"chr11", 135086622}, {"chr12", 133275309},
	{"chr13", 114364328}, {"chr14", 107043718}, {"chr15", 101991189}, {"chr16", 90338345},
	{"chr17", 83257441}, {"chr18", 80373285}, {"chr19", 58617616}, {"chr20", 64444167},
	{"chr21", 46709983}, {"chr22", 50818468}, {"chrX", 156040895}, {"chrY", 57227415},
}

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
	ref, alt string
	planted  bool
}

// Write writes the VCF described by spec to w. Memory is bounded by the number of records of
// one chromosome, so a 4.5-million-record file needs a few hundred MB at most while it is made.
func Write(w io.Writer, spec Spec, g Genome) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprintln(bw, "##fileformat=VCFv4.2")
	fmt.Fprintln(bw, "##source=precis-benchmarks (synthetic records; planted variants from ClinVar)")
	fmt.Fprintln(bw, "##reference=GRCh38")
	fmt.Fprintln(bw, `##FILTER=<ID=PASS,Description="All filters passed">`)
	fmt.Fprintln(bw, `##INFO=<ID=DP,Number=1,Type=Integer,Description="Total depth">`)
	fmt.Fprintln(bw, `##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">`)
	fmt.Fprintln(bw, `##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">`)
	fmt.Fprintln(bw, `##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">`)
	fmt.Fprintln(bw, `##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">`)
	total := 0
	for _, c := range grch38 {
		fmt.Fprintf(bw, "##contig=<ID=%s,length=%d,assembly=GRCh38>\n", c.name, c.length)
		total += c.length
	}
	fmt.Fprintln(bw, "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tSAMPLE1")

	rng := rand.New(rand.NewPCG(spec.Seed, spec.Seed^0x9e3779b97f4a7c15))
	random := spec.Records - len(spec.Plants)
	plants := map[string][]Plant{}
	for _, p := range spec.Plants {
		plants[p.Chrom] = append(plants[p.Chrom], p)
	}
	bases := "ACGT"
	for ci, c := range grch38 {
		// Records per chromosome in proportion to its length (or to its region spans).
		lo, hi := 1, c.length
		var spans []Span
		covered, all := 0, 0
		for _, s := range spec.Spans {
			all += s.End - s.Start + 1
			if s.Chrom == c.name {
				spans = append(spans, s)
				covered += s.End - s.Start + 1
			}
		}
		n := random * c.length / total
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
			ref := string(bases[rng.IntN(4)])
			if b, ok := g.Fetch(c.name, pos, pos); ok {
				ref = b
			}
			alt := string(bases[rng.IntN(4)])
			for alt == ref || alt == "N" {
				alt = string(bases[rng.IntN(4)])
			}
			recs = append(recs, rec{chrom: ci, pos: pos, ref: ref, alt: alt})
		}
		for _, p := range plants[c.name] {
			recs = append(recs, rec{chrom: ci, pos: p.Pos, ref: p.Ref, alt: p.Alt, planted: true})
		}
		sort.Slice(recs, func(i, j int) bool { return recs[i].pos < recs[j].pos })
		for _, r := range recs {
			dp := 20 + rng.IntN(40)
			altReads := dp / 2
			gt := "0/1"
			if !r.planted && rng.IntN(3) == 0 {
				gt, altReads = "1/1", dp
			}
			fmt.Fprintf(bw, "%s\t%d\t.\t%s\t%s\t%d\tPASS\tDP=%d\t%s\t%s:%d,%d:%d:%d\n",
				c.name, r.pos, r.ref, r.alt, 30+rng.IntN(60), dp, "GT:AD:DP:GQ", gt, dp-altReads, altReads, dp, 20+rng.IntN(79))
		}
	}
	return bw.Flush()
}
