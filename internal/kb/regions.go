package kb

import (
	"bufio"
	"fmt"
	"io"
	"strconv"

	"github.com/precis-dx/precis/internal/vcf"
)

// Region kinds.
const (
	KindExon          = "exon"           // an exon (UTR or coding) of a MANE Select transcript
	KindSplicePadding = "splice-padding" // the SplicePadding bases either side of an exon
	KindCPICPosition  = "cpic-position"  // a PharmCAT/CPIC DPYD allele-definition position (REF span)
	KindClinVarPLP    = "clinvar-plp"    // the REF span of a ClinVar pathogenic/likely pathogenic record
	KindHotspot       = "hotspot"        // the codon of a POLE exonuclease-domain hotspot
)

// kindRank orders kinds for labelling a base covered by several: the most specific first.
// Hotspot codons and CPIC positions are kept visible inside exons; ClinVar P/LP sites
// only label bases that nothing else covers (intronic and deep-intronic sites).
var kindRank = map[string]int{KindHotspot: 0, KindCPICPosition: 1, KindExon: 2, KindSplicePadding: 3, KindClinVarPLP: 4}

// SplicePadding is how far each exon region is extended into the intron (or the flank
// beyond a transcript end), in bases. VEP's splice_region_variant covers 3-8 bases into
// the intron (McLaren et al. 2016, Genome Biol 17:122); 20 bases is the usual padding of
// clinical exome and panel target files, and covers the branch-point-proximal acceptor
// region and the extended donor site where splice-altering variants are reported.
const SplicePadding = 20

// Region is a stretch of genome a panel looks at. The regions of one panel are sorted,
// never overlap, and together cover every exon (padded by SplicePadding), every CPIC
// DPYD position, every ClinVar P/LP site (pathogenic or likely pathogenic in either ClinVar
// release read, so a site reclassified since stays looked at) and every POLE hotspot codon
// of the panel. Where
// several kinds cover a base, the base is labelled with the first of hotspot,
// cpic-position, exon, splice-padding, clinvar-plp; adjacent bases with the same gene and
// kind form one region.
//
// A Region is a plain value, safe for concurrent use.
type Region struct {
	Chrom string // canonical contig, "chr1"
	Start int    // 1-based, inclusive
	End   int    // 1-based, inclusive
	Gene  string // panel gene
	Panel string // dpyd, brca, lynch or pole
	Kind  string // exon, splice-padding, cpic-position, clinvar-plp or hotspot
}

// Contains reports whether chrom:pos (1-based) lies in r.
func (r Region) Contains(chrom string, pos int) bool {
	return r.Chrom == chrom && pos >= r.Start && pos <= r.End
}

// KindRank returns the rank of a region kind in the order that labels a base several kinds
// cover (see Region), most specific first, or -1 for a string that is not a kind.
func KindRank(kind string) int {
	if r, ok := kindRank[kind]; ok {
		return r
	}
	return -1
}

// RegionLess orders regions as the region table is sorted: by contig (chr1..chr22, chrX,
// chrY, chrM), start and panel.
func RegionLess(a, b Region) bool {
	if a.Chrom != b.Chrom {
		return chromRank(a.Chrom) < chromRank(b.Chrom)
	}
	if a.Start != b.Start {
		return a.Start < b.Start
	}
	return a.Panel < b.Panel
}

// regionsHeader heads the embedded region table.
const regionsHeader = "#chrom\tstart\tend\tgene\tpanel\tkind\t(start/end: 1-based, inclusive; not BED)\n"

// WriteRegions writes the region table.
func WriteRegions(w io.Writer, rs []Region) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(regionsHeader)
	for _, r := range rs {
		fmt.Fprintf(bw, "%s\t%d\t%d\t%s\t%s\t%s\n", r.Chrom, r.Start, r.End, r.Gene, r.Panel, r.Kind)
	}
	return bw.Flush()
}

// parseRegions reads the table written by WriteRegions and checks that it is sorted and
// that the regions of a panel do not overlap.
func parseRegions(data string) ([]Region, error) {
	var out []Region
	last := map[string]Region{} // by panel
	err := eachRow(data, "regions", 6, func(n int, f []string) error {
		chrom, known := vcf.CanonicalChrom(f[0])
		s, err1 := strconv.Atoi(f[1])
		e, err2 := strconv.Atoi(f[2])
		if !known || chrom != f[0] || err1 != nil || err2 != nil || s < 1 || e < s {
			return fmt.Errorf("%w: regions line %d: interval %s:%s-%s", ErrFormat, n, f[0], f[1], f[2])
		}
		r := Region{Chrom: chrom, Start: s, End: e, Gene: f[3], Panel: f[4], Kind: f[5]}
		if KindRank(r.Kind) < 0 {
			return fmt.Errorf("%w: regions line %d: kind %q", ErrFormat, n, r.Kind)
		}
		if PanelOf(r.Gene) != r.Panel {
			return fmt.Errorf("%w: regions line %d: gene %q is not in panel %q", ErrFormat, n, r.Gene, r.Panel)
		}
		if len(out) > 0 && RegionLess(r, out[len(out)-1]) {
			return fmt.Errorf("%w: regions line %d: not sorted", ErrFormat, n)
		}
		if p, ok := last[r.Panel]; ok && p.Chrom == r.Chrom && r.Start <= p.End {
			return fmt.Errorf("%w: regions line %d: overlaps %s:%d-%d of panel %s", ErrFormat, n, p.Chrom, p.Start, p.End, p.Panel)
		}
		last[r.Panel] = r
		out = append(out, r)
		return nil
	})
	return out, err
}
