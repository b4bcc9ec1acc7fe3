package harness

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/kb/kbtest"
	"github.com/precis-dx/precis/internal/vcf/vcftest"
)

// TestPlants: every planted variant is a ClinVar P/LP entry of the embedded knowledge base
// whose REF is the built-in GRCh38 base, they are spread over the panel genes, and the
// same call gives the same list.
func TestPlants(t *testing.T) {
	k := kbtest.Load(t)
	plants := Plants(k, 200)
	if len(plants) < 150 || len(plants) > 200 {
		t.Fatalf("got %d plants, want 150 to 200", len(plants))
	}
	genes := map[string]bool{}
	for _, p := range plants {
		e, ok := k.ClinVar.Lookup(p.Chrom, p.Pos, p.Ref, p.Alt)
		if !ok || !kb.IsPLP(e.Classification) {
			t.Errorf("%+v: ClinVar %q (found %v), want pathogenic or likely_pathogenic", p, e.Classification, ok)
		}
		if seq, ok := k.Genome.Fetch(p.Chrom, p.Pos, p.Pos+len(p.Ref)-1); !ok || seq != p.Ref {
			t.Errorf("%+v: reference %q, want REF", p, seq)
		}
		genes[e.Gene] = true
	}
	if len(genes) < 6 {
		t.Errorf("plants in %d genes (%v), want at least 6 of the nine", len(genes), genes)
	}
	again := Plants(k, 200)
	if len(again) != len(plants) || again[0] != plants[0] || again[len(again)-1] != plants[len(plants)-1] {
		t.Errorf("a second call gave a different list")
	}
	if got := Plants(k, 0); got != nil {
		t.Errorf("Plants(k, 0) = %d plants, want none", len(got))
	}
}

// TestWriteBED: regions become 0-based half-open intervals, merged where they touch or
// overlap, named as the VCF names its contigs.
func TestWriteBED(t *testing.T) {
	regions := []kb.Region{
		{Chrom: "chr1", Start: 100, End: 200},
		{Chrom: "chr1", Start: 201, End: 250}, // touches the first: merged
		{Chrom: "chr1", Start: 240, End: 260}, // overlaps: merged
		{Chrom: "chr1", Start: 300, End: 300},
		{Chrom: "chr2", Start: 5, End: 9},
		{Chrom: "chrM", Start: 1, End: 16},
	}
	for _, tc := range []struct {
		name string
		chr  bool
		want string
	}{
		{"chr names", true, "chr1\t99\t260\nchr1\t299\t300\nchr2\t4\t9\nchrM\t0\t16\n"},
		{"Ensembl names", false, "1\t99\t260\n1\t299\t300\n2\t4\t9\nMT\t0\t16\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "p.bed")
			n, err := WriteBED(p, regions, tc.chr)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(p)
			if string(b) != tc.want || n != strings.Count(tc.want, "\n") {
				t.Errorf("got %d intervals:\n%s\nwant:\n%s", n, b, tc.want)
			}
		})
	}
}

// TestInputCached: the same spec gives the same file without writing it again; another
// seed gives another file.
func TestInputCached(t *testing.T) {
	k := kbtest.Load(t)
	dir := t.TempDir()
	spec := benchmarksSpec(2_000, 5)
	a, err := Input(dir, "x", spec, k)
	if err != nil {
		t.Fatal(err)
	}
	st1, _ := os.Stat(a)
	b, err := Input(dir, "x", spec, k)
	if err != nil {
		t.Fatal(err)
	}
	st2, _ := os.Stat(b)
	if a != b || !st1.ModTime().Equal(st2.ModTime()) {
		t.Errorf("second Input: %s (%v), want the cached %s (%v)", b, st2.ModTime(), a, st1.ModTime())
	}
	c, err := Input(dir, "x", benchmarksSpec(2_000, 6), k)
	if err != nil {
		t.Fatal(err)
	}
	if c == a {
		t.Errorf("another seed gave the same file %s", c)
	}
	if n, err := countRecords(a); err != nil || n < 1_970 || n > 2_000 {
		t.Errorf("%d records (%v), want about 2,000", n, err)
	}
	if chr, err := usesChrPrefix(a); err != nil || !chr {
		t.Errorf("usesChrPrefix = %v, %v; want true (the generator writes chr1)", chr, err)
	}
}

func benchmarksSpec(records int, seed uint64) vcftest.Spec {
	return vcftest.Spec{Records: records, Seed: seed}
}
