package hgvs_test

import (
	"fmt"

	"github.com/precis-dx/precis/internal/hgvs"
	"github.com/precis-dx/precis/internal/variant"
)

// Annotate names a missense change, a frameshift and a splice donor change on a small
// two-exon transcript. The deletion of one A from the run c.4_6 is written left-aligned
// in VCF (chr1:11 GA>G) and named at its 3'-most place, c.6del, as HGVS requires.
func ExampleAnnotate() {
	tx, seq := toy(1)
	for _, v := range []variant.Variant{
		{Chrom: "chr1", Pos: 13, Ref: "A", Alt: "G"},
		{Chrom: "chr1", Pos: 11, Ref: "GA", Alt: "G"},
		{Chrom: "chr1", Pos: 26, Ref: "G", Alt: "A"},
	} {
		a, err := hgvs.Annotate(tx, v, seq)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(a.HGVSg, a.HGVSc, a.HGVSp, a.Consequence)
	}
	// Output:
	// NC_000001.11:g.13A>G NM_TOY.1:c.5A>G p.(Lys2Arg) missense_variant
	// NC_000001.11:g.14del NM_TOY.1:c.6del p.(Ala3LeufsTer?) frameshift_variant
	// NC_000001.11:g.26G>A NM_TOY.1:c.17+1G>A  splice_donor_variant
}
