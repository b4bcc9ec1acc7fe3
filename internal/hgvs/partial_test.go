package hgvs_test

import (
	"testing"

	"github.com/precis-dx/precis/internal/hgvs"
	"github.com/precis-dx/precis/internal/transcript"
	"github.com/precis-dx/precis/internal/variant"
)

// holed is a Sequence over a literal plus-strand string on "chr1" from position 1 whose
// positions from onward (1-based) are unknown, as the GRCh38 PMS2 slice stops inside the
// gene's 3' UTR.
type holed struct {
	bases string
	from  int
}

func (h holed) Fetch(chrom string, start, end int) (string, bool) {
	if chrom != "chr1" || start < 1 || end > len(h.bases) || end < start || end >= h.from {
		return "", false
	}
	return h.bases[start-1 : end], true
}

// utrSeq holds a one-exon transcript (exon 3..26): CDS ATGGCATGGTAA (MAW*) at 3..14 and
// the 3' UTR CAGTGAGTAAGC at 15..26. Read through, the stop-lost frame meets TGA at 18..20
// and the frame one base on meets TAA at 22..24.
const utrSeq = "CC" + "ATGGCATGGTAA" + "CAGTGAGTAAGC" + "CC"

// TestPartlyKnownUTR checks that a frameshift or stop loss that reads into a 3' UTR names
// the new stop when the bases up to it are known, and writes "?" (HGVS: unknown) when
// the known sequence ends first; the coding variants themselves need only the CDS.
func TestPartlyKnownUTR(t *testing.T) {
	tx := &transcript.Transcript{ID: "NM_TOY.1", Gene: "TOY", Chrom: "chr1", Strand: 1,
		Exons: []transcript.Exon{{Start: 3, End: 26}}, CDSStart: 1, CDSEnd: 12}
	stopLoss := at(12, "T", "C") // c.10T>C, TAA -> CAA
	shift := at(6, "GC", "G")    // c.5del
	missense := at(7, "C", "T")  // c.5C>T, GCA -> GTA
	nonsense := at(10, "G", "A") // c.8G>A, TGG -> TAG
	tests := []struct {
		name      string
		v         variant.Variant
		from      int // first unknown position
		wantC     string
		wantP     string
		wantTerms string
	}{
		{"stop loss, all known", stopLoss, 100, "c.10T>C", "p.(Ter4GlnextTer3)", "stop_lost"},
		{"stop loss, new stop known", stopLoss, 21, "c.10T>C", "p.(Ter4GlnextTer3)", "stop_lost"},
		{"stop loss, new stop unknown", stopLoss, 20, "c.10T>C", "p.(Ter4GlnextTer?)", "stop_lost"},
		{"frameshift, all known", shift, 100, "c.5del", "p.(Ala2AspfsTer6)", "frameshift_variant"},
		{"frameshift, new stop known", shift, 25, "c.5del", "p.(Ala2AspfsTer6)", "frameshift_variant"},
		{"frameshift, new stop unknown", shift, 24, "c.5del", "p.(Ala2AspfsTer?)", "frameshift_variant"},
		{"missense, only the CDS known", missense, 15, "c.5C>T", "p.(Ala2Val)", "missense_variant"},
		{"nonsense, only the CDS known", nonsense, 15, "c.8G>A", "p.(Trp3Ter)", "stop_gained"},
		{"missense, CDS not known", missense, 14, "c.5C>T", "", "coding_sequence_variant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seq := holed{bases: utrSeq, from: tc.from}
			ann, err := hgvs.Annotate(tx, tc.v, seq)
			if err != nil {
				t.Fatal(err)
			}
			if ann.HGVSc != "NM_TOY.1:"+tc.wantC || ann.HGVSp != tc.wantP || ann.Consequence != tc.wantTerms {
				t.Errorf("got %s %q %s, want NM_TOY.1:%s %q %s", ann.HGVSc, ann.HGVSp, ann.Consequence, tc.wantC, tc.wantP, tc.wantTerms)
			}
		})
	}
}
