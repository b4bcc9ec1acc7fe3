package panel

import (
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
