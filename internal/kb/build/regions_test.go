package build

import (
	"slices"
	"testing"

	"github.com/precis-dx/precis/internal/kb"
)

func TestPartitionRegions(t *testing.T) {
	in := []kb.Region{
		{Chrom: "chr1", Start: 100, End: 200, Gene: "DPYD", Panel: "dpyd", Kind: kb.KindExon},
		{Chrom: "chr1", Start: 80, End: 99, Gene: "DPYD", Panel: "dpyd", Kind: kb.KindSplicePadding},
		{Chrom: "chr1", Start: 150, End: 150, Gene: "DPYD", Panel: "dpyd", Kind: kb.KindCPICPosition},
		{Chrom: "chr1", Start: 195, End: 230, Gene: "DPYD", Panel: "dpyd", Kind: kb.KindClinVarPLP},
		{Chrom: "chr1", Start: 500, End: 500, Gene: "DPYD", Panel: "dpyd", Kind: kb.KindClinVarPLP},
		{Chrom: "chr1", Start: 501, End: 501, Gene: "DPYD", Panel: "dpyd", Kind: kb.KindClinVarPLP},
	}
	want := []kb.Region{
		{Chrom: "chr1", Start: 80, End: 99, Gene: "DPYD", Panel: "dpyd", Kind: kb.KindSplicePadding},
		{Chrom: "chr1", Start: 100, End: 149, Gene: "DPYD", Panel: "dpyd", Kind: kb.KindExon},
		{Chrom: "chr1", Start: 150, End: 150, Gene: "DPYD", Panel: "dpyd", Kind: kb.KindCPICPosition},
		{Chrom: "chr1", Start: 151, End: 200, Gene: "DPYD", Panel: "dpyd", Kind: kb.KindExon},
		{Chrom: "chr1", Start: 201, End: 230, Gene: "DPYD", Panel: "dpyd", Kind: kb.KindClinVarPLP},
		{Chrom: "chr1", Start: 500, End: 501, Gene: "DPYD", Panel: "dpyd", Kind: kb.KindClinVarPLP},
	}
	got := partitionRegions(in)
	if !slices.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}
