package kb

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/oracle"
	"github.com/precis-dx/precis/internal/transcript"
)

var strconvItoa = strconv.Itoa

// covered reports whether every base of chrom:start-end lies in some region of rs.
func covered(rs []Region, chrom string, start, end int) bool {
	for p := start; p <= end; {
		i := slices.IndexFunc(rs, func(r Region) bool { return r.Contains(chrom, p) })
		if i < 0 {
			return false
		}
		p = rs[i].End + 1
	}
	return true
}

func TestRegionsShape(t *testing.T) {
	k := testKB(t)
	for i, r := range k.Regions {
		if r.End < r.Start || PanelOf(r.Gene) != r.Panel {
			t.Errorf("region %d: %+v", i, r)
		}
		if i > 0 && RegionLess(r, k.Regions[i-1]) {
			t.Errorf("region %d is out of order", i)
		}
	}
	for _, p := range Panels() {
		rs := k.RegionsFor(p)
		if len(rs) == 0 {
			t.Errorf("panel %s has no regions", p)
		}
		for i := 1; i < len(rs); i++ {
			if rs[i].Chrom == rs[i-1].Chrom && rs[i].Start <= rs[i-1].End {
				t.Errorf("panel %s: %+v overlaps %+v", p, rs[i], rs[i-1])
			}
		}
	}
	if got, want := len(k.RegionsFor()), len(k.Regions); got != want {
		t.Errorf("RegionsFor() returned %d regions, want all %d", got, want)
	}
	if got := len(k.RegionsFor("brca", "pole")); got != len(k.RegionsFor("brca"))+len(k.RegionsFor("pole")) {
		t.Errorf("RegionsFor(brca, pole) returned %d", got)
	}
}

func TestRegionsCoverExonsAndHotspots(t *testing.T) {
	k := testKB(t)
	for _, g := range Genes() {
		tx := k.Transcripts[g]
		rs := k.RegionsFor(PanelOf(g))
		for i, e := range tx.Exons {
			if !covered(rs, tx.Chrom, e.Start-SplicePadding, e.End+SplicePadding) {
				t.Errorf("%s exon %d %s:%d-%d ±%d is not covered", g, i+1, tx.Chrom, e.Start, e.End, SplicePadding)
			}
		}
	}
	pole := k.Transcripts["POLE"]
	for _, h := range k.Hotspots {
		first := pole.CDSStart + 3*(h.Codon-1)
		parts, ok := txRangeToGenomic(pole, first, first+2)
		if !ok {
			t.Fatalf("%s: codon outside the transcript", h.Short)
		}
		for _, p := range parts {
			i := slices.IndexFunc(k.Regions, func(r Region) bool { return r.Contains(pole.Chrom, p.Start) })
			if i < 0 || k.Regions[i].Kind != KindHotspot || k.Regions[i].Panel != PanelPOLE {
				t.Errorf("%s codon %s:%d-%d is not a pole hotspot region", h.Short, pole.Chrom, p.Start, p.End)
			}
		}
	}
}

// TestRegionsCoverClinVarPLP checks that every pathogenic or likely pathogenic ClinVar
// record of the panel genes, in either file, lies (REF span) in its panel's regions.
func TestRegionsCoverClinVarPLP(t *testing.T) {
	src := oracle.Dir(t)
	k := testKB(t)
	n := 0
	for _, file := range []string{clinvar2026, clinvar2024} {
		for _, r := range readVCF(t, filepath.Join(src, file)) {
			g := r.panelGeneOf()
			sig := r.infoValue("CLNSIG")
			if g == "" || r.alt == "." || (wantClass[sig] != ClassPathogenic && wantClass[sig] != ClassLikelyPathogenic && !strings.Contains(sig, "athogenic,_low")) {
				continue
			}
			n++
			if !covered(k.RegionsFor(PanelOf(g)), "chr"+r.chrom, r.pos, r.pos+len(r.ref)-1) {
				t.Errorf("%s line %d: %s P/LP %s chr%s:%d %s is not in the %s regions", filepath.Base(file), r.line, sig, g, r.chrom, r.pos, r.ref, PanelOf(g))
			}
		}
	}
	if n < 9000 {
		t.Errorf("only %d P/LP records checked", n)
	}
	t.Logf("%d ClinVar P/LP records lie in their panel's regions", n)
}

// TestRegionsCoverDPYDPositions checks every PharmCAT DPYD position (the whole REF span of
// the deletions), among them the deep-intronic HapB3 c.1129-5923C>G at chr1:97579893.
func TestRegionsCoverDPYDPositions(t *testing.T) {
	k := testKB(t)
	var def struct {
		Variants []struct {
			Position int    `json:"position"`
			Ref      string `json:"ref"`
			RSID     string `json:"rsid"`
		} `json:"variants"`
	}
	if err := json.Unmarshal(k.DPYDTranslation(), &def); err != nil {
		t.Fatal(err)
	}
	rs := k.RegionsFor(PanelDPYD)
	hapB3 := false
	for _, v := range def.Variants {
		if !covered(rs, "chr1", v.Position, v.Position+len(v.Ref)-1) {
			t.Errorf("%s chr1:%d %s is not in the dpyd regions", v.RSID, v.Position, v.Ref)
		}
		for _, r := range rs {
			if r.Contains("chr1", v.Position) && r.Kind == KindCPICPosition && v.Position == 97579893 {
				hapB3 = true
			}
		}
	}
	if !hapB3 {
		t.Error("HapB3 chr1:97579893 is not a cpic-position region")
	}
}

// TestHotspots checks each hotspot's reference amino acid against the translated POLE CDS
// and against the NP_006222.2 protein file.
func TestHotspots(t *testing.T) {
	src := oracle.Dir(t)
	k := testKB(t)
	cds, ok := k.Genome.CDS(k.Transcripts["POLE"])
	if !ok {
		t.Fatal("POLE CDS unknown")
	}
	protein := transcript.Translate(cds)
	_, file := readFASTAFile(t, filepath.Join(src, "genes/sequence/transcripts/NM_006231.4.protein.fa"))
	want := []string{"P286R", "V411L", "S297F", "A456P", "S459F", "F367S", "L424I", "M295R", "P436R", "M444K", "D368Y"}
	var got []string
	for _, h := range k.Hotspots {
		got = append(got, h.Short)
		t.Run(h.Short, func(t *testing.T) {
			aa := protein[h.Codon-1]
			if transcript.ThreeLetter(aa) != h.Ref || file[h.Codon-1] != aa || h.Short[0] != aa {
				t.Errorf("codon %d: translated %c, protein file %c, hotspot ref %s", h.Codon, aa, file[h.Codon-1], h.Ref)
			}
			if want := "p.(" + h.Ref + strconv.Itoa(h.Codon) + h.Alt + ")"; h.Protein != want || h.Gene != "POLE" || !strings.Contains(h.Source, "10.1002/path.5372") {
				t.Errorf("got %+v", h)
			}
			// Exonuclease domain of POLE: residues 268-471 (UniProt Q07864).
			if h.Codon < 268 || h.Codon > 471 {
				t.Errorf("codon %d is outside the exonuclease domain", h.Codon)
			}
		})
	}
	if !slices.Equal(got, want) {
		t.Errorf("got hotspots %v, want %v", got, want)
	}
}
