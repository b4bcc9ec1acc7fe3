package annotate

import (
	"slices"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/report"
)

func tagsOf(rs []report.Rationale) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Tag)
	}
	return out
}

// TestSVTags: the structural-variant rules, one case per rule.
func TestSVTags(t *testing.T) {
	del := func(gene string, exons ...int) report.Finding {
		return report.Finding{Gene: gene, SVType: "DEL", Chrom: "chr2", Pos: 100, End: 5000, Exons: exons, HGVSg: "NC_000002.12:g.101_5000del"}
	}
	tests := []struct {
		name     string
		f        report.Finding
		specimen string
		want     []string
		reason   string // in some rationale
	}{
		{"BRCA1 exon deletion", del("BRCA1", 4, 5), "germline",
			[]string{"follow-up:confirmatory-testing", "follow-up:genetic-counselling", "follow-up:cascade-testing", "follow-up:risk-reducing-surgery-discussion"},
			"provisional until confirmed"},
		{"BRCA2 tumour", del("BRCA2", 3), "tumour",
			[]string{"follow-up:confirmatory-testing", "follow-up:germline-confirmation"}, "tumour specimen"},
		{"MSH2 duplication", report.Finding{Gene: "MSH2", SVType: "DUP", Exons: []int{3, 4}}, "germline",
			[]string{"follow-up:confirmatory-testing", "follow-up:colonoscopy-surveillance", "follow-up:genetic-counselling", "follow-up:cascade-testing"},
			"MSH2 duplication of exons 3-4"},
		{"MLH1 tumour", del("MLH1", 1), "tumour",
			[]string{"follow-up:confirmatory-testing", "follow-up:germline-confirmation"}, ""},
		{"EPCAM 3' deletion", del("EPCAM", 8, 9), "germline",
			[]string{"follow-up:confirmatory-testing", "follow-up:colonoscopy-surveillance", "follow-up:genetic-counselling", "follow-up:cascade-testing"},
			"endometrial cancer risk lower than in MSH2 carriers"},
		{"EPCAM 5' deletion", del("EPCAM", 2, 3), "germline",
			[]string{"follow-up:expert-review"}, "MSH2 silencing is not expected"},
		{"PMS2 exons 11-15", del("PMS2", 12, 13), "germline",
			[]string{"follow-up:confirmatory-testing", "follow-up:colonoscopy-surveillance", "follow-up:genetic-counselling", "follow-up:cascade-testing"},
			"PMS2CL pseudogene"},
		{"intronic", del("BRCA1"), "germline", nil, ""},
		{"DPYD", del("DPYD", 14), "germline", nil, ""},
		{"POLE", report.Finding{Gene: "POLE", SVType: "DUP", Exons: []int{9}}, "tumour", nil, ""},
		{"BRCA1 breakend", report.Finding{Gene: "BRCA1", SVType: "BND", Exons: []int{10}}, "germline",
			[]string{"follow-up:confirmatory-testing", "follow-up:expert-review"}, "structural rearrangement"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := svTags(&tt.f, tt.specimen)
			if got := tagsOf(rs); !slices.Equal(got, tt.want) {
				t.Errorf("tags %v, want %v", got, tt.want)
			}
			for _, r := range rs {
				if r.Source == "" || r.Reason == "" {
					t.Errorf("tag %s has no reason or source", r.Tag)
				}
			}
			if tt.reason != "" && !slices.ContainsFunc(rs, func(r report.Rationale) bool { return strings.Contains(r.Reason, tt.reason) }) {
				t.Errorf("no reason says %q: %+v", tt.reason, rs)
			}
		})
	}
}
