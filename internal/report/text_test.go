package report

import (
	"strings"
	"testing"
)

func TestWriteTextCoverage(t *testing.T) {
	f, dp := 0.9817, 12
	for _, tt := range []struct {
		name     string
		coverage []Coverage
		want     []string // lines that follow the headline, in order
	}{
		{"none", []Coverage{{Gene: "BRCA1", Source: "none", UncoveredExons: []int{}, Note: "the input does not show which bases were sequenced (no gVCF reference blocks and no callable-regions file): a negative result cannot exclude variants in BRCA1"}},
			[]string{"Coverage of the coding exons ±2 bp (MANE Select):", "  BRCA1  not known: the input does not show which bases were sequenced (no gVCF reference blocks and no callable-regions file): a negative result cannot exclude variants in BRCA1"}},
		{"gvcf", []Coverage{{Gene: "BRCA2", Source: "gvcf", CoveredFraction: &f, MinDP: &dp, UncoveredExons: []int{11}, Note: "not fully covered: exon 11"}},
			[]string{"Coverage of the coding exons ±2 bp (MANE Select):", "  BRCA2  98.2% (gvcf, lowest depth 12): not fully covered: exon 11"}},
		{"a report without coverage", nil,
			[]string{"Coverage: not stated in this report: a negative result cannot exclude variants in the ordered genes."}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &Report{Input: Input{File: "x.vcf", Panels: []string{"brca"}}, Samples: []Sample{{SampleID: "S1", Coverage: tt.coverage}}}
			var b strings.Builder
			if err := WriteText(&b, r); err != nil {
				t.Fatal(err)
			}
			want := "No variants in the ordered panels (brca).\n" + strings.Join(tt.want, "\n") + "\n"
			if !strings.Contains(b.String(), want) {
				t.Errorf("got\n%s\nwant the headline followed by\n%s", b.String(), want)
			}
		})
	}
}
