package report

import (
	"strings"
	"testing"
)

// TestTextStructural: a structural finding is shown with its type, span, exons and copy
// number, and the sample never reads "No variants".
func TestTextStructural(t *testing.T) {
	cn := 1
	r := &Report{Input: Input{File: "sv.vcf", GenomeBuild: "GRCh38", Specimen: "germline", Panels: []string{"brca"}},
		Samples: []Sample{{SampleID: "S1", Findings: []Finding{{
			Gene: "BRCA1", Panel: "brca", Chrom: "chr17", Pos: 43090000, Ref: "C", Alt: "<DEL>", Transcript: "NM_007294.4",
			HGVSg: "NC_000017.11:g.(?_43090001)_(43110000_?)del", Consequence: "exon_loss_variant", Zygosity: "heterozygous",
			Classification: "not_in_knowledge_base", SVType: "DEL", End: 43110000, Exons: []int{4, 5, 6, 7, 8, 9, 10, 11}, CopyNumber: &cn,
		}, {
			Gene: "MLH1", Panel: "brca", Chrom: "chr3", Pos: 37017550, Ref: "G", Alt: "G[chr8:100000[", Transcript: "NM_000249.4",
			Consequence: "feature_truncation", Zygosity: "heterozygous", Classification: "not_in_knowledge_base", SVType: "BND", End: 37017550, Exons: []int{10},
		}}}}}
	var b strings.Builder
	if err := WriteText(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"structural variant: BRCA1 DEL of exons 4-11 (copy number 1) chr17:43090000-43110000 on NM_007294.4",
		"structural variant: MLH1 BND of exon 10 chr3:37017550-37017550",
		"BND chr3:37017550-37017550", // no HGVS: the table names the event by its span
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "No variants") {
		t.Errorf("text says No variants beside a structural finding:\n%s", out)
	}
}

func TestStructuralSummary(t *testing.T) {
	cn := 3
	tests := []struct {
		f    Finding
		want string
	}{
		{Finding{}, ""},
		{Finding{SVType: "DUP", Exons: []int{2, 3, 5}, CopyNumber: &cn}, "DUP of exons 2-3, 5 (copy number 3)"},
		{Finding{SVType: "DEL"}, "DEL, no exon (intronic)"},
		{Finding{SVType: "INV", Exons: []int{7}}, "INV of exon 7"},
	}
	for _, tt := range tests {
		if got := StructuralSummary(&tt.f); got != tt.want {
			t.Errorf("StructuralSummary(%+v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

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
