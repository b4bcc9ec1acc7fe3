package kb

import (
	"fmt"
	"strconv"

	"github.com/precis-dx/precis/internal/vcf"
)

// Marker is one row of the genome-build marker table: a fact that differs between GRCh37
// and GRCh38 (a gene's span, a PGx variant's position, a contig's length, a stretch of
// identical sequence).
//
// A Marker is a plain value, safe for concurrent use.
type Marker struct {
	Kind        string // gene_span, pgx_variant, region_sequence or contig_length
	Name        string // gene, "DPYD:rs3918290", contig name, or a description
	GRCh37Chrom string // canonical contig, "chr1"
	GRCh37Start int    // 1-based position or start on GRCh37; 0 for contig_length
	GRCh37End   int    // 1-based inclusive end on GRCh37; 0 when the row gives none
	GRCh38Chrom string // canonical contig, "chr1"
	GRCh38Start int    // 1-based position or start on GRCh38; 0 for contig_length
	GRCh38End   int    // 1-based inclusive end on GRCh38; 0 when the row gives none
	GRCh37Len   int    // contig length on GRCh37 (contig_length rows only)
	GRCh38Len   int    // contig length on GRCh38 (contig_length rows only)
	RefGRCh37   string // reference allele on GRCh37, "" when not given
	RefGRCh38   string // reference allele on GRCh38, "" when not given
	Source      string // where the row comes from
}

// ParseMarkers reads build_markers.GRCh37_vs_GRCh38.tsv: kind, name, GRCh37 contig,
// position or start (the length for contig_length), end, the same three for GRCh38, the
// two reference alleles and the source; '.' is empty.
func ParseMarkers(data string) ([]Marker, error) {
	var out []Marker
	err := eachRow(data, "markers", 11, func(n int, f []string) error {
		c37, ok37 := vcf.CanonicalChrom(f[2])
		c38, ok38 := vcf.CanonicalChrom(f[5])
		if !ok37 || !ok38 {
			return fmt.Errorf("%w: markers line %d: contigs %q, %q", ErrFormat, n, f[2], f[5])
		}
		var v [4]int
		for i, idx := range []int{3, 4, 6, 7} {
			if f[idx] == "." {
				continue
			}
			x, err := strconv.Atoi(f[idx])
			if err != nil || x < 1 {
				return fmt.Errorf("%w: markers line %d: field %d %q", ErrFormat, n, idx+1, f[idx])
			}
			v[i] = x
		}
		if v[0] == 0 || v[2] == 0 {
			return fmt.Errorf("%w: markers line %d: missing position", ErrFormat, n)
		}
		m := Marker{Kind: f[0], Name: f[1], GRCh37Chrom: c37, GRCh38Chrom: c38,
			RefGRCh37: undot(f[8]), RefGRCh38: undot(f[9]), Source: f[10]}
		if m.Kind == "contig_length" {
			m.GRCh37Len, m.GRCh38Len = v[0], v[2]
		} else {
			m.GRCh37Start, m.GRCh37End, m.GRCh38Start, m.GRCh38End = v[0], v[1], v[2], v[3]
		}
		out = append(out, m)
		return nil
	})
	return out, err
}
