package panel

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/precis-dx/precis/internal/kb/kbtest"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  error
	}{
		{"", nil, ErrEmpty},
		{" \t ", nil, ErrEmpty},
		{"all", Names(), nil},
		{"pole,dpyd", []string{"dpyd", "pole"}, nil},
		{" BRCA , lynch,brca", []string{"brca", "lynch"}, nil},
		{"dpyd,cardio", nil, ErrUnknown},
		{"tpmt,nudt15,ugt1a1", []string{"ugt1a1", "tpmt", "nudt15"}, nil},
		{"NUDT15,dpyd", []string{"dpyd", "nudt15"}, nil},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if !errors.Is(err, tt.err) || !slices.Equal(got, tt.want) {
			t.Errorf("Parse(%q) = %v, %v; want %v, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// TestIndex checks the index against the knowledge base's own regions: every region's ends are
// inside, the bases just outside a merged run are not, and panels that were not ordered are
// not in the index.
func TestIndex(t *testing.T) {
	k := kbtest.Load(t)
	brca := New(k.Regions, []string{"brca"})
	n := 0
	for _, r := range k.Regions {
		in := brca.Contains(r.Chrom, r.Start, r.Start) && brca.Contains(r.Chrom, r.End, r.End)
		if (r.Panel == "brca") != in {
			t.Fatalf("region %+v: in brca index = %v", r, in)
		}
		if r.Panel == "brca" {
			n++
			if g := brca.Genes(r.Chrom, r.Start, r.End); !slices.Contains(g, r.Gene) {
				t.Fatalf("region %+v: genes %v", r, g)
			}
		}
	}
	if n == 0 {
		t.Fatal("no BRCA regions in the knowledge base")
	}
	for chrom, runs := range brca.merged {
		for _, m := range runs {
			if brca.Contains(chrom, m.start-1, m.start-1) || brca.Contains(chrom, m.end+1, m.end+1) {
				t.Fatalf("%s:%d-%d: a base outside the merged run is reported inside", chrom, m.start, m.end)
			}
		}
	}
	// A deletion that starts before an exon and ends inside it overlaps.
	r := k.RegionsFor("dpyd")[0]
	if !New(k.Regions, []string{"dpyd"}).Contains(r.Chrom, r.Start-50, r.Start) {
		t.Error("a span that ends in a region is not reported as overlapping")
	}
}

func TestOf(t *testing.T) {
	for _, p := range Names() {
		for _, g := range Genes(p) {
			if Of(g) != p {
				t.Errorf("Of(%s) = %q, want %q", g, Of(g), p)
			}
		}
	}
	if Of("TP53") != "" {
		t.Error("TP53 is in no panel")
	}
}

// TestPGxPanels: each one-gene PGx panel names its gene and indexes exactly the PharmCAT
// definition positions of that gene (UGT1A1 4, TPMT 43, NUDT15 18), the TA repeat's whole
// REF span included.
func TestPGxPanels(t *testing.T) {
	k := kbtest.Load(t)
	for _, tc := range []struct {
		panel, gene string
		positions   int
	}{{"ugt1a1", "UGT1A1", 4}, {"tpmt", "TPMT", 43}, {"nudt15", "NUDT15", 18}} {
		if g := Genes(tc.panel); !slices.Equal(g, []string{tc.gene}) || Of(tc.gene) != tc.panel {
			t.Errorf("%s: genes %v, Of(%s) = %q", tc.panel, g, tc.gene, Of(tc.gene))
		}
		var def struct {
			Variants []struct {
				Position int    `json:"position"`
				Ref      string `json:"ref"`
			} `json:"variants"`
		}
		if err := json.Unmarshal(k.PGxTranslation(tc.gene), &def); err != nil || len(def.Variants) != tc.positions {
			t.Fatalf("%s: %d positions, %v", tc.gene, len(def.Variants), err)
		}
		bases := map[int]bool{}
		for _, v := range def.Variants {
			for p := v.Position; p < v.Position+len(v.Ref); p++ {
				bases[p] = true
			}
		}
		n := 0
		for _, r := range k.RegionsFor(tc.panel) {
			if r.Gene != tc.gene || r.Kind != "cpic-position" {
				t.Errorf("%s: region %+v", tc.panel, r)
			}
			for p := r.Start; p <= r.End; p++ {
				if !bases[p] {
					t.Errorf("%s: region %+v covers %d, no definition position", tc.panel, r, p)
				}
				n++
			}
		}
		if n != len(bases) {
			t.Errorf("%s: regions cover %d bases, the definition's REF spans %d", tc.panel, n, len(bases))
		}
	}
	ix := New(k.Regions, []string{"ugt1a1"})
	for pos := 233760233; pos <= 233760235; pos++ {
		if !ix.Contains("chr2", pos, pos) {
			t.Errorf("chr2:%d (rs3064744 REF CAT) not in the ugt1a1 panel", pos)
		}
	}
	if ix.Contains("chr1", 97450058, 97450058) {
		t.Error("a DPYD position is in the ugt1a1 panel")
	}
}
