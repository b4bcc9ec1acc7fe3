package kb_test

import (
	"fmt"

	"github.com/precis-dx/precis/internal/kb"
)

func Example() {
	k, err := kb.Load()
	if err != nil {
		fmt.Println(err)
		return
	}
	// BRCA1 c.68_69del (185delAG), left-aligned VCF alleles as in ClinVar.
	if e, ok := k.ClinVar.Lookup("chr17", 43124027, "ACT", "A"); ok {
		fmt.Println(e.Gene, e.VariationID, e.Classification, e.Stars, e.Release)
	}
	// The DPYD*2A splice-donor site c.1905+1 (plus strand).
	ref, ok := k.Genome.Fetch("chr1", 97450058, 97450058)
	fmt.Println(ref, ok)
	fmt.Println(k.Transcripts["POLE"].ID, k.Hotspots[0].Protein)
	// Output:
	// BRCA1 17662 pathogenic 3 ClinVar 2026-02-26
	// C true
	// NM_006231.4 p.(Pro286Arg)
}
