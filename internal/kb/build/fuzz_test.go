package build

import (
	"slices"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/testfile"
)

// classifications is the report's classification vocabulary.
var classifications = []string{kb.ClassPathogenic, kb.ClassLikelyPathogenic, kb.ClassUncertain, kb.ClassLikelyBenign,
	kb.ClassBenign, kb.ClassConflicting, kb.ClassNotInKnowledgeBase}

// FuzzParseClinVarRecord fuzzes the reader of ClinVar's source VCF lines.
func FuzzParseClinVarRecord(f *testing.F) {
	raw := testfile.Read(f, "testdata/clinvar_records.vcf")
	for _, l := range strings.Split(string(raw), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			f.Add(l)
		}
	}
	f.Fuzz(func(t *testing.T, line string) {
		e, keep, err := parseClinVarRecord(line)
		if err != nil || !keep {
			return
		}
		if kb.PanelOf(e.Gene) == "" || !slices.Contains(classifications, e.Classification) || e.Stars < 0 || e.Stars > 4 || e.Pos < 1 {
			t.Fatalf("got %+v", e)
		}
	})
}

// FuzzReadBEDModel fuzzes the reader of the Ensembl exon BED: a model it accepts must be a
// valid transcript.
func FuzzReadBEDModel(f *testing.F) {
	raw := testfile.Read(f, "testdata/epcam.ensembl110.bed")
	f.Add(string(raw))
	f.Fuzz(func(t *testing.T, data string) {
		tx, _, err := readBEDModel(data, "NM_002354.3")
		if err != nil {
			return
		}
		if err := kb.ValidTranscript(tx); err != nil {
			t.Fatalf("accepted an invalid model: %v", err)
		}
	})
}

// TestReadBEDModelSeed checks the fuzz seed itself: EPCAM's CDS from the BED excerpt.
func TestReadBEDModelSeed(t *testing.T) {
	raw := testfile.Read(t, "testdata/epcam.ensembl110.bed")
	tx, enst, err := readBEDModel(string(raw), "NM_002354.3")
	if err != nil {
		t.Fatal(err)
	}
	// 5'UTR chr2:47369311-47369505 (195 bases) -> c.1 at 196; 3'UTR 47386614-47387020 (407).
	if tx.CDSStart != 196 || tx.CDSEnd != tx.Len()-407 || len(tx.Exons) != 9 || enst != "ENST00000263735.9" {
		t.Errorf("got CDS %d..%d of %d, %d exons, %s", tx.CDSStart, tx.CDSEnd, tx.Len(), len(tx.Exons), enst)
	}
}
