package build

import (
	"slices"
	"testing"

	"github.com/precis-dx/precis/internal/kb"
)

func TestPartitionRegions(t *testing.T) {
	dpyd := func(start, end int, kind string) kb.Region {
		return kb.Region{Chrom: "chr1", Start: start, End: end, Gene: "DPYD", Panel: "dpyd", Kind: kind}
	}
	in := []kb.Region{
		dpyd(100, 200, kb.KindExon),
		dpyd(80, 99, kb.KindSplicePadding),
		dpyd(150, 150, kb.KindCPICPosition),
		dpyd(195, 230, kb.KindClinVarPLP),
		dpyd(500, 500, kb.KindClinVarPLP),
		dpyd(501, 501, kb.KindClinVarPLP),
	}
	want := []kb.Region{
		dpyd(80, 99, kb.KindSplicePadding),
		dpyd(100, 149, kb.KindExon),
		dpyd(150, 150, kb.KindCPICPosition),
		dpyd(151, 200, kb.KindExon),
		dpyd(201, 230, kb.KindClinVarPLP),
		dpyd(500, 501, kb.KindClinVarPLP),
	}
	got := partitionRegions(in)
	if !slices.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}
