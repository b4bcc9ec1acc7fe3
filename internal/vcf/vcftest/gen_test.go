package vcftest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/annotate"
	"github.com/precis-dx/precis/internal/kb"
	"github.com/precis-dx/precis/internal/report"
	"github.com/precis-dx/precis/internal/vcf"
)

// TestGenerated checks the generator the benchmarks rely on: the file reads cleanly, has the
// records asked for in sorted order, is taken for GRCh38, and every planted ClinVar variant
// comes out of `annotate` as a finding with its ClinVar classification.
func TestGenerated(t *testing.T) {
	k := testKB(t)
	spec, vcfText := generated(t, k, 7)
	planted := spec.Plants
	r, err := vcf.NewReader(bytes.NewReader(vcfText), "gen.vcf", vcf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n, lastChrom, lastPos := 0, "", 0
	for rec, err := range r.All() {
		if err != nil {
			t.Fatal(err)
		}
		if rec.Chrom == lastChrom && rec.Pos < lastPos {
			t.Fatalf("line %d: %s:%d after %d: not sorted", rec.Line, rec.Chrom, rec.Pos, lastPos)
		}
		lastChrom, lastPos = rec.Chrom, rec.Pos
		n++
	}
	// Integer division per chromosome may drop a few of the random records.
	if n > spec.Records || n < spec.Records-30 {
		t.Errorf("%d records, want about %d", n, spec.Records)
	}
	rep := annotated(t, k, string(vcfText), "gen.vcf")
	if rep.Input.GenomeBuild != "GRCh38" || len(rep.Input.Warnings) != 0 {
		t.Errorf("build %s, warnings %v", rep.Input.GenomeBuild, rep.Input.Warnings)
	}
	found := map[string]string{}
	for _, f := range rep.Samples[0].Findings {
		found[fmt.Sprintf("%s:%d:%s:%s", f.Chrom, f.Pos, f.Ref, f.Alt)] = f.Classification
	}
	for _, p := range planted {
		if c := found[fmt.Sprintf("%s:%d:%s:%s", p.Chrom, p.Pos, p.Ref, p.Alt)]; c != "pathogenic" {
			t.Errorf("planted %+v: classification %q, want pathogenic", p, c)
		}
	}
}

// generated writes a genome-wide file of 20,000 records from seed, with the first 25
// single-base ClinVar pathogenic variants of k (in the knowledge base's order) planted, and
// returns its spec and text.
func generated(t *testing.T, k *kb.KB, seed uint64) (Spec, []byte) {
	t.Helper()
	var planted []Plant
	for e := range k.ClinVar.All() {
		if e.Classification == "pathogenic" && len(planted) < 25 && len(e.Ref) == 1 && len(e.Alt) == 1 {
			planted = append(planted, Plant{Chrom: e.Chrom, Pos: e.Pos, Ref: e.Ref, Alt: e.Alt})
		}
	}
	spec := Spec{Records: 20_000, Seed: seed, Plants: planted}
	var buf bytes.Buffer
	if err := Write(&buf, spec, k.Genome); err != nil {
		t.Fatal(err)
	}
	return spec, buf.Bytes()
}

// annotated annotates VCF text, named name, with an annotator over k.
func annotated(t *testing.T, k *kb.KB, text, name string) *report.Report {
	t.Helper()
	a, err := annotate.New(k, "test")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := a.Annotate(context.Background(), strings.NewReader(text), name, annotate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}
