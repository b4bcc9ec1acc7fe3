package build

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/kb/kbtest"
	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/testfile"
)

func TestCheckCDS(t *testing.T) {
	for _, tc := range []struct {
		name, cds string
		ok        bool
	}{
		{"complete", "ATGAAATAA", true},
		{"not a multiple of three", "ATGAAAATAA", false},
		{"no start", "CTGAAATAA", false},
		{"no stop", "ATGAAAAAA", false},
		{"internal stop", "ATGTGAAAATAA", false},
		{"unreadable codon", "ATGNAATAA", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkCDS("x", tc.cds)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, kb.ErrInconsistent)) {
				t.Errorf("checkCDS(%s) = %v, want ok %v", tc.cds, err, tc.ok)
			}
		})
	}
}

// TestCrossCheckCPICDetectsDisagreement changes one activity score in the real CPIC table.
func TestCrossCheckCPICDetectsDisagreement(t *testing.T) {
	src := oracle.Dir(t)
	k := kbtest.Load(t)
	csv := testfile.Read(t, filepath.Join(src, "pgx/cpic/DPYD_Diplotype_Phenotype_Table.csv"))
	n, _, err := crossCheckCPIC(k.DPYDPhenotype(), csv)
	if err != nil || n != 3570 {
		t.Fatalf("real files: %d rows, %v; want 3570, nil", n, err)
	}
	// c.46C>G/c.61C>T has activity score 1.0 (CPIC): say 2.0 instead.
	bad := strings.Replace(string(csv), "c.46C>G/c.61C>T,1.0,", "c.46C>G/c.61C>T,2.0,", 1)
	if bad == string(csv) {
		t.Fatal("row c.46C>G/c.61C>T not found")
	}
	if _, _, err := crossCheckCPIC(k.DPYDPhenotype(), []byte(bad)); !errors.Is(err, kb.ErrInconsistent) {
		t.Errorf("got %v, want kb.ErrInconsistent", err)
	}
}

// TestReadBEDModelRejectsMisplacedUTR moves EPCAM's 3'UTR row into the first exon.
func TestReadBEDModelRejectsMisplacedUTR(t *testing.T) {
	raw := testfile.Read(t, "testdata/epcam.ensembl110.bed")
	bad := strings.Replace(string(raw), "chr2\t47386613\t47387020\tEPCAM_3UTR", "chr2\t47369310\t47369400\tEPCAM_3UTR", 1)
	if bad == string(raw) {
		t.Fatal("3'UTR row not found")
	}
	if _, _, err := readBEDModel(bad, "NM_002354.3"); !errors.Is(err, kb.ErrInconsistent) {
		t.Errorf("got %v, want kb.ErrInconsistent", err)
	}
}

func TestReadMANE(t *testing.T) {
	src := oracle.Dir(t)
	r := &sourceReader{root: src, files: map[string]fileDigest{}}
	data, err := r.read(srcMANE, true)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := readMANE(string(data))
	if err != nil {
		t.Fatal(err)
	}
	// MANE v1.0: PMS2 NM_000535.7 / ENST00000265849.12, chr7:5970925-6009049 minus strand.
	if got := rows["PMS2"]; got.refseq != "NM_000535.7" || got.ensembl != "ENST00000265849.12" || got.chrom != "chr7" ||
		got.start != 5970925 || got.end != 6009049 || got.strand != -1 {
		t.Errorf("PMS2: got %+v", got)
	}
	bad := strings.Replace(string(data), "NM_000535.7", "NM_000535.6", 1)
	if _, err := readMANE(bad); !errors.Is(err, kb.ErrInconsistent) {
		t.Errorf("MANE naming another PMS2 transcript: got %v, want kb.ErrInconsistent", err)
	}
}
